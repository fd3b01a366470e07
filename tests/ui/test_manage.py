"""Managing profiles from the app: add, edit, rename, duplicate, delete, verify, import,
and another process changing the profiles file while the app is open.

Real fake Contentsquare API on loopback, secrets in the in-memory keyring; each test checks
what a user would: the file on disk (and its comments), the keyring, the table, what the
screen shows, and that a token can be fetched with the result.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import keyring
import pytest
from textual import events

from csauth_tui.core.errors import StoreError
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeCredential
from csauth_tui.ui.screens.confirm_delete import ConfirmDelete
from csauth_tui.ui.screens.import_screen import ImportScreen
from csauth_tui.ui.screens.profile_form import ProfileForm

from .conftest import (
    SIZE,
    assert_no_secret,
    current_token,
    get_token,
    notes,
    row_names,
    screen_text,
    settle,
    wait_until,
    widget_text,
)

SERVICE = "csauth-tui"
TEAM_SECRET = "sentinel-manage-team-secret-51c0de"
NEW_SECRET = "sentinel-manage-new-secret-a7f302"
ACCT_SECRET = "sentinel-manage-acct-secret-0be9d4"
OTHER_SECRET = "sentinel-manage-other-secret-6d2f18"
TYPED = (TEAM_SECRET, NEW_SECRET, ACCT_SECRET, OTHER_SECRET)

EXTRA_CREDENTIALS = (
    FakeCredential(
        "team-client-0010",
        TEAM_SECRET,
        level="project",
        project_ids=(1002,),
        scopes=("metrics", "data-export", "enrichment"),
        name="Team dashboards",
    ),
    FakeCredential(
        "new-client-0020",
        NEW_SECRET,
        level="project",
        project_ids=(1003,),
        scopes=("metrics", "data-export", "surveys", "enrichment"),
        name="New",
    ),
    FakeCredential(
        "acct-client-0030",
        ACCT_SECRET,
        level="account",
        project_ids=(1001, 1002, 1003),
        scopes=("metrics", "data-export"),
        name="Agency all projects",
    ),
    FakeCredential(
        "other-client-0040",
        OTHER_SECRET,
        level="project",
        project_ids=(1004,),
        scopes=("metrics",),
        name="Other",
    ),
)


def team_file(url: str, *, token_cache: bool = False) -> str:
    """A hand-kept file: comments everywhere, a keyring profile in the middle."""
    return f"""# team credentials, kept by hand
[settings]
auth_url = "{url}"  # the fake API
token_cache = {"true" if token_cache else "false"}

# the nightly BI job: ask Dana before rotating
[profiles.prod]  # production
level = "project"
client_id = "prod-client-0001"
scopes = ["metrics"]
project_id = 1001
secret = "env:CS_UI_PROD_SECRET"
description = "BI sync"

# dashboards of the team; secret in the OS keyring
[profiles.team]
level = "project"
client_id = "team-client-0010"  # rotated in January
scopes = ["metrics"]
secret = "keyring"
created = 2026-01-15
description = "team dashboards"

[profiles.agency]
level = "account"
client_id = "agency-client-0003"
scopes = ["metrics"]
project_id = 1002
secret = "env:CS_UI_AGENCY_SECRET"
# end of the file
"""


@pytest.fixture
def world(env, memory_keyring):
    """The team file, the extra credentials known to the fake API, team's secret in the
    (in-memory) keyring."""
    for cred in EXTRA_CREDENTIALS:
        env.fake.add_credential(cred)
    env.write(team_file(env.fake.url))
    os.chmod(env.config, 0o600)
    keyring.set_password(SERVICE, "team-client-0010", TEAM_SECRET)
    env.keyring = memory_keyring
    return env


def in_keyring(world) -> dict[str, str]:
    return {
        user: value for (service, user), value in world.keyring.store.items() if service == SERVICE
    }


def saved(world):
    return ProfileStore(world.config).load()


def table_block(text: str, name: str) -> str:
    """The lines of [profiles.NAME], from its header to its last key."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"[profiles.{name}]"))
    end = start + 1
    while end < len(lines) and not lines[end].startswith(("[", "#", "\n")):
        end += 1
    return "".join(lines[start:end])


# --- driving the form like a user ---------------------------------------------------------


def form(app) -> ProfileForm:
    assert isinstance(app.screen, ProfileForm), f"no form open (screen: {app.screen!r})"
    return app.screen


async def open_form(pilot, key: str = "a") -> ProfileForm:
    await pilot.press(key)
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ProfileForm), what="the profile form"
    )
    await pilot.pause()
    return form(pilot.app)


async def type_into(pilot, selector: str, text: str) -> None:
    """Focus a field of the form, erase what it holds, type `text` key by key."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    await pilot.press("home", "ctrl+k")
    if text:
        await pilot.press(*text)
    await pilot.pause()


async def paste_into(pilot, selector: str, text: str) -> None:
    """Focus a field, erase it, paste `text` (as a terminal's bracketed paste arrives):
    how secrets and client IDs are entered, copied from the console."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    await pilot.press("home", "ctrl+k")
    widget.post_message(events.Paste(text))
    await pilot.pause()
    assert widget.value == text


async def choose(pilot, selector: str, value) -> None:
    """Focus a Select of the form and pick `value`."""
    select = pilot.app.screen.query_one(selector)
    select.focus()
    await pilot.pause()
    select.value = value
    await pilot.pause()


async def toggle_scope(pilot, index: int) -> None:
    picker = pilot.app.screen.query_one("#f-scopes")
    picker.focus()
    picker.highlighted = index  # metrics, data-export, enrichment, surveys, speed-analysis
    await pilot.press("space")
    await pilot.pause()


async def save(pilot, *, click: bool = False) -> None:
    """Save and wait for the form to close."""
    if click:
        await pilot.click("#save")
    else:
        await pilot.press("ctrl+s")
    await wait_until(
        pilot,
        lambda: not isinstance(pilot.app.screen, ProfileForm),
        what="the form to close after Save",
    )
    await settle(pilot)


def error_shown(app, key: str) -> str:
    """The reason shown next to a field ('' when none is shown)."""
    label = app.screen.query_one(f"#e-{key}")
    return widget_text(label) if label.display else ""


def save_disabled(app) -> bool:
    return app.screen.query_one("#save").disabled


async def fill_valid_new(pilot, name: str = "fresh") -> None:
    await type_into(pilot, "#f-name", name)
    await paste_into(pilot, "#f-client-id", "new-client-0020")
    await paste_into(pilot, "#f-secret", NEW_SECRET)


# --- add ------------------------------------------------------------------------------------


async def test_add_profile_stores_the_secret_in_the_keyring_and_gets_a_token(world):
    app = world.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        f = await open_form(pilot)
        assert "Add a profile" in screen_text(app)
        await type_into(pilot, "#f-name", "reporting")
        await choose(pilot, "#f-level", "project")
        await paste_into(pilot, "#f-client-id", "new-client-0020")
        # scopes: metrics is ticked; enrichment clears it, data-export then clears enrichment
        await toggle_scope(pilot, 2)
        assert f.query_one("#f-scopes").selected == ["enrichment"]
        assert (
            "enrichment cannot be combined with other scopes: the others were cleared"
            in notes(app)[-1]
        )
        await toggle_scope(pilot, 1)
        assert f.query_one("#f-scopes").selected == ["data-export"]
        assert "enrichment cannot be combined with other scopes: it was cleared" in notes(app)[-1]
        await toggle_scope(pilot, 3)
        assert f.query_one("#f-scopes").selected == ["data-export", "surveys"]
        await type_into(pilot, "#f-project", "1003")
        await type_into(pilot, "#f-secret", NEW_SECRET)  # key by key
        await type_into(pilot, "#f-created", "2026-02-10")
        await type_into(pilot, "#f-description", "weekly reporting")
        assert not save_disabled(app)
        assert_no_secret(app, TYPED)  # the password field shows dots only
        await save(pilot, click=True)

        profile = saved(world).profiles["reporting"]
        assert (
            profile.level,
            profile.client_id,
            profile.scopes,
            profile.project_id,
            profile.secret.text,
            str(profile.created),
            profile.description,
        ) == (
            "project",
            "new-client-0020",
            ("data-export", "surveys"),
            1003,
            "keyring",
            "2026-02-10",
            "weekly reporting",
        )
        assert in_keyring(world)["new-client-0020"] == NEW_SECRET
        assert NEW_SECRET not in world.config.read_text()
        assert "reporting" in row_names(app)
        assert app.query_one("#profiles").selected_name == "reporting"
        assert "profile reporting added" in notes(app)[-1]
        assert not any("changed on disk" in n for n in notes(app))  # our own write is no news
        assert_no_secret(app, TYPED)

        await get_token(pilot)
        token = current_token(app)
        assert token is not None and token.profile == "reporting"
        sent = world.token_requests()[-1].body
        assert (sent["client_id"], sent["scope"]) == ("new-client-0020", "data-export surveys")
        assert_no_secret(app, TYPED)


async def test_tab_moves_from_field_to_field(world):
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        assert app.focused is f.query_one("#f-name")
        await pilot.press("tab")
        assert app.focused is f.query_one("#f-level")
        await pilot.press("tab")
        assert app.focused is f.query_one("#f-client-id")
        await pilot.press("shift+tab")
        assert app.focused is f.query_one("#f-level")


# --- validation -----------------------------------------------------------------------------


async def _bad_name(pilot):
    await type_into(pilot, "#f-name", "fresh one!")


async def _duplicate_name(pilot):
    await type_into(pilot, "#f-name", "team")


async def _no_client_id(pilot):
    await type_into(pilot, "#f-client-id", "")


async def _account_without_project(pilot):
    await choose(pilot, "#f-level", "account")


async def _project_not_a_number(pilot):
    await type_into(pilot, "#f-project", "abc")  # the field refuses letters...
    assert pilot.app.screen.query_one("#f-project").value == ""
    await type_into(pilot, "#f-project", "-12")  # ...and a negative number is refused


async def _bad_created(pilot):
    await type_into(pilot, "#f-created", "2026-02-30")


async def _env_without_variable(pilot):
    await choose(pilot, "#f-source", "env")


async def _keyring_without_secret(pilot):
    await type_into(pilot, "#f-secret", "")


INVALID = [
    pytest.param(_bad_name, "name", "letters, digits, '-' and '_' only", id="bad-name"),
    pytest.param(_duplicate_name, "name", "'team' already exists", id="duplicate-name"),
    pytest.param(_no_client_id, "client_id", "missing client_id", id="missing-client-id"),
    pytest.param(
        _account_without_project,
        "project_id",
        "required for account-level credentials",
        id="account-without-project",
    ),
    pytest.param(
        _project_not_a_number, "project_id", "a positive whole number", id="project-not-a-number"
    ),
    pytest.param(_bad_created, "created", "a date like 2026-01-15", id="bad-created"),
    pytest.param(
        _env_without_variable, "secret", "the variable name is required", id="env-without-variable"
    ),
    pytest.param(
        _keyring_without_secret, "secret", "type the client secret", id="keyring-without-secret"
    ),
]


@pytest.mark.parametrize(("break_it", "field", "reason"), INVALID)
async def test_an_invalid_field_disables_save_and_says_why_next_to_it(
    world, break_it, field, reason
):
    app = world.app()
    before = world.config.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        assert save_disabled(app)  # empty form
        assert not any(error_shown(app, key) for key in ("name", "client_id", "secret"))
        await fill_valid_new(pilot)
        assert not save_disabled(app), "a valid form can be saved"
        assert error_shown(app, field) == ""

        await break_it(pilot)
        assert save_disabled(app)
        assert reason in error_shown(app, field)
        assert reason in screen_text(app)
        # ctrl+s does not save either: the form stays, the file is untouched
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is f
        assert "fix the fields marked in red first" in notes(app)[-1]
    assert world.config.read_bytes() == before
    assert set(in_keyring(world)) == {"team-client-0010"}


async def test_errors_of_untouched_fields_show_after_pressing_save(world):
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await type_into(pilot, "#f-name", "fresh")
        assert error_shown(app, "client_id") == "" and error_shown(app, "secret") == ""
        assert "to save, complete: client ID, secret" in screen_text(app)
        await pilot.click("#save")  # disabled: nothing happens
        await pilot.pause()
        assert error_shown(app, "client_id") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "missing client_id" in error_shown(app, "client_id")
        assert "type the client secret" in error_shown(app, "secret")
        assert isinstance(app.screen, ProfileForm)


# --- cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["escape", "button"])
async def test_cancel_writes_nothing(world, how):
    app = world.app()
    before = world.config.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await fill_valid_new(pilot)
        if how == "escape":
            await pilot.press("escape")
        else:
            await pilot.click("#cancel")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, ProfileForm), what="the form to close"
        )
        await settle(pilot)
        assert row_names(app) == ["prod", "team", "agency"]
        assert_no_secret(app, TYPED)
    assert world.config.read_bytes() == before
    assert set(in_keyring(world)) == {"team-client-0010"}


# --- secret sources -------------------------------------------------------------------------


async def test_plaintext_source_warns_and_writes_the_secret_in_the_file(world):
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await type_into(pilot, "#f-name", "plain")
        await paste_into(pilot, "#f-client-id", "new-client-0020")
        await choose(pilot, "#f-source", "plaintext")
        await paste_into(pilot, "#f-secret", NEW_SECRET)
        assert "the secret will be stored in the profiles file in plaintext" in screen_text(app)
        assert_no_secret(app, TYPED)
        await save(pilot)

        assert f'client_secret = "{NEW_SECRET}"' in table_block(world.config.read_text(), "plain")
        assert saved(world).profiles["plain"].secret.text == "plaintext"
        assert stat.S_IMODE(world.config.stat().st_mode) == 0o600
        assert "new-client-0020" not in in_keyring(world)
        assert_no_secret(app, TYPED)
        await get_token(pilot)
        assert current_token(app).profile == "plain"


@pytest.mark.parametrize(
    ("source", "arg", "written"),
    [
        ("env", "CS_NEW_SECRET", 'secret = "env:CS_NEW_SECRET"'),
        ("cmd", "printenv CS_NEW_SECRET", 'secret = "cmd:printenv CS_NEW_SECRET"'),
    ],
)
async def test_env_and_cmd_sources_write_the_reference_only(
    world, monkeypatch, source, arg, written
):
    monkeypatch.setenv("CS_NEW_SECRET", NEW_SECRET)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        await type_into(pilot, "#f-name", "elsewhere")
        await paste_into(pilot, "#f-client-id", "new-client-0020")
        await choose(pilot, "#f-source", source)
        assert not f.query_one("#f-secret").display  # no secret to type here
        await type_into(pilot, "#f-source-arg", arg)
        await save(pilot)

        block = table_block(world.config.read_text(), "elsewhere")
        assert written in block
        assert "client_secret" not in block and NEW_SECRET not in world.config.read_text()
        assert set(in_keyring(world)) == {"team-client-0010"}  # nothing stored
        await get_token(pilot)
        assert current_token(app).profile == "elsewhere"
        assert_no_secret(app, TYPED)


# --- edit, rename, duplicate ----------------------------------------------------------------


async def select(pilot, name: str) -> None:
    pilot.app.main_screen.select_profile(name)
    await pilot.pause()
    assert pilot.app.main_screen.current == name


async def test_edit_touches_only_that_profile_and_keeps_the_stored_secret(world):
    app = world.app()
    before = world.config.read_text()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "team")
        f = await open_form(pilot, "e")
        assert "Edit team" in screen_text(app)
        assert f.query_one("#f-name").value == "team"
        assert f.query_one("#f-client-id").value == "team-client-0010"
        assert f.query_one("#f-secret").value == ""
        assert "leave empty to keep the stored secret" in screen_text(app)
        assert not save_disabled(app)
        await type_into(pilot, "#f-description", "team dashboards, weekly")
        await toggle_scope(pilot, 1)  # + data-export
        await save(pilot)

        after = world.config.read_text()
        profile = saved(world).profiles["team"]
        assert profile.description == "team dashboards, weekly"
        assert profile.scopes == ("metrics", "data-export")
        # everything outside [profiles.team] is byte-identical, comments included
        block_before, block_after = table_block(before, "team"), table_block(after, "team")
        assert after.replace(block_after, "") == before.replace(block_before, "")
        assert '"team-client-0010"  # rotated in January' in block_after
        assert in_keyring(world) == {"team-client-0010": TEAM_SECRET}
        assert app.main_screen.current == "team"
        assert "profile team saved" in notes(app)[-1]
        assert not any("changed on disk" in n for n in notes(app))
        await get_token(pilot)
        assert current_token(app).profile == "team"
        assert world.token_requests()[-1].body["scope"] == "metrics data-export"


async def test_rename_keeps_place_comments_and_the_secret_reachable(world):
    app = world.app()
    before = world.config.read_text()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "team")
        await open_form(pilot, "e")
        await type_into(pilot, "#f-name", "dashboards")
        await save(pilot)

        after = world.config.read_text()
        assert "[profiles.team]" not in after
        # the same table, same place, same comments: only its header line changed
        assert after == before.replace("[profiles.team]\n", "[profiles.dashboards]\n")
        assert list(saved(world).profiles) == ["prod", "dashboards", "agency"]
        assert row_names(app) == ["prod", "dashboards", "agency"]
        assert app.query_one("#profiles").selected_name == "dashboards"
        assert "profile dashboards saved" in notes(app)[-1]
        await get_token(pilot)
        token = current_token(app)
        assert token is not None and token.profile == "dashboards"
        assert world.token_requests()[-1].body["client_id"] == "team-client-0010"


async def test_new_client_id_without_typing_a_secret_carries_the_secret_over(world):
    world.fake.add_credential(FakeCredential("team-client-0011", TEAM_SECRET, project_ids=(1002,)))
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "team")
        await open_form(pilot, "e")
        await paste_into(pilot, "#f-client-id", "team-client-0011")
        assert not save_disabled(app), "the stored secret goes with the new client ID"
        await save(pilot)

        assert saved(world).profiles["team"].client_id == "team-client-0011"
        assert in_keyring(world)["team-client-0011"] == TEAM_SECRET
        await get_token(pilot)
        assert current_token(app).profile == "team"
        assert world.token_requests()[-1].body["client_id"] == "team-client-0011"
        assert_no_secret(app, TYPED)


async def test_moving_a_plaintext_secret_to_the_keyring_without_retyping_it(world):
    ProfileStore(world.config).add(
        "plain",
        {"level": "project", "client_id": "other-client-0040", "client_secret": OTHER_SECRET},
    )
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "plain")
        f = await open_form(pilot, "e")
        assert f.query_one("#f-source").value == "plaintext"
        await choose(pilot, "#f-source", "keyring")
        assert not save_disabled(app)
        await save(pilot)

        assert OTHER_SECRET not in world.config.read_text()
        assert saved(world).profiles["plain"].secret.text == "keyring"
        assert in_keyring(world)["other-client-0040"] == OTHER_SECRET
        await get_token(pilot)
        assert current_token(app).profile == "plain"


async def test_duplicate_makes_a_working_copy(world):
    app = world.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "team")
        f = await open_form(pilot, "d")
        assert "Duplicate team" in screen_text(app)
        assert f.query_one("#f-name").value == "team-copy"
        assert not save_disabled(app)
        await save(pilot)

        profiles = saved(world).profiles
        original, copy = profiles["team"], profiles["team-copy"]
        for attr in (
            "level",
            "client_id",
            "scopes",
            "project_id",
            "secret",
            "created",
            "description",
        ):
            assert getattr(copy, attr) == getattr(original, attr), attr
        assert row_names(app) == ["prod", "team", "agency", "team-copy"]
        assert app.query_one("#profiles").selected_name == "team-copy"
        assert "profile team-copy added" in notes(app)[-1]
        await get_token(pilot)
        assert current_token(app).profile == "team-copy"

        await select(pilot, "team")  # a second copy gets a name of its own
        f = await open_form(pilot, "d")
        assert f.query_one("#f-name").value == "team-copy-copy"


# --- delete ---------------------------------------------------------------------------------


async def open_delete(pilot, key: str) -> ConfirmDelete:
    await pilot.press(key)
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ConfirmDelete), what="the delete confirmation"
    )
    await pilot.pause()
    return pilot.app.screen


@pytest.mark.parametrize("how", ["escape", "button"])
async def test_delete_asks_first_and_cancel_keeps_the_profile(world, how):
    app = world.app()
    before = world.config.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "team")
        await open_delete(pilot, "x")
        text = screen_text(app)
        assert "Delete profile 'team'?" in text
        assert "also delete its secret from the keyring" in text
        assert "also forget its cached tokens" in text
        if how == "escape":
            await pilot.press("escape")
        else:
            await pilot.click("#cancel")
        await wait_until(
            pilot,
            lambda: not isinstance(app.screen, ConfirmDelete),
            what="the confirmation to close",
        )
        await settle(pilot)
        assert row_names(app) == ["prod", "team", "agency"]
        assert app.main_screen.current == "team"
    assert world.config.read_bytes() == before
    assert in_keyring(world) == {"team-client-0010": TEAM_SECRET}


async def test_delete_with_its_secret_and_cached_tokens(world, tmp_path):
    world.write(team_file(world.fake.url, token_cache=True))
    cache = TokenCache(tmp_path / "tokens" / "tokens.json", clock=world.clock)
    before = world.config.read_text()
    app = world.app(cache=cache)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "team")
        await get_token(pilot)
        await select(pilot, "prod")
        await get_token(pilot)
        assert {t.client_id for t in cache.all()} == {"team-client-0010", "prod-client-0001"}

        await select(pilot, "team")
        dialog = await open_delete(pilot, "delete")
        assert dialog.query_one("#delete-secret").value is True
        assert dialog.query_one("#forget-tokens").value is True
        await pilot.click("#delete")
        await wait_until(pilot, lambda: "team" not in row_names(app), what="team to go")
        await settle(pilot)

        assert row_names(app) == ["prod", "agency"]
        assert "team" not in saved(world).order
        after = world.config.read_text()
        assert "[profiles.team]" not in after
        assert "# dashboards of the team" not in after  # its own comment went with it
        for name in ("prod", "agency"):
            assert table_block(after, name) == table_block(before, name)
        assert "# team credentials, kept by hand" in after
        assert in_keyring(world) == {}
        assert {t.client_id for t in cache.all()} == {"prod-client-0001"}
        assert (
            "profile team deleted (keyring entry deleted; 1 cached token(s) forgotten)"
            in notes(app)[-1]
        )


async def test_delete_keeps_a_keyring_entry_another_profile_uses(world):
    ProfileStore(world.config).add(
        "team-backup", {"level": "project", "client_id": "team-client-0010", "secret": "keyring"}
    )
    app = world.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "team")
        dialog = await open_delete(pilot, "x")
        box = dialog.query_one("#delete-secret")
        assert box.value is False and box.disabled
        assert "also delete its secret from the keyring" in screen_text(app)
        assert "(kept: also used by team-backup)" in screen_text(app)
        await pilot.click("#delete")
        await wait_until(pilot, lambda: "team" not in row_names(app), what="team to go")
        await settle(pilot)

        assert list(saved(world).profiles) == ["prod", "agency", "team-backup"]
        assert in_keyring(world) == {"team-client-0010": TEAM_SECRET}
        assert "keyring entry deleted" not in notes(app)[-1]
        await select(pilot, "team-backup")
        await get_token(pilot)
        assert current_token(app).profile == "team-backup"


# --- verify ---------------------------------------------------------------------------------


def verify_status(app) -> str:
    return widget_text(app.screen.query_one("#verify-status"))


async def press_verify(pilot) -> None:
    await pilot.click("#verify")
    await wait_until(
        pilot,
        lambda: (
            "verified" in verify_status(pilot.app) or "Verify needs" in verify_status(pilot.app)
        ),
        what="the /me answer",
    )
    await pilot.pause()


async def test_verify_fills_level_and_the_project_pick_list_from_me(world):
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        await type_into(pilot, "#f-name", "agency-all")
        await paste_into(pilot, "#f-client-id", "acct-client-0030")
        await paste_into(pilot, "#f-secret", ACCT_SECRET)
        await press_verify(pilot)

        assert "verified: Contentsquare accepted these credentials" in verify_status(app)
        assert "not verified" not in verify_status(app)
        assert "3 project(s): pick one below the project ID" in screen_text(app)
        me = [r for r in world.fake.requests if r.path == "/v1/oauth/me"]
        assert len(me) == 1 and me[0].body["client_id"] == "acct-client-0030"
        assert f.query_one("#f-level").value == "account"  # /me said so
        assert save_disabled(app)  # account-level: a project is needed now
        pick = f.query_one("#f-project-pick")
        assert pick.display
        # pick the second project with the keyboard
        pick.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert f.query_one("#f-project").value == "1002"
        assert not save_disabled(app)
        assert_no_secret(app, TYPED)
        await save(pilot)

        profile = saved(world).profiles["agency-all"]
        assert (profile.level, profile.project_id) == ("account", 1002)
        await get_token(pilot)
        assert world.token_requests()[-1].body["project_id"] == 1002
        assert current_token(app).profile == "agency-all"


async def test_verify_with_a_wrong_secret_says_not_verified_and_keeps_the_form(world):
    app = world.app()
    wrong = "sentinel-manage-wrong-secret-93aa10"
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        await type_into(pilot, "#f-name", "agency-all")
        await paste_into(pilot, "#f-client-id", "acct-client-0030")
        await paste_into(pilot, "#f-secret", wrong)
        await press_verify(pilot)

        assert "not verified" in verify_status(app)
        assert app.screen is f
        assert f.query_one("#f-level").value == "project"  # nothing filled from a refusal
        assert not f.query_one("#f-project-pick").display
        assert f.query_one("#f-client-id").value == "acct-client-0030"
        assert_no_secret(app, (*TYPED, wrong))
    assert "agency-all" not in saved(world).profiles


# --- a save that fails --------------------------------------------------------------------


async def test_a_failed_save_keeps_the_form_and_what_was_typed(world, monkeypatch):
    real_add = ProfileStore.add
    disk_full = [True]

    def add(self, name, fields, **kwargs):
        if disk_full[0]:
            raise StoreError(f"cannot write {self.path.name}: disk full; nothing was written")
        return real_add(self, name, fields, **kwargs)

    monkeypatch.setattr(ProfileStore, "add", add)
    app = world.app()
    before = world.config.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        f = await open_form(pilot)
        await fill_valid_new(pilot)
        await type_into(pilot, "#f-description", "kept after a failure")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: "not saved" in verify_status(app), what="the failure to show"
        )
        await settle(pilot)

        assert app.screen is f
        assert (
            "not saved: cannot write profiles.toml: disk full; nothing was written"
            in verify_status(app)
        )
        assert "not saved: cannot write profiles.toml: disk full" in screen_text(app)
        assert f.query_one("#f-name").value == "fresh"
        assert f.query_one("#f-client-id").value == "new-client-0020"
        assert f.query_one("#f-description").value == "kept after a failure"
        assert f.query_one("#f-secret").value == NEW_SECRET  # no need to type it again
        assert not save_disabled(app)  # the user can try again
        assert_no_secret(app, TYPED)
        # the profile was not written, so its new keyring entry was not left behind
        assert world.keyring.get_password("csauth-tui", "new-client-0020") is None

        disk_full[0] = False  # the disk has room again: the same form now saves
        await save(pilot)
        assert saved(world).profiles["fresh"].description == "kept after a failure"
        assert world.keyring.get_password("csauth-tui", "new-client-0020") == NEW_SECRET
    assert world.config.read_bytes() != before


# --- another process changes the file -------------------------------------------------------


def cli_add(world, name: str, client_id: str, var: str) -> None:
    """`csauth add` in a second process, on the same profiles file."""
    child_env = {**os.environ, "CSAUTH_CONFIG": str(world.config)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csauth_tui.cli",
            "add",
            name,
            "--level",
            "project",
            "--client-id",
            client_id,
            "--secret",
            f"env:{var}",
        ],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr


async def test_a_second_process_adds_a_profile_while_the_app_is_open(world, monkeypatch):
    monkeypatch.setenv("CS_OTHER_SECRET", OTHER_SECRET)
    app = world.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(pilot, "agency")
        await asyncio.to_thread(cli_add, world, "other", "other-client-0040", "CS_OTHER_SECRET")
        await wait_until(
            pilot,
            lambda: "other" in row_names(app),
            timeout=30,
            what="the app to notice the other process's profile",
        )
        await pilot.pause()
        assert row_names(app) == ["prod", "team", "agency", "other"]
        assert app.main_screen.current == "agency"
        assert app.query_one("#profiles").selected_name == "agency"
        assert any("the profiles file changed on disk: reloaded" in n for n in notes(app))

        # the app writes next: the other process's profile stays
        await open_form(pilot)
        await fill_valid_new(pilot)
        # ...and one more arrives while the form is open
        await asyncio.to_thread(cli_add, world, "other2", "other-client-0041", "CS_OTHER_SECRET")
        await save(pilot)
        assert list(saved(world).profiles) == ["prod", "team", "agency", "other", "other2", "fresh"]
        assert row_names(app) == ["prod", "team", "agency", "other", "other2", "fresh"]
        assert "# the nightly BI job: ask Dana before rotating" in world.config.read_text()

        await select(pilot, "other")  # the other process's profile works here too
        await get_token(pilot)
        assert current_token(app).profile == "other"


# --- import ---------------------------------------------------------------------------------


def team_csv(path, secret: str) -> None:
    path.write_text(
        "name,level,client_id,project_id,scopes,created,description,client_secret\n"
        f"imp-good,project,new-client-0020,,metrics data-export,2026-02-01,imported,{secret}\n"
        "imp-env,project,other-client-0040,,metrics,,no secret in the file,\n"
        "bad name!,project,x-0001,,metrics,,,\n"
        "imp-noid,project,,,metrics,,,\n"
        "team,project,team-client-0099,,metrics,,,\n"
        "imp-date,project,x-0002,,metrics,2026-13-01,,\n"
    )


async def test_import_a_csv_in_the_app(world, tmp_path):
    source = tmp_path / "team.csv"
    team_csv(source, NEW_SECRET)
    before = world.config.read_text()
    app = world.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("i")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ImportScreen), what="the import screen"
        )
        await paste_into(pilot, "#import-path", str(source))
        await pilot.click("#preview")
        await pilot.pause()

        table = app.screen.query_one("#import-preview")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[:3] for row in rows] == [
            ["line 2", "imp-good", "add"],
            ["line 3", "imp-env", "add"],
            ["line 4", "bad name!", "reject"],
            ["line 5", "imp-noid", "reject"],
            ["line 6", "team", "skip"],
            ["line 7", "imp-date", "reject"],
        ]
        why = {row[1]: row[4] for row in rows}
        assert "letters, digits, '-' and '_' only" in why["bad name!"]
        assert "missing client_id" in why["imp-noid"]
        assert "a profile with this name exists" in why["team"]
        assert "created is not a date like 2026-01-15" in why["imp-date"]
        assert "2026-13-01" not in why["imp-date"]
        assert "2 to import, 4 not (see why below)" in screen_text(app)
        assert_no_secret(app, TYPED)

        await pilot.click("#import")
        await wait_until(pilot, lambda: "imp-good" in row_names(app), what="the import")
        await settle(pilot)

    after = world.config.read_text()
    assert after.startswith(before)  # every line and comment kept; new tables appended
    profiles = saved(world).profiles
    assert list(profiles) == ["prod", "team", "agency", "imp-good", "imp-env"]
    assert profiles["imp-good"].secret.text == "keyring"
    assert profiles["imp-good"].scopes == ("metrics", "data-export")
    assert str(profiles["imp-good"].created) == "2026-02-01"
    assert profiles["team"].client_id == "team-client-0010"  # not overwritten
    assert in_keyring(world)["new-client-0020"] == NEW_SECRET
    assert NEW_SECRET not in after
    summary = next(n for n in notes(app) if "imported" in n)
    assert "imported 2 profile(s); 4 not imported" in summary
    assert "imp-good: secret stored in the keyring" in summary
    assert NEW_SECRET not in summary
