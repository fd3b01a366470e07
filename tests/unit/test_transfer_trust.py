"""core/transfer.py: what an import lets in from a foreign file, row by row, and what a
replaced profile keeps. (The same rules end to end: tests/e2e/test_import_trust.py.)"""

from __future__ import annotations

import json

import pytest

from csauth_tui.core.errors import SecretConflictError
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.text import csv_cell
from csauth_tui.core.transfer import (
    apply_import,
    export_profiles,
    from_csv_cell,
    plan_import,
    read_rows,
    to_csv_cell,
)

SERVICE = "csauth-tui"
STORED = "sentinel-trust-stored-secret-1f0c7e"
FILE_SECRET = "sentinel-trust-file-secret-93ab42"
OTHER = "sentinel-trust-other-secret-5d61e8"


def write_json(tmp_path, items) -> list:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(items))
    return read_rows(path)


def row(name, client_id="cid-1", **extra):
    return {"name": name, "level": "project", "client_id": client_id, **extra}


# --- a client_id shared by two profiles (the rule's unit-level test; the CLI's is in
# tests/e2e/test_import_trust.py) ------------------------------------------------------------


def test_two_profiles_sharing_a_client_id_are_both_planned_for_adding(tmp_path):
    store = ProfileStore(tmp_path / "profiles.toml")
    store.add("prod", {"client_id": "cid-1"})
    rows = write_json(
        tmp_path,
        [
            row("proj-a", "cid-2", project_id=1),
            row("proj-b", "cid-2", project_id=2),
            row("prod-2", "cid-1"),
            row("prod", "cid-9"),
        ],
    )
    plan = plan_import(rows, store.load(), overwrite=False)
    assert [(o.name, o.action) for o in plan.outcomes] == [
        ("proj-a", "add"),
        ("proj-b", "add"),
        ("prod-2", "add"),
        ("prod", "conflict"),
    ]
    notes = {o.name: o.notes for o in plan.outcomes}
    assert notes["proj-b"] == ["shares its client_id with 'proj-a'"]
    assert notes["prod-2"] == ["shares its client_id with 'prod'"]
    apply_import(plan, store, secrets="skip")
    assert list(store.load().profiles) == ["prod", "proj-a", "proj-b", "prod-2"]


# --- behaviour-bearing fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ({"secret": "cmd:pass show cs/prod"}, "secret source cmd:pass show cs/prod refused"),
        ({"secret": "env:CS_PROD"}, "secret source env:CS_PROD refused"),
        ({"auth_url": "https://elsewhere.example"}, "auth_url https://elsewhere.example refused"),
    ],
)
def test_a_behaviour_field_refuses_its_row_unless_let_in(tmp_path, extra, refused):
    rows = write_json(tmp_path, [row("a", **extra), row("b", "cid-2")])
    empty = ProfileStore(tmp_path / "p.toml").load()
    plan = plan_import(rows, empty, overwrite=False)
    assert [o.action for o in plan.outcomes] == ["invalid", "add"]
    assert refused in plan.outcomes[0].detail and plan.rejected == [plan.outcomes[0]]

    allowed = plan_import(
        rows, empty, overwrite=False, allow_secret_sources=True, allow_auth_url=True
    )
    assert [o.action for o in allowed.outcomes] == ["add", "add"]
    field, value = next(iter(extra.items()))
    label = "secret source" if field == "secret" else "auth_url"
    assert allowed.outcomes[0].admitted == [f"{label}: {value}"]
    assert allowed.outcomes[1].admitted == []


def test_keyring_as_the_secret_field_is_the_default_and_needs_no_flag(tmp_path):
    rows = write_json(tmp_path, [row("a", secret="keyring")])
    plan = plan_import(rows, ProfileStore(tmp_path / "p.toml").load(), overwrite=False)
    assert plan.outcomes[0].action == "add" and plan.outcomes[0].admitted == []


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"secret": "plaintext"}, "no client_secret"),
        ({"secret": "env:X", "client_secret": FILE_SECRET}, "both a client_secret and a secret"),
    ],
)
def test_contradictory_secret_fields_are_a_row_error(tmp_path, extra, error):
    [bad] = write_json(tmp_path, [row("a", **extra)])
    assert any(error in e for e in bad.errors)
    assert all(FILE_SECRET not in e for e in bad.errors)


def test_an_overwrite_replaces_data_and_keeps_source_auth_url_and_other_keys(tmp_path):
    store = ProfileStore(tmp_path / "profiles.toml")
    store.add(
        "prod",
        {
            "client_id": "cid-1",
            "scopes": ["metrics"],
            "project_id": 7,
            "secret": "cmd:pass show cs/prod",
            "description": "old",
            "auth_url": "https://api.eu-west-1.production.contentsquare.com",
        },
    )
    rows = write_json(
        tmp_path, [row("prod", "cid-1", scopes=["data-export"], client_secret=FILE_SECRET)]
    )
    plan = plan_import(rows, store.load(), overwrite=True)
    [outcome] = plan.outcomes
    assert outcome.action == "overwrite"
    assert outcome.notes == [
        "keeps its own auth_url https://api.eu-west-1.production.contentsquare.com",
        "client_secret not imported: the profile keeps its secret source cmd:pass show cs/prod "
        "(--allow-secret-sources moves it to the keyring)",
    ]

    def no_store(*args, **kwargs):
        raise AssertionError("the secret was stored although the source is kept")

    notes = apply_import(plan, store, "keyring", no_store)
    prod = store.load().profiles["prod"]
    assert (prod.scopes, prod.project_id, prod.description) == (("data-export",), None, "")
    assert prod.secret.text == "cmd:pass show cs/prod"
    assert prod.auth_url == "https://api.eu-west-1.production.contentsquare.com"
    assert notes.refused == 0 and "keeps its secret source" in notes[0]


def test_an_overwrite_let_in_switches_the_source_to_the_keyring_and_says_so(
    tmp_path, memory_keyring
):
    store = ProfileStore(tmp_path / "profiles.toml")
    store.add("prod", {"client_id": "cid-1", "secret": "env:CS_PROD"})
    rows = write_json(tmp_path, [row("prod", "cid-1", client_secret=FILE_SECRET)])
    plan = plan_import(rows, store.load(), overwrite=True, allow_secret_sources=True)
    assert plan.outcomes[0].notes == []
    notes = apply_import(plan, store, "keyring")
    assert store.load().profiles["prod"].secret.text == "keyring"
    assert memory_keyring.get_password(SERVICE, "cid-1") == FILE_SECRET
    assert notes == ["prod: secret stored in the keyring"]


# --- secrets: the keyring keeps what it holds ----------------------------------------------


def test_a_different_stored_secret_is_kept_and_the_row_says_so(tmp_path, memory_keyring):
    memory_keyring.set_password(SERVICE, "cid-1", STORED)
    store = ProfileStore(tmp_path / "profiles.toml")
    rows = write_json(
        tmp_path, [row("a", client_secret=FILE_SECRET), row("b", "cid-2", client_secret=OTHER)]
    )
    notes = apply_import(plan_import(rows, store.load(), False), store, "keyring")
    assert memory_keyring.get_password(SERVICE, "cid-1") == STORED
    assert memory_keyring.get_password(SERVICE, "cid-2") == OTHER
    assert notes.refused == 1
    assert notes[0].startswith(
        "a: client_secret NOT imported: the keyring already holds a different secret for client_id"
    )
    assert "--replace-secret" in notes[0] and all(FILE_SECRET not in n for n in notes)
    assert store.load().profiles["a"].secret.text == "keyring"  # it uses the kept secret

    again = write_json(tmp_path, [row("c", client_secret=FILE_SECRET)])
    notes = apply_import(
        plan_import(again, store.load(), False), store, "keyring", replace_secret=True
    )
    assert memory_keyring.get_password(SERVICE, "cid-1") == FILE_SECRET
    assert notes.refused == 0 and "REPLACED" in notes[0]


def test_the_same_secret_already_stored_is_fine(tmp_path, memory_keyring):
    memory_keyring.set_password(SERVICE, "cid-1", FILE_SECRET)
    store = ProfileStore(tmp_path / "profiles.toml")
    rows = write_json(tmp_path, [row("a", client_secret=FILE_SECRET)])
    notes = apply_import(plan_import(rows, store.load(), False), store, "keyring")
    assert notes == ["a: secret already in the keyring"] and notes.refused == 0


def test_two_rows_with_different_secrets_for_one_client_id(tmp_path):
    rows = write_json(
        tmp_path,
        [
            row("a", client_secret=FILE_SECRET),
            row("b", client_secret=FILE_SECRET),
            row("c", client_secret=OTHER),
        ],
    )
    plan = plan_import(rows, ProfileStore(tmp_path / "p.toml").load(), overwrite=False)
    assert [o.action for o in plan.outcomes] == ["add", "add", "add"]
    assert [bool(o.secret_refused) for o in plan.outcomes] == [False, False, True]
    assert "item 1 gives a different one" in plan.outcomes[2].secret_refused
    stored = []
    store = ProfileStore(tmp_path / "p.toml")
    notes = apply_import(
        plan, store, "keyring", lambda cid, secret, replace=False: stored.append(secret) or "stored"
    )
    assert [s.reveal() for s in stored] == [FILE_SECRET, FILE_SECRET]
    assert notes.refused == 1


def test_a_conflict_raised_by_the_store_is_a_note_not_a_crash(tmp_path):
    def conflicting(client_id, secret, replace=False):
        raise SecretConflictError("the keyring already holds a different secret")

    store = ProfileStore(tmp_path / "p.toml")
    rows = write_json(tmp_path, [row("a", client_secret=FILE_SECRET)])
    notes = apply_import(plan_import(rows, store.load(), False), store, "keyring", conflicting)
    assert notes.refused == 1 and "a" in store.load().profiles


# --- reading ----------------------------------------------------------------------------------


def test_a_json_project_id_may_be_a_numeric_string(tmp_path):
    rows = write_json(
        tmp_path,
        [row("a", project_id="1001"), row("b", project_id=" 7 "), row("c", project_id="12a")],
    )
    assert rows[0].errors == [] and rows[0].fields["project_id"] == 1001
    assert rows[1].errors == [] and rows[1].fields["project_id"] == 7
    assert any("project_id" in e for e in rows[2].errors)


def test_unknown_fields_are_noted_in_every_format(tmp_path):
    [from_json] = write_json(tmp_path, [row("a", colour="blue")])
    toml = tmp_path / "in.toml"
    toml.write_text('[profiles.a]\nclient_id = "c"\ncolour = "blue"\n')
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("name,level,client_id,colour,empty\na,project,c,blue,\n")
    for found in (from_json, *read_rows(toml), *read_rows(csv_file)):
        assert found.ignored == ["colour"] and "colour" not in found.fields
        plan = plan_import([found], ProfileStore(tmp_path / "p.toml").load(), False)
        assert plan.outcomes[0].notes == ["unknown field(s) colour ignored"]


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://x","y")',
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "'=quoted",
        "''-two",
        "'plain",
        "it's",
        "",
        "plain",
        "=",
    ],
)
def test_csv_cells_are_formula_safe_and_come_back_exactly(value):
    cell = to_csv_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    if not value.startswith("'"):
        assert cell == csv_cell(value)  # the house rule, unchanged for ordinary values
    assert from_csv_cell(cell) == value


def test_an_exported_csv_description_is_quoted_for_spreadsheets(tmp_path):
    store = ProfileStore(tmp_path / "profiles.toml")
    store.add("p", {"client_id": "c", "description": '=HYPERLINK("http://x","y")'})
    text = export_profiles(store.load().profiles.values(), "csv")
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text
    out = tmp_path / "out.csv"
    out.write_text(text)
    [back] = read_rows(out)
    assert back.fields["description"] == '=HYPERLINK("http://x","y")'
