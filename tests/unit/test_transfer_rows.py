"""Bad rows in JSON and TOML imports are reported one by one; the rest still import."""

from __future__ import annotations

import json

import pytest

from csauth_tui.core.errors import ConfigError, ProfilesSyntaxError
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.transfer import apply_import, plan_import, read_rows


def test_json_bad_items_reported_by_number_rest_imported(tmp_path):
    f = tmp_path / "team.json"
    f.write_text(
        json.dumps(
            [
                {"name": "ok-one", "level": "project", "client_id": "c1", "scopes": ["metrics"]},
                "not an object",
                {"level": "project", "client_id": "c2"},
                {"name": "bad-level", "level": "galaxy", "client_id": "c3"},
                {"name": "bad-date", "level": "project", "client_id": "c4", "created": "soon"},
                {"name": "ok-two", "level": "account", "client_id": "c5", "project_id": 9},
            ]
        )
    )
    store = ProfileStore(tmp_path / "profiles.toml")
    plan = plan_import(read_rows(f), store.load(), overwrite=False)
    failed = {o.where: o.detail for o in plan.failed}
    assert set(failed) == {"item 2", "item 3", "item 4", "item 5"}
    assert "name" in failed["item 2"] and "name" in failed["item 3"]
    assert "level" in failed["item 4"] and "date" in failed["item 5"]
    apply_import(plan, store, secrets="skip")
    assert list(store.load().profiles) == ["ok-one", "ok-two"]


def test_toml_bad_tables_reported_by_name_rest_imported(tmp_path):
    f = tmp_path / "team.toml"
    f.write_text(
        '[profiles.good]\nclient_id = "c1"\n\n'
        '[profiles.no-client]\nlevel = "project"\n\n'
        '[profiles.combo]\nclient_id = "c2"\nscopes = ["enrichment", "metrics"]\n\n'
        '[profiles.acct]\nlevel = "account"\nclient_id = "c3"\nproject_id = "x"\n'
    )
    store = ProfileStore(tmp_path / "profiles.toml")
    plan = plan_import(read_rows(f), store.load(), overwrite=False)
    failed = {o.where: o.detail for o in plan.failed}
    assert set(failed) == {"profiles.no-client", "profiles.combo", "profiles.acct"}
    assert "client_id" in failed["profiles.no-client"]
    assert "enrichment" in failed["profiles.combo"]
    assert "project_id" in failed["profiles.acct"]
    apply_import(plan, store, secrets="skip")
    assert list(store.load().profiles) == ["good"]


# --- inputs the fuzz tests found (tests/reliability/test_fuzz_transfer.py) -------------


@pytest.mark.parametrize("project_id", ["²", "١٢", "9" * 5000])
def test_a_csv_project_id_that_int_would_refuse_is_a_row_error(tmp_path, project_id):
    # '²'.isdigit() is True, and int() refuses '²' and numbers of over 4300 digits
    f = tmp_path / "team.csv"
    f.write_text(f"name,level,client_id,project_id\nok,project,c1,7\nodd,project,c2,{project_id}\n")
    rows = read_rows(f)
    assert rows[0].errors == [] and rows[0].fields["project_id"] == 7
    assert any("project_id" in e for e in rows[1].errors)


def test_a_csv_field_over_the_size_limit_is_a_config_error_with_its_line(tmp_path):
    f = tmp_path / "team.csv"
    f.write_text("name,level,client_id\nok,project,c1\nbig,project," + "x" * 200_000 + "\n")
    with pytest.raises(ConfigError, match=r"team.csv:3: not valid CSV \(field larger"):
        read_rows(f)


@pytest.mark.parametrize("suffix", [".json", ""])
def test_json_nested_too_deeply_is_a_config_error(tmp_path, suffix):
    f = tmp_path / f"team{suffix}"
    f.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        read_rows(f)


@pytest.mark.parametrize(
    "text",
    ["a = " + "[" * 1100 + "]" * 1100, '[profiles.p]\nclient_id = "c"\nproject_id = ' + "9" * 4400],
)
def test_toml_that_tomllib_gives_up_on_is_a_syntax_error(tmp_path, text):
    f = tmp_path / "team.toml"
    f.write_text(text)
    with pytest.raises(ProfilesSyntaxError):
        read_rows(f)
