"""SVG snapshots of small terminals and long names: the main view at 60x20, the note
that replaces the layout below the minimum size, and the delete question for a
64-character name (80x24). Deterministic as test_snapshots.py is.
Regenerate with `pytest tests/snapshots --snapshot-update`, then read the SVGs."""

from __future__ import annotations

from .test_snapshots import (
    PROFILES,
    build,
    settle,
    snapshot_world,  # noqa: F401 (autouse: UTC, cwd, env secrets)
)

LONG_NAME = "team-analytics-" + "north-emea-" * 3 + "nightly-exports1"  # 64 characters
LONG_PROFILES = PROFILES.replace("[profiles.prod-metrics]", f"[profiles.{LONG_NAME}]").replace(
    'description = "Nightly BI sync"',
    'description = "' + " ".join(f"word{i:03d}" for i in range(70))[:500] + '"',
)


def test_main_60x20(snap_compare):
    """60x20: Help and Quit in the key bar, each credential label above its value, the
    auth URL broken after a dot, never inside a word."""
    assert snap_compare(build(), terminal_size=(60, 20))


def test_token_60x20(snap_compare):
    """60x20 after g: the token panel scrolled into view."""

    async def get_token(pilot):
        await pilot.press("g")
        await settle(pilot)
        pilot.app.clear_notifications()
        pilot.app.query_one("#token").scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(build(), terminal_size=(60, 20), run_before=get_token)


def test_too_small_note(snap_compare):
    """50x15: the note instead of the layout."""
    assert snap_compare(build(), terminal_size=(50, 15))


def test_long_name_and_description_80x24(snap_compare):
    """A 64-character name and a 500-character description: the name breaks after its
    hyphens, the description stops after 3 lines with "…"."""
    assert snap_compare(build(LONG_PROFILES), terminal_size=(80, 24))


def test_long_name_delete_question(snap_compare):
    """x on a 64-character name: the question names it cut to 32 cells with "…"."""

    async def ask(pilot):
        await pilot.press("x")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(build(LONG_PROFILES), terminal_size=(80, 24), run_before=ask)
