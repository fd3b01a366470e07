"""The audit proves each credential now, says one thing per cause, and shows what will run:
the core against the fake API on loopback, and the real `csauth audit` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.audit import run_audit
from csauth_tui.core.profiles import load
from csauth_tui.core.service import TokenService
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests import escscan

SECRET = "audit-fresh-sentinel-secret-41c9"
TODAY = date.today().isoformat()


def profiles(url: str) -> str:
    return f"""[settings]
auth_url = "{url}"

[profiles.good]
client_id = "c-good"
project_id = 1001
secret = "env:AUDIT_FRESH_SECRET"
created = {TODAY}

[profiles.by-command]
client_id = "c-good"
project_id = 1001
secret = "cmd:printenv AUDIT_FRESH_SECRET\\u001b[2J"
created = {TODAY}

[profiles.pasted]
client_id = "c-good"
project_id = 1001
secret = "cmd:echo Zx9Kq2Lm8Np4Rt6Vw1Yb3"
created = {TODAY}
"""


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_FRESH_SECRET", SECRET)
    with FakeContentsquare(
        [FakeCredential("c-good", SECRET, project_ids=(1001,), scopes=("metrics",))]
    ) as fake:
        path = tmp_path / "profiles.toml"
        path.write_text(profiles(fake.url))
        os.chmod(path, 0o600)
        yield fake, path, TokenCache(tmp_path / "cache" / "tokens.json")


async def audit(path, cache, fresh=True, names=("good",)):
    pf = load(path)
    async with AuthClient(settings=pf.settings) as client:
        service = TokenService(pf.settings, client, cache=cache)
        return await run_audit(pf, service=service, client=client, names=list(names), fresh=fresh)


def profile_checks(report, name):
    return [f.check for f in report.all_findings() if f.profile == name]


async def test_a_revoked_secret_is_caught_despite_a_cached_token(world, monkeypatch):
    fake, path, cache = world
    first = await audit(path, cache)
    assert first.exit_code == 0 and cache.all()  # an hour-long token is now cached

    monkeypatch.setenv("AUDIT_FRESH_SECRET", "revoked-secret")
    report = await audit(path, cache)
    [good] = report.results
    assert good.token_ok is False and not good.token_cached
    # one cause, one finding: not "token failed" and "/me failed" both
    assert profile_checks(report, "good") == ["token.failed"]
    [finding] = [f for f in report.all_findings() if f.profile == "good"]
    assert finding.severity == "error" and "rejected" in finding.message
    assert report.exit_code == 1

    cached = await audit(path, cache, fresh=False)  # --cached: reuse, say so
    [good] = cached.results
    assert good.token_ok and good.token_cached and good.token_ms is None
    assert profile_checks(cached, "good") == ["me.failed"]  # /me still catches it
    assert cached.exit_code == 1


def csauth(path, *args):
    env = {
        **os.environ,
        "CSAUTH_CONFIG": str(path),
        "AUDIT_FRESH_SECRET": os.environ["AUDIT_FRESH_SECRET"],
    }
    proc = subprocess.run(
        [sys.executable, "-m", "csauth_tui.cli", "audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    escscan.cli_run(["audit", *args], proc.stdout, proc.stderr)  # no raw escape
    return proc


def test_cli_audit_proves_fresh_and_cached_says_it_proved_less(world, monkeypatch):
    fake, path, cache = world
    ok = csauth(path, "--profile", "good")
    assert ok.returncode == 0, ok.stdout
    assert "secret: env $AUDIT_FRESH_SECRET" in ok.stdout
    requests = sum(1 for r in fake.requests if r.path == "/v1/oauth/token")

    again = csauth(path, "--profile", "good")  # a cached token exists: asked anew all the same
    assert sum(1 for r in fake.requests if r.path == "/v1/oauth/token") == requests + 1
    assert "token ok in" in again.stdout

    cached = csauth(path, "--profile", "good", "--cached")
    assert sum(1 for r in fake.requests if r.path == "/v1/oauth/token") == requests + 1
    assert "token ok (cached, not proven now)" in cached.stdout

    monkeypatch.setenv("AUDIT_FRESH_SECRET", "revoked-secret")
    revoked = csauth(path, "--profile", "good", "--json")
    assert revoked.returncode == 1
    [good] = json.loads(revoked.stdout)["profiles"]
    assert [f["check"] for f in good["findings"]] == ["token.failed"]
    assert good["token"]["ok"] is False and good["token"]["cached"] is False
    assert SECRET not in revoked.stdout + revoked.stderr


def test_cli_audit_shows_every_command_that_will_run_and_where_secrets_go(world):
    fake, path, cache = world
    result = csauth(path, "--json")
    data = json.loads(result.stdout)
    assert SECRET not in result.stdout
    by_name = {p["name"]: p for p in data["profiles"]}
    assert by_name["good"]["secret_source"] == "env $AUDIT_FRESH_SECRET"
    assert by_name["good"]["auth_url"] == fake.url
    assert by_name["good"]["secret_command"] is None

    command = by_name["by-command"]
    assert command["secret_source"] == "command"
    assert command["secret_command"] == "printenv AUDIT_FRESH_SECRET\\x1b[2J"  # inert
    [ran] = [f for f in command["findings"] if f["check"] == "secret.command"]
    assert ran["severity"] == "warning" and "printenv AUDIT_FRESH_SECRET\\x1b[2J" in ran["message"]

    pasted = by_name["pasted"]
    assert pasted["secret_command"] is None  # it looks like a secret: never shown
    [hidden] = [f for f in pasted["findings"] if f["check"] == "secret.command"]
    assert "not shown" in hidden["message"] and "Zx9Kq2Lm8Np4Rt6Vw1Yb3" not in result.stdout

    [url] = [f for f in data["findings"] if f["check"] == "auth_url.custom"]
    assert url["severity"] == "warning" and fake.url in url["message"]
    assert "\x1b" not in result.stdout

    for fmt in ("--csv", "--markdown"):
        shown = csauth(path, fmt).stdout
        assert "secret_source" in shown or "| secret |" in shown
        assert "env $AUDIT_FRESH_SECRET" in shown and "Zx9Kq2Lm8Np4Rt6Vw1Yb3" not in shown
    text = csauth(path).stdout
    assert "secret: command" in text and "the secret comes from running `printenv" in text
