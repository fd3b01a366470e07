"""SVG snapshots of the profile management screens: the add form (empty, then with its
errors after Save), the edit form, the delete confirmation and the import preview.

Deterministic as test_snapshots.py is (frozen clock, fixed today, local time = UTC, no
network, the profiles file at a relative path), plus: the text cursor does not blink and
the toasts are cleared before the picture is taken (they time out in real time).
Regenerate with `pytest tests/snapshots --snapshot-update`, then read the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from .test_snapshots import (
    AGENCY_SECRET,
    BIG,
    PLAIN_SECRET,
    PROD_SECRET,
    build,
    snapshot_world,  # noqa: F401 (used by form_world)
)

CSV_SECRET = "sentinel-snap-csv-secret-3e9a51"
TYPED_SECRET = "sentinel-snap-typed-secret-c4d7f0"
ALL_SECRETS = (PROD_SECRET, AGENCY_SECRET, PLAIN_SECRET, CSV_SECRET, TYPED_SECRET)

TEAM_CSV = (
    "name,level,client_id,project_id,scopes,created,description,client_secret\n"
    f"bi-nightly,project,bi-client-9a01,1001,metrics data-export,2026-02-01,BI,{CSV_SECRET}\n"
    "exports,project,exp-client-9a02,1002,data-export,,Exports,\n"
    "bad name!,project,bad-client-9a03,,metrics,,,\n"
    "sandbox,project,sandbox-client-9a04,,metrics,,,\n"
    "late,project,late-client-9a05,,metrics,2026-13-01,,\n"
)


@pytest.fixture(autouse=True)
def form_world(snapshot_world):
    """UTC local time, the profiles file (and the CSV to import) in the cwd."""
    return snapshot_world


async def steady(pilot) -> None:
    """No blinking cursor, no toast on a timer, nothing secret on screen."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()
    svg = pilot.app.export_screenshot()
    for secret in ALL_SECRETS:
        assert secret not in svg


async def type_into(pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


def test_add_form_empty(snap_compare):
    """`a`: every field empty, metrics preselected, the keyring as the secret's home."""

    async def open_form(pilot):
        await pilot.press("a")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(build(), terminal_size=BIG, run_before=open_form)


def test_add_form_errors_after_save(snap_compare):
    """A bad name and date, nothing else, then ctrl+s: each reason next to its field."""

    async def save_too_early(pilot):
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#f-name", "prod metrics!")
        await type_into(pilot, "#f-created", "2026-02-30")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(build(), terminal_size=BIG, run_before=save_too_early)


def test_edit_form(snap_compare):
    """`e` on prod-metrics: its fields filled in, the env var as its secret source."""

    async def open_edit(pilot):
        await pilot.press("e")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(build(), terminal_size=BIG, run_before=open_edit)


def test_delete_confirmation(snap_compare):
    """`x` on enrichment-eu (a keyring profile): both clean-ups offered, Cancel focused."""

    async def ask(pilot):
        await pilot.press("down", "down", "x")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(build(), terminal_size=BIG, run_before=ask)


def test_import_preview(snap_compare):
    """`i`, team.csv, Enter: each row with what would happen to it and why."""
    Path("team.csv").write_text(TEAM_CSV)

    async def preview(pilot):
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#import-path", "team.csv")
        await pilot.press("enter")
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(build(), terminal_size=BIG, run_before=preview)


def test_no_secret_or_temp_path_in_any_form_snapshot():
    folder = Path(__file__).parent / "__snapshots__" / "test_form_snapshots"
    svgs = sorted(folder.glob("*.svg"))
    assert len(svgs) >= 5
    for svg in svgs:
        text = svg.read_text()
        for secret in ALL_SECRETS:
            assert secret not in text, svg.name
        assert "pytest-of-" not in text and "/tmp/" not in text, svg.name
