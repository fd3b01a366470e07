"""The work the app leaves out, checked for what the user sees: one footer rebuild per burst
of binding changes, no new layout for a countdown that keeps its width, the garbage
collector back on (and given back its objects at exit), filtering that keeps the cursor."""

from __future__ import annotations

import gc

from csauth_tui.ui.widgets.footer import Footer
from csauth_tui.ui.widgets.profile_table import ProfileTable

from .conftest import SIZE, get_token, row_names, screen_text, token_cell, widget_text


def footer_keys(app) -> list[str]:
    return [" ".join(widget_text(key).split()) for key in app.screen.query("FooterKey")]


async def test_the_footer_is_rebuilt_once_per_burst_and_shows_the_last_state(env, monkeypatch):
    rebuilds, signals = [], []
    original, signalled = Footer.recompose, Footer.bindings_changed

    async def counting(self):
        rebuilds.append(1)
        await original(self)

    def counting_signals(self, screen):
        signals.append(1)
        signalled(self, screen)

    monkeypatch.setattr(Footer, "recompose", counting)
    monkeypatch.setattr(Footer, "bindings_changed", counting_signals)
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert 1 <= len(rebuilds) < len(signals)  # Textual's Footer: one rebuild per signal
        shown = footer_keys(app)
        assert "g Get token" in shown and "q Quit" in shown

        await pilot.press("slash")  # the filter box takes the keys: the footer changes
        await pilot.pause()
        await pilot.pause()
        typing = footer_keys(app)
        assert typing and typing != shown and "g Get token" not in typing

        before = len(rebuilds)
        for _ in range(3):
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert len(rebuilds) == before + 1
        assert footer_keys(app) == typing


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
        app._tick()
        await pilot.pause()
        assert widget_text(label) == "59:59 left" and layouts
        before = len(layouts)
        env.clock.advance(1)  # 59:59 -> 59:58: same width
        app._tick()
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
        app.reload()  # a reload pauses and resumes it too
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0


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
