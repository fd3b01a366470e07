"""The audit screen: rows fill in per profile, a summary, a severity filter, export."""

from __future__ import annotations

import json
import os
import stat

from csauth_tui.ui.screens.audit_screen import AuditScreen

from .conftest import (
    SECRETS,
    SIZE,
    assert_no_secret,
    screen_text,
    wait_until,
    widget_text,
)


def rows(screen) -> list[tuple[str, str]]:
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return [
        (str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)
    ]


async def test_audit_fills_in_filters_and_exports(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env.write()
    os.chmod(env.config, 0o644)
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await wait_until(pilot, lambda: screen.report is not None, timeout=30)
        await pilot.pause()

        found = rows(screen)
        profiles = {name for name, _ in found}
        assert {"prod", "staging-export", "agency", "enrich", "sandbox", "(file)"} <= profiles
        assert ("prod", "ok") in found
        assert ("agency", "warning") in found  # account-level without project_id
        assert ("sandbox", "warning") in found  # plaintext secret
        assert ("(file)", "error") in found  # plaintext in a 0644 file
        summary = widget_text(screen.query_one("#audit-summary"))
        counts = screen.report.counts()
        assert "done" in summary and f"{counts['error']} errors" in summary

        await pilot.press("f")  # errors only
        await pilot.pause()
        assert {severity for _, severity in rows(screen)} == {"error"}
        await pilot.press("f")  # errors and warnings
        await pilot.pause()
        assert {severity for _, severity in rows(screen)} == {"error", "warning"}

        await pilot.press("ctrl+s")
        await pilot.pause()
        exported = sorted(tmp_path.glob("csauth-audit-*.json"))
        assert len(exported) == 1
        data = json.loads(exported[0].read_text())
        assert data["schema"] == "csauth-audit/1" and data["summary"]["profiles"] == 5
        assert stat.S_IMODE(exported[0].stat().st_mode) == 0o600
        for secret in SECRETS:
            assert secret not in exported[0].read_text()
        assert_no_secret(app)

        await pilot.press("g")  # the main screen's keys do nothing here
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AuditScreen)
        assert "Audit" not in screen_text(app)
        assert env.token_requests() and all(r.status for r in env.fake.requests)


async def test_palette_offers_the_audit(env):
    env.write()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"audit every")
        await pilot.pause()
        await pilot.pause()
        assert "Audit every profile" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), timeout=10)
