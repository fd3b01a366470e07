"""The app's behaviour items of issue 14 §5, through Pilot: notifications replaced rather
than stacked, [keys] clashes reported with both keys kept, "no profile selected", and a
profiles file broken mid-session that keeps the last good table."""

from __future__ import annotations

import os

from .conftest import (
    SIZE,
    notes,
    profiles_text,
    row_names,
    screen_text,
    settle,
    wait_until,
    widget_text,
)


def toast_count(app) -> int:
    return len(app.screen.query("Toast"))


async def test_ten_sort_presses_are_one_toast_not_ten(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for _ in range(10):
            await pilot.press("o")
        await pilot.pause(0.2)
        assert toast_count(app) == 1
        assert len(notes(app)) == 1  # replaced, the last one said
        shown = " ".join(widget_text(t) for t in app.screen.query("Toast"))
        assert notes(app)[0].split(": ", 1)[1] in shown


async def test_notifications_of_other_kinds_stay_when_one_is_replaced(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.notify("keep me", title="Other", severity="warning", timeout=30)
        await pilot.press("o", "o", "o")
        await pilot.pause(0.2)
        assert toast_count(app) == 2
        assert any("keep me" in n for n in notes(app))


async def test_a_key_taken_from_another_action_is_reported_and_both_keep_working(env):
    """`filter = "j"` made the filter unreachable: j is the profile table's cursor_down."""
    env.write(profiles_text(env.fake.url, extra='\n[keys]\nfilter = "j"\n'))
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        said = " ".join(notes(app))
        assert "filter" in said and "cursor_down" in said and "keeps /" in said
        await pilot.press("j")
        await pilot.pause()
        assert app.main_screen.current == row_names(app)[1]  # j still moves down
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is app.query_one("#filter")  # and / still filters
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        shown = screen_text(app)
        assert "Not applied from [keys]" in shown and "cursor_down" in shown
        lines = [" ".join(ln.strip(" █▌▐").split()) for ln in shown.splitlines()]
        assert any(ln.startswith("/ filter the profile list") for ln in lines)
        assert any(ln.startswith("j / k down / up") for ln in lines)


async def test_the_help_shows_the_keys_in_force(env):
    env.write(profiles_text(env.fake.url, extra='\n[keys]\ncursor_down = "n"\n'))
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = [" ".join(ln.strip(" █▌▐").split()) for ln in screen_text(app).splitlines()]
        assert any(ln.startswith("n / k down / up") for ln in lines)


async def test_edit_duplicate_delete_with_no_profile_selected_say_so(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("slash", *"nothing-matches", "enter")
        await pilot.pause()
        assert row_names(app) == []
        for key in ("e", "d", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert notes(app) and "no profile selected" in notes(app)[-1], key
            assert app.screen is app.main_screen  # no form opened


async def test_keys_that_need_a_profile_answer_in_the_empty_state(env):
    env.config.parent.mkdir(parents=True, exist_ok=True)
    app = env.app()
    env.config.unlink()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for key in ("e", "x", "g"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert "no profile selected: press a to add one" in notes(app)[-1], key


async def test_a_file_broken_mid_session_keeps_the_table_and_says_why_above_it(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        names = row_names(app)
        good = env.config.read_text()
        env.config.write_text(good + "\n[profiles.broken\n")
        os.utime(env.config, ns=(1, 1))
        app.main_screen.tick()
        await pilot.pause()
        assert row_names(app) == names  # the last good table stays
        banner = app.query_one("#load-error")
        assert banner.display and "cannot be read now" in widget_text(banner)
        assert f"{env.config}:" in widget_text(banner)
        assert "cannot be read now" in screen_text(app)
        await pilot.press("g")  # and it still works
        await settle(pilot)
        assert app.query_one("#token").live is not None
        env.config.write_text(good)
        os.utime(env.config, ns=(2, 2))
        app.main_screen.tick()
        await wait_until(
            pilot, lambda: not app.query_one("#load-error").display, what="the banner to go"
        )
