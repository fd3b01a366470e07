"""The clipboard holds what the user copied last: the wipe follows the last copy, outside
Pilot (core.clipboard alone, with a clock passed in and a real tmux server)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from unittest import mock

from csauth_tui.core.clipboard import BLANK, Clipboard
from tests.unit.test_clipboard import tmux_server  # noqa: F401 - a fixture

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
TOKEN = "eyJ-clipboard-last-copy-token-sentinel"
BASE_URL = "https://api.eu-west-1.production.contentsquare.com"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_secret_is_wiped_when_its_time_comes():
    written: list[str] = []
    board = Clipboard(terminal_write=written.append)
    board.copy(TOKEN, secret=True, now=T0, clear_after=30)
    assert board.seconds_left(at(10)) == 20
    assert board.tick(at(29)) is False and written == [TOKEN]
    assert board.tick(at(30)) is True
    assert written == [TOKEN, BLANK]
    assert board.clear_at is None and board.tick(at(60)) is False


def test_copying_something_else_cancels_the_wipe_of_the_secret_it_replaced():
    written: list[str] = []
    board = Clipboard(terminal_write=written.append)
    board.copy(TOKEN, secret=True, now=T0, clear_after=30)
    board.copy(BASE_URL, secret=False, now=at(5), clear_after=30)
    assert board.clear_at is None and board.seconds_left(at(6)) is None
    assert board.tick(at(31)) is False
    assert board.clear() is False  # nor on quit
    assert written == [TOKEN, BASE_URL]  # the base URL the user wanted is still there


def test_a_secret_copied_after_the_base_url_is_wiped_again():
    written: list[str] = []
    board = Clipboard(terminal_write=written.append)
    board.copy(BASE_URL, secret=False, now=T0, clear_after=30)
    board.copy(TOKEN, secret=True, now=at(10), clear_after=30)
    assert board.tick(at(39)) is False
    assert board.tick(at(40)) is True and written[-1] == BLANK


def test_the_earlier_secrets_tmux_buffers_are_forgotten_all_the_same(tmux_server):  # noqa: F811
    tmux, pane = tmux_server

    def terminal_write(text):  # what tmux does with an OSC 52 copy
        subprocess.run([*tmux, "set-buffer", text], check=True)

    with mock.patch.dict(os.environ, {"TMUX": pane}):
        board = Clipboard(terminal_write=terminal_write, tmux=True)
        board.copy(TOKEN, secret=True, now=T0, clear_after=30)
        board.copy(BASE_URL, secret=False, now=at(5), clear_after=30)
    left = subprocess.run(
        [*tmux, "list-buffers", "-F", "#{buffer_sample}"], capture_output=True, text=True
    ).stdout
    assert TOKEN not in left
    assert BASE_URL in left  # what the user copied last stays
