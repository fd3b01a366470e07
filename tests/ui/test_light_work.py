"""The work the app leaves out, checked for what the user sees: a key bar, a title bar and
a credential grid that are one widget each yet follow the bindings, clicks and themes;
widgets made only when first needed; one full first frame; no new layout for a countdown
that keeps its width; the garbage collector back on (and given back its objects at exit);
filtering that keeps the cursor."""

from __future__ import annotations

import gc
from datetime import timedelta

from textual.command import CommandPalette

from csauth_tui.ui.widgets.key_bar import KeyBar
from csauth_tui.ui.widgets.profile_table import ProfileTable

from .conftest import (
    SIZE,
    current_token,
    get_token,
    row_names,
    screen_text,
    settle,
    token_cell,
    widget_text,
)


def footer_line(app) -> str:
    return widget_text(app.screen.query_one(KeyBar))


async def test_the_footer_follows_the_keys_of_the_moment_and_a_click_presses_one(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = footer_line(app)
        for key in ("g Get token", "r Renew", "/ Filter", "? Help", "q Quit", "^p palette"):
            assert key in shown
        assert not app.screen.query_one(KeyBar).children  # one line, not a widget per key

        await pilot.press("slash")  # the filter box takes the keys: the footer says so
        await pilot.pause()
        typing = footer_line(app)
        assert "g Get token" not in typing and "^p palette" in typing
        await pilot.press("escape")
        await pilot.pause()
        assert footer_line(app) == shown

        footer = app.screen.query_one(KeyBar)
        styles = {seg.text.strip(): seg.style for seg in footer.render_line(0)}
        assert styles["g"].color != styles["Get token"].color  # the key stands out
        assert styles["g"].bold
        await pilot.hover(KeyBar, offset=(shown.index("Renew"), 0))
        hovered = {seg.text.strip(): seg.style for seg in footer.render_line(0)}
        assert hovered["Renew"].bgcolor != styles["Renew"].bgcolor
        assert hovered["Get token"] == styles["Get token"]

        assert env.token_requests() == []
        await pilot.click(KeyBar, offset=(shown.index("Get token"), 0))
        await settle(pilot)
        assert len(env.token_requests()) == 1  # as if g was pressed
        assert current_token(app) is not None
        await pilot.click(KeyBar, offset=(shown.index("palette"), 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_a_narrow_footer_shows_whole_keys_only(env):
    app = env.app()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        line = footer_line(app)
        assert len(line) == 60 and line.rstrip().endswith("^p palette")
        left = line.split("▏")[0].rstrip()
        keys = ["g Get token", "r Renew", "c Copy", "v Reveal", "m /me", "t Test"]
        shown = [k for k in keys if k in left]
        assert shown == keys[: len(shown)] and 2 <= len(shown) < len(keys)
        # never half a key; Help and Quit are kept whatever else is left out
        assert left.endswith(f"{shown[-1]}  ? Help  q Quit")


async def test_a_countdown_keeping_its_width_needs_no_new_layout(env, monkeypatch):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        label = app.query_one("#token-countdown")
        layouts = []
        original = type(label).refresh

        def spy(self, *regions, **kwargs):
            if self is label and kwargs.get("layout"):
                layouts.append(1)
            return original(self, *regions, **kwargs)

        monkeypatch.setattr(type(label), "refresh", spy)
        env.clock.advance(1)  # 1:00:00 -> 59:59: shorter text, new width
        app.main_screen.tick()
        await pilot.pause()
        assert widget_text(label) == "59:59 left" and layouts
        before = len(layouts)
        env.clock.advance(1)  # 59:59 -> 59:58: same width
        app.main_screen.tick()
        await pilot.pause()
        assert widget_text(label) == "59:58 left" and len(layouts) == before
        assert "59:58 left" in screen_text(app)
        assert token_cell(app, "prod") == "59:58"


async def test_the_collector_runs_while_the_app_does_and_gets_everything_back(env):
    frozen_before = gc.get_freeze_count()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen_before  # the start's objects, out of its way
        app.main_screen.reload()  # a reload pauses and resumes it too
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0


async def test_a_start_with_the_collector_paused_turns_it_back_on_after_the_first_frame(env):
    """`csauth` pauses the collector before it imports the app (commands.pause_collector);
    the app must turn it back on once it has painted, or a long session never collects."""
    gc.disable()
    try:
        app = env.app(resume_gc=True)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert "staging-export" in screen_text(app)
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_the_first_frame_shows_the_selected_profile_and_the_keys(env, monkeypatch):
    """Everything a user reads at start is in one frame: no detail panel or footer that
    shows up a frame later (the start benchmark waits for all of it)."""
    frames = []
    app = env.app()
    original = type(app).post_display_hook  # tests/escscan.py watches every frame too

    def spy(self):
        if not frames:
            frames.append(screen_text(self))
        return original(self)

    monkeypatch.setattr(type(app), "post_display_hook", spy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert frames
    first = frames[0]
    for text in ("prod", "sandbox", "client_id", "No token yet", "q Quit", "^p palette"):
        assert text in first, text


async def test_filtering_keeps_the_selected_profile_and_the_countdowns(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)  # prod, selected first
        await pilot.press("down")
        await pilot.pause()
        assert app.query_one(ProfileTable).selected_name == "staging-export"
        await pilot.press("slash", *"export")
        await pilot.pause()
        assert row_names(app) == ["staging-export"]
        await pilot.press("escape")
        await pilot.pause()
        assert row_names(app) == ["prod", "staging-export", "agency", "enrich", "sandbox"]
        assert app.query_one(ProfileTable).selected_name == "staging-export"
        assert token_cell(app, "prod") == "1:00:00"


async def test_the_title_bar_shows_the_file_follows_the_sub_title_and_opens_the_palette(env):
    from csauth_tui.ui.widgets.title_bar import TitleBar

    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.query_one(TitleBar)
        assert not bar.children  # one widget, not Textual's four
        line = widget_text(bar)
        assert "🔑" in line and f"csauth — {env.config}" in line
        app.sub_title = "somewhere else"
        await pilot.pause()
        assert "csauth — somewhere else" in screen_text(app)
        await pilot.click(TitleBar, offset=(2, 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_the_one_widget_credential_grid_follows_a_theme_change(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "textual-dark"
        await pilot.pause()
        panel = app.query_one("#credential")

        def label_colour():
            for y in range(panel.size.height):
                for seg in panel.render_line(y):
                    if seg.text.strip() == "client_id":
                        return seg.style.color
            raise AssertionError("no client_id label painted")

        dark = label_colour()
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert label_colour() != dark
        assert "client_id" in widget_text(panel) and "prod" in widget_text(panel)


async def test_the_clipboard_line_is_made_once_on_the_main_screen_even_under_the_help(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query("#clip-status")  # not made until something is copied
        await get_token(pilot)
        await pilot.press("question_mark")  # the help on top: ticks go on underneath
        await pilot.pause()
        app.session.clip.clear_at = env.clock() + timedelta(seconds=30)
        for _ in range(3):
            env.clock.advance(1)
            app.main_screen.tick()
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.screen_stack[0].query("#clip-status")) == 1
        assert "clipboard holds a secret: clears in 27 s" in screen_text(app)
