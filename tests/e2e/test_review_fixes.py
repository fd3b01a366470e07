"""What a review of issues 12 and 13 found, replayed through the real `csauth` command:
auth URLs with a bad port, a user or an escape; a raw escape in an exported CSV;
`--min-ttl` longer than the token the API hands out; a profiles file others can read;
a closed pipe."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from .conftest import profiles_text

OSC52 = "\x1b]52;c;ZXZpbA==\x07"


def with_profile_auth_url(cli, url: str) -> None:
    text = profiles_text(cli.fake.url).replace(
        'client_id = "proj-client-1"', f'client_id = "proj-client-1"\nauth_url = "{url}"'
    )
    cli.write_profiles(text)


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://127.0.0.1:99999", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:1/\\u001b]52;c;ZXZpbA==\\u0007", "spaces or control characters"),
        ("https://user:pw@api.contentsquare.com", "must not hold a user"),
        ("https://api..contentsquare.com", "malformed host name"),
    ],
)
def test_a_malformed_auth_url_is_a_configuration_error_never_a_crash(cli, url, why):
    with_profile_auth_url(cli, url)
    result = cli.run("token", "prod")
    assert result.returncode == 3, result.stderr
    assert "prod.auth_url" in result.stderr and why in result.stderr
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    assert "pw@" not in result.stderr  # a user:password is not quoted back
    assert cli.token_requests() == 0


def test_a_malformed_settings_auth_url_is_listed_by_doctor_and_stops_token(cli):
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            f'auth_url = "{cli.fake.url}"', 'auth_url = "https://api.contentsquare.com:99999"'
        )
    )
    token = cli.run("token", "prod")
    assert token.returncode == 3
    assert "settings.auth_url" in token.stderr and "port" in token.stderr
    doctor = cli.run("doctor")
    assert "settings.auth_url" in doctor.stdout and "port" in doctor.stdout


def test_add_refuses_a_malformed_auth_url(cli):
    result = cli.run(
        "add",
        "other",
        "--level",
        "project",
        "--client-id",
        "c-2",
        "--secret",
        "env:CS_TEST_PROD_SECRET",
        "--auth-url",
        "http://127.0.0.1:0",
    )
    assert result.returncode == 3 and "port" in result.stderr
    assert "other" not in (cli.run("list", "--json").stdout)


def test_export_csv_is_inert_for_a_terminal(cli):
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"',
            f'secret = "env:CS_TEST_PROD_SECRET"\ndescription = "shop{OSC52}\\u202e"'.replace(
                "\x1b", "\\u001b"
            ).replace("\x07", "\\u0007"),
        )
    )
    result = cli.run("export", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["description"] == "shop\\x1b]52;c;ZXZpbA==\\x07<U+202E>"


def test_min_ttl_longer_than_the_new_token_is_refused(cli):
    cli.fake.token_lifetime = 30
    result = cli.run("token", "prod", "--min-ttl", "100", "--format", "json")
    assert result.returncode == 4, result.stdout
    assert result.stdout == ""  # no token that breaks the promise is printed
    assert "less than --min-ttl 100" in result.stderr and "tokens of 30 s" in result.stderr
    assert cli.run("token", "prod", "--min-ttl", "10").returncode == 0


def test_a_profiles_file_others_can_read_is_a_warning_in_list_and_doctor(cli):
    os.chmod(cli.config, 0o644)
    listed = cli.run("list")
    assert listed.returncode == 0
    assert "readable by group or others" in listed.stderr and "chmod go-r" in listed.stderr
    assert "readable by group or others" in cli.run("doctor").stdout
    os.chmod(cli.config, 0o600)
    assert "readable by group or others" not in cli.run("list").stderr


def test_a_closed_pipe_ends_quietly(cli):
    proc = subprocess.run(
        f"{sys.executable} -m csauth_tui.cli doctor | head -c 1 >/dev/null; "
        'echo "status=${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() in ("status=0", "status=141")
