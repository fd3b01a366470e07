"""The app's clipboard follows the last copy: copy the token (c), then the base URL (b):
the status line stops saying a secret is held and the base URL is not wiped 30 s later."""

from __future__ import annotations

from tests.ui.conftest import SIZE, current_token, get_token, screen_text


async def test_copying_the_base_url_after_the_token_keeps_the_base_url(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        token = current_token(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == token.access_token
        assert "clipboard holds a secret: clears in 30 s" in screen_text(app)

        env.clock.advance(5)
        await pilot.press("b")
        await pilot.pause()
        assert app.clipboard == token.endpoint
        assert "clipboard holds a secret" not in screen_text(app)

        for _ in range(4):
            env.clock.advance(10)
            app.main_screen.tick()
            await pilot.pause()
        assert app.clipboard == token.endpoint  # not wiped: it is what the user wanted
        assert "clipboard holds a secret" not in screen_text(app)

        await pilot.press("c")  # a secret again: its own wipe
        await pilot.pause()
        env.clock.advance(31)
        app.main_screen.tick()
        await pilot.pause()
        assert app.clipboard.strip() == ""
        await pilot.press("b")
        await pilot.pause()
    assert app.clipboard == token.endpoint  # quitting leaves the base URL alone too
