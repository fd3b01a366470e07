"""Bringing profiles in (TOML, JSON, CSV) and sending them out without any secret.

An import never overwrites without being asked, reports each bad row by its number and
still imports the rest, and puts any secret it finds in the keyring (or leaves it out
with a note), never in the profiles file unless the caller chose plaintext on purpose.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import profiles as profile_rules
from .errors import ConfigError, SecretError
from .profiles import Problem, Profile, ProfilesFile
from .redact import Secret

FORMATS = ("toml", "json", "csv")
# secret (env:/cmd: only, never a secret value) and auth_url may be left empty or out
CSV_COLUMNS = ("name", "level", "client_id", "project_id", "scopes", "created", "description",
               "secret", "auth_url")
SECRET_MODES = ("keyring", "skip", "plaintext")
# how each planned action is said to a person (CLI report and the app's preview)
ACTION_WORDS = {"add": "add", "overwrite": "replace", "conflict": "skip", "invalid": "reject"}


@dataclass
class ImportRow:
    where: str  # "row 3", "profiles.prod", "item 2": how the user finds it in their file
    name: str
    fields: dict[str, Any]
    secret: Secret | None = field(default=None, repr=False)
    errors: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    where: str
    name: str
    action: str  # "add", "overwrite", "conflict", "invalid"
    detail: str = ""


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    outcomes: list[Outcome]

    def to_write(self, action: str) -> list[ImportRow]:
        by_where = {(o.where, o.name): o.action for o in self.outcomes}
        return [r for r in self.rows if by_where.get((r.where, r.name)) == action]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action in ("conflict", "invalid")]

    @property
    def rejected(self) -> list[Outcome]:
        """Rows that are wrong, not merely already there: running an import twice is fine."""
        return [o for o in self.outcomes if o.action == "invalid"]


# --- reading ---------------------------------------------------------------------------


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    try:  # TOML starts with "[" too ([settings]): only text that parses is JSON
        json.loads(text)
        return "json"
    except RecursionError:  # JSON so far, only nested too deeply: the JSON reader says so
        return "json"
    except ValueError:
        pass
    if text.lstrip().split("\n", 1)[0].lower().startswith("name,"):
        return "csv"
    return "toml"


def read_rows(path: Path, fmt: str | None = None) -> list[ImportRow]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    fmt = fmt or detect_format(Path(path), text)
    readers: dict[str, Callable[[Path, str], list[ImportRow]]] = {
        "toml": _rows_from_toml, "json": _rows_from_json, "csv": _rows_from_csv}
    if fmt not in readers:
        raise ConfigError(f"unknown import format '{fmt}' (use {', '.join(FORMATS)})")
    rows = readers[fmt](Path(path), text)
    for row in rows:
        _validate(row)
    return rows


def _split_secret(where: str, name: str, raw: dict[str, Any]) -> ImportRow:
    fields = dict(raw)
    secret = fields.pop("client_secret", None)
    fields.pop("name", None)
    row = ImportRow(where, name, fields)
    if isinstance(fields.get("created"), str):  # JSON has no date type
        try:
            fields["created"] = date.fromisoformat(fields["created"])
        except ValueError:
            # the value is not quoted: a row short of a cell may have shifted a secret here
            row.errors.append("created is not a date like 2026-01-15 (value not shown)")
    if isinstance(secret, str) and secret.strip():
        row.secret = Secret(secret.strip())
        fields.pop("secret", None)
    elif secret not in (None, ""):
        row.errors.append("client_secret must be a string")
    return row


def _rows_from_toml(path: Path, text: str) -> list[ImportRow]:
    doc = profile_rules.read_toml(path, text)
    tables = doc.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: [profiles] must be a table of profiles")
    rows = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            row = ImportRow(f"profiles.{name}", name, {})
            row.errors.append("must be a table")
            rows.append(row)
            continue
        rows.append(_split_secret(f"profiles.{name}", name, table))
    return rows


def _rows_from_json(path: Path, text: str) -> list[ImportRow]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise ConfigError(f"{path}:{line}:{col}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply to read") from None
    items = doc.get("profiles") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a JSON list of profiles (or {{\"profiles\": [...]}})")
    rows = []
    for index, item in enumerate(items, start=1):
        where = f"item {index}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            row = ImportRow(where, str(item.get("name", "")) if isinstance(item, dict) else "", {})
            row.errors.append("each item must be an object with a \"name\"")
            rows.append(row)
            continue
        rows.append(_split_secret(where, item["name"], item))
    return rows


def _rows_from_csv(path: Path, text: str) -> list[ImportRow]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _csv_rows(path, reader)
    except csv.Error as exc:  # a field over the size limit, a stray quote in strict dialects...
        raise ConfigError(f"{path}:{reader.line_num + 1}: not valid CSV ({exc})") from None


def _csv_rows(path: Path, reader: csv.DictReader) -> list[ImportRow]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "level", "client_id") if c not in header]
    if missing:
        raise ConfigError(f"{path}: the header row lacks {', '.join(missing)} (columns: "
                          f"{','.join(CSV_COLUMNS)}[,client_secret]; only name, level and "
                          "client_id are required)")
    rows = []
    for number, record in enumerate(reader, start=2):  # line 1 is the header
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items()
                  if k is not None}
        where = f"line {number}"
        raw: dict[str, Any] = {}
        errors = []
        for key, value in record.items():
            if value == "" or key not in (*CSV_COLUMNS, "client_secret"):
                continue
            if key == "project_id":
                raw[key] = _whole_number(value)
            elif key == "scopes":
                raw[key] = value.replace(";", " ").replace(",", " ").split()
            elif key == "created":
                try:
                    raw[key] = date.fromisoformat(value)
                except ValueError:
                    errors.append("created is not a date like 2026-01-15 (value not shown)")
            else:
                raw[key] = value
        row = _split_secret(where, record.get("name", ""), raw)
        row.errors.extend(errors)
        rows.append(row)
    return rows


def _whole_number(value: str) -> int | str:
    """An int for plain ASCII digits that int() accepts; else the text, for the profile
    check to refuse by name (str.isdigit is also true for '²' and other non-ASCII digits)."""
    if value.isascii() and value.isdigit():
        try:
            return int(value)
        except ValueError:  # more digits than int() converts
            pass
    return value


def _validate(row: ImportRow) -> None:
    if row.errors:
        return
    problems: list[Problem] = []
    check = dict(row.fields)
    if check.get("secret") == "plaintext":
        check.pop("secret")
    if not isinstance(row.name, str) or not profile_rules.NAME_RE.fullmatch(row.name or ""):
        row.errors.append(f"name '{row.name}' must use letters, digits, '-' and '_' only")
        return
    unknown = sorted(set(check) - profile_rules.PROFILE_KEYS)
    for key in unknown:
        check.pop(key)
        row.fields.pop(key)
    if profile_rules.validate_profile(row.name, check, problems) is None:
        row.errors.extend(f"{p.field or 'profile'}: {p.message}" for p in problems
                          if p.severity == "error")


# --- planning and applying -------------------------------------------------------------


def plan_import(rows: list[ImportRow], existing: ProfilesFile, overwrite: bool) -> ImportPlan:
    outcomes = []
    taken_ids = {p.client_id: n for n, p in existing.profiles.items()}
    seen_names: set[str] = set()
    for row in rows:
        if row.errors:
            outcomes.append(Outcome(row.where, row.name, "invalid", "; ".join(row.errors)))
            continue
        if row.name in seen_names:
            outcomes.append(Outcome(row.where, row.name, "conflict",
                                    "the same name appears twice in this import"))
            continue
        seen_names.add(row.name)
        client_id = row.fields.get("client_id")
        owner = taken_ids.get(client_id)
        if row.name in existing.order:
            if overwrite:
                outcomes.append(Outcome(row.where, row.name, "overwrite"))
            else:
                outcomes.append(Outcome(row.where, row.name, "conflict",
                                        "a profile with this name exists (--overwrite replaces it)"))
            continue
        if owner is not None and owner != row.name and not overwrite:
            outcomes.append(Outcome(row.where, row.name, "conflict",
                                    f"client_id already used by profile '{owner}' "
                                    "(--overwrite imports it anyway)"))
            continue
        outcomes.append(Outcome(row.where, row.name, "add"))
        taken_ids.setdefault(client_id, row.name)
    return ImportPlan(rows, outcomes)


def apply_import(
    plan: ImportPlan,
    store: Any,
    secrets: str = "keyring",
    store_secret: Callable[[str, Secret], None] | None = None,
) -> list[str]:
    """Write the plan; returns notes about secrets (stored, left out and why)."""
    if secrets not in SECRET_MODES:
        raise ValueError(f"secrets must be one of {SECRET_MODES}")
    if store_secret is None and secrets == "keyring":
        from .secrets import store_secret as default_store

        store_secret = default_store
    notes: list[str] = []
    prepared: dict[str, dict[str, Any]] = {}
    for row in plan.to_write("add") + plan.to_write("overwrite"):
        fields = dict(row.fields)
        if row.secret is not None:
            if secrets == "plaintext":
                fields["client_secret"] = row.secret
                fields.pop("secret", None)
                notes.append(f"{row.name}: secret written in plaintext, as asked")
            elif secrets == "keyring":
                try:
                    store_secret(fields["client_id"], row.secret)
                    fields["secret"] = "keyring"
                    notes.append(f"{row.name}: secret stored in the keyring")
                except SecretError as exc:
                    notes.append(f"{row.name}: secret NOT imported ({exc.message}); "
                                 "set secret = \"env:VAR\" or \"cmd:...\" for it")
            else:
                notes.append(f"{row.name}: secret left out (--secrets skip)")
        prepared[row.name] = fields
    store.add_many([(r.name, prepared[r.name]) for r in plan.to_write("add")])
    for row in plan.to_write("overwrite"):
        store.add(row.name, prepared[row.name], overwrite=True)
    return notes


# --- export ----------------------------------------------------------------------------


def export_record(profile: Profile) -> dict[str, Any]:
    """A profile as plain data, without any secret (a plaintext one is dropped)."""
    record: dict[str, Any] = {"name": profile.name, "level": profile.level,
                              "client_id": profile.client_id, "scopes": list(profile.scopes)}
    if profile.project_id is not None:
        record["project_id"] = profile.project_id
    if profile.secret not in ("keyring", "plaintext"):
        record["secret"] = profile.secret
    if profile.created is not None:
        record["created"] = profile.created
    if profile.description:
        record["description"] = profile.description
    if profile.auth_url:
        record["auth_url"] = profile.auth_url
    return record


def export_profiles(selected: Iterable[Profile], fmt: str) -> str:
    records = [export_record(p) for p in selected]
    if fmt == "json":
        return json.dumps([{**r, **({"created": r["created"].isoformat()} if "created" in r
                                    else {})} for r in records], indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in records:
            writer.writerow([r["name"], r["level"], r["client_id"], r.get("project_id", ""),
                             " ".join(r["scopes"]),
                             r["created"].isoformat() if "created" in r else "",
                             r.get("description", ""), r.get("secret", ""),
                             r.get("auth_url", "")])
        return out.getvalue()
    if fmt == "toml":
        import tomlkit

        doc = tomlkit.document()
        doc.add(tomlkit.comment("csauth profiles, exported without secrets: "
                                "`csauth import FILE` brings them in"))
        table = tomlkit.table(is_super_table=True)
        for r in records:
            body = {k: v for k, v in r.items() if k != "name"}
            table.add(r["name"], body)
        doc.add("profiles", table)
        return tomlkit.dumps(doc)
    raise ConfigError(f"unknown export format '{fmt}' (use {', '.join(FORMATS)})")
