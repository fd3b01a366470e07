"""`csauth demo` in a real terminal: tmux on a private socket drives the real app.

What a user would check by hand: the profile table shows up, g gets a token whose
countdown runs down, the token stays masked on screen, c puts it on the clipboard (OSC 52,
which tmux stores as a paste buffer), and q quits and wipes the clipboard again.

Without tmux these tests skip; with CI=true they fail instead.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from csauth_tui.core.clipboard import BLANK
from csauth_tui.core.tokens import decode_jwt
from csauth_tui.fake.demo import DEMO_CREDENTIALS, demo_profiles_toml

pytestmark = pytest.mark.tmux

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 90  # Python + Textual start on a loaded 2-core machine
STEP_SECONDS = 45  # any one reaction to a key press
JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
COUNTDOWN = re.compile(r"^\s*prod-metrics\s+((?:\d+:)?\d\d:\d\d)\b", re.MULTILINE)
OSC52 = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)")
ESCAPES = re.compile(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")
TOKEN_RUN = re.compile(r"[A-Za-z0-9_.-]{8,}")
DEMO_SECRETS = tuple(cred.client_secret for cred in DEMO_CREDENTIALS)
# Variables that would let the app reach the developer's real desktop clipboard, or make
# tmux think it is nested.
DROPPED = ("TMUX", "TMUX_PANE", "DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def prod_metrics_client_id() -> str:
    text, _ = demo_profiles_toml("http://127.0.0.1:1")
    return tomllib.loads(text)["profiles"]["prod-metrics"]["client_id"]


def seconds(countdown: str) -> int:
    total = 0
    for part in countdown.split(":"):
        total = total * 60 + int(part)
    return total


class Pane:
    """One tmux server on a private socket, running `csauth demo` in session `app`."""

    ARGS: tuple[str, ...] = ("demo",)  # what follows `csauth`: a subclass may run another

    def __init__(self, tmux: str, root: Path) -> None:
        self.tmux = tmux
        self.socket = root / "tmux.sock"
        self.output = root / "pane-output.bin"  # every byte the app wrote (pipe-pane -O)
        self.status_file = root / "exit-status"
        home = root / "home"
        home.mkdir()
        # The autouse fixture in tests/conftest.py already points these at tmp; they are
        # handed to tmux explicitly so the app sees them whatever the server inherits.
        passed = {
            "HOME": str(home),
            "CSAUTH_CONFIG": os.environ["CSAUTH_CONFIG"],
            "CSAUTH_CACHE_DIR": os.environ["CSAUTH_CACHE_DIR"],
            "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
            "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
            "PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"],
        }
        self.env = {k: v for k, v in os.environ.items() if k not in DROPPED} | passed
        self.env.pop("NO_COLOR", None)
        self.passed = passed
        self.last_screen = ""
        self.hidden: set[str] = set()  # never quoted in a failure message (the token)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.tmux, "-S", str(self.socket), "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def start(self) -> None:
        # The options must be set before the session exists; one invocation starts the
        # server, sets them and creates the session. remain-on-exit keeps the pane (and
        # the server with its paste buffers) after the app quits, with its exit status.
        env_args = [arg for k, v in self.passed.items() for arg in ("-e", f"{k}={v}")]
        self.run(
            "start-server",
            ";",
            "set",
            "-g",
            "default-terminal",
            "tmux-256color",
            ";",
            "set",
            "-g",
            "set-clipboard",
            "on",
            ";",
            "set",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            str(REPO),
            *env_args,
            # sh only records the exit status: tmux's #{pane_dead_status} is sometimes
            # never filled in (tmux 3.3a), so it cannot be waited for.
            "/bin/sh",
            "-c",
            '"$@"; echo "$?" > "$0"',
            str(self.status_file),
            sys.executable,
            "-m",
            "csauth_tui.cli",
            *self.ARGS,
        )
        # The app's stderr is its screen: it is never redirected, only copied here.
        self.run("pipe-pane", "-O", "-t", "app", f"cat >> '{self.output}'")

    def kill(self) -> None:
        try:
            self.run("kill-server", check=False)
        except (OSError, subprocess.SubprocessError):
            pass

    def screen(self) -> str:
        self.last_screen = self.run("capture-pane", "-p", "-t", "app").stdout
        return self.last_screen

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "app", *keys)

    def show(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "app", fmt).stdout.strip()

    def newest_buffer(self) -> str | None:
        result = self.run("show-buffer", check=False)
        return result.stdout if result.returncode == 0 else None

    def buffer_names(self) -> list[str]:
        return self.run("list-buffers", "-F", "#{buffer_name}", check=False).stdout.split()

    def buffer(self, name: str) -> str | None:
        result = self.run("show-buffer", "-b", name, check=False)
        return result.stdout if result.returncode == 0 else None

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Poll `probe` until it returns something truthy; fail with the last screen."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout:.0f} s for {what}; last screen:\n{self.masked(self.screen())}"
                )
            time.sleep(0.25)

    def masked(self, text: str) -> str:
        """`text` with every run of 8+ characters of a hidden string replaced (a revealed
        token wraps over several lines, so pieces are masked, not just whole values)."""
        return TOKEN_RUN.sub(
            lambda m: "<hidden>" if any(m.group() in h for h in self.hidden) else m.group(), text
        )

    def written_text(self) -> str:
        """Every character the app wrote to the terminal, escape sequences (OSC 52 copies
        included) taken out."""
        data = self.output.read_bytes() if self.output.exists() else b""
        return ESCAPES.sub("", data.decode("utf-8", "replace"))

    def exit_status(self) -> str | None:
        text = self.status_file.read_text() if self.status_file.exists() else ""
        return text.strip() if text.endswith("\n") else None

    def countdown(self) -> str | None:
        match = COUNTDOWN.search(self.screen())
        return match.group(1) if match else None

    def osc52_writes(self) -> list[str]:
        """What the app asked the terminal to put on the clipboard, in order."""
        data = self.output.read_bytes() if self.output.exists() else b""
        return [base64.b64decode(m.group(1)).decode("utf-8") for m in OSC52.finditer(data)]


@pytest.fixture
def pane(tmp_path) -> Iterator[Pane]:
    tmux = shutil.which("tmux")
    if tmux is None:
        message = "tmux is not installed (apt-get install tmux)"
        if in_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    root = tmp_path / "tmux"
    root.mkdir()
    pane = Pane(tmux, root)
    try:
        pane.start()
        pane.wait_for("the profile table", lambda: "prod-metrics" in pane.screen(), STARTUP_SECONDS)
        yield pane
    finally:
        pane.kill()


def get_and_copy_token(pane: Pane) -> str:
    """g then c on the first profile (prod-metrics); returns what tmux's buffer holds."""
    pane.keys("g")
    pane.wait_for("a countdown in the prod-metrics row", pane.countdown, STEP_SECONDS)
    pane.keys("c")
    copied = pane.wait_for("tmux's paste buffer (OSC 52)", pane.newest_buffer, STEP_SECONDS)
    pane.hidden.add(copied)
    pane.wait_for(
        "the clipboard notice", lambda: "clipboard holds a secret" in pane.screen(), STEP_SECONDS
    )
    return copied


def quit_app(pane: Pane) -> None:
    pane.keys("q")
    pane.wait_for("the app to exit", lambda: pane.show("#{pane_dead}") == "1", STEP_SECONDS)
    status = pane.wait_for("the exit status", pane.exit_status, STEP_SECONDS)
    assert status == "0", f"csauth demo exited with status {status}:\n{pane.masked(pane.screen())}"


def test_demo_token_counts_down_stays_masked_copies_and_clears_on_quit(pane):
    assert "DEMO" in pane.screen()

    pane.keys("g")
    first = pane.wait_for("a countdown in the prod-metrics row", pane.countdown, STEP_SECONDS)
    assert 3300 < seconds(first) <= 3600, first  # the demo's tokens live an hour
    later = pane.wait_for(
        "the countdown to move",
        lambda: (c := pane.countdown()) and seconds(c) < seconds(first) and c,
        STEP_SECONDS,
    )
    assert seconds(later) < seconds(first)

    pane.keys("c")
    copied = pane.wait_for("tmux's paste buffer (OSC 52)", pane.newest_buffer, STEP_SECONDS)
    pane.hidden.add(copied)
    assert JWT.fullmatch(copied), f"not a JWT: {copied[:12]}..."
    assert decode_jwt(copied)[1]["sub"] == prod_metrics_client_id()
    pane.wait_for(
        "the clipboard notice", lambda: "clipboard holds a secret" in pane.screen(), STEP_SECONDS
    )

    # Masked by default: no run of 16 characters of the token is on the screen, nor was
    # it ever written to the terminal so far...
    chunks = {copied[i : i + 16] for i in range(len(copied) - 15)}
    screen = pane.screen()
    shown = any(chunk in screen for chunk in chunks)  # booleans: never quote the screen
    assert not shown, "16 characters of the masked token are on the screen"
    written = pane.written_text()
    shown = any(chunk in written for chunk in chunks)
    assert not shown, "the app wrote 16 characters of the token to the terminal unasked"
    # ...while v (reveal) does show it, so the checks above can fail.
    pane.keys("v")
    pane.wait_for(
        "the revealed token", lambda: any(c in pane.screen() for c in chunks), STEP_SECONDS
    )
    pane.keys("v")
    pane.wait_for(
        "the token masked again", lambda: not any(c in pane.screen() for c in chunks), STEP_SECONDS
    )

    quit_app(pane)
    # The app's last clipboard write replaces the token with a blank.
    writes = pane.wait_for(
        "the clipboard to be cleared on quit",
        lambda: (w := pane.osc52_writes()) and w[-1] == BLANK and w,
        STEP_SECONDS,
    )
    sent = copied in writes  # booleans: a failed assert must not print the token
    assert sent, "the copy itself went out over OSC 52"
    held = [name for name in pane.buffer_names() if copied in (pane.buffer(name) or "")]
    assert held == [], "a tmux paste buffer still holds the token"  # names only, never it
    assert_no_demo_secret_shown(pane)


def assert_no_demo_secret_shown(pane: Pane) -> None:
    """No client secret of the demo (one of them sits in plaintext in its profiles file)
    was ever written to the terminal or left in a tmux buffer."""
    seen = pane.written_text() + "".join(pane.buffer(n) or "" for n in pane.buffer_names())
    leaked = [i for i, secret in enumerate(DEMO_SECRETS) if secret in seen]
    assert leaked == [], f"demo client secret(s) #{leaked} reached the terminal"


def test_tmux_buffers_no_longer_hold_the_token_after_quit(pane):
    """An OSC 52 copy inside tmux lands in tmux's paste buffers; quitting must leave none
    holding the token (the newest becomes the blank, older ones are deleted)."""
    copied = get_and_copy_token(pane)
    assert JWT.fullmatch(copied)
    quit_app(pane)
    pane.wait_for(
        "the clear on quit to be written",
        lambda: (w := pane.osc52_writes()) and w[-1] == BLANK,
        STEP_SECONDS,
    )
    held = [name for name in pane.buffer_names() if copied in (pane.buffer(name) or "")]
    assert held == [], "a tmux paste buffer still holds the token"  # names only, never it
    # never revealed: not one 16-character run of the token ever reached the terminal
    chunks = {copied[i : i + 16] for i in range(len(copied) - 15)}
    written = pane.written_text()
    shown = any(chunk in written for chunk in chunks)
    assert not shown, "the app wrote 16 characters of the never-revealed token to the terminal"
    assert_no_demo_secret_shown(pane)
