"""The real `csauth` command in a subprocess, against the fake API over loopback."""

from __future__ import annotations

import json
import stat
import time
from datetime import datetime, timezone

import httpx

from csauth_tui.core.tokens import decode_jwt
from tests.e2e.conftest import ACCOUNT_SECRET, PROJECT_SECRET, profiles_text

SECRETS = (PROJECT_SECRET, ACCOUNT_SECRET)


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def probe(base_url: str, token: str, project_id: int | None = None) -> httpx.Response:
    params = {"projectId": project_id} if project_id else None
    return httpx.get(
        f"{base_url}/v1/segments", params=params, headers={"Authorization": f"Bearer {token}"}
    )


def test_token_is_printed_works_and_is_cached(cli):
    first = cli.run("token", "prod")
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    assert decode_jwt(token)[1]["sub"] == "proj-client-1"
    assert probe(cli.fake.url, token).status_code == 200
    assert cli.token_requests() == 1

    second = cli.run("token", "prod")
    assert second.returncode == 0
    assert second.stdout.strip() == token  # from the cache: no new request
    assert cli.token_requests() == 1
    cache = cli.cache_dir / "tokens.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    no_secret_in(first.stderr, second.stderr, cache.read_text())


def test_no_cache_fetches_and_writes_nothing(cli):
    assert cli.run("token", "prod", "--no-cache").returncode == 0
    assert cli.run("token", "prod", "--no-cache").returncode == 0
    assert cli.token_requests() == 2
    assert not (cli.cache_dir / "tokens.json").exists()


def test_min_ttl_above_what_is_left_renews(cli):
    old = cli.run("token", "prod").stdout.strip()
    new = cli.run("token", "prod", "--min-ttl", "3600").stdout.strip()
    assert cli.token_requests() == 2
    assert new != old


def test_formats(cli):
    as_json = json.loads(cli.run("token", "prod", "--format", "json").stdout)
    assert set(as_json) == {
        "profile",
        "access_token",
        "token_type",
        "endpoint",
        "expires_at",
        "expires_in",
        "scopes",
        "project_id",
    }
    assert as_json["profile"] == "prod" and as_json["token_type"] == "Bearer"
    assert as_json["endpoint"] == cli.fake.url
    assert as_json["scopes"] == ["metrics"]
    assert 3500 < as_json["expires_in"] <= 3600
    expires = datetime.strptime(as_json["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    left = expires.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
    assert 3500 < left.total_seconds() <= 3601
    token = as_json["access_token"]

    header = cli.run("token", "prod", "--format", "header").stdout.strip()
    assert header == f"Authorization: Bearer {token}"

    env_lines = cli.run("token", "prod", "--format", "env").stdout.splitlines()
    assert env_lines[0] == f"export CS_ACCESS_TOKEN={token}"
    assert env_lines[1] == f"export CS_API_BASE_URL={cli.fake.url}"
    assert env_lines[2].startswith("export CS_TOKEN_EXPIRES_AT=")

    curl = cli.run("token", "prod", "--format", "curl").stdout.strip()
    assert curl.startswith("curl -sS -H 'Authorization: Bearer ")
    assert curl.endswith(f"'{cli.fake.url}/v1/segments'") or f"{cli.fake.url}/v1/segments" in curl


def test_account_level_needs_a_project_and_then_works(cli):
    refused = cli.run("token", "agency")
    assert refused.returncode == 4
    assert "--project-id" in refused.stderr and refused.stdout == ""
    assert cli.token_requests() == 0  # refused before any request

    ok = cli.run("token", "agency", "--project-id", "1002", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["project_id"] == 1002
    assert probe(cli.fake.url, data["access_token"], 1002).status_code == 200


def test_enrichment_with_another_scope_is_refused_before_sending(cli):
    result = cli.run("token", "prod", "--scope", "enrichment", "--scope", "metrics")
    assert result.returncode == 4
    assert "enrichment" in result.stderr
    assert cli.token_requests() == 0


def test_exec_passes_the_token_and_exit_status(cli):
    script = (
        "import os, sys, urllib.request; "
        "req = urllib.request.Request(os.environ['CS_API_BASE_URL'] + '/v1/segments', "
        "headers={'Authorization': 'Bearer ' + os.environ['CS_ACCESS_TOKEN']}); "
        "body = urllib.request.urlopen(req).read().decode(); "
        "print('segments' if 'New visitors' in body else 'no'); "
        "print(os.environ['CS_TOKEN_EXPIRES_AT']); sys.exit(7)"
    )
    import sys

    result = cli.run("exec", "prod", "--", sys.executable, "-c", script)
    assert result.returncode == 7, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "segments"
    assert lines[1].endswith("Z")


def test_exec_takes_options_after_the_profile_and_the_command_after_double_dash(cli):
    import sys

    script = "import os; print(os.environ['CS_API_BASE_URL'])"
    result = cli.run("exec", "agency", "--project-id", "1002", "--", sys.executable, "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("http://127.0.0.1")
    assert cli.fake.requests[-1].body.get("project_id") == 1002

    # without --, the words after PROFILE are not silently run as a command
    result = cli.run("exec", "prod", "--scope", "metrics")
    assert result.returncode == 2
    assert "exec needs a command after --" in result.stderr
    result = cli.run("exec", "prod", "env")
    assert result.returncode == 2
    assert "unrecognized arguments: env" in result.stderr and "-- CMD" in result.stderr

    # for other commands, -- still just ends the options
    result = cli.run("token", "--", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("eyJ")


def test_exec_unknown_command(cli):
    result = cli.run("exec", "prod", "--", "no-such-command-csauth")
    assert result.returncode == 127
    assert "command not found" in result.stderr


def test_errors_have_exit_codes_and_one_clear_line(cli):
    unknown = cli.run("token", "nope")
    assert unknown.returncode == 3
    assert "unknown profile 'nope'" in unknown.stderr and "did you mean 'prod'?" in unknown.stderr
    assert unknown.stdout == ""

    wrong = cli.run("token", "prod", env={"CS_TEST_PROD_SECRET": "wrong-secret-value"})
    assert wrong.returncode == 4
    assert "rejected" in wrong.stderr.lower()
    assert "wrong-secret-value" not in wrong.stderr
    assert wrong.stderr.count("\n") == 1

    missing = cli.run("token", "prod", env={"CS_TEST_PROD_SECRET": ""})
    assert missing.returncode == 3
    assert "CS_TEST_PROD_SECRET" in missing.stderr

    usage = cli.run("token", "prod", "--project-id", "abc")
    assert usage.returncode == 2


def test_a_request_refused_with_a_4xx_is_exit_4_not_5(cli):
    """A wrong auth_url path answers 404: a configuration mistake, not worth retrying."""
    cli.write_profiles(profiles_text(cli.fake.url + "/wrong-prefix"))
    result = cli.run("token", "prod")
    assert result.returncode == 4, result.stderr
    assert "refused the request" in result.stderr and "NOT_FOUND" in result.stderr
    assert result.stderr.count("\n") == 1


def test_untrusted_endpoint_is_one_error_line_without_a_stray_log_warning(cli):
    cli.fake.inject("foreign_endpoint")
    result = cli.run("token", "prod")
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr  # no unprefixed log line first
    assert result.stderr.startswith("csauth: error: ") and "untrusted" in result.stderr


def test_server_down_is_a_network_error(cli):
    url = cli.fake.url
    cli.fake.stop()
    result = cli.run("token", "prod", timeout=120)
    assert result.returncode == 5
    assert "127.0.0.1" in result.stderr or "reach" in result.stderr
    assert url  # the profiles still point at the stopped server


def test_syntax_error_is_path_line_col(cli):
    cli.write_profiles('[profiles.prod]\nlevel = "project"\nclient_id = \n')
    result = cli.run("token", "prod")
    assert result.returncode == 3
    assert f"{cli.config}:3:" in result.stderr


def test_token_watched_to_expiry_is_renewed(cli):
    cli.fake.token_lifetime = 3
    cli.write_profiles(profiles_text(cli.fake.url, renew_before=1))
    first = cli.run("token", "prod", "--format", "json")
    token = json.loads(first.stdout)["access_token"]
    assert probe(cli.fake.url, token).status_code == 200
    deadline = time.monotonic() + 30
    while probe(cli.fake.url, token).status_code == 200:
        assert time.monotonic() < deadline, "token never expired"
        time.sleep(0.5)
    expired = probe(cli.fake.url, token)
    assert expired.status_code == 401 and expired.json()["errorCode"] == "JWT_EXPIRED"

    renewed = json.loads(cli.run("token", "prod", "--format", "json").stdout)["access_token"]
    assert renewed != token
    assert probe(cli.fake.url, renewed).status_code == 200
    assert cli.token_requests() == 2


def test_list_and_json(cli):
    text = cli.run("list")
    assert text.returncode == 0
    assert "prod" in text.stdout and "agency" in text.stdout
    data = json.loads(cli.run("list", "--json").stdout)
    names = [p["name"] for p in data["profiles"]]
    assert names == ["prod", "agency"]
    assert data["profiles"][1]["level"] == "account"


def test_list_shows_bad_profiles_and_still_lists_good_ones(cli):
    cli.write_profiles(profiles_text(cli.fake.url) + '\n[profiles.bad]\nlevel = "org"\n')
    data = json.loads(cli.run("list", "--json").stdout)
    bad = [p for p in data["profiles"] if p["name"] == "bad"][0]
    assert bad["valid"] is False
    assert any("level" in e for e in bad["errors"])
    assert cli.run("token", "prod").returncode == 0


def test_me(cli):
    result = cli.run("me", "agency")
    assert result.returncode == 0, result.stderr
    assert "1002" in result.stdout and "metrics" in result.stdout
    raw = json.loads(cli.run("me", "agency", "--json").stdout)
    assert raw["permissions"]["projects"]
    no_secret_in(result.stdout, result.stderr)


def test_add_with_env_secret_then_rm(cli):
    result = cli.run(
        "add",
        "new",
        "--level",
        "account",
        "--client-id",
        "acct-client-1",
        "--project-id",
        "1003",
        "--secret",
        "env:CS_TEST_AGENCY_SECRET",
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600
    assert cli.config.read_text().startswith("# test profiles")  # the user's comment kept
    token = cli.run("token", "new")
    assert token.returncode == 0, token.stderr
    assert decode_jwt(token.stdout.strip())[1]["project_id"] == 1003

    assert cli.run("rm", "new").returncode == 0
    assert "[profiles.new]" not in cli.config.read_text()
    assert cli.run("token", "new").returncode == 3


def test_add_plaintext_reads_stdin_never_argv(cli):
    result = cli.run(
        "add",
        "plain",
        "--level",
        "project",
        "--client-id",
        "proj-client-1",
        "--secret",
        "plaintext",
        input=PROJECT_SECRET + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert cli.run("token", "plain").returncode == 0
    assert "plaintext" in cli.run("list").stdout


def test_add_to_keyring_without_a_keyring_says_what_to_do(cli):
    # The test environment's keyring backend is the "fail" one: no keyring works here.
    result = cli.run(
        "add", "kr", "--level", "project", "--client-id", "proj-client-1", input=PROJECT_SECRET
    )
    assert result.returncode == 3
    assert "env:" in result.stderr and "cmd:" in result.stderr
    assert "[profiles.kr]" not in cli.config.read_text()  # nothing half-added
    no_secret_in(result.stderr)


def test_add_refuses_bad_input(cli):
    dup = cli.run("add", "prod", "--level", "project", "--client-id", "x", "--secret", "env:X")
    assert dup.returncode == 3 and "already exists" in dup.stderr
    bad = cli.run("add", "bad name", "--level", "project", "--client-id", "x", "--secret", "env:X")
    assert bad.returncode == 3
    before = cli.config.read_text()
    enr = cli.run(
        "add",
        "e",
        "--level",
        "project",
        "--client-id",
        "x",
        "--secret",
        "env:X",
        "--scope",
        "enrichment",
        "--scope",
        "metrics",
    )
    assert enr.returncode == 3 and "enrichment" in enr.stderr
    assert cli.config.read_text() == before


def test_add_refuses_a_bad_env_name_and_a_pasted_secret_without_echoing_them(cli):
    before = cli.config.read_text()
    for source in ("env:my-secret-var", f"env:{PROJECT_SECRET}", PROJECT_SECRET):
        result = cli.run("add", "x", "--level", "project", "--client-id", "x", "--secret", source)
        assert result.returncode == 3, result.stderr
        assert "value not shown" in result.stderr
        assert source[4:] not in result.stderr
    assert cli.config.read_text() == before

    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"', f'secret = "{PROJECT_SECRET}"'
        )
    )
    listed = cli.run("list")
    token = cli.run("token", "prod")
    assert token.returncode == 3 and "value not shown" in token.stderr
    no_secret_in(listed.stdout, listed.stderr, token.stdout, token.stderr)


def test_forget(cli):
    cli.run("token", "prod")
    cli.run("token", "agency", "--project-id", "1001")
    one = cli.run("forget", "prod")
    assert one.returncode == 0 and "1" in one.stderr
    cli.run("token", "agency", "--project-id", "1001")
    assert cli.token_requests() == 2  # agency's token survived
    cli.run("forget")
    cli.run("token", "agency", "--project-id", "1001")
    assert cli.token_requests() == 3


def test_doctor(cli):
    result = cli.run("doctor")
    assert result.returncode == 0
    assert str(cli.config) in result.stdout
    assert "NOT AVAILABLE" in result.stdout  # the tests' keyring refuses everything
    assert "tokens.json" in result.stdout
    assert "OSC 52" in result.stdout


def test_version_and_help():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "csauth_tui.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("csauth ")
    helptext = subprocess.run(
        [sys.executable, "-m", "csauth_tui.cli", "--help"], capture_output=True, text=True
    ).stdout
    for command in ("token", "exec", "add", "rm", "forget", "doctor", "demo", "list", "me"):
        assert command in helptext


def test_import_dry_run_then_import_then_export(cli, tmp_path):
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,project_id,scopes,created,description\n"
        "team-a,project,team-client-a,1001,metrics,2026-03-01,Team A\n"
        "prod,project,other-client,,metrics,,clashes with an existing name\n"
        "broken,galaxy,team-client-b,,metrics,,\n"
    )
    before = cli.config.read_text()
    dry = cli.run("import", str(team), "--dry-run")
    assert dry.returncode == 3  # some rows would not be imported
    assert "would add team-a" in dry.stderr
    assert "line 3: skip prod" in dry.stderr and "--overwrite" in dry.stderr
    assert "line 4: reject broken" in dry.stderr and "level" in dry.stderr
    assert cli.config.read_text() == before

    real = cli.run("import", str(team))
    assert real.returncode == 3
    assert "imported 1 profile(s)" in real.stderr
    text = cli.config.read_text()
    assert text.startswith(before)  # appended; the user's file untouched above
    assert "[profiles.team-a]" in text and "[profiles.broken]" not in text

    # the same import again, without the broken row: everything is already there, which
    # is not a failure (a script re-running its import must not stop here)
    team.write_text("\n".join(team.read_text().splitlines()[:3]) + "\n")
    again = cli.run("import", str(team))
    assert again.returncode == 0, again.stderr
    assert "skip team-a" in again.stderr and "skip prod" in again.stderr
    assert cli.config.read_text() == text

    exported = cli.run("export", "--format", "json", "--profile", "team-*")
    assert exported.returncode == 0
    assert [p["name"] for p in json.loads(exported.stdout)] == ["team-a"]

    out = tmp_path / "shared.toml"
    assert cli.run("export", "--output", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    shared = out.read_text()
    assert "[profiles.prod]" in shared and "[profiles.team-a]" in shared
    no_secret_in(shared)
