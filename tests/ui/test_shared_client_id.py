"""Two profiles, one client_id, in the app: a form (add, duplicate, edit) that stores a
different secret for a client_id already in the keyring asks first, naming every profile
that relies on it, tries the new secret with Contentsquare, and on any "no" writes nothing.

Pilot against the fake Contentsquare API on loopback, the in-memory keyring, a token
cache in the test's directory.
"""

from __future__ import annotations

import os

import keyring
import pytest

from csauth_tui.core.store import ProfileStore
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeCredential
from csauth_tui.ui.screens.confirm_secret import ConfirmReplaceSecret
from csauth_tui.ui.screens.profile_form import ProfileForm

from .conftest import (
    SIZE,
    assert_no_secret,
    current_token,
    get_token,
    notes,
    screen_text,
    settle,
    wait_until,
    widget_text,
)
from .test_manage import error_shown, open_form, paste_into, save, save_disabled, select, type_into

SERVICE = "csauth-tui"
CLIENT = "shared-client-0077"
SECRET_A = "sentinel-shared-ui-secret-a-4e1f09"
SECRET_B = "sentinel-shared-ui-secret-b-b27c31"
SECRET_SOLO = "sentinel-shared-ui-secret-solo-8d5a66"
TYPED = (SECRET_A, SECRET_B, SECRET_SOLO)


def shared_file(url: str) -> str:
    return f"""[settings]
auth_url = "{url}"
token_cache = true

[profiles.kp]
level = "project"
client_id = "{CLIENT}"
scopes = ["metrics"]
secret = "keyring"

[profiles.solo]
level = "project"
client_id = "solo-client-0078"
scopes = ["metrics"]
secret = "keyring"
"""


@pytest.fixture
def shared(env, memory_keyring, tmp_path):
    env.fake.add_credential(FakeCredential(CLIENT, SECRET_A, scopes=("metrics",)))
    env.write(shared_file(env.fake.url))
    os.chmod(env.config, 0o600)
    keyring.set_password(SERVICE, CLIENT, SECRET_A)
    keyring.set_password(SERVICE, "solo-client-0078", SECRET_SOLO)
    env.keyring = memory_keyring
    env.cache = TokenCache(tmp_path / "tokens.json", clock=env.clock)
    return env


def stored(world) -> str | None:
    return world.keyring.get_password(SERVICE, CLIENT)


def cached_clients(world) -> list[str]:
    return [t.client_id for t in world.cache.all()]


def dialog(app) -> ConfirmReplaceSecret:
    assert isinstance(app.screen, ConfirmReplaceSecret), f"no dialog (screen: {app.screen!r})"
    return app.screen


def form_status(app) -> str:
    return widget_text(app.screen.query_one("#verify-status"))


async def press_save_and_wait_for_dialog(pilot) -> ConfirmReplaceSecret:
    await pilot.press("ctrl+s")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, ConfirmReplaceSecret),
        what="the replace-secret dialog",
    )
    await pilot.pause()
    return dialog(pilot.app)


async def answer(pilot, button: str) -> None:
    await pilot.click(f"#{button}")
    await pilot.pause()


async def new_kp2(pilot, secret: str) -> None:
    await open_form(pilot)
    await type_into(pilot, "#f-name", "kp2")
    await paste_into(pilot, "#f-client-id", CLIENT)
    await paste_into(pilot, "#f-secret", secret)


async def test_add_with_a_used_client_id_asks_and_cancel_keeps_the_stored_secret(shared):
    app = shared.app(cache=shared.cache)
    before = shared.config.read_text()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "kp")
        await get_token(pilot)
        assert current_token(app).profile == "kp"
        assert cached_clients(shared) == [CLIENT]

        await new_kp2(pilot, SECRET_B)
        asked = await press_save_and_wait_for_dialog(pilot)
        text = screen_text(app)
        assert "Replace the stored secret?" in text
        assert "Used by: kp." in " ".join(text.split())
        assert "They will all use the new secret, and their cached tokens are dropped" in " ".join(
            text.split()
        )
        assert asked.query_one("#keep").has_focus  # the safe answer is the default
        assert_no_secret(app, TYPED)
        requests = len(shared.fake.requests)
        await answer(pilot, "keep")
        await wait_until(pilot, lambda: "not saved" in form_status(app), what="not saved")
        await settle(pilot)

        assert isinstance(app.screen, ProfileForm)  # what was typed is still there
        assert "nothing was saved" in form_status(app)
        assert len(shared.fake.requests) == requests  # not even tried
        assert stored(shared) == SECRET_A
        assert shared.config.read_text() == before
        assert cached_clients(shared) == [CLIENT]
        await pilot.press("escape")
        await pilot.pause()

        # kp still works with its secret (asked anew, not from the cache)
        await pilot.press("r")
        await settle(pilot)
        assert shared.token_requests()[-1].body["client_id"] == CLIENT
        assert current_token(app).profile == "kp"
        assert_no_secret(app, TYPED)


async def test_a_new_secret_the_api_refuses_is_not_stored_unless_replaced_anyway(shared):
    app = shared.app(cache=shared.cache)
    before = shared.config.read_text()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await new_kp2(pilot, SECRET_B)
        await press_save_and_wait_for_dialog(pilot)
        await pilot.click("#replace")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmReplaceSecret) and app.screen.failure is not None,
            what="the refusal",
        )
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Contentsquare refused the new secret" in text
        assert "is kept for: kp" in text
        assert shared.token_requests()[-1].body["client_id"] == CLIENT  # it was tried
        assert_no_secret(app, TYPED)
        await answer(pilot, "keep")
        await wait_until(pilot, lambda: "not saved" in form_status(app), what="not saved")
        assert stored(shared) == SECRET_A
        assert shared.config.read_text() == before

        # shown the refusal, the user may still insist
        await press_save_and_wait_for_dialog(pilot)
        await pilot.click("#replace")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmReplaceSecret) and app.screen.failure is not None,
            what="the refusal",
        )
        await pilot.click("#replace")  # "Replace anyway"
        await wait_until(
            pilot,
            lambda: not isinstance(app.screen, (ProfileForm, ConfirmReplaceSecret)),
            what="the form to close",
        )
        await settle(pilot)
        assert stored(shared) == SECRET_B
        assert "kp2" in ProfileStore(shared.config).load().profiles


async def test_an_accepted_new_secret_replaces_it_for_all_and_drops_their_tokens(shared):
    app = shared.app(cache=shared.cache)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "kp")
        await get_token(pilot)
        assert cached_clients(shared) == [CLIENT]
        # rotated in the console: B is the secret now
        shared.fake.add_credential(FakeCredential(CLIENT, SECRET_B, scopes=("metrics",)))

        await new_kp2(pilot, SECRET_B)
        await press_save_and_wait_for_dialog(pilot)
        await pilot.click("#replace")
        await wait_until(
            pilot,
            lambda: not isinstance(app.screen, (ProfileForm, ConfirmReplaceSecret)),
            what="the form to close",
        )
        await settle(pilot)

        assert stored(shared) == SECRET_B
        assert list(ProfileStore(shared.config).load().profiles) == ["kp", "solo", "kp2"]
        assert cached_clients(shared) == []
        assert "profile kp2 added" in notes(app)[-1]
        await select(pilot, "kp")
        assert current_token(app) is None  # the token fetched with A is gone from view too
        await get_token(pilot)
        assert current_token(app).profile == "kp"
        assert_no_secret(app, TYPED)


async def test_duplicate_and_edit_ask_too_and_the_same_secret_does_not(shared):
    app = shared.app(cache=shared.cache)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "kp")
        await open_form(pilot, "d")
        await paste_into(pilot, "#f-secret", SECRET_B)
        await press_save_and_wait_for_dialog(pilot)
        assert "Used by: kp." in " ".join(screen_text(app).split())
        await answer(pilot, "keep")
        await wait_until(pilot, lambda: "not saved" in form_status(app), what="not saved")
        await pilot.press("escape")
        await pilot.pause()

        await open_form(pilot, "e")
        await paste_into(pilot, "#f-secret", SECRET_B)
        await press_save_and_wait_for_dialog(pilot)
        await pilot.press("escape")  # escape is "keep" too
        await wait_until(pilot, lambda: "not saved" in form_status(app), what="not saved")
        assert stored(shared) == SECRET_A
        await pilot.press("escape")
        await pilot.pause()

        # typing the secret already stored is no replacement: no question
        await open_form(pilot, "d")
        await paste_into(pilot, "#f-secret", SECRET_A)
        await save(pilot)
        assert "kp-copy" in ProfileStore(shared.config).load().profiles
        assert stored(shared) == SECRET_A

        # moving a profile to the used client_id without typing a secret: it uses the
        # stored one; its own secret stays under its old client_id: nothing is replaced
        await select(pilot, "solo")
        await open_form(pilot, "e")
        await paste_into(pilot, "#f-client-id", CLIENT)
        await save(pilot)
        assert stored(shared) == SECRET_A
        assert shared.keyring.get_password(SERVICE, "solo-client-0078") == SECRET_SOLO
        assert ProfileStore(shared.config).load().profiles["solo"].client_id == CLIENT
        assert_no_secret(app, TYPED)


async def test_form_name_and_date_rules(shared):
    app = shared.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await paste_into(pilot, "#f-client-id", "new-client")
        await paste_into(pilot, "#f-secret", SECRET_B)
        for name, reason in (
            ("café", "ASCII letters, digits, '-' and '_' only"),
            ("x" * 65, "at most 64 characters (65 now)"),
            ("KP", "differs from 'kp' only by case"),
        ):
            await type_into(pilot, "#f-name", name)
            assert reason in error_shown(app, "name"), name
            assert save_disabled(app)
        await type_into(pilot, "#f-name", "x" * 64)
        assert error_shown(app, "name") == ""
        await type_into(pilot, "#f-created", "2999-01-01")
        assert "2999-01-01 is in the future" in error_shown(app, "created")
        assert save_disabled(app)
        await type_into(pilot, "#f-created", "2026-01-15")
        assert error_shown(app, "created") == ""
        assert not save_disabled(app)


async def test_an_invalid_profile_opens_in_the_form_to_be_fixed(shared):
    shared.write(
        shared_file(shared.fake.url)
        + """
[profiles.broken]
level = "project"
client_id = "prod-client-0001"
scopes = ["metrics"]
project_id = 0
secret = "env:CS_UI_PROD_SECRET"
created = 2999-01-01
description = "kept as typed"
"""
    )
    app = shared.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "broken")
        f = await open_form(pilot, "e")
        assert "Fix broken" in screen_text(app)
        assert f.query_one("#f-client-id").value == "prod-client-0001"
        assert f.query_one("#f-project").value == "0"
        assert f.query_one("#f-created").value == "2999-01-01"
        assert f.query_one("#f-source-arg").value == "CS_UI_PROD_SECRET"
        assert f.query_one("#f-description").value == "kept as typed"
        assert save_disabled(app)
        await type_into(pilot, "#f-project", "")
        await type_into(pilot, "#f-created", "2025-06-01")
        await save(pilot)

        fixed = ProfileStore(shared.config).load()
        assert fixed.errors_for("broken") == []
        profile = fixed.profiles["broken"]
        assert (profile.project_id, str(profile.created), profile.description) == (
            None,
            "2025-06-01",
            "kept as typed",
        )
        await get_token(pilot)
        assert current_token(app).profile == "broken"
