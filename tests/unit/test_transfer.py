"""Import (TOML, JSON, CSV) and export without secrets."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from csauth_tui.core.errors import ConfigError, ProfilesSyntaxError
from csauth_tui.core.profiles import load
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.transfer import (
    apply_import,
    detect_format,
    export_profiles,
    plan_import,
    read_rows,
)
from csauth_tui.fake.demo import demo_profiles_toml

SECRET = "transfer-sentinel-secret-9d1"


def demo_file(tmp_path: Path) -> Path:
    text, _ = demo_profiles_toml("https://api.contentsquare.com", today=date(2026, 11, 29))
    # one profile on another auth host, and one whose secret comes from a command
    text = text.replace(
        'secret = "env:CSAUTH_DEMO_SECRET_ENRICHMENT_EU"\n',
        'secret = "env:CSAUTH_DEMO_SECRET_ENRICHMENT_EU"\n'
        'auth_url = "https://api.eu-west-1.production.contentsquare.com"\n',
    )
    text = text.replace(
        'secret = "env:CSAUTH_DEMO_SECRET_LEGACY_REPORTING"',
        'secret = "cmd:pass show cs/legacy, reporting"',
    )
    assert 'auth_url = "https://api.eu-west-1' in text and "cmd:pass" in text
    path = tmp_path / "demo.toml"
    path.write_text(text)
    return path


def comparable(profile):
    return (
        profile.name,
        profile.level,
        profile.client_id,
        profile.scopes,
        profile.project_id,
        profile.created,
        profile.description,
        profile.auth_url,
    )


@pytest.mark.parametrize("fmt", ["toml", "json", "csv"])
def test_export_then_import_into_an_empty_file_gives_the_same_profiles(tmp_path, fmt):
    source = load(demo_file(tmp_path))
    exported = export_profiles(source.profiles.values(), fmt)
    assert "csdemo_" not in exported  # the demo's plaintext secret never leaves
    out = tmp_path / f"export.{fmt}"
    out.write_text(exported)

    target = ProfileStore(tmp_path / "new" / "profiles.toml")
    # the secret sources and the auth_url come in only when let in by name
    plan = plan_import(
        read_rows(out),
        target.load(),
        overwrite=False,
        allow_secret_sources=True,
        allow_auth_url=True,
    )
    assert plan.failed == []
    apply_import(plan, target, secrets="skip")
    result = target.load()
    assert [comparable(p) for p in result.profiles.values()] == [
        comparable(p) for p in source.profiles.values()
    ]
    assert any(p.auth_url for p in result.profiles.values())
    for name, profile in source.profiles.items():  # env: and cmd: survive, CSV included
        expected = "keyring" if profile.secret.text == "plaintext" else profile.secret.text
        assert result.profiles[name].secret.text == expected


def test_csv_bad_rows_reported_by_line_and_the_rest_imported(tmp_path, memory_keyring):
    csv_file = tmp_path / "team.csv"
    csv_file.write_text(
        "name,level,client_id,project_id,scopes,created,description,client_secret\n"
        f"good,project,cid-1,1001,metrics data-export,2026-01-02,First,{SECRET}\n"
        "badlevel,org,cid-2,,metrics,,,\n"
        "badproject,project,cid-3,abc,metrics,,,\n"
        "baddate,project,cid-4,,metrics,yesterday,,\n"
        "combo,project,cid-5,,enrichment;metrics,,,\n"
        "acct,account,cid-6,7,metrics,,,\n"
    )
    store = ProfileStore(tmp_path / "profiles.toml")
    plan = plan_import(read_rows(csv_file), store.load(), overwrite=False)
    failed = {o.where: o for o in plan.failed}
    assert set(failed) == {"line 3", "line 4", "line 5", "line 6"}
    assert "level" in failed["line 3"].detail
    assert "project_id" in failed["line 4"].detail
    assert "date" in failed["line 5"].detail
    assert "enrichment" in failed["line 6"].detail

    notes = apply_import(plan, store, secrets="keyring")
    loaded = store.load()
    assert list(loaded.profiles) == ["good", "acct"]
    assert loaded.profiles["good"].scopes == ("metrics", "data-export")
    assert memory_keyring.get_password("csauth-tui", "cid-1") == SECRET
    assert SECRET not in store.path.read_text()
    assert any("keyring" in n for n in notes) and all(SECRET not in n for n in notes)


def test_a_name_conflict_needs_overwrite_a_shared_client_id_does_not(tmp_path):
    store = ProfileStore(tmp_path / "profiles.toml")
    store.add("prod", {"client_id": "cid-1", "scopes": ["metrics"]})
    incoming = tmp_path / "in.json"
    incoming.write_text(
        json.dumps(
            [
                {
                    "name": "prod",
                    "level": "project",
                    "client_id": "cid-9",
                    "scopes": ["data-export"],
                },
                {"name": "other", "level": "project", "client_id": "cid-1"},
                {"name": "fresh", "level": "project", "client_id": "cid-2"},
            ]
        )
    )
    plan = plan_import(read_rows(incoming), store.load(), overwrite=False)
    assert {o.name: o.action for o in plan.outcomes} == {
        "prod": "conflict",
        "other": "add",
        "fresh": "add",
    }
    apply_import(plan, store, secrets="skip")
    assert store.load().profiles["prod"].client_id == "cid-1"  # untouched

    plan = plan_import(read_rows(incoming), store.load(), overwrite=True)
    apply_import(plan, store, secrets="skip")
    loaded = store.load()
    assert loaded.profiles["prod"].client_id == "cid-9"
    assert loaded.profiles["prod"].scopes == ("data-export",)
    assert "other" in loaded.profiles


def test_toml_import_keeps_secrets_out_unless_plaintext_is_chosen(tmp_path):
    team = tmp_path / "team.toml"
    team.write_text(
        f'[profiles.a]\nclient_id = "cid-a"\nclient_secret = "{SECRET}"\n'
        '[profiles.b]\nclient_id = "cid-b"\nsecret = "env:B_SECRET"\n'
    )
    store = ProfileStore(tmp_path / "profiles.toml")
    notes = apply_import(
        plan_import(read_rows(team), store.load(), False, allow_secret_sources=True),
        store,
        secrets="skip",
    )
    assert SECRET not in store.path.read_text()
    assert any("left out" in n for n in notes)
    assert store.load().profiles["b"].secret.text == "env:B_SECRET"

    other = ProfileStore(tmp_path / "plain.toml")
    apply_import(plan_import(read_rows(team), other.load(), False), other, secrets="plaintext")
    assert other.load().profiles["a"].client_secret.reveal() == SECRET


def test_keyring_unavailable_leaves_the_secret_out_with_a_note(tmp_path):
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        team = tmp_path / "team.json"
        team.write_text(
            json.dumps(
                {
                    "profiles": [
                        {
                            "name": "a",
                            "level": "project",
                            "client_id": "cid-a",
                            "client_secret": SECRET,
                        }
                    ]
                }
            )
        )
        store = ProfileStore(tmp_path / "profiles.toml")
        notes = apply_import(plan_import(read_rows(team), store.load(), False), store)
    finally:
        keyring.set_keyring(previous)
    assert "a" in store.load().profiles
    assert SECRET not in store.path.read_text()
    assert any("NOT imported" in n and "env:" in n for n in notes)


def test_unreadable_inputs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        read_rows(tmp_path / "missing.csv")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"name": "x",')
    with pytest.raises(ConfigError, match=r"broken.json:1:\d+"):
        read_rows(broken)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[profiles.x\n")
    with pytest.raises(ProfilesSyntaxError):
        read_rows(bad_toml)
    no_header = tmp_path / "h.csv"
    no_header.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="header row"):
        read_rows(no_header)


def test_duplicate_names_inside_one_import(tmp_path):
    f = tmp_path / "dup.json"
    f.write_text(
        json.dumps(
            [
                {"name": "x", "level": "project", "client_id": "1"},
                {"name": "x", "level": "project", "client_id": "2"},
            ]
        )
    )
    plan = plan_import(read_rows(f), ProfileStore(tmp_path / "p.toml").load(), False)
    assert [o.action for o in plan.outcomes] == ["add", "conflict"]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        (
            '[settings]\nauth_url = "https://api.contentsquare.com"\n\n'
            '[profiles.a]\nclient_id = "cid-a"\n',
            "toml",
        ),
        ('[profiles.a]\nclient_id = "cid-a"\n', "toml"),
        ('# team\n[profiles.a]\nclient_id = "cid-a"\n', "toml"),
        ('[{"name": "a", "level": "project", "client_id": "cid-a"}]\n', "json"),
        ('  {"profiles": []}\n', "json"),
        ("name,level,client_id\na,project,cid-a\n", "csv"),
    ],
)
def test_format_sniffed_from_the_content_without_an_extension(tmp_path, text, fmt):
    path = tmp_path / "team-profiles"
    path.write_text(text)
    assert detect_format(path, text) == fmt


def test_a_toml_file_without_extension_starting_with_settings_imports(tmp_path):
    path = tmp_path / "shared.conf"
    path.write_text('[settings]\ntoken_cache = true\n\n[profiles.a]\nclient_id = "cid-a"\n')
    [row] = read_rows(path)
    assert row.name == "a" and row.errors == []
