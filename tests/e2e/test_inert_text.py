"""Hostile text replayed through the real `csauth` command: escape sequences and bidi
overrides in a profiles file, in a server's errorMessage and in /me answers come out as
visible escapes, never raw (tests/escscan.py also scans every CLI run of the suite)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

from tests.e2e.conftest import profiles_text

PAYLOAD = "attacker-clipboard-8c1d"  # what the attacker wants in the clipboard
OSC52 = "\x1b]52;c;" + base64.b64encode(PAYLOAD.encode()).decode() + "\x07"
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
RLO = "\u202e"
HOSTILE = f"Shop{OSC52} {CLEAR}{OSC8} {RLO}gnp.exe"
SHOWN_OSC52 = "\\x1b]52;c;" + base64.b64encode(PAYLOAD.encode()).decode() + "\\x07"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string: \u001b and all


def hostile_profiles(url: str) -> str:
    """prod and agency as usual but with a hostile description; a profile whose scope,
    one whose name, one whose client_id hold escapes; one whose name a spreadsheet runs."""
    text = profiles_text(url).replace(
        'scopes = ["metrics"]\nsecret = "env:CS_TEST_PROD_SECRET"',
        f'scopes = ["metrics"]\nsecret = "env:CS_TEST_PROD_SECRET"\ndescription = {toml(HOSTILE)}',
    )
    return (
        text
        + f"""
[profiles.weird-scope]
level = "project"
client_id = "proj-client-1"
scopes = [{toml("metrics" + CLEAR + RLO)}]
secret = "env:CS_TEST_PROD_SECRET"

[profiles.{toml("bad" + CLEAR + "name" + RLO)}]
level = "project"
client_id = "proj-client-1"
secret = "env:CS_TEST_PROD_SECRET"

[profiles.bad-id]
level = "project"
client_id = {toml("proj" + OSC52 + "client")}
secret = "env:CS_TEST_PROD_SECRET"

[profiles.wrong-secret]
level = "project"
client_id = "proj-client-1"
secret = "env:CS_TEST_WRONG_SECRET"

[profiles.-2-3]
level = "project"
client_id = "proj-client-1"
secret = "env:CS_TEST_PROD_SECRET"
"""
    )


def assert_inert(*outputs: str) -> None:
    for output in outputs:
        found = RAW.search(output)
        assert found is None, f"raw {found.group()!r} in the output"


def test_list_shows_hostile_names_and_scopes_as_escapes(cli):
    cli.write_profiles(hostile_profiles(cli.fake.url))
    result = cli.run("list")
    assert result.returncode == 0
    assert_inert(result.stdout, result.stderr)
    assert "bad\\x1b[2Jname<U+202E>" in result.stdout
    assert "metrics\\x1b[2J<U+202E>" in result.stdout
    # refused where it enters, the field named, the characters shown
    assert (
        "client_id must not contain control or bidi characters (found \\x1b, \\x07)"
        in result.stdout
    )
    assert "the profile name must not contain control or bidi characters" in result.stdout


def test_list_json_stays_json_with_every_control_escaped(cli):
    cli.write_profiles(hostile_profiles(cli.fake.url))
    result = cli.run("list", "--json")
    assert_inert(result.stdout)
    rows = {row["name"]: row for row in json.loads(result.stdout)["profiles"]}
    assert rows["prod"]["description"] == HOSTILE  # the data is intact, only written inert
    assert "\\u202e" in result.stdout and "\\u001b]52;c;" in result.stdout


def test_audit_text_markdown_and_csv_are_inert(cli):
    cli.write_profiles(hostile_profiles(cli.fake.url))
    cli.fake.error_message = "denied" + OSC52 + CLEAR + RLO
    wrong = {"CS_TEST_WRONG_SECRET": "not-the-secret-of-proj-client-1"}
    outputs = {
        fmt: cli.run("audit", *flags, env=wrong)
        for fmt, flags in (("text", ()), ("markdown", ("--markdown",)), ("csv", ("--csv",)))
    }
    for fmt, result in outputs.items():
        assert result.returncode == 1, fmt  # the invalid profiles are errors
        assert_inert(result.stdout, result.stderr)
        assert "bad\\x1b[2Jname<U+202E>" in result.stdout, fmt
        # the fake refuses wrong-secret's secret in words holding the attacker's escapes
        assert "denied" + SHOWN_OSC52 + "\\x1b[2J<U+202E>" in result.stdout, fmt
    rows = list(csv.reader(io.StringIO(outputs["csv"].stdout)))
    assert "'-2-3" in [row[0] for row in rows]  # the name "-2-3" a spreadsheet would run
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_server_error_message_with_escapes_is_shown_inert(cli):
    cli.fake.error_message = "Forbidden" + OSC52 + CLEAR + OSC8 + RLO
    result = cli.run("token", "prod", "--scope", "surveys")  # not granted: the fake refuses
    assert result.returncode != 0 and result.stdout == ""
    assert_inert(result.stderr)
    assert f"Forbidden{SHOWN_OSC52}\\x1b[2J\\x1b]8;;https://evil.example/" in result.stderr
    verbose = cli.run("-v", "token", "prod", "--scope", "surveys")
    assert_inert(verbose.stderr)


def test_me_shows_hostile_project_names_inert_and_json_escaped(cli):
    cli.fake.project_names[1001] = "Demo" + OSC52 + CLEAR + RLO + "pohs"
    result = cli.run("me", "prod")
    assert result.returncode == 0
    assert_inert(result.stdout, result.stderr)
    assert f"Demo{SHOWN_OSC52}\\x1b[2J<U+202E>pohs" in result.stdout
    raw = cli.run("me", "prod", "--json")
    assert_inert(raw.stdout)
    projects = json.loads(raw.stdout)["permissions"]["projects"]
    assert projects[0]["name"] == "Demo" + OSC52 + CLEAR + RLO + "pohs"


def test_add_refuses_names_and_client_ids_with_controls(cli):
    before = cli.config.read_text()
    bad_name = cli.run(
        "add",
        "bad" + CLEAR,
        "--level",
        "project",
        "--client-id",
        "x",
        "--secret",
        "env:CS_TEST_PROD_SECRET",
    )
    assert bad_name.returncode == 3
    assert_inert(bad_name.stderr)
    assert (
        "the profile name must not contain control or bidi characters (found \\x1b)"
        in bad_name.stderr
    )
    bad_id = cli.run(
        "add",
        "fine",
        "--level",
        "project",
        "--client-id",
        "id" + RLO,
        "--secret",
        "env:CS_TEST_PROD_SECRET",
    )
    assert bad_id.returncode == 3
    assert_inert(bad_id.stderr)
    assert (
        "fine.client_id: client_id must not contain control or bidi characters (found <U+202E>)"
    ) in bad_id.stderr
    assert cli.config.read_text() == before
