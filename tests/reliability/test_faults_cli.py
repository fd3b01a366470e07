"""Faults, part 2: the table of test_faults.py run through the real `csauth token` command
in a subprocess, against the embedded fake API on loopback.

For each fault: the documented exit code, nothing on stdout, one `csauth: error: ...` line
on stderr that says what went wrong and where, no traceback, no secret, no token, the
token cache untouched, and the command back within a bounded time.

The command runs with the short QUICK_LIMITS in quick and in full mode alike: the CLI has
no setting for its HTTP timeouts, so a small launcher sets AuthClient's defaults to them
before calling the real `csauth_tui.cli.main`; the bound is the one QUICK_LIMITS allow.
The launcher also makes `.invalid` names fail to resolve at once in the child
(tests/reliability/resolver.py), as test_faults.py does in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from csauth_tui.core.tokens import TokenCache, utcnow
from csauth_tui.fake.server import FakeContentsquare
from tests import escscan

from .test_faults import (
    CLIENT_ID,
    CREDENTIALS,
    LIFETIME,
    QUICK_LIMITS,
    SECRET,
    FaultCase,
    auth_url_for,
    cases,
    check_message,
    other_token,
    profiles_text,
    recorded,
    time_bound,
)

REPO = Path(__file__).resolve().parents[2]
STARTUP = 10.0  # a fresh interpreter importing httpx on a loaded machine
LAUNCHER = (
    "import json, sys\n"
    "from tests.reliability import resolver\n"
    "resolver.install()\n"
    "from csauth_tui.core.api import AuthClient\n"
    "AuthClient.__init__.__kwdefaults__.update(json.loads(sys.argv.pop(1)))\n"
    "from csauth_tui.cli import main\n"
    "sys.exit(main())\n"
)


def csauth(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, json.dumps(QUICK_LIMITS), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=time_bound(QUICK_LIMITS, startup=STARTUP) + 30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    escscan.cli_run(list(args), proc.stdout, proc.stderr)  # no raw escape, whatever the fault
    return proc, time.monotonic() - started


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("CS_FAULTS_SECRET", SECRET)
    with FakeContentsquare(CREDENTIALS, token_lifetime=LIFETIME) as server:
        yield server


@pytest.mark.parametrize("case", cases("cli"))
def test_cli(case, fake, monkeypatch):
    with recorded("CLI"):
        check_cli(case, fake, monkeypatch)


def check_cli(case: FaultCase, fake: FakeContentsquare, monkeypatch) -> None:
    config = Path(os.environ["CSAUTH_CONFIG"])
    cache = TokenCache(Path(os.environ["CSAUTH_CACHE_DIR"]) / "tokens.json")
    cache.put(other_token(utcnow()))
    before = cache.path.read_bytes()
    with auth_url_for(case, fake, monkeypatch) as auth_url:
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(profiles_text(auth_url))
        profiles = config.read_bytes()
        proc, elapsed = csauth("token", "prod", "--format", "json")
        assert config.read_bytes() == profiles, "the profiles file changed"

    assert elapsed < time_bound(QUICK_LIMITS, startup=STARTUP), f"took {elapsed:.1f} s"
    assert "Traceback" not in proc.stderr + proc.stdout
    assert SECRET not in proc.stderr + proc.stdout
    if case.error is None:
        assert proc.returncode == 0, proc.stderr
        shown = json.loads(proc.stdout)
        expires_at = datetime.strptime(shown["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        )
        left = (expires_at - datetime.now(timezone.utc)).total_seconds()
        assert left == pytest.approx(case.lifetime, abs=elapsed + 2)
        (cached,) = [t for t in cache.all() if t.client_id == CLIENT_ID]
        assert cached.access_token == shown["access_token"]
        assert abs((cached.expires_at - expires_at).total_seconds()) < 1
        return
    assert proc.returncode == case.exit_code, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("csauth: error: ")
    check_message(case, lines[0], auth_url)
    assert cache.path.read_bytes() == before, "the token cache changed"
