"""`csauth status`: every profile at a glance from the file and the token cache only
(issue 15 §1). The real command in a subprocess; the fake API must see nothing from it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from csauth_tui.core.tokens import Token, TokenCache
from tests.e2e.conftest import CliEnv, profiles_text

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdGF0dXMifQ.c3RhdHVzLXRlc3Qtc2lnbmF0dXJl"


def cache_token(
    cli: CliEnv,
    client_id: str,
    scopes,
    project_id,
    seconds: int,
    endpoint: str = "https://api.eu-west-1.production.contentsquare.com",
) -> None:
    """A token as `csauth token` caches it, lasting an hour, `seconds` of it left."""
    now = datetime.now(timezone.utc)
    expires = now + timedelta(seconds=seconds)
    TokenCache(cli.cache_dir / "tokens.json").put(
        Token(
            access_token=JWT,
            endpoint=endpoint,
            issued_at=expires - timedelta(hours=1),
            expires_at=expires,
            client_id=client_id,
            auth_url=cli.fake.url,
            scopes=tuple(scopes),
            project_id=project_id,
        )
    )
    assert any(
        t.client_id == client_id and t.project_id == project_id
        for t in TokenCache(cli.cache_dir / "tokens.json").all()
    )


def test_status_shows_every_profile_from_the_cache_without_asking_anyone(cli: CliEnv):
    created = (date.today() - timedelta(days=350)).isoformat()
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"',
            f'secret = "env:CS_TEST_PROD_SECRET"\ncreated = {created}',
        )
    )
    got = cli.run("token", "prod")  # a real token, cached as a user's call leaves it
    assert got.returncode == 0, got.stderr
    cache_token(cli, "acct-client-1", ["metrics", "data-export"], 1002, 200)
    seen = len(cli.fake.requests)

    result = cli.run("status", env={"PYTHON_KEYRING_BACKEND": "no.such.Backend"})
    assert result.returncode == 0, result.stderr
    assert len(cli.fake.requests) == seen  # offline
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "TOKEN",
        "SCOPES",
        "PROJECT",
        "ENDPOINT",
        "SECRET",
        "CREDENTIAL",
    ]
    prod = next(line for line in lines if line.startswith("prod "))
    assert "59:" in prod or "60:00" in prod  # about an hour left
    assert "env $CS_TEST_PROD_SECRET" in prod
    assert "EXPIRES in 15 d" in prod and "350 d old" in prod
    agency = lines.index(next(line for line in lines if line.startswith("agency ")))
    assert agency + 1 < len(lines)
    extra = lines[agency + 1]  # its cached token for another scope set and project
    assert extra.startswith(" ") and "(renew)" in extra and "metrics data-export" in extra
    assert "1002" in extra and "api.eu-west-1.production.contentsquare.com" in extra
    assert "created ? (no date)" in lines[agency]


def test_status_json_follows_its_schema(cli: CliEnv):
    assert cli.run("use", "prod").returncode == 0
    cache_token(cli, "proj-client-1", ["metrics"], None, 3000)
    result = cli.run("status", "--json", "prod")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "csauth-status/1"
    assert report["default_profile"]["name"] == "prod" and report["default_profile"]["known"]
    [prod] = report["profiles"]
    assert prod["name"] == "prod" and prod["valid"] and prod["default"]
    assert prod["secret_source"] == "env $CS_TEST_PROD_SECRET"
    assert prod["credential"]["state"] == "unknown"
    [token] = prod["tokens"]
    assert token["requested"] and token["state"] == "fresh"
    assert 2900 < token["seconds_left"] <= 3000
    assert "access_token" not in json.dumps(report)
    assert JWT not in result.stdout


def test_status_of_an_unknown_profile_is_an_error(cli: CliEnv):
    result = cli.run("status", "prdo")
    assert result.returncode == 3
    assert "did you mean 'prod'" in result.stderr


def test_foreign_text_in_the_table_is_inert(cli: CliEnv):
    """A bad profile's name and field holding escape sequences and a bidi override: shown
    as escapes, never sent to the terminal. A cache entry forged with such an endpoint is
    not shown at all (the cache re-checks every entry)."""
    cli.write_profiles(
        profiles_text(cli.fake.url)
        + (
            '\n[profiles."evil\\u001b]52;c;aGk=\\u0007"]\nclient_id = "x"\n'
            'level = "\\u202e\\u001b[2J"\n'
        )
    )
    cache_token(cli, "proj-client-1", ["metrics"], None, 3000)
    path = cli.cache_dir / "tokens.json"
    data = json.loads(path.read_text())
    [entry] = data["tokens"].values()
    entry["endpoint"] = "https://api.contentsquare.com\x1b[31m\u202e"
    path.write_text(json.dumps(data))
    result = cli.run("status")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\x07" not in result.stdout
    assert "evil\\x1b]52;c;aGk=\\x07" in result.stdout
    assert "<U+202E>\\x1b[2J" in result.stdout
    prod = next(line for line in result.stdout.splitlines() if line.startswith("prod "))
    assert prod.split()[1] == "-"  # the forged entry: no token
