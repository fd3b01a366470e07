"""Faults, part 3: the table of test_faults.py run through the app (Pilot), against the
embedded fake API on loopback.

For each fault: pressing g shows the failure, titled and worded for a person, in a toast
and in the token pane (no crash, no traceback, no secret), within a bounded time, with the
token cache untouched; then the world is put right (the fault cleared, or the profiles
file pointed back at the server, which the app notices by itself) and the same key gets a
token: the app is still there and still answers.
"""

from __future__ import annotations

import time

import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.errors import (
    BadResponseError,
    NetworkError,
    RateLimitedError,
    ServerError,
    TokenExpiredError,
    UntrustedEndpointError,
)
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeContentsquare
from tests.ui.conftest import (
    SIZE,
    TODAY,
    FakeClock,
    all_widget_text,
    current_token,
    notes,
    screen_text,
    settle,
    status,
    token_cell,
    wait_until,
)

from .test_faults import (
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

TITLES = {
    NetworkError: "Network problem",
    ServerError: "Server error",
    RateLimitedError: "Rate limited",
    BadResponseError: "Unexpected answer",
    TokenExpiredError: "Token expired",
    UntrustedEndpointError: "Untrusted endpoint",
}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("CS_FAULTS_SECRET", SECRET)
    monkeypatch.delenv("TMUX", raising=False)  # never touch a developer's tmux buffers
    # The app builds its AuthClient with the defaults: shorten them, in full mode too (the
    # core tests check the real ones; here what matters is what the user sees).
    for name, value in QUICK_LIMITS.items():
        monkeypatch.setitem(AuthClient.__init__.__kwdefaults__, name, value)
    with FakeContentsquare(CREDENTIALS, token_lifetime=LIFETIME) as server:
        yield server


@pytest.mark.parametrize("case", cases("app"))
async def test_app(case, fake, tmp_path, monkeypatch):
    with recorded("app"):
        await check_app(case, fake, tmp_path, monkeypatch)


def nothing_secret_shown(app, *, svg: bool = False) -> None:
    seen = "\n".join(
        (
            screen_text(app),
            all_widget_text(app),
            "\n".join(notes(app)),
            app.export_screenshot() if svg else "",
        )
    )
    assert SECRET not in seen, "the client secret is visible"
    assert "Traceback" not in seen


async def check_app(case: FaultCase, fake: FakeContentsquare, tmp_path, monkeypatch) -> None:
    from csauth_tui.ui.app import make_app

    config = tmp_path / "config" / "profiles.toml"
    config.parent.mkdir(parents=True)
    clock = FakeClock()
    cache = TokenCache(tmp_path / "cache" / "tokens.json", clock=clock)
    cache.put(other_token(clock()))
    before = cache.path.read_bytes()
    with auth_url_for(case, fake, monkeypatch) as auth_url:
        config.write_text(profiles_text(auth_url))
        app = make_app(config, clock=clock, native_clipboard=False, today=TODAY, cache=cache)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            started = time.monotonic()
            await pilot.press("g")
            await settle(pilot)
            elapsed = time.monotonic() - started
            assert elapsed < time_bound(QUICK_LIMITS), f"took {elapsed:.1f} s"
            nothing_secret_shown(app)
            if case.error is None:
                token = current_token(app)
                assert token is not None and token.trusted
                assert token.lifetime == pytest.approx(case.lifetime, abs=1.5)
                assert "token ready" in status(app)
                cached = cache.get(token.key)
                assert cached is not None and cached.expires_at == token.expires_at
                return
            title = TITLES[case.error]
            shown = status(app)  # said once, in place: the selected profile's status
            assert f"{title}: " in shown, shown
            check_message(case, shown.split(f"{title}: ", 1)[1], auth_url)
            assert not any(title in n for n in notes(app)), "the error is shown twice"
            if case.error is UntrustedEndpointError:
                token = current_token(app)
                assert token is not None and not token.trusted
                assert "untrusted host" in status(app)
            else:
                assert current_token(app) is None
                assert f"{title}: " in status(app)
                assert token_cell(app, "prod") == "--"
            assert cache.path.read_bytes() == before, "the token cache changed"
            assert config.read_text() == profiles_text(auth_url), "the profiles file changed"

            # put the world right, then the same key must work
            fake.clear_faults()
            if case.target != "fake":
                config.write_text(profiles_text(fake.url))
                await wait_until(
                    pilot,
                    lambda: "reloaded" in " ".join(notes(app)),
                    what="the app to notice the fixed profiles file",
                )
            await pilot.press("g")
            await settle(pilot)
            token = current_token(app)
            assert token is not None and token.trusted, status(app)
            assert "token ready" in status(app)
            assert token_cell(app, "prod") not in ("--", "fetching")
            await pilot.press("j")  # and the cursor still moves
            await pilot.pause()
            assert app.main_screen.current == "other"
            nothing_secret_shown(app, svg=True)
