"""`csauth demo` in a real terminal (tmux, as in test_tmux.py) sent SIGHUP or SIGTERM after
copying a token: what a closed terminal or a dropped SSH connection does. The token must
not stay in tmux's paste buffers, the app must leave the alternate screen (the terminal
restored) and exit with 128 + the signal's number."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from csauth_tui.core.clipboard import BLANK
from tests.e2e.test_tmux import (  # noqa: F401 - pane is a fixture
    JWT,
    STEP_SECONDS,
    Pane,
    assert_no_demo_secret_shown,
    get_and_copy_token,
    pane,
)

pytestmark = pytest.mark.tmux


def csauth_pid(pane: Pane) -> int:
    """The csauth process: the one child of the pane's shell (see Pane.start)."""
    shell = int(pane.show("#{pane_pid}"))
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    assert len(children) == 1, children
    pid = int(children[0])
    assert "csauth_tui.cli" in Path(f"/proc/{pid}/cmdline").read_text()
    return pid


@pytest.mark.parametrize("name", ["SIGHUP", "SIGTERM"])
def test_a_signal_clears_the_copied_token_and_restores_the_terminal(pane, name):
    number = getattr(signal, name)
    copied = get_and_copy_token(pane)
    assert JWT.fullmatch(copied)
    assert pane.show("#{alternate_on}") == "1"  # the app's screen is up

    os.kill(csauth_pid(pane), number)

    pane.wait_for("the app to exit", lambda: pane.show("#{pane_dead}") == "1", STEP_SECONDS)
    status = pane.wait_for("the exit status", pane.exit_status, STEP_SECONDS)
    assert status == str(128 + number), f"csauth demo exited with status {status}"
    held = [n for n in pane.buffer_names() if copied in (pane.buffer(n) or "")]
    assert held == [], "a tmux paste buffer still holds the token"  # names only, never it
    writes = pane.osc52_writes()
    assert writes and writes[-1] == BLANK, "the clipboard was not overwritten"
    assert pane.show("#{alternate_on}") == "0", "the app left the terminal in its screen"
    assert_no_demo_secret_shown(pane)
