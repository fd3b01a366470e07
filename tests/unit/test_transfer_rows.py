"""Bad rows in JSON and TOML imports are reported one by one; the rest still import."""

from __future__ import annotations

import json

from csauth_tui.core.store import ProfileStore
from csauth_tui.core.transfer import apply_import, plan_import, read_rows


def test_json_bad_items_reported_by_number_rest_imported(tmp_path):
    f = tmp_path / "team.json"
    f.write_text(json.dumps([
        {"name": "ok-one", "level": "project", "client_id": "c1", "scopes": ["metrics"]},
        "not an object",
        {"level": "project", "client_id": "c2"},
        {"name": "bad-level", "level": "galaxy", "client_id": "c3"},
        {"name": "bad-date", "level": "project", "client_id": "c4", "created": "soon"},
        {"name": "ok-two", "level": "account", "client_id": "c5", "project_id": 9},
    ]))
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
    f.write_text('[profiles.good]\nclient_id = "c1"\n\n'
                 '[profiles.no-client]\nlevel = "project"\n\n'
                 '[profiles.combo]\nclient_id = "c2"\nscopes = ["enrichment", "metrics"]\n\n'
                 '[profiles.acct]\nlevel = "account"\nclient_id = "c3"\nproject_id = "x"\n')
    store = ProfileStore(tmp_path / "profiles.toml")
    plan = plan_import(read_rows(f), store.load(), overwrite=False)
    failed = {o.where: o.detail for o in plan.failed}
    assert set(failed) == {"profiles.no-client", "profiles.combo", "profiles.acct"}
    assert "client_id" in failed["profiles.no-client"]
    assert "enrichment" in failed["profiles.combo"]
    assert "project_id" in failed["profiles.acct"]
    apply_import(plan, store, secrets="skip")
    assert list(store.load().profiles) == ["good"]
