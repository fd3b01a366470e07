"""Countdowns: several tokens at once, expiry, auto-renew. Time moves by FakeClock, except in
one test that lets a 2-second token really run out."""

from __future__ import annotations

from datetime import datetime, timezone

from csauth_tui.core.profiles import load
from csauth_tui.core.tokens import Token, TokenCache, cache_key

from .conftest import (
    SIZE,
    current_token,
    get_token,
    notes,
    screen_text,
    settle,
    status,
    token_cell,
    wait_until,
    widget_text,
)


def table_line(app, name: str) -> str:
    """The line of the profile table that shows `name`, as on screen."""
    for line in screen_text(app).splitlines():
        if line.startswith(f" {name} "):
            return line.split("▏")[0]  # the left pane only
    raise AssertionError(f"{name} is not on screen")


async def test_countdown_follows_the_clock_and_turns_expired(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        assert token_cell(app, "prod") == "1:00:00"
        assert "1:00:00 left" in screen_text(app)
        env.clock.advance(3600 - 2467)
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "41:07"
        assert "41:07" in table_line(app, "prod")
        assert "41:07 left" in screen_text(app)

        env.clock.advance(2467)
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "expired"
        assert "expired" in table_line(app, "prod")
        assert "expired" in widget_text(app.query_one("#token-countdown"))
        assert app.query_one("#token-life").has_class("-expired")
        # copying an expired token fetches a new one first
        await pilot.press("c")
        await settle(pilot)
        fresh = current_token(app)
        assert fresh.seconds_left(env.clock()) == 3600
        assert app.clipboard == fresh.access_token
        assert token_cell(app, "prod") == "1:00:00"


async def test_the_bar_colour_follows_the_time_left(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        life = app.query_one("#token-life")
        assert life.has_class("-ok")
        env.clock.advance(3600 - 9 * 60)
        app.main_screen.tick()
        assert life.has_class("-warn") and not life.has_class("-ok")
        env.clock.advance(8 * 60)
        app.main_screen.tick()
        assert life.has_class("-critical") and not life.has_class("-warn")


async def test_a_short_lived_token_really_expires(env):
    """The real clock and the app's own 1 s timer, against a 2 s token from the fake."""
    env.fake.token_lifetime = 2
    env.write(renew_before=0)
    app = env.app(clock=lambda: datetime.now(timezone.utc))
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        assert current_token(app).lifetime == 2
        await wait_until(
            pilot,
            lambda: token_cell(app, "prod") == "expired",
            timeout=20,
            what="the table to say expired",
        )
        await pilot.pause()
        assert "expired" in table_line(app, "prod")


async def test_auto_renew_replaces_the_token_before_it_expires(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        first = current_token(app)
        await pilot.click("#auto-renew")
        await pilot.pause()
        assert app.query_one("#auto-renew").value is True
        assert "auto-renew on for prod" in notes(app)[-1]

        env.clock.advance(3600 - 301)  # just outside renew_before_seconds (300)
        app.main_screen.tick()
        await settle(pilot)
        assert current_token(app) is first
        assert len(env.token_requests()) == 1

        env.clock.advance(2)  # inside it: renewed
        app.main_screen.tick()
        await settle(pilot)
        await wait_until(pilot, lambda: current_token(app) is not first, what="a new token")
        second = current_token(app)
        assert second.access_token != first.access_token
        assert len(env.token_requests()) == 2
        assert second.seconds_left(env.clock()) == 3600
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "1:00:00"
        assert "1:00:00 left" in screen_text(app)
        assert app.query_one("#auto-renew").value is True  # stays on for the new token
        assert "token ready" in status(app)


async def test_auto_renew_after_expiry_fetches_a_new_token(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        first = current_token(app)
        env.clock.advance(4000)
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "expired"
        await pilot.click("#auto-renew")
        await settle(pilot)
        await wait_until(pilot, lambda: current_token(app) is not first, what="a new token")
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "1:00:00"


async def test_several_tokens_count_down_side_by_side(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)  # prod at 12:00:00
        env.clock.advance(100)
        await pilot.press("j")  # staging-export
        await get_token(pilot)  # at 12:01:40
        assert app.main_screen.current == "staging-export"
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "58:20"
        assert token_cell(app, "staging-export") == "1:00:00"
        assert token_cell(app, "agency") == "--"
        env.clock.advance(60)
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "57:20"
        assert token_cell(app, "staging-export") == "59:00"
        assert "57:20" in table_line(app, "prod")
        assert "59:00" in table_line(app, "staging-export")
        assert "59:00 left" in screen_text(app)  # the panel shows the selected profile's

        # a second token for the same profile (other scopes): its own countdown, "+1"
        await pilot.press("k")
        await pilot.press("s")
        app.query_one("#scopes").highlighted = 1
        await pilot.press("space")  # metrics + data-export
        await pilot.press("escape")
        await get_token(pilot)
        app.main_screen.tick()
        await pilot.pause()
        assert len(app.session.live.for_profile("prod")) == 2
        assert token_cell(app, "prod") == "1:00:00 +1"
        env.clock.advance(3600 - 160 + 1)  # the first prod token is now expired
        app.main_screen.tick()
        await pilot.pause()
        assert token_cell(app, "prod") == "02:39 +1"
        assert token_cell(app, "staging-export") == "01:39"


async def test_cached_tokens_show_up_on_start(env, tmp_path):
    pf = load(env.write())
    prod = pf.profiles["prod"]
    cache = TokenCache(tmp_path / "tokens.json", clock=env.clock)
    key_url = prod.effective_auth_url(pf.settings)
    cache.put(
        Token(
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig",
            env.fake.url,
            env.clock(),
            env.clock().replace(hour=12, minute=41, second=7),
            prod.client_id,
            key_url,
            ("metrics",),
            1001,
            "prod",
        )
    )
    assert cache.get(cache_key(key_url, prod.client_id, ("metrics",), 1001))
    env.write(env.config.read_text().replace("token_cache = false", "token_cache = true"))
    app = env.app(cache=cache)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert token_cell(app, "prod") == "41:07"
        assert "41:07 left" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig"
        assert env.token_requests() == []


async def test_a_token_about_to_expire_is_renewed_before_it_is_copied(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        first = current_token(app)
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == first.access_token and len(env.token_requests()) == 1

        env.clock.advance(3600 - 299)  # 299 s left: under renew_before_seconds (300)
        await pilot.press("c")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: app.clipboard != first.access_token,
            what="the renewed token on the clipboard",
        )
        assert len(env.token_requests()) == 2
        assert app.clipboard == current_token(app).access_token
        assert current_token(app).seconds_left(env.clock()) == 3600
