"""What a hostile or odd answer, file or race must not do to the app: copy an untrusted
token, crash on markup in server text, or revert another process's edit."""

from __future__ import annotations

from csauth_tui.core.store import ProfileStore

from .conftest import (
    SIZE,
    assert_no_secret,
    notes,
    screen_text,
    settle,
    status,
    wait_until,
    widget_text,
)


async def test_fetch_then_copy_never_copies_an_untrusted_token(env, no_traceback):
    env.fake.inject("foreign_endpoint", times=None)
    env.write()
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for key in ("c", "h", "u", "b"):  # no token yet: each fetches first, then copies
            await pilot.press(key)
            await settle(pilot)
        assert app.clipboard == ""
        assert "Untrusted endpoint" in status(app)  # in place, for the selected profile
        assert "evil.example.com" in screen_text(app)  # the host is named...
        live = app.query_one("#token").live
        assert live is not None and not live.token.trusted


async def test_markup_in_server_text_is_shown_as_text(env, no_traceback):
    env.fake.project_names = {1001: "[FR] Shop [/]", 1002: "[b]bold?[/b]", 1003: "x"}
    env.write()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.select_profile("agency")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert "1001 [FR] Shop [/]" in widget_text(app.query_one("#me-summary"))
        app.main_screen.select_profile("prod")  # the selection change used to crash on the markup
        await settle(pilot)
        app.main_screen.select_profile("agency")
        await settle(pilot)
        assert "[b]bold?[/b]" in widget_text(app.query_one("#me-summary"))


async def test_saving_an_edit_keeps_what_another_process_changed_meanwhile(env, memory_keyring):
    env.write()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")  # edit prod
        await settle(pilot)
        # another process changes prod's description and project while the form is open
        ProfileStore(env.config).update(
            "prod", {"description": "changed elsewhere", "project_id": 1002}
        )
        await pilot.press("ctrl+s")  # the user changed nothing in the form
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="the form to close")
        profile = ProfileStore(env.config).load().profiles["prod"]
        assert profile.description == "changed elsewhere"
        assert profile.project_id == 1002
        assert_no_secret(app)


async def test_a_settings_change_on_disk_does_not_break_a_request_under_way(env, no_traceback):
    env.fake.inject("slow", delay=2.0)
    env.write()
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("g")
        await pilot.pause(0.3)
        text = env.config.read_text().replace(
            "clipboard_clear_seconds = 30", "clipboard_clear_seconds = 45"
        )
        env.config.write_text(text)
        await wait_until(
            pilot,
            lambda: app.session.settings.clipboard_clear_seconds == 45,
            timeout=10,
            what="the reload",
        )
        await settle(pilot)
        live = app.query_one("#token").live
        assert live is not None and live.token.trusted
        assert not any("unexpected" in n for n in notes(app))
