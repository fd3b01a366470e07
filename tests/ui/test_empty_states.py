"""No file, an empty file, a broken file, a file with one bad profile; and secrets that
never reach the screen through a whole session on the demo profiles."""

from __future__ import annotations

from csauth_tui.fake.demo import demo_credentials, demo_profiles_toml
from csauth_tui.fake.server import FakeContentsquare
from csauth_tui.ui.app import make_app

from .conftest import (
    SIZE,
    TODAY,
    assert_no_secret,
    current_token,
    get_token,
    notes,
    profiles_text,
    row_names,
    screen_text,
    settle,
    status,
    widget_text,
)


async def test_missing_file_says_where_it_is_expected_and_what_to_do(env):
    app = env.app()
    env.config.unlink()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        empty = app.query_one("#empty")
        assert empty.display and not app.query_one("#profiles").display
        assert not app.query_one("#detail").display
        text = widget_text(empty)
        assert "No profiles file yet" in text
        assert str(env.config) in text
        assert "csauth add" not in text  # the app's keys, not the CLI's commands
        assert "No profiles file yet" in screen_text(app)
        footer = screen_text(app).splitlines()[-1]
        assert " a Add " in footer and "Get token" not in footer  # only what can be done
        assert "Press a to add your first credential" in text
        for key in ("g", "c", "m", "v", "t", "j", "slash"):  # nothing to act on: no crash
            await pilot.press(key)
        await pilot.pause()
        assert env.fake.requests == []


async def test_file_without_profiles(env):
    env.write("[settings]\nclipboard_clear_seconds = 10\n")
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = widget_text(app.query_one("#empty"))
        assert f"No profiles in {env.config}" in text
        assert "Press a to add one, or i to import" in text and "csauth add" not in text


async def test_syntax_error_shows_path_line_and_column(env):
    env.write(
        '[settings]\nauth_url = "https://api.contentsquare.com"\n\n[profiles.prod\n'
        'level = "project"\n'
    )
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = widget_text(app.query_one("#empty"))
        assert "The profiles file cannot be read" in text
        assert f"{env.config}:4:15: " in text
        assert "nothing was changed" in text
        assert app.query_one("#empty").display
        assert "cannot be read" in screen_text(app)


async def test_one_bad_profile_is_listed_with_its_error_and_the_others_work(env):
    env.write(
        profiles_text(env.fake.url) + '\n[profiles.broken]\nlevel = "galaxy"\n'
        'client_id = "broken-client"\n'
    )
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert row_names(app)[-1] == "broken"
        assert str(app.query_one("#profiles").get_cell("broken", "level")) == "invalid"
        app.main_screen.select_profile("broken")
        await pilot.pause()
        credential = widget_text(app.query_one("#credential"))
        assert "broken: this profile cannot be used" in credential
        assert "level: unknown level 'galaxy'" in credential
        assert "the other profiles still work" in credential
        assert not app.query_one("#token").display
        line = next(row for row in screen_text(app).splitlines() if row.startswith(" broken "))
        assert "invalid" in line
        await pilot.press("g")
        await pilot.pause()
        assert "profile broken cannot be used: press e to fix it" in notes(app)[-1]
        assert env.token_requests() == []

        await pilot.press("k")  # sandbox, a good one
        await get_token(pilot)
        assert current_token(app).profile == "sandbox"


async def test_no_secret_is_ever_shown_in_a_demo_session(tmp_path, monkeypatch, clock):
    """The demo file: five env secrets and one plaintext client_secret in the file."""
    credentials = demo_credentials(TODAY)
    secrets = tuple(c.client_secret for c in credentials)
    monkeypatch.delenv("TMUX", raising=False)
    with FakeContentsquare(credentials) as fake:
        text, env_secrets = demo_profiles_toml(fake.url, today=TODAY)
        for name, value in env_secrets.items():
            monkeypatch.setenv(name, value)
        config = tmp_path / "profiles.toml"
        config.write_text(text)
        assert secrets[-1] in text  # partner-sandbox keeps its secret in the file
        app = make_app(
            config, clock=clock, native_clipboard=False, today=TODAY, cache=False, demo=True
        )
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert app.sub_title.startswith("DEMO")
            assert_no_secret(app, secrets)
            for _ in range(len(credentials)):  # every profile: select, token, /me
                await get_token(pilot)
                await pilot.press("m")
                await settle(pilot)
                assert_no_secret(app, secrets)
                await pilot.press("j")
                await pilot.pause()
            assert "plaintext in the profiles file" in widget_text(app.query_one("#credential"))
            assert app.main_screen.current == "partner-sandbox"
            await pilot.press("v", "c", "h", "u")  # reveal and copy: the token, never a secret
            await pilot.pause()
            assert app.clipboard.startswith("curl ")
            assert not any(s in app.clipboard for s in secrets)
            assert_no_secret(app, secrets)
            await pilot.press("question_mark")
            await pilot.pause()
            assert_no_secret(app, secrets)
            await pilot.press("escape", "ctrl+p")
            await pilot.pause()
            assert_no_secret(app, secrets)
            await pilot.press("escape")
            # failures worded from server answers carry no secret either
            monkeypatch.setenv(next(iter(env_secrets)), "wrong-" + secrets[0])
            app.main_screen.select_profile("prod-metrics")
            await pilot.press("r")
            await settle(pilot)
            assert "Credentials rejected" in status(app)  # in place (and not twice)
            assert_no_secret(app, secrets + ("wrong-" + secrets[0],))
        assert app.clipboard.strip() == ""  # overwritten on quit


async def test_the_secret_check_sees_screen_widgets_and_notifications(env):
    """assert_no_secret must fail on anything a user could read, or it proves nothing."""
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        visible = "prod-client-0001"[:4]  # the masked client_id starts so, on screen
        hidden = "JWT claims"  # not rendered yet: in a widget, not on screen
        app.query_one("#token-status").update("JWT claims")  # a hidden widget
        app.notify("a note that says sentinel-in-a-toast")
        await pilot.pause()
        for shown in (visible, hidden, "sentinel-in-a-toast"):
            try:
                assert_no_secret(app, extra=(shown,))
            except AssertionError:
                continue
            raise AssertionError(f"assert_no_secret missed {shown!r}")
