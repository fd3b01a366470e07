"""The app starts with the default profile selected (issue 15 §2)."""

from __future__ import annotations

from .conftest import Env, notes, profiles_text, settle, widget_text


async def test_the_app_starts_on_the_default_profile(env: Env):
    env.write(
        profiles_text(env.fake.url).replace(
            "token_cache = false", 'token_cache = false\ndefault_profile = "agency"'
        )
    )
    app = env.app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.current == "agency"
        assert "agency" in widget_text(app.query_one("#credential"))


async def test_the_environment_default_wins_and_an_unknown_one_is_said(env: Env, monkeypatch):
    env.write(
        profiles_text(env.fake.url).replace(
            "token_cache = false", 'token_cache = false\ndefault_profile = "agency"'
        )
    )
    monkeypatch.setenv("CSAUTH_PROFILE", "enrich")
    app = env.app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.current == "enrich"

    monkeypatch.setenv("CSAUTH_PROFILE", "nope")
    app = env.app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.current == "prod"  # the first, and said so
        assert "the default profile 'nope' (from $CSAUTH_PROFILE)" in " ".join(notes(app))
