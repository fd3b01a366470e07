"""SIGHUP (the terminal closed, an SSH connection dropped) and SIGTERM end the app as q
does: the clipboard that held a token is cleared and the app exits (restoring the
terminal). The real terminal is checked in tests/e2e/test_signals.py (tmux)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from .conftest import SIZE, get_token


@pytest.fixture
def signals_kept():
    """A catch-all for SIGHUP/SIGTERM while the test runs (without the app's own handlers
    the signal would otherwise end the test runner), put back as they were afterwards."""
    seen: list[int] = []
    saved = {
        n: signal.signal(n, lambda number, frame: seen.append(number))
        for n in (signal.SIGHUP, signal.SIGTERM)
    }
    yield seen
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize("name", ["SIGHUP", "SIGTERM"])
async def test_a_hangup_or_terminate_clears_the_clipboard_and_exits(env, signals_kept, name):
    number = getattr(signal, name)
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.startswith("eyJ")
        os.kill(os.getpid(), number)
        for _ in range(100):  # the app's handler runs on the event loop
            await asyncio.sleep(0.02)
            if app.return_code is not None:
                break
    assert signals_kept == [], f"{name} reached the default handler, not the app's"
    assert app.clipboard.strip() == ""  # overwritten (with a blank)
    assert app.return_code == 128 + number
    assert app.return_value == 128 + number
