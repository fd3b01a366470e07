"""The OSC 52 attack in a real terminal: tmux (set-clipboard on) runs the real app on a
profiles file whose description holds an OSC 52 sequence. Opening the app must leave
tmux's paste buffers without the attacker's text, and show the sequence as an escape.

Without tmux these tests skip; with CI=true they fail instead."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_tmux import STARTUP_SECONDS, Pane, in_ci

pytestmark = pytest.mark.tmux

PAYLOAD = "evil-93b7"  # short: the OSC 52 sequence must fit on one line of the panel
# ended by ST (ESC \): Rich drops a BEL from the text it draws, which leaves an OSC 52
# ended by BEL unfinished (tmux then ignores it); ST passes
OSC52 = "\x1b]52;c;" + base64.b64encode(PAYLOAD.encode()).decode() + "\x1b\\"
PROFILES = f"""[settings]
auth_url = "http://127.0.0.1:9"
token_cache = false

[profiles.shop]
level = "project"
client_id = "shop-client-1"
scopes = ["metrics"]
secret = "env:CS_NEVER_SET"
description = {json.dumps("Shop" + OSC52 + " and more")}
"""


class AppPane(Pane):
    """`csauth` (the app, not the demo) on the profiles file of the test."""

    ARGS = ()


@pytest.fixture
def pane(tmp_path) -> Iterator[AppPane]:
    tmux = shutil.which("tmux")
    if tmux is None:
        message = "tmux is not installed (apt-get install tmux)"
        if in_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    config = Path(os.environ["CSAUTH_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(PROFILES)
    root = tmp_path / "tmux"
    root.mkdir()
    pane = AppPane(tmux, root)
    try:
        pane.start()
        yield pane
    finally:
        pane.kill()


def test_an_osc52_in_a_description_never_reaches_the_clipboard(pane):
    pane.wait_for("the credential panel of shop", lambda: "about" in pane.screen(), STARTUP_SECONDS)
    held = [name for name in pane.buffer_names() if PAYLOAD in (pane.buffer(name) or "")]
    assert held == [], "a tmux paste buffer holds the attacker's text"
    assert PAYLOAD not in pane.osc52_writes(), "the app wrote the attacker's OSC 52"
    assert "Shop\\x1b]52;c;" in pane.screen()  # shown, as an escape
