"""The real `csauth proxy` and `csauth exec --proxy` as subprocesses, against the fake API
over loopback: the URL on the first line, curl through it, a log line per request and no
token on stderr, a clean stop on SIGTERM / Ctrl-C, a child running through several token
lifetimes."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests import leakscan
from tests.e2e.conftest import CliEnv, profiles_text

SEGMENTS = "/v1/segments"


class ProxyProcess:
    """`csauth proxy ...` running; `stop()` signals it and returns (status, stdout, stderr),
    scanned like every CLI run (tests/leakscan.py)."""

    def __init__(self, cli: CliEnv, *args: str) -> None:
        self.cli, self.args = cli, ["proxy", *args]
        self.before = leakscan.file_states(cli.config, cli.cache_dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "csauth_tui.cli", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=30)
        leakscan.cli_run(
            self.args,
            self.url + "\n" + out,
            err,
            before=self.before,
            config=self.cli.config,
            cache_dir=self.cli.cache_dir,
        )
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


@pytest.fixture
def start(cli):
    running: list[ProxyProcess] = []

    def start_proxy(*args: str) -> ProxyProcess:
        running.append(ProxyProcess(cli, *args))
        return running[-1]

    yield start_proxy
    for proxy in running:
        proxy.kill()


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True, timeout=30
    )


def test_help_lists_the_proxy(cli):
    result = cli.run("--help")
    assert re.search(r"^\s+proxy\s+a local HTTP proxy", result.stdout, re.M)
    assert "--proxy" in cli.run("exec", "--help").stdout


def test_proxy_on_a_loopback_port(cli, start):
    proxy = start("prod", "--port", "0")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{20,}", proxy.url)
    answer = curl(
        "-H",
        "Authorization: Bearer what-the-client-had",
        f"{proxy.url}{SEGMENTS}",
        "-w",
        "\n%{http_code}",
    )
    assert answer.stdout.endswith("\n200"), answer.stderr
    assert '"New visitors"' in answer.stdout
    status, _, err = proxy.stop(signal.SIGTERM)
    assert status == 0
    assert re.search(rf"^csauth proxy: GET {SEGMENTS} 200 \d+ ms$", err, re.M)
    assert err.rstrip().endswith("csauth proxy: stopped")
    assert proxy.url.rsplit("/", 1)[1] not in err.replace(proxy.url, "")  # prefix: in the URL only


def test_proxy_on_its_default_unix_socket(cli, start, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    proxy = start("prod")
    assert proxy.url.startswith("http+unix://")
    path = Path(unquote(proxy.url.split("://", 1)[1]))
    assert path.parent == tmp_path / "run" / "csauth"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    answer = curl("--unix-socket", str(path), f"http://localhost{SEGMENTS}", "-w", "\n%{http_code}")
    assert answer.stdout.endswith("\n200"), answer.stderr
    status, _, err = proxy.stop(signal.SIGINT)  # Ctrl-C
    assert status == 0 and "stopped" in err
    assert not path.exists()


def test_api_errors_pass_through_the_proxy(cli, start):
    proxy = start("prod", "--port", "0")
    answer = curl(f"{proxy.url}/v1/exports", "-w", "\n%{http_code}")  # no data-export scope
    body, status = answer.stdout.rsplit("\n", 1)
    assert status == "403"
    assert '"errorCode": "FORBIDDEN"' in body
    proxy.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])
def test_a_non_loopback_bind_is_refused(cli, host):
    result = cli.run("proxy", "prod", "--port", "0", "--host", host)
    assert result.returncode == 3
    assert result.stdout == ""
    assert "loopback only" in result.stderr
    assert cli.token_requests() == 0  # refused before anything else


def test_a_token_problem_stops_the_proxy_at_start(cli, monkeypatch):
    monkeypatch.setenv("CS_TEST_PROD_SECRET", "sentinel-wrong-secret-5a1d0c")
    result = cli.run("proxy", "prod", "--port", "0")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "client_id or client_secret rejected" in result.stderr


def test_an_untrusted_endpoint_is_never_proxied_to(cli):
    cli.fake.endpoint = "https://evil.example.com"
    result = cli.run("proxy", "prod", "--port", "0")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "untrusted host (evil.example.com)" in result.stderr


CHILD = textwrap.dedent("""
    import collections, os, sys, time
    import httpx
    base = os.environ["CS_API_BASE_URL"]
    assert os.environ["CS_ACCESS_TOKEN"] == "csauth-proxy", "a placeholder, never a token"
    assert "CS_TEST_PROD_SECRET" not in os.environ, "the client secret stays with csauth"
    statuses = collections.Counter()
    stop = time.monotonic() + float(sys.argv[1])
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < stop:
            headers = {"Authorization": "Bearer " + os.environ["CS_ACCESS_TOKEN"]}
            statuses[http.get(base + "/v1/segments", headers=headers).status_code] += 1
    print(dict(statuses))
    sys.exit(7)
""")


def test_exec_with_a_proxy_outlives_three_tokens(cli, tmp_path):
    """The child runs for three 2 s token lifetimes with the one CS_API_BASE_URL it was
    given; every answer it sees is a 200; its exit status is csauth's."""
    cli.fake.token_lifetime = 2
    cli.fake.latency = 0.05
    cli.write_profiles(profiles_text(cli.fake.url, renew_before=1))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    result = cli.run("exec", "--proxy", "prod", "--", sys.executable, str(script), "6.5")
    assert result.returncode == 7, result.stderr
    counts = eval(result.stdout.strip())  # noqa: S307 - our own child's dict
    assert set(counts) == {200} and counts[200] > 20
    assert cli.token_requests() >= 4  # the start, then one per lifetime
    assert result.stderr == ""  # quiet without -v: the child's output stays its own


def test_exec_with_a_proxy_needs_its_command(cli):
    result = cli.run("exec", "--proxy", "prod")
    assert result.returncode == 2
    assert "exec needs a command" in result.stderr


def test_exec_proxy_passes_sigterm_on_to_the_child(cli, tmp_path):
    script = tmp_path / "sleeper.py"
    script.write_text(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    before = leakscan.file_states(cli.config, cli.cache_dir)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "csauth_tui.cli",
            "exec",
            "--proxy",
            "prod",
            "--",
            sys.executable,
            str(script),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 42, err
    leakscan.cli_run(["exec"], out, err, before=before, config=cli.config, cache_dir=cli.cache_dir)


def test_proxy_answers_while_the_api_is_slow_and_the_client_is_many(cli, start):
    """30 curl processes at once through the proxy: all 200, never more than 10 at the API."""
    cli.fake.latency = 0.3
    cli.fake.max_concurrent_per_project = 1000  # count every request in flight, refuse none
    proxy = start("prod", "--port", "0")
    procs = [
        subprocess.Popen(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"{proxy.url}{SEGMENTS}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(30)
    ]
    codes = [p.communicate(timeout=60)[0] for p in procs]
    assert codes == ["200"] * 30
    assert cli.fake.max_in_flight[1001] == 10
    status, _, err = proxy.stop()
    assert status == 0 and err.count(f"GET {SEGMENTS} 200") == 30


def test_socket_path_holding_a_file_is_refused_and_kept(cli, tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("my notes\n")
    result = cli.run("proxy", "prod", "--socket", str(keep))
    assert result.returncode == 3
    assert "exists and is not a socket" in result.stderr
    assert keep.read_text() == "my notes\n"


def test_a_socket_in_use_is_refused(cli, start, tmp_path):
    path = tmp_path / "shared.sock"
    first = start("prod", "--socket", str(path))
    assert first.url.startswith("http+unix://")
    second = cli.run("proxy", "prod", "--socket", str(path))
    assert second.returncode == 3
    assert "another process is listening" in second.stderr
    assert first.stop()[0] == 0
