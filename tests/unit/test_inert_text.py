"""Names and client_ids holding control or bidi characters are refused where they enter:
the profiles file and import (both through validate_profile), with an error that names
the field and shows the characters as escapes; a profile named with them is reported with
its name shown inert."""

from __future__ import annotations

import json

from csauth_tui.core.profiles import ProfilesFile, parse
from csauth_tui.core.text import control_characters
from csauth_tui.core.transfer import plan_import, read_rows

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
RLO = "\u202e"


def test_a_file_with_hostile_names_and_client_ids_reports_them_inert(tmp_path):
    pf = parse(
        tmp_path / "p.toml",
        f"""
[profiles.{json.dumps("prod" + OSC52)}]
client_id = "c1"

[profiles.ok]
client_id = {json.dumps("c" + RLO + "2")}
""",
    )
    assert pf.profiles == {}
    errors = [str(p) for p in pf.problems if p.severity == "error"]
    assert errors == [
        "prod\\x1b]52;c;ZXZpbA==\\x07: the profile name must not contain control or bidi "
        "characters (found \\x1b, \\x07)",
        "ok.client_id: client_id must not contain control or bidi characters (found "
        "<U+202E>): copy it again from the Contentsquare console",
    ]
    assert all(control_characters(e) == [] for e in errors)


def test_import_refuses_a_hostile_client_id(tmp_path):
    source = tmp_path / "team.json"
    source.write_text(
        json.dumps(
            [{"name": "team", "client_id": "c" + OSC52, "level": "project", "scopes": ["metrics"]}]
        )
    )
    plan = plan_import(
        read_rows(source, "json"), ProfilesFile(path=tmp_path / "p.toml"), overwrite=False
    )
    [outcome] = plan.outcomes
    assert outcome.action == "invalid"
    assert "client_id must not contain control or bidi characters" in outcome.detail
