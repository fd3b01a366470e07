"""The audit against the fake API over loopback: a mixed set of credentials, each problem
found with its severity and fix, and the per-project concurrency bound held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.audit import MAX_CONCURRENT_PER_PROJECT, run_audit
from csauth_tui.core.audit_report import SCHEMA, to_csv, to_json, to_markdown
from csauth_tui.core.profiles import load
from csauth_tui.core.service import TokenService
from csauth_tui.core.tokens import Token, TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests import escscan

TODAY = date.today()
SECRETS = {
    name: f"audit-sentinel-{name}-secret"
    for name in ("good", "acct", "broad", "expiring", "dup", "plain", "down", "slow")
}


def creds() -> list[FakeCredential]:
    return [
        FakeCredential(
            "c-good", SECRETS["good"], project_ids=(1001,), scopes=("metrics", "data-export")
        ),
        FakeCredential(
            "c-acct",
            SECRETS["acct"],
            level="account",
            project_ids=(1001, 1002, 1003),
            scopes=("metrics",),
            account_id=7,
        ),
        FakeCredential("c-broad", SECRETS["broad"], project_ids=(1001,), scopes=("metrics",)),
        FakeCredential("c-expiring", SECRETS["expiring"], project_ids=(1001,), scopes=("metrics",)),
        FakeCredential("c-dup", SECRETS["dup"], project_ids=(1001,), scopes=("metrics",)),
        FakeCredential("c-plain", SECRETS["plain"], project_ids=(1001,), scopes=("metrics",)),
        FakeCredential("c-down", SECRETS["down"], project_ids=(1004,), scopes=("metrics",)),
        FakeCredential("c-slow", SECRETS["slow"], project_ids=(1005,), scopes=("metrics",)),
    ]


def mixed_profiles(url: str) -> str:
    recent = (TODAY - timedelta(days=20)).isoformat()
    expiring = (TODAY - timedelta(days=350)).isoformat()
    return f"""# audit fixture
[settings]
auth_url = "{url}"

[profiles.good]
client_id = "c-good"
project_id = 1001
secret = "env:AUDIT_GOOD"
created = {recent}

[profiles.acct]
level = "account"
client_id = "c-acct"
project_id = 1002
secret = "env:AUDIT_ACCT"
created = {recent}

[profiles.acct-unreachable]
level = "account"
client_id = "c-acct"
project_id = 9999
secret = "env:AUDIT_ACCT"
created = {recent}

[profiles.wrong-secret]
client_id = "c-good"
secret = "env:AUDIT_WRONG"
created = {recent}

[profiles.no-keyring-entry]
client_id = "c-missing"
secret = "keyring"
created = {recent}

[profiles.broad]
client_id = "c-broad"
scopes = ["metrics", "data-export"]
secret = "env:AUDIT_BROAD"
created = {recent}

[profiles.expiring]
client_id = "c-expiring"
secret = "env:AUDIT_EXPIRING"
created = {expiring}

[profiles.dup-a]
client_id = "c-dup"
secret = "env:AUDIT_DUP"
created = {recent}

[profiles.dup-b]
client_id = "c-dup"
secret = "env:AUDIT_DUP"
created = {recent}

[profiles.plain]
client_id = "c-plain"
client_secret = "{SECRETS["plain"]}"
created = {recent}

[profiles.down]
client_id = "c-down"
project_id = 1004
secret = "env:AUDIT_DOWN"
created = {recent}

[profiles.slow]
client_id = "c-slow"
project_id = 1005
secret = "env:AUDIT_SLOW"
created = {recent}
"""


@pytest.fixture
def world(tmp_path, monkeypatch, memory_keyring):
    env = {
        "AUDIT_GOOD": SECRETS["good"],
        "AUDIT_ACCT": SECRETS["acct"],
        "AUDIT_WRONG": "not-the-secret",
        "AUDIT_BROAD": SECRETS["broad"],
        "AUDIT_EXPIRING": SECRETS["expiring"],
        "AUDIT_DUP": SECRETS["dup"],
        "AUDIT_DOWN": SECRETS["down"],
        "AUDIT_SLOW": SECRETS["slow"],
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with FakeContentsquare(creds()) as fake:
        fake.inject("503", project_id=1004, times=None)
        fake.inject("slow", project_id=1005, times=None, delay=0.6)
        path = tmp_path / "profiles.toml"
        path.write_text(mixed_profiles(fake.url))
        os.chmod(path, 0o644)
        yield fake, path


async def audit(
    path,
    concurrency=8,
    cache=None,
    names=None,
    resolve_secret=None,
    service_type=TokenService,
    fresh=True,
):
    pf = load(path)
    seen = []
    async with AuthClient(
        settings=pf.settings, backoff_base=0.01, backoff_cap=0.05, retry_budget=5
    ) as client:
        kw = {} if resolve_secret is None else {"resolve_secret": resolve_secret}
        service = service_type(pf.settings, client, cache=cache, **kw)
        report = await run_audit(
            pf,
            service=service,
            client=client,
            concurrency=concurrency,
            on_result=seen.append,
            names=names,
            resolve_secret=resolve_secret,
            fresh=fresh,
        )
    return report, seen


def checks(report, profile):
    return {f.check: f for f in report.all_findings() if f.profile == profile}


async def test_mixed_set_every_problem_found(world):
    fake, path = world
    report, seen = await audit(path)
    assert len(seen) == 12  # each profile reported as it finished

    assert checks(report, "good") == {}
    assert checks(report, "acct") == {}
    good = next(r for r in report.results if r.profile == "good")
    assert good.token_ok and good.endpoint_trusted and good.me_ok
    assert good.me_scopes == ("metrics", "data-export")

    assert checks(report, "wrong-secret")["token.failed"].severity == "error"
    assert "rejected" in checks(report, "wrong-secret")["token.failed"].message
    missing = checks(report, "no-keyring-entry")["secret.missing"]
    assert missing.severity == "error" and "keyring" in missing.message

    broad = checks(report, "broad")
    assert broad["scopes.not_granted"].severity == "error"
    assert "data-export" in broad["scopes.not_granted"].message
    # one cause, one finding: the refused token request is explained by /me, not repeated
    assert set(broad) == {"scopes.not_granted"}
    assert set(checks(report, "wrong-secret")) == {"token.failed"}  # not /me failed too

    assert checks(report, "expiring")["age.expiring"].severity == "warning"
    assert checks(report, "acct-unreachable")["project.unreachable"].severity == "error"

    dup = [f for f in report.findings if f.check == "duplicate.client_id" and "c-dup" in f.message]
    assert len(dup) == 1 and "dup-a, dup-b" in dup[0].message

    assert checks(report, "plain")["secret.plaintext"].severity == "warning"
    perms = [f for f in report.findings if f.check == "file.profiles.permissions"]
    assert perms and perms[0].severity == "error" and "chmod 600" in perms[0].fix

    down = checks(report, "down")["token.failed"]
    assert down.severity == "error" and "server error" in down.message
    slow = next(r for r in report.results if r.profile == "slow")
    assert slow.token_ok and slow.token_ms >= 500  # latency measured, not an error
    assert checks(report, "slow") == {}

    assert report.exit_code == 1
    for finding in report.all_findings():
        assert finding.fix  # every finding says what to do


async def test_reports_never_carry_a_secret_and_json_keeps_its_schema(world):
    fake, path = world
    report, _ = await audit(path)
    outputs = [to_json(report), to_csv(report), to_markdown(report)]
    for text in outputs:
        for secret in SECRETS.values():
            assert secret not in text
        assert "not-the-secret" not in text
    data = json.loads(outputs[0])
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema",
        "profiles_file",
        "started_at",
        "finished_at",
        "summary",
        "findings",
        "profiles",
    }
    assert data["summary"]["profiles"] == 12 and data["summary"]["error"] >= 6
    profile = next(p for p in data["profiles"] if p["name"] == "good")
    assert set(profile) == {
        "name",
        "level",
        "client_id",
        "project_id",
        "secret_source",
        "status",
        "token",
        "me",
        "findings",
        "auth_url",
        "secret_command",
    }  # added within csauth-audit/1
    assert set(profile["token"]) == {"ok", "ms", "endpoint", "endpoint_trusted", "cached"}
    assert set(profile["me"]) == {"ok", "scopes", "projects"}
    assert profile["status"] == "ok"
    finding = data["profiles"][[p["name"] for p in data["profiles"]].index("broad")]["findings"][0]
    assert set(finding) == {"check", "severity", "message", "fix", "profile"}


async def test_cached_tokens_are_reused_when_asked(world, tmp_path):
    fake, path = world
    cache = TokenCache(tmp_path / "cache" / "tokens.json")
    await audit(path, cache=cache)
    before = sum(1 for r in fake.requests if r.path == "/v1/oauth/token")
    await audit(path, cache=cache, fresh=False)  # csauth audit --cached
    after = sum(1 for r in fake.requests if r.path == "/v1/oauth/token")
    # good, acct and slow got tokens the first time and reuse them now; the failing ones
    # are asked again (a failure is never cached)
    assert after - before <= before - 3


async def test_each_secret_is_resolved_once(world):
    """A `cmd:` secret may prompt (a password manager): the audit asks once per profile."""
    from csauth_tui.core.secrets import resolve_secret

    fake, path = world
    calls = []

    def counting(profile):
        calls.append(profile.name)
        return resolve_secret(profile)

    report, _ = await audit(path, names=["good", "acct"], resolve_secret=counting)
    assert sorted(calls) == ["acct", "good"]
    assert checks(report, "good") == {} and checks(report, "acct") == {}


async def test_a_cached_token_does_not_hide_a_rejected_secret(world, tmp_path, monkeypatch):
    fake, path = world
    os.chmod(path, 0o600)
    cache = TokenCache(tmp_path / "cache" / "tokens.json")
    first, _ = await audit(path, cache=cache, names=["good"])
    assert first.exit_code == 0 and cache.all()  # a valid token is cached

    monkeypatch.setenv("AUDIT_GOOD", "revoked-or-wrong-secret")
    report, _ = await audit(path, cache=cache, names=["good"], fresh=False)
    [good] = report.results
    assert good.token_ok is True and good.token_cached  # still from the cache (--cached)
    failed = checks(report, "good")["me.failed"]
    assert failed.severity == "error" and "credentials are rejected" in failed.message
    assert report.exit_code == 1  # `csauth audit` fails, as it must


class UntrustedService:
    """A token whose API URL is off contentsquare.com and carries the token in its query."""

    def __init__(self, settings, client, cache=None, resolve_secret=None):
        self.settings = settings

    async def token(self, profile, *, secret=None, force=False):
        from datetime import datetime, timedelta, timezone

        now = datetime.now(timezone.utc)
        return Token(
            access_token="leaky-token-sentinel",
            endpoint="https://evil.example.com/api?access_token=leaky-token-sentinel",
            issued_at=now,
            expires_at=now + timedelta(hours=1),
            client_id="c-good",
            auth_url=self.settings.auth_url,
            trusted=False,
        )


async def test_an_untrusted_endpoint_is_named_by_its_host_only(world):
    fake, path = world
    report, _ = await audit(path, names=["good"], service_type=UntrustedService)
    finding = checks(report, "good")["token.untrusted_endpoint"]
    assert finding.severity == "error" and "evil.example.com" in finding.message
    [good] = report.results
    assert good.endpoint is None and good.endpoint_trusted is False
    data = json.loads(to_json(report))
    assert data["profiles"][0]["token"]["endpoint"] is None
    for text in (to_json(report), to_csv(report), to_markdown(report)):
        assert "leaky-token-sentinel" not in text and "access_token=" not in text


async def test_never_more_than_ten_requests_in_flight_per_project(tmp_path, monkeypatch):
    many = [
        FakeCredential(f"c-{i}", f"s-{i}", project_ids=(1001,), scopes=("metrics",))
        for i in range(25)
    ]
    with FakeContentsquare(many, latency=0.3, max_concurrent_per_project=10) as fake:
        lines = [f'[settings]\nauth_url = "{fake.url}"\n']
        for i in range(25):
            monkeypatch.setenv(f"MANY_{i}", f"s-{i}")
            lines.append(
                f'[profiles.p{i}]\nclient_id = "c-{i}"\nproject_id = 1001\n'
                f'secret = "env:MANY_{i}"\ncreated = {TODAY.isoformat()}\n'
            )
        path = tmp_path / "many.toml"
        path.write_text("\n".join(lines))
        report, _ = await audit(path, concurrency=25)
    assert fake.max_in_flight[1001] <= MAX_CONCURRENT_PER_PROJECT
    assert fake.max_in_flight[1001] >= 5  # and it did run requests side by side
    rate_limited = [r for r in fake.requests if r.status == 429]
    assert rate_limited == []
    assert report.counts()["error"] == 0


def test_cli_audit_exit_status_formats_and_output_file(world, tmp_path):
    fake, path = world
    env = {**os.environ, "CSAUTH_CONFIG": str(path)}

    def run(*a):
        proc = subprocess.run(
            [sys.executable, "-m", "csauth_tui.cli", "audit", *a],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        escscan.cli_run(["audit", *a], proc.stdout, proc.stderr)  # no raw escape
        return proc

    text = run()
    assert text.returncode == 1  # errors found: usable in CI and cron
    assert "profiles audited" in text.stdout and "fix:" in text.stdout
    assert text.stderr == ""  # no progress bar when stderr is not a terminal

    os.chmod(path, 0o600)  # the file-level error fixed: the two good profiles pass
    only_good = run("--profile", "good", "--profile", "acct", "--json")
    assert only_good.returncode == 0, only_good.stdout
    data = json.loads(only_good.stdout)
    assert [p["name"] for p in data["profiles"]] == ["good", "acct"]
    # the fake's auth_url is flagged (a warning: the exit status stays 0)
    assert [f["check"] for f in data["findings"]] == ["auth_url.custom"]
    os.chmod(path, 0o644)

    out = tmp_path / "report.md"
    written = run("--markdown", "--output", str(out))
    assert written.returncode == 1 and written.stdout == ""
    assert out.read_text().startswith("# csauth audit")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    for secret in SECRETS.values():
        assert secret not in text.stdout + text.stderr + out.read_text()

    nothing = run("--profile", "no-such-*")
    assert nothing.returncode == 3
