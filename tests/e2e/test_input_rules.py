"""What `csauth` accepts where input enters, through the real command in a subprocess:
names, dates, piped secrets, --min-ttl, unknown profiles, and the renewal margin."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from .conftest import profiles_text


def listed(cli) -> dict:
    result = cli.run("list", "--json")
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)["profiles"]}


def add_env(cli, name: str, *extra: str, input: str | None = None):
    return cli.run(
        "add",
        name,
        "--level",
        "project",
        "--client-id",
        "proj-client-1",
        "--secret",
        "env:CS_TEST_PROD_SECRET",
        *extra,
        input=input,
    )


def test_add_dates_a_new_profile_today_and_refuses_a_future_date(cli):
    added = add_env(cli, "prod-copy")
    assert added.returncode == 0, added.stderr
    assert listed(cli)["prod-copy"]["created"] == date.today().isoformat()

    before = cli.config.read_text()
    future = add_env(cli, "later", "--created", "2999-01-01")
    assert future.returncode == 3
    assert "created 2999-01-01 is in the future" in future.stderr
    assert future.stderr.count("\n") == 1
    assert cli.config.read_text() == before


def test_a_future_date_in_the_file_makes_that_profile_invalid_only(cli):
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"\n',
            'secret = "env:CS_TEST_PROD_SECRET"\ncreated = 2999-01-01\n',
        )
    )
    result = cli.run("token", "prod")
    assert result.returncode == 3
    assert "prod.created: created 2999-01-01 is in the future" in result.stderr
    assert cli.run("token", "agency", "--project-id", "1002").returncode == 0


def test_add_names_ascii_short_and_not_a_case_twin(cli):
    before = cli.config.read_text()
    for name, reason in (
        ("café", "ASCII letters, digits, '-' and '_' only"),
        ("n" * 65, "at most 64 characters, not 65"),
        ("PROD", "'PROD' differs from the profile 'prod'"),
    ):
        result = add_env(cli, name)
        assert result.returncode == 3, name
        assert reason in result.stderr, result.stderr
        assert cli.config.read_text() == before
    assert add_env(cli, "n" * 64).returncode == 0


def test_names_that_differ_only_by_case_are_warned_about_on_load(cli):
    cli.write_profiles(
        profiles_text(cli.fake.url)
        + ('\n[profiles.Prod]\nclient_id = "proj-client-1"\nsecret = "env:CS_TEST_PROD_SECRET"\n')
    )
    result = cli.run("list")
    assert result.returncode == 0
    assert "warning: prod: differs from 'Prod' only by case" in result.stderr
    assert "warning: Prod: differs from 'prod' only by case" in result.stderr
    assert cli.run("token", "Prod").returncode == 0  # a warning, both still work


def test_a_piped_secret_with_an_env_or_cmd_source_is_an_error(cli):
    before = cli.config.read_text()
    for source in ("env:CS_TEST_PROD_SECRET", "cmd:pass show cs/prod"):
        result = cli.run(
            "add",
            "piped",
            "--level",
            "project",
            "--client-id",
            "proj-client-1",
            "--secret",
            source,
            input="sentinel-piped-for-nothing-4471\n",
        )
        assert result.returncode == 3, result.stderr
        assert "a secret was piped on stdin, but --secret" in result.stderr
        assert cli.config.read_text() == before


def test_a_multi_line_piped_secret_is_refused_not_cut(cli):
    before = cli.config.read_text()
    result = cli.run(
        "add",
        "plain",
        "--level",
        "project",
        "--client-id",
        "proj-client-1",
        "--secret",
        "plaintext",
        input="sentinel-first-line-secret-9d0e\nsentinel-second-line-1c8a\n",
    )
    assert result.returncode == 3
    assert "more than one line" in result.stderr
    assert cli.config.read_text() == before


def test_unknown_profile_names_a_few_close_ones_never_all(cli):
    many = "".join(
        f'\n[profiles.team-{i:05d}]\nclient_id = "c{i}"\nsecret = "env:CS_TEST_PROD_SECRET"\n'
        for i in range(3000)
    )
    cli.write_profiles(profiles_text(cli.fake.url) + many)
    result = cli.run("token", "team-0042")
    assert result.returncode == 3
    assert "unknown profile 'team-0042'" in result.stderr
    assert "did you mean 'team-0" in result.stderr
    assert result.stderr.count("'team-") == 4  # the name asked for and three close ones
    assert len(result.stderr) < 600 and "csauth list" in result.stderr


def test_min_ttl_longer_than_a_token_lives_is_refused(cli):
    result = cli.run("token", "prod", "--min-ttl", "3601")
    assert result.returncode == 2
    assert "more than a token lives (3600 s)" in result.stderr
    assert cli.token_requests() == 0
    assert cli.run("token", "prod", "--min-ttl", "3600").returncode == 0


def test_a_cached_token_inside_the_default_renewal_margin_is_fetched_anew(cli):
    """No renew_before_seconds in the file: the default margin (300 s) decides. An hour
    token with 200 s left is inside it, so the next run must fetch a new one."""
    text = profiles_text(cli.fake.url).replace("renew_before_seconds = 300\n", "")
    assert "renew_before" not in text
    cli.write_profiles(text)
    cli.fake.token_lifetime = 3600
    first = cli.run("token", "prod")
    assert cli.run("token", "prod").stdout == first.stdout  # a cache that works...
    assert cli.token_requests() == 1

    # ...then the same hour-long token, 58 min 20 s later: 200 s left, under the margin
    cache_file = cli.cache_dir / "tokens.json"
    data = json.loads(cache_file.read_text())
    now = datetime.now(timezone.utc)
    for entry in data["tokens"].values():
        entry["issued_at"] = (now - timedelta(seconds=3400)).isoformat()
        entry["expires_at"] = (now + timedelta(seconds=200)).isoformat()
    cache_file.write_text(json.dumps(data))
    again = cli.run("token", "prod")
    assert again.returncode == 0, again.stderr
    assert cli.token_requests() == 2  # ...but not for a token with less than the margin
    assert again.stdout != first.stdout
