"""The attacks on csauth's files, replayed with the real `csauth` command against the fake
API on loopback: a forged token cache is never served, a profiles file (or its directory)
that someone else owns or may write is refused, every directory csauth creates is 0700.
Tests run as root: "another user" is uid 65534.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from datetime import datetime, timedelta, timezone

import pytest

from csauth_tui.core.tokens import cache_key, decode_jwt

NOBODY = 65534
# JWT-shaped, so that only the rule under test can refuse it (and tracked by the leak
# scanner: it says "sentinel")
FORGED = "forged.sentinel.token-b71c0e"


def entry(cli, **changes) -> tuple[str, dict]:
    """A tokens.json entry for the profile `prod` (project-level, scope metrics)."""
    now = datetime.now(timezone.utc)
    raw = {
        "access_token": FORGED,
        "endpoint": cli.fake.url,
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(minutes=30)).isoformat(),
        "client_id": "proj-client-1",
        "auth_url": cli.fake.url,
        "scopes": ["metrics"],
        "project_id": None,
        "profile": "prod",
        "trusted": True,
        "extra": {},
    }
    raw.update(changes)
    return cache_key(raw["auth_url"], raw["client_id"], raw["scopes"], raw["project_id"]), raw


def forge(cli, how: str):
    cache = cli.cache_dir / "tokens.json"
    cli.cache_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(cli.cache_dir, 0o700)
    if how == "evil endpoint, far-future expiry":
        key, raw = entry(cli, endpoint="https://evil.test", expires_at="2099-01-01T00:00:00+00:00")
    else:  # a token that would pass every check, in a file someone else may have written
        key, raw = entry(cli)
    cache.write_text(json.dumps({"version": 1, "tokens": {key: raw}}))
    os.chmod(cache, 0o666 if how == "world-writable file" else 0o600)
    if how == "file of another user":
        os.chown(cache, NOBODY, NOBODY)
    return cache


# `env`, without the test's own secrets (the variables the profiles read them from)
PRINT_CS_ENV = (
    "import os\nfor k, v in os.environ.items():\n"
    "    if k.startswith('CS_') and 'SECRET' not in k: print(f'{k}={v}')"
)
FORGERIES = ["evil endpoint, far-future expiry", "world-writable file", "file of another user"]


def fresh_token_in(cli, fmt: str, stdout: str) -> str:
    """The token the command printed for `fmt`, checked to be one the fake issued."""
    if fmt == "json":
        shown = json.loads(stdout)
        assert shown["endpoint"] == cli.fake.url
        token = shown["access_token"]
    elif fmt == "env":
        exports = dict(line.removeprefix("export ").split("=", 1) for line in stdout.splitlines())
        assert shlex.split(exports["CS_API_BASE_URL"]) == [cli.fake.url]
        token = shlex.split(exports["CS_ACCESS_TOKEN"])[0]
    elif fmt == "curl":
        words = shlex.split(stdout)
        assert words[-1] == f"{cli.fake.url}/v1/segments"
        token = words[words.index("-H") + 1].removeprefix("Authorization: Bearer ")
    else:  # exec ... -- (env)
        seen = dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)
        assert seen["CS_API_BASE_URL"] == cli.fake.url
        token = seen["CS_ACCESS_TOKEN"]
    assert decode_jwt(token)[1]["sub"] == "proj-client-1"
    return token


@pytest.mark.parametrize("fmt", ["json", "env", "curl", "exec"])
@pytest.mark.parametrize("how", FORGERIES)
def test_a_forged_token_cache_is_never_served(cli, how, fmt):
    cache = forge(cli, how)
    args = (
        ["exec", "prod", "--", sys.executable, "-c", PRINT_CS_ENV]
        if fmt == "exec"
        else ["token", "prod", "--format", fmt]
    )
    result = cli.run(*args)
    assert result.returncode == 0, result.stderr
    assert FORGED not in result.stdout and "evil.test" not in result.stdout
    token = fresh_token_in(cli, fmt, result.stdout)
    assert cli.token_requests() == 1  # the fake was asked for a fresh token
    if how != "evil endpoint, far-future expiry":  # the file was skipped, and said so
        assert f"token cache not used: refusing to read {cache}" in result.stderr
        fix = "chmod go-w" if how == "world-writable file" else f"owned by uid {NOBODY}"
        assert fix in result.stderr
    # the fresh token replaced the forged file: ours, private, without the forgery
    info = os.lstat(cache)
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.geteuid()
    assert FORGED not in cache.read_text() and token in cache.read_text()
    again = cli.run("token", "prod")
    assert again.stdout.strip() == token and cli.token_requests() == 1  # and is used


def test_a_forged_token_in_a_directory_others_may_write_is_not_served(cli):
    forge(cli, "world-writable file")
    os.chmod(cli.cache_dir / "tokens.json", 0o600)
    os.chmod(cli.cache_dir, 0o777)
    result = cli.run("token", "prod")
    assert result.returncode == 0, result.stderr
    assert FORGED not in result.stdout and cli.token_requests() == 1
    assert f"its directory {cli.cache_dir} is writable by group and others" in result.stderr
    assert FORGED in (cli.cache_dir / "tokens.json").read_text()  # not written there either


def test_a_symlink_planted_in_the_cache_directory_is_not_written_through(cli, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    cli.cache_dir.mkdir(parents=True, exist_ok=True)
    (cli.cache_dir / "tokens.json").symlink_to(victim)
    (cli.cache_dir / "tokens.json.lock").unlink(missing_ok=True)
    result = cli.run("token", "prod")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert not (cli.cache_dir / "tokens.json").is_symlink()


# --- the endpoint rule at the CLI's cached-token path -----------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "served"),
    [
        ("https://evilcontentsquare.com", False),  # the domain matched without its dot
        ("https://api.evilcontentsquare.com", False),
        ("https://api..contentsquare.com", False),
        ("https://api.contentsquare.com:0", False),
        ("https://eu-west-1.contentsquare.com", True),  # the control: the same entry, trusted
    ],
)
def test_a_cached_token_for_a_lookalike_domain_is_not_served(cli, endpoint, served):
    """Issue 13 §7, at a second level: the real CLI with a cached token for the default
    auth URL. The profile's secret is unset, so a refused cache entry ends in a secret
    error (exit 3) and no request ever leaves the machine."""
    cli.write_profiles(
        '[profiles.cs]\nclient_id = "cs-client"\nscopes = ["metrics"]\n'
        'secret = "env:CS_TEST_NEVER_SET"\n'
    )
    auth = "https://api.contentsquare.com"
    key, raw = entry(cli, endpoint=endpoint, auth_url=auth, client_id="cs-client")
    cli.cache_dir.mkdir(parents=True, exist_ok=True)
    (cli.cache_dir / "tokens.json").write_text(json.dumps({"version": 1, "tokens": {key: raw}}))
    os.chmod(cli.cache_dir / "tokens.json", 0o600)
    result = cli.run("token", "cs", "--format", "json")
    if served:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["endpoint"] == endpoint
    else:
        assert result.returncode == 3 and result.stdout == ""
        assert "CS_TEST_NEVER_SET" in result.stderr  # it went on to fetch a fresh token
    assert cli.token_requests() == 0


# --- the profiles file: refused, with the fix ---------------------------------------------


@pytest.mark.parametrize(
    "how",
    [
        "group-writable file",
        "world-writable file",
        "file of another user",
        "directory others may write",
    ],
)
def test_a_profiles_file_others_may_write_is_refused(cli, how):
    config = cli.config
    target = config.parent if how == "directory others may write" else config
    if how == "file of another user":
        os.chown(config, NOBODY, NOBODY)
    else:
        os.chmod(
            target, {"group-writable file": 0o620, "world-writable file": 0o666}.get(how, 0o777)
        )
    before = config.read_bytes()
    for args in (
        ["token", "prod"],
        ["list"],
        ["exec", "prod", "--", "true"],
        ["add", "new", "--level", "project", "--client-id", "x", "--secret", "env:X"],
    ):
        result = cli.run(*args)
        assert result.returncode == 3, (args, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"csauth: error: refusing to read {config}")
        fix = f"chmod go-w {target}" if how != "file of another user" else f"uid {NOBODY}"
        assert fix in lines[0]
    assert cli.token_requests() == 0
    assert config.read_bytes() == before


def test_a_profiles_file_readable_by_others_still_works(cli):
    os.chmod(cli.config, 0o644)
    result = cli.run("token", "prod")
    assert result.returncode == 0, result.stderr
    audit = cli.run("audit", "--json")  # and audit says so, as before
    assert "file.profiles.permissions" in audit.stdout


# --- every directory csauth creates is 0700, under any umask ----------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_directories_created_are_0700_under_any_umask(cli, tmp_path, monkeypatch, umask):
    home = tmp_path / "home"
    monkeypatch.delenv("CSAUTH_CONFIG")
    monkeypatch.delenv("CSAUTH_CACHE_DIR")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg" / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg" / "cache"))
    old = os.umask(umask)
    try:
        added = cli.run(
            "add",
            "prod",
            "--level",
            "project",
            "--client-id",
            "proj-client-1",
            "--secret",
            "env:CS_TEST_PROD_SECRET",
        )
        assert added.returncode == 0, added.stderr
        config = home / "xdg" / "config" / "csauth" / "profiles.toml"
        config.write_text(
            config.read_text().replace(
                "[profiles.prod]", f'[settings]\nauth_url = "{cli.fake.url}"\n\n[profiles.prod]'
            )
        )
        got = cli.run("token", "prod")
        assert got.returncode == 0, got.stderr
    finally:
        os.umask(old)
    assert (home / "xdg" / "cache" / "csauth" / "tokens.json").exists()
    for created in ("", "xdg", "xdg/config", "xdg/config/csauth", "xdg/cache", "xdg/cache/csauth"):
        assert stat.S_IMODE((home / created).stat().st_mode) == 0o700, created or "home"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_the_exec_child_sees_no_forged_value(cli):
    """exec with a forged cache: the child's environment holds the fresh token only."""
    forge(cli, "evil endpoint, far-future expiry")
    script = "import os; print(os.environ['CS_API_BASE_URL'], os.environ['CS_ACCESS_TOKEN'])"
    result = cli.run("exec", "prod", "--", sys.executable, "-c", script)
    base, token = result.stdout.split()
    assert base == cli.fake.url and token != FORGED
