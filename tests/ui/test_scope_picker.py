"""The scope checklist (one widget drawing its lines): keys, mouse, custom scopes, and
the one rule (enrichment alone), as a user works it in the request panel."""

from __future__ import annotations

from .conftest import SIZE, notes, screen_text, settle


async def test_keys_move_the_cursor_and_space_or_enter_tick(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")  # prod: metrics ticked
        picker = app.query_one("#scopes")
        assert app.focused is picker and picker.selected == ["metrics"]
        await pilot.press("down", "space")  # data-export
        assert picker.selected == ["metrics", "data-export"]
        await pilot.press("end", "enter")  # speed-analysis, the last
        assert picker.highlighted == 4
        assert picker.selected == ["metrics", "data-export", "speed-analysis"]
        await pilot.press("home", "space")  # metrics off again
        assert picker.highlighted == 0 and picker.selected == ["data-export", "speed-analysis"]
        await pilot.press("up", "up")  # stays on the first line
        assert picker.highlighted == 0
        await pilot.press("escape")
        await get_the_token(pilot)
        assert env.token_requests()[-1].body["scope"] == "data-export speed-analysis"


async def get_the_token(pilot) -> None:
    await pilot.press("g")
    await settle(pilot)


async def test_a_click_ticks_the_line_clicked_and_enrichment_stays_alone(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        picker = app.query_one("#scopes")
        await pilot.click("#scopes", offset=(5, 2))  # enrichment: clears metrics
        await pilot.pause()
        assert picker.selected == ["enrichment"] and picker.highlighted == 2
        assert "the others were cleared" in notes(app)[-1]
        await pilot.click("#scopes", offset=(5, 3))  # surveys: clears enrichment
        await pilot.pause()
        assert picker.selected == ["surveys"]
        assert "it was cleared" in notes(app)[-1]


async def test_a_custom_scope_is_listed_as_written(env):
    env.write()
    env.write(
        env.config.read_text().replace('scopes = ["metrics"]', 'scopes = ["metrics", "beta[x]"]', 1)
    )
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.query_one("#scopes")
        assert picker.selected == ["metrics", "beta[x]"]
        text = screen_text(app)
        assert "beta[x]  custom scope" in text and "speed-analysis" in text


async def test_more_scopes_than_fit_show_a_window_that_follows_the_cursor(env):
    extra = [f"custom-{i:02d}" for i in range(12)]
    env.write()
    env.write(
        env.config.read_text().replace(
            'scopes = ["metrics"]',
            f'scopes = ["metrics", {", ".join(map(repr, extra))}]'.replace("'", '"'),
            1,
        )
    )
    app = env.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        picker = app.query_one("#scopes")
        assert picker.size.height == 8  # its max-height: 17 scopes do not fit
        assert "metrics  Metrics API" in screen_text(app)
        await pilot.press("end")
        text = screen_text(app)
        assert "custom-11" in text and "metrics  Metrics API" not in text
        await pilot.click("#scopes", offset=(5, 7))  # the bottom line shown: custom-11
        await pilot.pause()
        assert "custom-11" not in picker.selected and picker.highlighted == 16
        await pilot.press("pageup")
        assert picker.highlighted == 8
        await pilot.press("home")
        assert "metrics  Metrics API" in screen_text(app)

        app.main_screen.select_profile("staging-export")  # another list: the cursor back on top
        await pilot.pause()
        assert picker.highlighted == 0
