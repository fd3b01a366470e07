"""Fuzz: the import readers (core/transfer.py) on random text and near-valid TOML, JSON and
CSV. Only the project's own errors escape; every row is either importable or says why not,
without quoting a secret; what the plan would add really lands in the profiles file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import event, example, given
from hypothesis import strategies as st

from csauth_tui.core import profiles
from csauth_tui.core.errors import ConfigError
from csauth_tui.core.profiles import NAME_RE, ProfilesFile, validate_profile
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.transfer import CSV_COLUMNS, apply_import, plan_import, read_rows
from tests.reliability.fuzzing import (
    SECRET_PREFIX,
    any_text,
    attempt,
    bent_text,
    fuzz_settings,
    good_names,
    json_values,
    near_valid_profiles,
    odd_names,
    secrets,
    unique_secrets,
)

SUFFIXES = [".toml", ".json", ".csv", "", ".txt"]
# a string client_secret is a secret whatever it says (tests/leakscan.py tracks it): only
# `secrets` go there as strings
not_a_secret = st.just("") | json_values.filter(lambda v: not isinstance(v, str))
# a cell or value that looks right but is not: unicode digits, huge numbers, bad dates
near_misses = st.sampled_from(
    [
        "²",
        "١٢",
        "0",
        "-1",
        "9" * 5000,
        "1.5",
        "2026-02-30",
        "20260101",
        " ",
        "metrics;enrichment",
        "env:",
        "cmd:",
        "plaintext",
        "http://evil.example",
    ]
)
good_values = {
    "level": st.sampled_from(["project", "account"]),
    "client_id": st.text("abcdef0123456789-", min_size=1, max_size=12),
    "project_id": st.integers(1, 2**31),
    "scopes": st.lists(
        st.sampled_from(["metrics", "data-export", "surveys", "new-api"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    "created": st.dates().map(lambda d: d.isoformat()),
    "description": st.text(max_size=20),
    "secret": st.sampled_from(["env:CS_SECRET", "cmd:pass show x", "keyring"]),
    "client_secret": secrets,
    "auth_url": st.sampled_from(["https://api.contentsquare.com", "http://localhost:9"]),
}


@st.composite
def records(draw, bad: st.SearchStrategy) -> dict:
    record = {"name": draw(good_names | odd_names), "client_id": draw(good_values["client_id"])}
    for key in draw(st.lists(st.sampled_from(sorted(good_values)), unique=True)):
        record[key] = draw(good_values[key])
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*good_values, "name", "extra"]))
        record[key] = draw(not_a_secret if key == "client_secret" else bad)
    return record


@st.composite
def json_files(draw) -> bytes:
    items = draw(st.lists(records(json_values | near_misses | any_text) | json_values, max_size=5))
    doc = {"profiles": items} if draw(st.booleans()) else items
    text = json.dumps(doc)
    return draw(bent_text(text)) if draw(st.integers(0, 3)) == 0 else text.encode()


@st.composite
def csv_files(draw) -> bytes:
    required = ["name", "level", "client_id"]
    optional = draw(
        st.lists(st.sampled_from([*CSV_COLUMNS[3:], "client_secret", "extra", ""]), unique=True)
    )
    header = draw(st.permutations(required + optional))
    if draw(st.integers(0, 5)) == 0:
        header = header[1:]  # a required column missing
    junk = (
        st.text(max_size=12)
        | near_misses
        | st.sampled_from(["a,b", '"', "\n", "\x00", "x" * 200_000])
    )
    rows = []
    for record in draw(st.lists(records(junk), max_size=5)):
        cells = []
        for column in header:
            value = record.get(column, "")
            if column == "client_secret" and not str(value).startswith(SECRET_PREFIX):
                value = ""  # any text in this column would be taken as a secret
            cells.append(" ".join(value) if isinstance(value, list) else str(value))
        rows.append(
            cells[: draw(st.integers(0, len(cells)))]
            if draw(st.integers(0, 5)) == 0
            else cells + ([] if draw(st.integers(0, 5)) else ["surplus"])
        )
    by_hand, bend = draw(st.booleans()), draw(st.integers(0, 3)) == 0
    if (by_hand or bend) and "client_secret" in header:
        # a stray comma or quote would shift any text into this column: keep it out
        at = header.index("client_secret")
        header = header[:at] + header[at + 1 :]
        rows = [r[:at] + r[at + 1 :] for r in rows]
    out = io.StringIO()
    if by_hand:  # quotes and commas inside cells left as they are
        text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    else:
        csv.writer(out).writerows([header, *rows])
        text = out.getvalue()
    return draw(bent_text(text)) if bend else text.encode()


def check_rows(rows, secrets_in_file: list[str], tmp_path: Path) -> None:
    for row in rows:
        assert isinstance(row.where, str) and row.where and isinstance(row.name, str)
        assert all(isinstance(e, str) for e in row.errors)
        said = "; ".join(row.errors)
        # a secret of a few characters ("0") is found in any message: only real-sized ones
        taken = [row.secret.reveal()] if row.secret and len(row.secret.reveal()) >= 8 else []
        assert all(s not in said for s in [*secrets_in_file, *taken]), (
            "an import error quotes a secret"
        )
        if not row.errors:  # importable: the profile rules accept it as it will be written
            assert NAME_RE.match(row.name)
            check = {
                k: v for k, v in row.fields.items() if not (k == "secret" and v == "plaintext")
            }
            assert validate_profile(row.name, check, []) is not None
    plan = plan_import(rows, ProfilesFile(tmp_path / "none.toml", exists=True), overwrite=False)
    assert len(plan.outcomes) == len(rows)
    (tmp_path / "into.toml").unlink(missing_ok=True)  # tmp_path is shared by all examples
    store = ProfileStore(tmp_path / "into.toml")
    _, error = attempt("import: apply", apply_import, plan, store, "skip")
    assert error is None, f"a planned import was refused: {type(error).__name__}"
    loaded = profiles.load(store.path)
    added = [r.name for r in plan.to_write("add")]
    assert list(loaded.profiles) == added and not any(loaded.errors_for(n) for n in added)
    event(f"{len(added)} of {len(rows)} rows imported")


def read(tmp_path: Path, raw: bytes, suffix: str, fmt: str | None, target: str):
    path = tmp_path / f"team{suffix}"
    path.write_bytes(raw)
    rows, error = attempt(target, read_rows, path, fmt)
    assert path.read_bytes() == raw, "the import file changed"
    if error is not None:
        assert isinstance(error, ConfigError)
        event("refused")
    return rows


@fuzz_settings(quick=150, full=3000)
@given(
    raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    suffix=st.sampled_from(SUFFIXES),
    fmt=st.sampled_from([None, "toml", "json", "csv"]),
)
@example(raw=b"[" * 100_000, suffix="", fmt=None)
@example(raw=b"name,level,client_id\n" + b"x" * 200_000, suffix=".csv", fmt=None)
def test_import_readers_on_random_text(tmp_path, raw, suffix, fmt):
    rows = read(tmp_path, raw, suffix, fmt, "import readers: random")
    if rows is not None:
        check_rows(rows, [], tmp_path)


@fuzz_settings(quick=150, full=3000)
@given(kind=st.sampled_from(["toml", "json", "csv"]), data=st.data(), give_format=st.booleans())
def test_import_readers_on_near_valid_files(tmp_path, kind, data, give_format):
    if kind == "toml":
        raw, doc = data.draw(near_valid_profiles())
        raw, in_file = unique_secrets(raw, doc.secrets)
    elif kind == "json":
        raw, _ = unique_secrets(data.draw(json_files()), [])
        in_file = [
            w
            for w in raw.decode("utf-8", "replace").replace('"', " ").split()
            if w.startswith(SECRET_PREFIX)
        ]
    else:  # a stray comma shifts cells into other columns: check each row's own secret only
        raw, in_file = unique_secrets(data.draw(csv_files()), [])
    rows = read(
        tmp_path,
        raw,
        data.draw(st.sampled_from([f".{kind}", ""])),
        kind if give_format else None,
        f"import readers: near-valid {kind}",
    )
    if rows is not None:
        check_rows(rows, in_file, tmp_path)
