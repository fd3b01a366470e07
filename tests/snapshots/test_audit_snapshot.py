"""The audit screen after every profile was checked (fixed answers, no timings)."""

from __future__ import annotations

from csauth_tui.ui.screens.audit_screen import AuditScreen

from .test_snapshots import (
    BIG,
    build,
    no_secret_in,
    settle,
    snapshot_world,  # noqa: F401  (autouse: UTC, cwd, env secrets)
)


def test_audit_screen(snap_compare, memory_keyring):
    # memory_keyring: enrichment-eu's keyring secret is missing the same way everywhere
    async def audit(pilot):
        screen = AuditScreen(pilot.app.session, timings=False)
        await pilot.app.push_screen(screen)
        for _ in range(100):
            if screen.report is not None:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        assert screen.report is not None
        no_secret_in(pilot.app)

    assert snap_compare(build(), terminal_size=BIG, run_before=audit)
