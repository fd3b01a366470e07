"""Hostile text in the app (Pilot, real HTTP to the fake API on loopback): a description
holding OSC 52, a server's errorMessage, /me project names and JWT claims holding escape
sequences are shown as escapes, never handed to the terminal raw. tests/escscan.py scans
every frame the app draws in every test; these tests also look for the escapes shown."""

from __future__ import annotations

import base64
import json
import re

from .conftest import (
    SIZE,
    all_widget_text,
    get_token,
    notes,
    profiles_text,
    settle,
    status,
    toasts,
    widget_text,
)

PAYLOAD = "attacker-clipboard-4e2a"
OSC52 = "\x1b]52;c;" + base64.b64encode(PAYLOAD.encode()).decode() + "\x07"
SHOWN_OSC52 = "\\x1b]52;c;" + base64.b64encode(PAYLOAD.encode()).decode() + "\\x07"
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
RLO = "\u202e"
HOSTILE = f"Shop{OSC52} {CLEAR}{OSC8} {RLO}gnp.exe [b]bold?[/b]"
SHOWN = (
    f"Shop{SHOWN_OSC52} \\x1b[2J\\x1b]8;;https://evil.example/\\x1b\\click me"
    "\\x1b]8;;\\x1b\\ <U+202E>gnp.exe [b]bold?[/b]"
)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def assert_inert(app) -> None:
    seen = "\n".join(
        (all_widget_text(app), "\n".join(notes(app)), toasts(app), app.export_screenshot())
    )
    found = RAW.search(seen)
    assert found is None, f"raw {found.group()!r} on screen"


def tree_labels(node) -> list[str]:
    return [str(node.label)] + [label for child in node.children for label in tree_labels(child)]


def hostile_file(env, extra: str = "") -> None:
    text = profiles_text(env.fake.url).replace(
        'description = "BI sync"', f"description = {toml(HOSTILE)}"
    )
    env.write(text + extra)


async def test_a_hostile_description_is_shown_as_escapes(env):
    hostile_file(
        env,
        extra=f"""
[profiles.bad-id]
level = "project"
client_id = {toml("id" + OSC52)}
secret = "env:CS_UI_PROD_SECRET"
""",
    )
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.main_screen.current == "prod"
        credential = widget_text(app.query_one("#credential"))
        assert " ".join(SHOWN.split()) in " ".join(credential.split())  # wrapped: any spaces
        assert_inert(app)
        assert app.clipboard == ""  # nothing copied
        app.main_screen.select_profile("bad-id")
        await pilot.pause()
        credential = widget_text(app.query_one("#credential"))
        assert (
            "client_id must not contain control or bidi characters (found \\x1b, \\x07)"
            in " ".join(credential.split())
        )
        assert_inert(app)


async def test_a_server_error_message_with_escapes_is_shown_inert(env, monkeypatch):
    monkeypatch.setenv("CS_UI_PROD_SECRET", "not-the-right-secret-71")
    env.fake.error_message = "Denied" + OSC52 + CLEAR + OSC8 + RLO
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        shown = f"Denied{SHOWN_OSC52}\\x1b[2J\\x1b]8;;https://evil.example/"
        assert shown in status(app)  # in place, once: no toast repeats it
        assert not any("Denied" in n for n in notes(app))
        assert_inert(app)


async def test_me_answers_with_hostile_project_names_are_shown_inert(env):
    env.fake.project_names[1001] = "Demo" + OSC52 + CLEAR + RLO + "pohs"
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("m")
        await settle(pilot)
        me = widget_text(app.query_one("#me"))
        assert f"Demo{SHOWN_OSC52}\\x1b[2J<U+202E>pohs" in me
        labels = tree_labels(app.query_one("#me-tree").root)
        assert "name='Demo\\x1b]52;c;" in " ".join(labels)  # as repr() writes it
        assert_inert(app)


async def test_jwt_claims_with_escapes_are_shown_inert(env):
    env.fake.extra_claims = {"note": "hi" + OSC52 + CLEAR + RLO, "key" + CLEAR: "[red]x"}
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await get_token(pilot)
        claims = widget_text(app.query_one("#token-claims"))
        assert f"note: hi{SHOWN_OSC52}\\x1b[2J<U+202E>" in claims
        assert "key\\x1b[2J: [red]x" in claims  # the brackets shown, not obeyed either
        assert_inert(app)


async def test_a_hostile_name_and_scope_are_shown_as_escapes(env):
    hostile_file(
        env,
        extra=f"""
[profiles.{toml("bad" + CLEAR + "name" + RLO)}]
level = "project"
client_id = "prod-client-0001"
secret = "env:CS_UI_PROD_SECRET"

[profiles.weird-scope]
level = "project"
client_id = "prod-client-0001"
scopes = [{toml("metrics" + OSC52)}]
secret = "env:CS_UI_PROD_SECRET"
""",
    )
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.main_screen.select_profile("weird-scope")
        await pilot.pause()
        assert "metrics" + SHOWN_OSC52 in widget_text(app.query_one("#scopes"))
        app.main_screen.select_profile("bad" + CLEAR + "name" + RLO)
        await pilot.pause()
        assert "bad\\x1b[2Jname<U+202E>" in widget_text(app.query_one("#credential"))
        assert_inert(app)


async def test_the_form_refuses_a_name_and_a_client_id_with_controls_as_you_type(env):
    from tests.ui.test_manage import error_shown, open_form, paste_into, save_disabled

    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_form(pilot)
        await paste_into(pilot, "#f-name", "fresh" + CLEAR)
        await paste_into(pilot, "#f-client-id", "new-client" + RLO + "0020")
        await paste_into(pilot, "#f-secret", "a-secret-typed-in-77")
        assert save_disabled(app)
        assert "the name must not contain control or bidi characters (found \\x1b)" in error_shown(
            app, "name"
        )
        assert (
            "client_id must not contain control or bidi characters (found <U+202E>)"
            in error_shown(app, "client_id")
        )
        assert_inert(app)


async def test_the_edit_form_shows_a_hostile_description_inert_and_keeps_it(env):
    from csauth_tui.core.profiles import load
    from tests.ui.test_manage import open_form, save, type_into

    hostile_file(env)
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        form = await open_form(pilot, "e")
        description = form.query_one("#f-description")
        assert description.value == HOSTILE  # the value as stored...
        assert SHOWN[:30] in " ".join(all_widget_text(app).split())  # ...drawn inert
        assert_inert(app)
        await type_into(pilot, "#f-created", "2025-07-01")
        await save(pilot)
    profile = load(env.config).profiles["prod"]
    assert str(profile.created) == "2025-07-01"
    assert profile.description == HOSTILE  # nothing lost
