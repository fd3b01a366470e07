"""Auto-renew can never loop, a failed renewal backs off, an expired token is called
expired, a wrong setting is shown in place and sends nothing: the app via Pilot, real HTTP
to the fake API on loopback, a frozen clock moved by hand."""

from __future__ import annotations

from tests.ui.conftest import (
    SIZE,
    current_token,
    get_token,
    notes,
    profiles_text,
    screen_text,
    settle,
    status,
    wait_until,
)


async def run_for(pilot, app, env, seconds: int, step: int = 5) -> None:
    """The app's timer, `seconds` of frozen-clock time in `step`-second ticks, every
    renewal it starts allowed to finish."""
    for _ in range(seconds // step):
        env.clock.advance(step)
        app.main_screen.tick()
        await settle(pilot)


async def turn_auto_renew_on(pilot, app) -> None:
    await pilot.click("#auto-renew")
    await pilot.pause()
    assert app.query_one("#auto-renew").value is True


async def test_short_lived_tokens_are_renewed_once_per_window_never_in_a_storm(env):
    """The default renew_before_seconds (300) against a server handing out 150 s tokens:
    every tick used to fetch a new token (each one already 'due')."""
    env.fake.token_lifetime = 150
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        await turn_auto_renew_on(pilot, app)
        await run_for(pilot, app, env, 6 * 150)  # six lifetimes
        fetched = len(env.token_requests())
        # renewed at half-life (the cap): about two per lifetime, never one per tick
        assert 6 <= fetched <= 2 * 6 + 2, fetched
        token = current_token(app)
        assert token.seconds_left(env.clock()) > 0  # and the token never ran out
        assert "expired" not in status(app)


async def test_a_renewal_that_fails_backs_off_and_says_so(env, monkeypatch):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await turn_auto_renew_on(pilot, app)
        monkeypatch.setenv("CS_UI_PROD_SECRET", "revoked-secret")  # every renewal now fails
        env.clock.advance(3600 - 300)  # into the renewal window
        await run_for(pilot, app, env, 600)
        tries = len(env.token_requests()) - 1
        # 15 s, 30 s, 60 s, 120 s, 240 s apart: a handful in 10 minutes, not 120 (one per tick)
        assert 3 <= tries <= 7, tries
        assert app.query_one("#auto-renew").value is True  # still on: it will try again
        # said in place for the selected profile (the back-off doubled each time), once
        assert "Credentials rejected" in status(app) and "tries again in" in status(app)
        assert app.query_one("#token").live.failures == tries
        assert not any("tries again" in n for n in notes(app))


async def test_tokens_that_live_a_second_are_renewed_at_most_once_per_gap(env):
    """A server whose tokens live 1 s: each is stale a second later; renewing it on every
    tick would be a request a second for as long as the app is open."""
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        await turn_auto_renew_on(pilot, app)
        env.fake.token_lifetime = 1
        env.clock.advance(3600 - 100)
        await run_for(pilot, app, env, 200, step=1)
        tries = len(env.token_requests()) - 1
        assert 5 <= tries <= 200 / 10 + 1, tries  # at most one per RENEW_GAP (10 s)


async def test_an_expired_token_reads_expired_never_token_ready(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        assert "token ready" in status(app)
        env.clock.advance(3601)
        app.main_screen.tick()
        await pilot.pause()
        assert "token ready" not in status(app)
        assert "token expired" in status(app)
        assert "token ready" not in screen_text(app)


async def test_a_wrong_setting_is_shown_in_place_and_nothing_is_sent(env):
    env.write(
        profiles_text(env.fake.url).replace(
            f'auth_url = "{env.fake.url}"', 'auth_url = "http://evil.example"'
        )
    )
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        shown = status(app)
        assert "[settings] is invalid" in shown and "settings.auth_url" in shown
        assert "evil.example" in shown
        for key in ("g", "c", "m"):
            await pilot.press(key)
            await settle(pilot)
        assert env.fake.requests == []
        assert current_token(app) is None
        await wait_until(pilot, lambda: "settings.auth_url" in status(app), what="the refusal")


async def test_renew_before_at_a_tokens_lifetime_is_refused_not_looped(env):
    """renew_before_seconds = 4000 (above a token's hour): an error, shown in place."""
    env.write(profiles_text(env.fake.url, renew_before=4000))
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "settings.renew_before_seconds: must be less than 3600" in status(app)
        await pilot.press("g")
        await settle(pilot)
        assert env.fake.requests == []
