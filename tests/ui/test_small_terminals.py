"""What a user sees in small terminals: 80x24 keeps `? Help` and `q Quit` in the key bar,
60x20 splits no word across lines, and below the minimum a note says how big the
terminal must be instead of a garbled layout. The scope checklist reads without colour."""

from __future__ import annotations

import re

import pytest

from csauth_tui.ui.widgets.key_bar import KeyBar
from csauth_tui.ui.widgets.too_small import MIN_HEIGHT, MIN_WIDTH

from .conftest import profiles_text, screen_text, wait_until, widget_text


def detail_lines(app) -> list[str]:
    """The detail pane's lines as the terminal shows them (right of the pane's border),
    scrollbar cells left out."""
    lines = []
    for line in screen_text(app).splitlines()[1:-1]:
        if "▏" in line:
            lines.append(line.split("▏", 1)[1].rstrip(" ▁▂▃▄▅▆▇█").strip())
    return lines


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (MIN_WIDTH, MIN_HEIGHT)])
async def test_help_and_quit_stay_in_the_key_bar(env, size):
    app = env.app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        bar = widget_text(app.screen.query_one(KeyBar))
        assert "? Help" in bar and "q Quit" in bar
        assert "g Get token" in bar  # the first action still has room
        bottom = screen_text(app).splitlines()[-1]
        assert "? Help" in bottom and "q Quit" in bottom  # on screen, not only in the widget


async def test_at_60x20_no_word_is_split_across_lines(env):
    env.write(
        profiles_text(env.fake.url).replace(
            'description = "BI sync"', 'description = "Nightly BI sync for the finance dashboards"'
        )
    )
    app = env.app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = detail_lines(app)
        shown = "\n".join(lines)
        for word in (
            "prod",
            "project-level",
            "Nightly",
            "finance",
            "dashboards",
            "environment",
            "variable",
            "$CS_UI_PROD_SECRET",
        ):
            assert any(word in line.split() for line in lines), (word, shown)
        # a URL too long for the column breaks after its own punctuation, not inside a word
        url = env.fake.url  # http://127.0.0.1:PORT
        first = next(i for i, line in enumerate(lines) if line.startswith("http"))
        joined = lines[first] + lines[first + 1]
        assert joined.startswith(url) or lines[first] == url, shown
        assert re.search(r"[/.:\-_]$", lines[first]) or lines[first] == url, shown


async def test_at_80x24_a_scope_too_long_for_its_line_ends_in_an_ellipsis(env):
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        lines = detail_lines(app)
        surveys = next(line for line in lines if "surveys" in line)
        assert surveys.endswith("…")
        after = lines[lines.index(surveys) + 1]
        assert after.startswith("▐")  # the next scope, not the rest of this one


async def test_a_terminal_too_small_shows_a_note_instead_of_the_layout(env):
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.focused is app.query_one("#profiles")
        await pilot.resize_terminal(50, 15)
        await wait_until(
            pilot, lambda: "terminal too small" in screen_text(app), what="the too-small note"
        )
        text = screen_text(app)
        assert f"terminal too small: 50x15, needs at least {MIN_WIDTH}x{MIN_HEIGHT}" in text
        assert "prod" not in text and "Credential" not in text and "Quit" not in text

        await pilot.resize_terminal(60, MIN_HEIGHT - 1)  # wide enough, too short
        await wait_until(
            pilot, lambda: f"60x{MIN_HEIGHT - 1}" in screen_text(app), what="the note's new size"
        )

        await pilot.resize_terminal(60, 20)  # big enough again: the layout as it was
        await wait_until(
            pilot, lambda: "terminal too small" not in screen_text(app), what="the layout back"
        )
        text = screen_text(app)
        assert "prod" in text and "Credential" in text and "q Quit" in text
        await pilot.press("j")  # the keys still go to the profile list
        await pilot.pause()
        assert app.query_one("#profiles").selected_name == "staging-export"


async def test_q_quits_from_the_too_small_note(env):
    app = env.app()
    async with app.run_test(size=(40, 10)) as pilot:
        await wait_until(
            pilot, lambda: "terminal too small" in screen_text(app), what="the too-small note"
        )
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_toast_at_60x20_cuts_a_long_word_instead_of_splitting_it(env):
    app = env.app()
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        await pilot.pause()
        long_word = "prod-" + "x" * 40 + "-metrics"
        app.notify(f"profile {long_word} deleted", timeout=30)
        await pilot.pause()
        text = screen_text(app)
        cut = [line.strip() for line in text.splitlines() if "prod-xxx" in line]
        assert len(cut) == 1 and cut[0].endswith("…"), text
        assert "x-metrics" not in text and "xmetrics" not in text  # no tail folded below
        assert "deleted" in text


async def test_the_scope_list_says_which_are_ticked_without_colour(env, monkeypatch):
    """NO_COLOR (or a monochrome terminal): ticked and not ticked differ by their glyph."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = env.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lines = detail_lines(app)
        assert "▐X▌ metrics  Metrics API" in lines  # prod asks for metrics only
        assert "▐ ▌ data-export  Data Export API" in lines
        assert "▐ ▌ enrichment  Enrichment API" in lines
        await pilot.press("s", "down", "space")  # tick data-export
        await pilot.pause()
        lines = detail_lines(app)
        assert "▐X▌ data-export  Data Export API" in lines
