"""Bringing profiles in (TOML, JSON, CSV) and sending them out without any secret.

An import never overwrites without being asked, reports each bad row by its number and
still imports the rest, and puts any secret it finds in the keyring (or leaves it out
with a note), never in the profiles file unless the caller chose plaintext on purpose.

A file to import is foreign: by default it brings data only (name, level, client_id,
project_id, scopes, created, description, and a client_secret for the keyring). What
would change where a secret comes from or where it is sent (a `secret` source, an
`auth_url`) refuses its row unless the caller lets that field in by name
(allow_secret_sources, allow_auth_url); whatever is let in is listed row by row. A
profile replaced by an overwrite keeps its own secret source and auth_url unless the
import was allowed to change them, and a different secret already in the keyring for a
client_id is kept unless the caller asks to replace it.
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
from .errors import (
    ConfigError,
    CsauthError,
    SecretConflictError,
    SecretError,
    UnknownProfileError,
)
from .kinds import ImportAction, SecretsMode, Severity
from .profiles import KEYRING, PLAINTEXT, Problem, Profile, ProfilesFile, SecretKind, SecretSource
from .redact import Secret, looks_like_a_secret, mask
from .text import FORMULA_STARTS, csv_cell, inert

FORMATS = ("toml", "json", "csv")
# secret (env:/cmd: only, never a secret value) and auth_url may be left empty or out
CSV_COLUMNS = (
    "name",
    "level",
    "client_id",
    "project_id",
    "scopes",
    "created",
    "description",
    "secret",
    "auth_url",
)
SECRET_MODES = tuple(mode.value for mode in SecretsMode)
# how each planned action is said to a person (CLI report and the app's preview)
ACTION_WORDS = {
    ImportAction.ADD: "add",
    ImportAction.OVERWRITE: "replace",
    ImportAction.CONFLICT: "skip",
    ImportAction.INVALID: "reject",
}
# what an import takes by default, besides the name and a client_secret for the keyring;
# an overwrite replaces exactly these and keeps the rest of the profile
DATA_FIELDS = ("level", "client_id", "project_id", "scopes", "created", "description")
SECRET_FLAG = "--allow-secret-sources"
AUTH_URL_FLAG = "--allow-auth-url"


@dataclass
class ImportRow:
    where: str  # "row 3", "profiles.prod", "item 2": how the user finds it in their file
    name: str
    fields: dict[str, Any]
    secret: Secret | None = field(default=None, repr=False)
    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # unknown fields, left out


@dataclass
class Outcome:
    where: str
    name: str
    action: ImportAction
    detail: str = ""
    # what an allow_* choice lets in from this row, field by field ("auth_url: https://..")
    admitted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    # why this row's client_secret will not be imported (the profile still is), or ""
    secret_refused: str = ""
    # an overwrite: the secret source the profile has now (None: not known)
    current_source: SecretSource | None = None

    def line(self, dry_run: bool = False) -> str:
        """The outcome as one line for a terminal; every piece from the file made inert."""
        word = ACTION_WORDS[self.action]
        if dry_run and self.action in (ImportAction.ADD, ImportAction.OVERWRITE):
            word = f"would {word}"
        admitted = f" ({'; '.join(self.admitted)})" if self.admitted else ""
        why = [self.detail] if self.detail else []
        why += self.notes + ([self.secret_refused] if self.secret_refused else [])
        tail = f": {'; '.join(why)}" if why else ""
        return inert(f"{self.where}: {word} {self.name or '(no name)'}{admitted}{tail}")


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    outcomes: list[Outcome]
    allow_secret_sources: bool = False
    allow_auth_url: bool = False

    def outcome_of(self, row: ImportRow) -> Outcome | None:
        return next((o for o in self.outcomes if (o.where, o.name) == (row.where, row.name)), None)

    def to_write(self, action: ImportAction) -> list[ImportRow]:
        by_where = {(o.where, o.name): o.action for o in self.outcomes}
        return [r for r in self.rows if by_where.get((r.where, r.name)) == action]

    @property
    def failed(self) -> list[Outcome]:
        return [
            o for o in self.outcomes if o.action in (ImportAction.CONFLICT, ImportAction.INVALID)
        ]

    @property
    def rejected(self) -> list[Outcome]:
        """Rows that are wrong, not merely already there: running an import twice is fine."""
        return [o for o in self.outcomes if o.action is ImportAction.INVALID]

    @property
    def secrets_refused(self) -> list[Outcome]:
        """Rows imported without their client_secret, known before anything is written."""
        return [o for o in self.outcomes if o.secret_refused]


class ImportNotes(list[str]):
    """What apply_import says about secrets (stored, left out and why), one line each;
    `refused` counts the rows whose secret it refused to take, or profiles it could not
    replace (the caller's exit status); `replaced` holds the client_ids whose keyring
    secret was replaced (their cached tokens are the caller's to drop)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0
        self.replaced: set[str] = set()


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
        "toml": _rows_from_toml,
        "json": _rows_from_json,
        "csv": _rows_from_csv,
    }
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
    elif secret not in (None, ""):
        row.errors.append("client_secret must be a string")
    source = fields.get("secret")
    try:
        kind = SecretSource.parse(source).kind if source is not None else None
    except ValueError:
        kind = None  # the profile rules say why (_validate)
    if kind is SecretKind.KEYRING or (kind is SecretKind.PLAINTEXT and row.secret is not None):
        # what the import does anyway: the --secrets choice says where a client_secret goes
        del fields["secret"]
    elif kind is SecretKind.PLAINTEXT:
        row.errors.append('secret = "plaintext" but the row has no client_secret')
    elif source is not None and row.secret is not None:
        row.errors.append(
            "the row gives both a client_secret and a secret source (value not shown): keep one"
        )
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
        raise ConfigError(
            f"{path}:{line}:{col}: not valid JSON ({getattr(exc, 'msg', exc)})"
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply to read") from None
    items = doc.get("profiles") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ConfigError(f'{path}: expected a JSON list of profiles (or {{"profiles": [...]}})')
    rows = []
    for index, item in enumerate(items, start=1):
        where = f"item {index}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            row = ImportRow(where, str(item.get("name", "")) if isinstance(item, dict) else "", {})
            row.errors.append('each item must be an object with a "name"')
            rows.append(row)
            continue
        if isinstance(item.get("project_id"), str):  # "1001", as a CSV cell would give it
            item = {**item, "project_id": profile_rules.whole_number(item["project_id"].strip())}
        rows.append(_split_secret(where, item["name"], item))
    return rows


def _rows_from_csv(path: Path, text: str) -> list[ImportRow]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _csv_rows(path, reader)
    except csv.Error as exc:  # a field over the size limit, a stray quote in strict dialects...
        raise ConfigError(f"{path}:{reader.line_num + 1}: not valid CSV ({exc})") from None


def _csv_rows(path: Path, reader: csv.DictReader[str]) -> list[ImportRow]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "level", "client_id") if c not in header]
    if missing:
        raise ConfigError(
            f"{path}: the header row lacks {', '.join(missing)} (columns: "
            f"{','.join(CSV_COLUMNS)}[,client_secret]; only name, level and "
            "client_id are required)"
        )
    rows = []
    for number, record in enumerate(reader, start=2):  # line 1 is the header
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
        where = f"line {number}"
        raw: dict[str, Any] = {}
        errors = []
        ignored = []
        for key, value in record.items():
            if value == "":
                continue
            if key not in (*CSV_COLUMNS, "client_secret"):
                ignored.append(key or "(a column without a header)")
                continue
            if key != "client_secret":  # csauth never writes one, so never escapes one
                value = from_csv_cell(value)
            if key == "project_id":
                raw[key] = profile_rules.whole_number(value)
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
        row.ignored.extend(ignored)
        rows.append(row)
    return rows


def _formula_escaped(text: str) -> bool:
    """True for text that reads as a formula once any leading quotes are taken away."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def to_csv_cell(value: object) -> str:
    """A cell of a CSV csauth writes: csv_cell's `'` before = + - @ tab CR, and one more
    `'` before a value that already starts with quotes and then one of those, so that
    from_csv_cell gives every value back exactly."""
    text = "" if value is None else str(value)
    if text.startswith("'") and _formula_escaped(text):
        return "'" + text
    return csv_cell(text)


def from_csv_cell(cell: str) -> str:
    """The value to_csv_cell (or a spreadsheet's own quoting) wrote as `cell`: exactly one
    leading `'` is taken away when what follows it starts (after any further quotes) with
    = + - @ tab or CR. Any other cell is taken as it is."""
    if cell.startswith("'") and _formula_escaped(cell[1:]):
        return cell[1:]
    return cell


def _validate(row: ImportRow) -> None:
    if row.errors:
        return
    problems: list[Problem] = []
    bad_name = profile_rules.name_problem(row.name if isinstance(row.name, str) else "")
    if bad_name:
        row.errors.append(f"name '{row.name}': {bad_name}")
        return
    unknown = sorted(set(row.fields) - profile_rules.PROFILE_KEYS)
    for key in unknown:
        row.fields.pop(key)
    row.ignored.extend(unknown)
    if profile_rules.validate_profile(row.name, dict(row.fields), problems) is None:
        row.errors.extend(
            f"{p.field or 'profile'}: {p.message}" for p in problems if p.severity is Severity.ERROR
        )


# --- planning and applying -------------------------------------------------------------


def shown_source(source: SecretSource | str) -> str:
    """A secret source as it may be shown: a command or variable name that looks like a
    pasted secret is not quoted. A string is one the profile rules have let through."""
    if isinstance(source, str):
        source = SecretSource.parse(source)
    if not source.held and looks_like_a_secret(source.text):
        what = "command" if source.kind is SecretKind.COMMAND else "variable name"
        return f"{source.kind.value}: ({what} not shown: it looks like a secret)"
    return inert(source.text)


def shown_url(url: str) -> str:
    """An auth_url as it may be shown: only its scheme and host when part of it looks like a
    pasted secret (a password in the URL, a token in its query)."""
    if not looks_like_a_secret(url):
        return inert(url)
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.hostname}" if parts.hostname else "the URL"
    except ValueError:
        host = "the URL"
    return f"{inert(host)} (the rest not shown: it looks like a secret)"


def plan_import(
    rows: list[ImportRow],
    existing: ProfilesFile,
    overwrite: bool,
    *,
    allow_secret_sources: bool = False,
    allow_auth_url: bool = False,
    secrets: SecretsMode | str = SecretsMode.KEYRING,
) -> ImportPlan:
    """What importing `rows` into `existing` would do, row by row. `secrets` is the
    --secrets choice the notes are worked out for (apply_import works them out again)."""
    secrets = SecretsMode(secrets)
    outcomes = []
    owners: dict[str, str] = {p.client_id: n for n, p in existing.profiles.items()}
    secret_from: dict[str, tuple[str, Secret]] = {}  # client_id -> (where, secret) so far
    seen_names: set[str] = set()
    for row in rows:
        if row.errors:
            outcomes.append(
                Outcome(row.where, row.name, ImportAction.INVALID, "; ".join(row.errors))
            )
            continue
        admitted, refused = _behaviour(
            row,
            existing.profiles.get(row.name) if overwrite else None,
            allow_secret_sources,
            allow_auth_url,
        )
        if refused:
            outcomes.append(Outcome(row.where, row.name, ImportAction.INVALID, "; ".join(refused)))
            continue
        if row.name in seen_names:
            outcomes.append(
                Outcome(
                    row.where,
                    row.name,
                    ImportAction.CONFLICT,
                    "the same name appears twice in this import",
                )
            )
            continue
        seen_names.add(row.name)
        if row.name in existing.order and not overwrite:
            outcomes.append(
                Outcome(
                    row.where,
                    row.name,
                    ImportAction.CONFLICT,
                    "a profile with this name exists (--overwrite replaces it)",
                )
            )
            continue
        action = ImportAction.OVERWRITE if row.name in existing.order else ImportAction.ADD
        outcome = Outcome(row.where, row.name, action, admitted=admitted)
        current = existing.profiles.get(row.name) if action is ImportAction.OVERWRITE else None
        outcome.current_source = current.secret if current else None
        if row.ignored:
            outcome.notes.append(f"unknown field(s) {', '.join(row.ignored)} ignored")
        if current is not None:
            outcome.notes.extend(_kept_by_overwrite(current, row, secrets))
        client_id: str = row.fields["client_id"]  # there: the row passed the profile rules
        owner = owners.get(client_id)
        if owner is not None and owner != row.name:
            # legitimate (one account credential, two projects): the keyring entry is shared
            outcome.notes.append(f"shares its client_id with '{owner}'")
        owners.setdefault(client_id, row.name)
        if row.secret is not None:
            earlier = secret_from.setdefault(client_id, (row.where, row.secret))
            if earlier[1] != row.secret:
                outcome.secret_refused = (
                    f"client_secret NOT imported: {earlier[0]} gives a different one for the "
                    "same client_id, and one client_id has one secret (the first is kept)"
                )
            else:
                kept = kept_source_note(outcome, secrets, allow_secret_sources)
                if kept:
                    outcome.notes.append(kept)
        outcomes.append(outcome)
    return ImportPlan(rows, outcomes, allow_secret_sources, allow_auth_url)


def _kept_by_overwrite(current: Profile, row: ImportRow, secrets: SecretsMode) -> list[str]:
    """What a profile being replaced keeps of its own because the row says nothing of it
    (a row's client_secret that would move the source has its own note)."""
    kept = []
    if (
        not current.secret.held
        and "secret" not in row.fields
        and (row.secret is None or secrets is SecretsMode.SKIP)
    ):
        kept.append(f"secret source {shown_source(current.secret)}")
    if current.auth_url and "auth_url" not in row.fields:
        kept.append(f"auth_url {shown_url(current.auth_url)}")
    return [f"keeps its own {' and '.join(kept)}"] if kept else []


def _behaviour(
    row: ImportRow, current: Profile | None, allow_secret_sources: bool, allow_auth_url: bool
) -> tuple[list[str], list[str]]:
    """(what the flags let in from `row`, why `row` is refused) for its secret source
    and auth_url."""
    admitted, refused = [], []
    source = row.fields.get("secret")
    if source is not None:
        shown = shown_source(source)
        if allow_secret_sources:
            was = (
                f" (was {shown_source(current.secret)})"
                if current is not None and current.secret != SecretSource.parse(source)
                else ""
            )
            admitted.append(f"secret source: {shown}{was}")
        else:
            refused.append(
                f"secret source {shown} refused: an import takes one only with {SECRET_FLAG}"
            )
    url = row.fields.get("auth_url")
    if url is not None:
        if allow_auth_url:
            was = (
                f" (was {shown_url(current.auth_url or 'the default')})"
                if current is not None and current.auth_url != url.rstrip("/")
                else ""
            )
            admitted.append(f"auth_url: {shown_url(url)}{was}")
        else:
            refused.append(
                f"auth_url {shown_url(url)} refused: an import takes one only with {AUTH_URL_FLAG}"
            )
    return admitted, refused


def kept_source_note(
    outcome: Outcome, secrets: SecretsMode | str, allow_secret_sources: bool
) -> str:
    """Why the client_secret of an overwrite is left out: it would move the profile's
    secret to another source ("" when it would not, or when that is allowed)."""
    target = {SecretsMode.KEYRING: KEYRING, SecretsMode.PLAINTEXT: PLAINTEXT}.get(
        SecretsMode(secrets)
    )
    current = outcome.current_source
    if (
        outcome.action is not ImportAction.OVERWRITE
        or target is None
        or (current is not None and current.kind is target.kind)
        or allow_secret_sources
    ):
        return ""
    shown = shown_source(current) if current else "(unknown: the profile is invalid)"
    return (
        f"client_secret not imported: the profile keeps its secret source {shown} "
        f"({SECRET_FLAG} moves it to the {target.text})"
    )


def apply_import(
    plan: ImportPlan,
    store: Any,
    secrets: SecretsMode | str = SecretsMode.KEYRING,
    store_secret: Callable[..., str] | None = None,
    *,
    replace_secret: bool = False,
    prove: Callable[[str, dict[str, Any], Secret], None] | None = None,
) -> ImportNotes:
    """Write the plan; returns notes about secrets (stored, left out and why).

    New profiles are added in one write; a replaced profile gets the row's data fields and
    keeps everything else it had (its secret source, auth_url) unless the plan let the
    row's own in. A different secret already in the keyring is kept unless
    `replace_secret`, and then replaced only once `prove(name, fields, secret)` returned
    (it raises the API's refusal); without `prove` (--no-verify) it is replaced as is."""
    if secrets not in SECRET_MODES:
        raise ValueError(f"secrets must be one of {SECRET_MODES}")
    secrets = SecretsMode(secrets)
    if store_secret is None and secrets is SecretsMode.KEYRING:
        from .secrets import store_secret as default_store

        store_secret = default_store
    notes = ImportNotes()
    prepared: dict[str, dict[str, Any]] = {}
    for row in plan.to_write(ImportAction.ADD) + plan.to_write(ImportAction.OVERWRITE):
        outcome = plan.outcome_of(row)
        fields = dict(row.fields)
        if outcome is not None and outcome.action is ImportAction.OVERWRITE:
            # replaced: the data fields the row leaves out go; the rest of the profile stays
            fields = {key: None for key in DATA_FIELDS} | fields
        if row.secret is not None:
            refused = outcome.secret_refused if outcome else ""
            kept = kept_source_note(outcome, secrets, plan.allow_secret_sources) if outcome else ""
            if refused or kept:
                notes.append(f"{row.name}: {refused or kept}")
                notes.refused += bool(refused)
            elif secrets is SecretsMode.PLAINTEXT:
                fields["client_secret"] = row.secret
                fields["secret"] = None
                notes.append(f"{row.name}: secret written in plaintext, as asked")
            elif secrets is SecretsMode.KEYRING and store_secret is not None:
                note, taken = _to_keyring(store_secret, row, fields, replace_secret, prove)
                if note == REPLACED_NOTE:
                    notes.replaced.add(fields["client_id"])
                notes.append(f"{row.name}: {note}")
                notes.refused += taken is False
            else:
                notes.append(f"{row.name}: secret left out (--secrets skip)")
        elif fields.get("secret") is not None:  # a source let in: no client_secret with it
            fields["client_secret"] = None
        prepared[row.name] = fields
    store.add_many(
        [
            (r.name, {k: v for k, v in prepared[r.name].items() if v is not None})
            for r in plan.to_write(ImportAction.ADD)
        ]
    )
    for row in plan.to_write(ImportAction.OVERWRITE):
        try:
            _replace_profile(store, row.name, prepared[row.name])
        except (ConfigError, ValueError) as exc:
            notes.append(f"{row.name}: NOT replaced: {exc}")
            notes.refused += 1
    return notes


def _to_keyring(
    store_secret: Callable[..., str],
    row: ImportRow,
    fields: dict[str, Any],
    replace: bool,
    prove: Callable[[str, dict[str, Any], Secret], None] | None,
) -> tuple[str, bool | None]:
    """Store the row's secret; (note, True stored / False refused / None could not)."""
    client_id = fields["client_id"]
    assert row.secret is not None
    kept = (
        f"client_secret NOT imported: the keyring already holds a different secret "
        f"for client_id {mask(client_id)}; it was kept and the profile uses it"
    )
    try:
        done = store_secret(client_id, row.secret)
    except SecretConflictError:
        # nothing switches: the profile keeps (or, new, gets) the keyring's secret
        if not replace:
            return f"{kept} (--replace-secret replaces it)", False
        if prove is not None:  # a secret the API refuses never replaces one that works
            try:
                prove(row.name, fields, row.secret)
            except CsauthError as exc:
                return f"{kept}: the API refused the new one ({exc.message})", False
        try:
            done = store_secret(client_id, row.secret, replace=True)
        except SecretError as exc:
            return (
                f'secret NOT imported ({exc.message}); set secret = "env:VAR" or "cmd:..." for it'
            ), None
    except SecretError as exc:
        return (
            f'secret NOT imported ({exc.message}); set secret = "env:VAR" or "cmd:..." for it'
        ), None
    fields["secret"] = KEYRING.text
    fields["client_secret"] = None
    return {"unchanged": "secret already in the keyring", "replaced": REPLACED_NOTE}.get(
        done, "secret stored in the keyring"
    ), True


REPLACED_NOTE = "secret REPLACED in the keyring, as asked (--replace-secret)"


def proof_profile(existing: ProfilesFile, name: str, fields: dict[str, Any]) -> Profile:
    """The profile a row's secret is proved with: what the import will make of `name`
    (its data fields over the existing profile's, which keeps its own auth_url)."""
    before = existing.profiles.get(name)
    merged: dict[str, Any] = {}
    if before is not None:
        merged.update(
            level=before.level,
            scopes=list(before.scopes),
            project_id=before.project_id,
            auth_url=before.auth_url,
        )
    merged.update(
        {
            k: v
            for k, v in fields.items()
            if k in ("level", "client_id", "scopes", "project_id", "auth_url") and v is not None
        }
    )
    return Profile(
        name=name,
        client_id=merged["client_id"],
        level=merged.get("level") or "project",
        scopes=tuple(merged.get("scopes") or ("metrics",)),
        project_id=merged.get("project_id"),
        auth_url=merged.get("auth_url"),
    )


def _replace_profile(store: Any, name: str, changes: dict[str, Any]) -> None:
    try:
        store.update(name, changes)
    except UnknownProfileError:  # removed on disk since the plan: add it back
        store.add(name, {k: v for k, v in changes.items() if v is not None})


# --- export ----------------------------------------------------------------------------


def export_record(profile: Profile) -> dict[str, Any]:
    """A profile as plain data, without any secret (a plaintext one is dropped)."""
    record: dict[str, Any] = {
        "name": profile.name,
        "level": profile.level,
        "client_id": profile.client_id,
        "scopes": list(profile.scopes),
    }
    if profile.project_id is not None:
        record["project_id"] = profile.project_id
    if not profile.secret.held:
        record["secret"] = profile.secret.text
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
        return (
            json.dumps(
                [
                    {**r, **({"created": r["created"].isoformat()} if "created" in r else {})}
                    for r in records
                ],
                indent=2,
            )
            + "\n"
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        # every cell formula-safe (the file may be opened in a spreadsheet) and inert (it
        # may be printed to a terminal): CSV has no escape of its own for a control character
        for r in records:
            writer.writerow(
                [
                    to_csv_cell(inert(cell))
                    for cell in (
                        r["name"],
                        r["level"],
                        r["client_id"],
                        r.get("project_id", ""),
                        " ".join(r["scopes"]),
                        r["created"].isoformat() if "created" in r else "",
                        r.get("description", ""),
                        r.get("secret", ""),
                        r.get("auth_url", ""),
                    )
                ]
            )
        return out.getvalue()
    if fmt == "toml":
        import tomlkit

        doc = tomlkit.document()
        doc.add(
            tomlkit.comment(
                "csauth profiles, exported without secrets: `csauth import FILE` brings them in"
            )
        )
        table = tomlkit.table(is_super_table=True)
        for r in records:
            body = {k: v for k, v in r.items() if k != "name"}
            table.add(r["name"], body)
        doc.add("profiles", table)
        return tomlkit.dumps(doc)
    raise ConfigError(f"unknown export format '{fmt}' (use {', '.join(FORMATS)})")
