"""Every kind of failure the app can meet: said once, in place (the inline status of the
selected profile) and worded for a person, no traceback, no secret, and an app that still
answers keys afterwards."""

from __future__ import annotations

import pytest

from .conftest import (
    PROD_SECRET,
    SIZE,
    assert_no_secret,
    current_token,
    get_token,
    notes,
    screen_text,
    settle,
    status,
    toasts,
    token_cell,
    wait_until,
    widget_text,
)


async def check_failure(app, pilot, title: str, words: str, *more: str) -> None:
    """What the user sees after a failed token request for `prod`: `title` and `words` in
    the inline status, `more` too; said once: no toast repeats it (issue 14 §5)."""
    assert current_token(app) is None
    assert f"{title}: " in status(app) and words in status(app)
    for text in more:
        assert text in status(app)
    await pilot.pause(0.3)
    assert not any(words in n for n in notes(app)), "the error is shown twice"
    assert title not in toasts(app)
    assert "Traceback" not in screen_text(app)
    assert token_cell(app, "prod") == "--"
    assert_no_secret(app)
    # still responsive: the cursor moves and the detail pane follows
    await pilot.press("j")
    await pilot.pause()
    assert app.main_screen.current == "staging-export"
    await pilot.press("k")
    await pilot.pause()
    assert app.main_screen.current == "prod"


async def test_wrong_secret(env, monkeypatch, no_traceback):
    monkeypatch.setenv("CS_UI_PROD_SECRET", "not-the-right-secret")
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await check_failure(
            app,
            pilot,
            "Credentials rejected",
            "client_id or client_secret rejected by 127.0.0.1",
            "invalid_client",
            "check the profile's client_id and secret",
        )
        assert_no_secret(app, extra=("not-the-right-secret",))
        # fixed in the environment: the next try works
        monkeypatch.setenv("CS_UI_PROD_SECRET", PROD_SECRET)
        await get_token(pilot)
        assert current_token(app) is not None
        assert "token ready" in status(app)


async def test_missing_env_secret(env, monkeypatch, no_traceback):
    monkeypatch.delenv("CS_UI_PROD_SECRET")
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await check_failure(app, pilot, "Secret not found", "CS_UI_PROD_SECRET")
        assert env.token_requests() == []


@pytest.mark.parametrize(
    ("fault", "title", "words"),
    [
        ("503", "Server error", "had a server error"),
        ("html", "Server error", "(an HTML page) (try again later)"),
        ("malformed_json", "Unexpected answer", "answered 200 with something that is not JSON"),
        ("wrong_shape", "Unexpected answer", "a JSON list, not an object"),
        ("drop", "Network problem", "dropped before a full answer"),
    ],
)
async def test_server_faults(env, fault, title, words, no_traceback):
    env.fake.inject(fault, times=None)  # every attempt, retries included
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await check_failure(app, pilot, title, words)
        env.fake.clear_faults()
        await get_token(pilot)
        assert current_token(app) is not None


async def test_rate_limited(env, no_traceback):
    env.fake.inject("429", times=None, retry_after=60)
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await check_failure(
            app,
            pilot,
            "Rate limited",
            "retry after 60 s",
            "at most 10 concurrent requests per project",
        )


async def test_connection_refused(env, no_traceback):
    env.write()
    env.fake.stop()  # nothing listens on its port any more
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        await check_failure(app, pilot, "Network problem", "connection refused")


async def test_foreign_endpoint_is_marked_untrusted_and_never_copied(env, no_traceback):
    env.fake.inject("foreign_endpoint")
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        token = current_token(app)
        assert token is not None and not token.trusted
        assert "untrusted host" in status(app) and "it will not be used" in status(app)
        assert "UNTRUSTED HOST" in widget_text(app.query_one("#token-meta"))
        # said once, in place: the selected profile's status, not a toast as well
        assert "Untrusted endpoint" in status(app) and "evil.example.com" in status(app)
        assert not any("Untrusted endpoint" in n for n in notes(app))
        for key in ("c", "h", "u", "b"):
            await pilot.press(key)
            await pilot.pause()
            assert "untrusted host; not copied" in notes(app)[-1]
            assert app.clipboard == ""
        assert token.access_token not in screen_text(app)
        await pilot.press("t")  # the probe refuses to send it there
        await settle(pilot)
        assert "refusing to send the token to evil.example.com" in status(app)
        assert not [r for r in env.fake.requests if r.path == "/v1/segments"]
        await pilot.press("j")
        await pilot.pause()
        assert app.main_screen.current == "staging-export"


async def test_forbidden_scope(env, no_traceback):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        app.query_one("#scopes").highlighted = 3  # surveys: not granted to prod
        await pilot.press("space", "escape")
        await get_token(pilot)
        await check_failure(app, pilot, "Forbidden", "not granted the scope(s): surveys")


async def test_me_failure_shows_in_the_me_panel(env, monkeypatch, no_traceback):
    monkeypatch.setenv("CS_UI_PROD_SECRET", "wrong")
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("m")
        await settle(pilot)
        summary = widget_text(app.query_one("#me-summary"))
        assert "Credentials rejected: " in summary and "client_secret rejected" in summary
        assert not any("client_secret rejected" in n for n in notes(app))  # said once
        assert "Traceback" not in screen_text(app)


async def test_escape_cancels_a_slow_request(env, no_traceback):
    env.fake.inject("slow", delay=10)
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("g")
        await wait_until(pilot, lambda: env.fake.in_flight.get(1001), what="the request to start")
        assert "getting a token for prod... (esc cancels)" in status(app)
        assert token_cell(app, "prod") == "fetching"
        assert "fetching" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "cancelled" in status(app)
        assert "request cancelled" in notes(app)[-1]
        await settle(pilot)
        assert current_token(app) is None
        assert token_cell(app, "prod") == "--"
        # and a new request goes through at once
        await get_token(pilot)
        assert current_token(app) is not None
