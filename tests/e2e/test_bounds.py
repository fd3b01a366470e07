"""Bounded input from outside, replayed end to end through the real `csauth` command.

- a server's answer is capped (1 MiB, raw or decompressed): a gzip bomb and a plain
  oversized body end in exit 5 within the deadline, in bounded memory;
- a `cmd:` secret command's output is capped (64 KiB): `cmd:yes` ends in a clear error;
- a loopback auth URL (all of 127.0.0.0/8, localhost) never goes through a proxy from the
  environment;
- `csauth exec` hands its command a token, never the profile's `env:` secret variable;
- csauth itself cannot dump core; the command `csauth exec` runs gets the user's limit.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from csauth_tui.fake.server import FakeContentsquare
from tests import leakscan
from tests.e2e.conftest import CREDENTIALS, PROJECT_SECRET, CliEnv, profiles_text

MEMORY_CEILING_MB = 100  # csauth fetching a token peaks around 45 MB (a 64 MiB step fails)
AS_LIMIT = 2 << 30  # a safety net: a run without the caps fails here, not in the OOM killer
USER_CORE_LIMIT = 1 << 20  # the soft core limit "the user" starts csauth with


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(
    cli: CliEnv,
    *args: str,
    env: dict | None = None,
    core_limit: int | None = None,
    timeout: float = 60,
) -> Measured:
    """Like CliEnv.run (the leak scan included), and the child's peak RSS (wait4's
    rusage) and wall time. Its address space is capped at AS_LIMIT."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
        if core_limit is not None:
            hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
            resource.setrlimit(resource.RLIMIT_CORE, (core_limit, hard))

    before = leakscan.file_states(cli.config, cli.cache_dir)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "csauth_tui.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
            preexec_fn=limits,
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    leakscan.cli_run(
        args, stdout, stderr, before=before, config=cli.config, cache_dir=cli.cache_dir
    )
    return Measured(proc.returncode, stdout, stderr, seconds, usage.ru_maxrss / 1024)


# --- 1. a server's answer is capped ---------------------------------------------------------


@pytest.mark.parametrize(
    "fault, words",
    [
        ("gzip_bomb", "was too large (over 1 MiB once decompressed): refused"),
        ("oversized", "was too large (over 1 MiB): refused"),
    ],
)
def test_token_refuses_an_answer_too_large_quickly_in_bounded_memory(cli, fault, words):
    cli.fake.inject(fault, path="/v1/oauth/token", times=None)
    result = run_measured(cli, "token", "prod", "--no-cache")
    assert result.returncode == 5, result.stderr
    host = cli.fake.url.split("://", 1)[1]
    assert result.stderr.startswith(f"csauth: error: the answer from {host} {words}")
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert result.stdout == ""
    assert result.seconds < 10, f"took {result.seconds:.1f} s"
    assert result.peak_rss_mb < MEMORY_CEILING_MB, f"peak RSS {result.peak_rss_mb:.0f} MB"
    assert cli.token_requests() == 1  # refused, not retried


# --- 2. a `cmd:` secret command's output is capped ------------------------------------------


def with_secret(cli: CliEnv, source: str) -> None:
    """Profile prod's secret comes from `source` (a JSON string is a TOML string)."""
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"', f"secret = {json.dumps(source)}"
        )
    )


def test_a_secret_command_printing_without_end_is_stopped(cli):
    with_secret(cli, "cmd:yes")
    result = run_measured(cli, "token", "prod", "--no-cache")
    assert result.returncode == 3, result.stderr
    assert result.stderr == (
        "csauth: error: the secret command of profile 'prod' (yes) printed more than 64 KiB "
        "on stdout: it was stopped (it must print the client secret on its first line, then "
        "end)\n"
    )
    assert result.seconds < 8, f"took {result.seconds:.1f} s"  # not the 10 s timeout
    assert result.peak_rss_mb < MEMORY_CEILING_MB, f"peak RSS {result.peak_rss_mb:.0f} MB"
    assert cli.token_requests() == 0
    assert not _processes_running("yes"), "the command was left running"


def _processes_running(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_secret_command_with_a_secret_and_some_notes_still_works(cli):
    """The cap is far above what `pass show` prints: a secret line then notes."""
    with_secret(cli, f"cmd:sh -c 'echo {PROJECT_SECRET}; seq 1 5000'")
    result = run_measured(cli, "token", "prod", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("eyJ")


# --- 3. loopback never goes through a proxy -------------------------------------------------


class ProxyStub:
    """A TCP listener standing in for a proxy: it records who connected, and hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture
def proxy(monkeypatch) -> Iterator[ProxyStub]:
    stub = ProxyStub()
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, stub.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield stub
    stub.close()


def test_the_proxy_stub_does_see_a_proxied_request(cli, proxy):
    """The stub works: a request to a non-loopback host does go to it."""
    cli.write_profiles(profiles_text("https://api.contentsquare.invalid"))
    result = run_measured(cli, "token", "prod", "--no-cache")
    assert result.returncode == 5
    assert proxy.connections, "the proxy stub saw nothing"


@pytest.mark.parametrize(
    "bind, host",
    [
        ("127.0.0.2", "127.0.0.2"),
        ("127.1.2.3", "127.1.2.3"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_a_loopback_auth_url_never_goes_through_a_proxy(cli, proxy, bind, host):
    with FakeContentsquare(CREDENTIALS, host=bind) as fake:
        port = fake.url.rsplit(":", 1)[1]
        cli.write_profiles(profiles_text(f"http://{host}:{port}"))
        result = run_measured(cli, "token", "prod", "--no-cache")
        asked = sum(1 for r in fake.requests if r.path == "/v1/oauth/token")
    assert proxy.connections == [], "a loopback request went to the proxy"
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("eyJ")
    assert asked == 1


def test_https_to_loopback_never_goes_through_a_proxy(cli, proxy):
    """https on 127.0.0.2 (the fake speaks plain http, so the TLS handshake fails: what
    matters is where the connection went)."""
    with FakeContentsquare(CREDENTIALS, host="127.0.0.2") as fake:
        port = fake.url.rsplit(":", 1)[1]
        cli.write_profiles(profiles_text(f"https://127.0.0.2:{port}"))
        result = run_measured(cli, "token", "prod", "--no-cache")
    assert proxy.connections == [], "a loopback request went to the proxy"
    assert result.returncode == 5
    assert "proxy" not in result.stderr


# --- 4. exec hands over a token, not the secret ---------------------------------------------


def test_exec_does_not_pass_the_env_secret_on(cli, monkeypatch):
    monkeypatch.delenv("CS_TEST_AGENCY_SECRET")  # another profile's: not this test's point
    result = run_measured(cli, "exec", "prod", "--", "env")
    assert result.returncode == 0, result.stderr
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines() if "=" in line}
    assert "CS_ACCESS_TOKEN" in names and "CS_API_BASE_URL" in names
    assert "CS_TEST_PROD_SECRET" not in names
    assert PROJECT_SECRET not in result.stdout  # (booleans: never print it)
    assert "CSAUTH_CONFIG" in names  # the rest of the environment is passed on


# --- 5. no core dumps -------------------------------------------------------------------------


def core_limit_line(text: str) -> str:
    match = re.search(r"^Max core file size\s+(\S+)\s+(\S+)", text, re.MULTILINE)
    assert match, text
    return f"{match.group(1)} {match.group(2)}"


def test_csauth_runs_with_no_core_limit_and_exec_gives_the_user_theirs(cli):
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    hard_text = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    # csauth itself, seen by its `cmd:` secret command (its child): core 0
    with_secret(cli, "cmd:sh -c 'grep \"core file\" /proc/$PPID/limits >&2; exit 1'")
    result = run_measured(cli, "token", "prod", "--no-cache", core_limit=USER_CORE_LIMIT)
    assert result.returncode == 3
    assert core_limit_line(result.stderr.split(": ")[-1]) == f"0 {hard_text}"
    # the command `csauth exec` runs: the user's own limit again
    cli.write_profiles(profiles_text(cli.fake.url))
    result = run_measured(
        cli, "exec", "prod", "--", "cat", "/proc/self/limits", core_limit=USER_CORE_LIMIT
    )
    assert result.returncode == 0, result.stderr
    assert core_limit_line(result.stdout) == f"{USER_CORE_LIMIT} {hard_text}"


NOBODY = 65534


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run csauth as another user",
)
def test_csauth_is_not_dumpable(cli, tmp_path):
    """Linux shows a process that is not dumpable by making /proc/PID root's; csauth runs
    as `nobody` here so that the owner tells (as root, everything is root's)."""
    home = Path(tempfile.mkdtemp(prefix="csauth-nobody-"))
    try:
        os.chmod(home, 0o755)
        config = home / "profiles.toml"
        text = profiles_text(cli.fake.url).replace(
            'secret = "env:CS_TEST_PROD_SECRET"',
            "secret = 'cmd:sh -c \"echo owner=$(stat -c %u /proc/$PPID/status) me=$(id -u) >&2; "
            "exit 1\"'",
        )
        config.write_text(text)
        os.chmod(config, 0o644)
        # csauth reads only a profiles file (and directory) of its own user's
        os.chown(home, NOBODY, NOBODY)
        os.chown(config, NOBODY, NOBODY)
        env = {
            **os.environ,
            "HOME": str(home),
            "CSAUTH_CONFIG": str(config),
            "CSAUTH_CACHE_DIR": str(home / "cache"),
            "XDG_CACHE_HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
        }
        proc = subprocess.run(
            [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                "--",
                sys.executable,
                "-m",
                "csauth_tui.cli",
                "token",
                "prod",
                "--no-cache",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=home,
            stdin=subprocess.DEVNULL,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert proc.returncode == 3, proc.stderr
    assert f"owner=0 me={NOBODY}" in proc.stderr, proc.stderr
