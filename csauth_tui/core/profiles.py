"""The profiles file: the data model, and loading + validating it.

Reading uses the standard library's tomllib (tomli on 3.10) so the cached-token path of
the CLI stays light; writes that must keep the user's formatting live in store.py.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import scopes as scope_rules
from .errors import ProfileInvalidError, ProfilesSyntaxError, UnknownProfileError
from .kinds import Severity, Word
from .redact import Secret, looks_like_a_secret
from .text import control_error, inert
from .urls import is_loopback, url_error  # noqa: F401 - re-exported, the old home

DEFAULT_AUTH_URL = "https://api.contentsquare.com"
MAX_RENEW_BEFORE = 3600  # renew_before_seconds must be below a token's documented lifetime
LEVELS = ("project", "account")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+\Z")  # \Z: "$" would accept a final newline
NAME_RULE = "ASCII letters, digits, '-' and '_'"  # what NAME_RE allows, in words
MAX_NAME = 64  # a name is typed on command lines and shown in a table column
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")  # what `secret = "env:NAME"` may name
PROFILE_KEYS = {
    "level",
    "client_id",
    "scopes",
    "project_id",
    "secret",
    "client_secret",
    "created",
    "description",
    "auth_url",
}


class SecretKind(Word):
    """Where a profile's client secret lives; the value is how the profiles file says it
    (`secret = "keyring"`, `"env:VAR"`, `"cmd:COMMAND"`; plaintext: a client_secret key)."""

    KEYRING = "keyring"
    ENV = "env"
    COMMAND = "cmd"
    PLAINTEXT = "plaintext"


_SOURCE_RULE = 'use "keyring", "env:VAR" or "cmd:COMMAND"'


@dataclass(frozen=True, eq=False)
class SecretSource:
    """A profile's `secret` field, read once where the profile is loaded: its kind, and
    the variable name (ENV) or the command line (COMMAND) after the colon."""

    kind: SecretKind
    argument: str = ""

    @classmethod
    def parse(cls, text: object) -> SecretSource:
        """The source `text` names, as the profiles file writes it. ValueError says why it
        names none; its message never quotes the value (a user may have pasted the secret
        itself there)."""
        if not isinstance(text, str):
            raise ValueError(f"unknown secret source (value not shown): {_SOURCE_RULE}")
        if text in ("keyring", "plaintext"):
            return KEYRING if text == "keyring" else PLAINTEXT
        prefix, colon, argument = text.partition(":")
        if not colon or prefix not in ("env", "cmd"):
            raise ValueError(f"unknown secret source (value not shown): {_SOURCE_RULE}")
        if not argument:
            raise ValueError(f"'{text}' needs a variable name or a command after the colon")
        if prefix == "env" and not ENV_NAME_RE.match(argument):
            raise ValueError(
                "env: must be followed by a variable name made of letters, "
                "digits and '_', not starting with a digit (value not shown)"
            )
        return cls(SecretKind(prefix), argument)

    @property
    def text(self) -> str:
        """How the profiles file writes it: `keyring`, `env:VAR`, `cmd:...`, `plaintext`."""
        if self.kind in (SecretKind.ENV, SecretKind.COMMAND):
            return f"{self.kind}:{self.argument}"
        return str(self.kind)

    @property
    def held(self) -> bool:
        """csauth holds the secret itself (the keyring, or the profiles file), rather than
        reading it from an environment variable or a command the user set up."""
        return self.kind in (SecretKind.KEYRING, SecretKind.PLAINTEXT)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):  # the old way to ask: loud, never silently False
            raise TypeError("compare a SecretSource's kind (a SecretKind), not a string")
        if not isinstance(other, SecretSource):
            return NotImplemented
        return (self.kind, self.argument) == (other.kind, other.argument)

    def __hash__(self) -> int:
        return hash((self.kind, self.argument))

    def __repr__(self) -> str:
        shown = (
            "(not shown: it looks like a secret)"
            if looks_like_a_secret(self.argument)
            else repr(self.argument)
        )
        return (
            f"SecretSource({self.kind.name}, {shown})"
            if self.argument
            else f"SecretSource({self.kind.name})"
        )


KEYRING = SecretSource(SecretKind.KEYRING)
PLAINTEXT = SecretSource(SecretKind.PLAINTEXT)


@dataclass(frozen=True)
class Settings:
    auth_url: str = DEFAULT_AUTH_URL
    renew_before_seconds: int = 300
    clipboard_clear_seconds: int = 30
    token_cache: bool = True
    ca_bundle: str | None = None
    default_profile: str | None = None  # the PROFILE of commands that omit it
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    client_id: str
    level: str = "project"
    scopes: tuple[str, ...] = ("metrics",)
    project_id: int | None = None
    secret: SecretSource = KEYRING
    client_secret: Secret | None = field(default=None, repr=False)
    created: date | None = None
    description: str = ""
    auth_url: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.secret, str):  # written as the file does: read it once, here
            object.__setattr__(self, "secret", SecretSource.parse(self.secret))

    @property
    def is_account(self) -> bool:
        return self.level == "account"

    def effective_auth_url(self, settings: Settings) -> str:
        return (self.auth_url or settings.auth_url).rstrip("/")


@dataclass(frozen=True)
class Problem:
    """Something wrong (or worth knowing) about one profile or the settings."""

    message: str
    profile: str | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))  # "error" reads too

    def __str__(self) -> str:
        # the profile's name may be anything the file holds: shown inert, as is the message
        where = inert(".".join(p for p in (self.profile, self.field) if p))
        return inert(f"{where}: {self.message}" if where else self.message)


@dataclass
class ProfilesFile:
    path: Path
    exists: bool = False
    settings: Settings = field(default_factory=Settings)
    profiles: dict[str, Profile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # the name of every profile table in file order, good or bad
    order: list[str] = field(default_factory=list)

    def settings_errors(self) -> list[Problem]:
        """What is wrong with [settings]: while there is anything, nothing may be sent
        (a dropped value would fall back to a default, e.g. the real auth URL)."""
        return [
            p
            for p in self.problems
            if p.profile is None
            and p.severity is Severity.ERROR
            and (p.field or "").startswith("settings")
        ]

    def errors_for(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.profile == name and p.severity is Severity.ERROR]

    def get(self, name: str) -> Profile:
        if name in self.profiles:
            return self.profiles[name]
        bad = self.errors_for(name)
        if bad:
            detail = "; ".join(str(p) for p in bad)
            raise ProfileInvalidError(f"profile '{name}' in {self.path} is invalid: {detail}")
        # a few close names, never the whole list (a team's file may hold thousands)
        close = similar_names(name, self.order)
        suggestion = ""
        if close:
            suggestion = "; did you mean " + " or ".join(f"'{inert(n)}'" for n in close) + "?"
        raise UnknownProfileError(
            f"unknown profile '{inert(name)}' in {self.path}{suggestion}",
            hint="`csauth list` shows them all; `csauth add` creates one",
        )


def similar_names(name: str, names: list[str], limit: int = 3) -> list[str]:
    """Up to `limit` names close to `name`: the same but for case first, then difflib's
    close ones; when none is close, the one nearest (a short name mistyped may share only
    a letter or two with the right one)."""
    import difflib

    folded = name.casefold()
    same = [n for n in names if n.casefold() == folded and n != name]
    close = difflib.get_close_matches(name, names, n=limit) or difflib.get_close_matches(
        name, names, n=1, cutoff=0.25
    )
    return list(dict.fromkeys(same + close))[:limit]


def case_twins(names: list[str]) -> dict[str, list[str]]:
    """The names that differ from another only by case, each with its twins."""
    folded = [name.casefold() for name in names]
    if len(set(folded)) == len(folded):  # the usual case: no twins, no grouping
        return {}
    groups: dict[str, list[str]] = {}
    for name, key in zip(names, folded):
        groups.setdefault(key, []).append(name)
    return {
        name: [n for n in group if n != name]
        for group in groups.values()
        if len(group) > 1
        for name in group
    }


def syntax_error(path: Path, exc: Exception, source: str = "") -> ProfilesSyntaxError:
    """tomllib/tomlkit errors as `path:line:col: message`."""
    text = str(exc)
    if "(at end of document)" in text:
        lines = source.splitlines() or [""]
        text = text.replace("(at end of document)", "(unexpected end of file)")
        return ProfilesSyntaxError(str(path), len(lines), len(lines[-1]) + 1, text)
    line = getattr(exc, "lineno", None) or getattr(exc, "line", None)
    col = getattr(exc, "colno", None)
    tomlkit_col = getattr(exc, "col", None)
    if col is None and isinstance(tomlkit_col, int):
        col = tomlkit_col + 1  # tomlkit counts columns from 0, tomllib and editors from 1
    match = re.search(r"\(at line (\d+), column (\d+)\)", text) or re.search(
        r"at line (\d+) col (\d+)", text
    )
    if match and not (line and col):
        line, col = int(match.group(1)), int(match.group(2))
    detail = re.sub(r"\s*\(at line \d+, column \d+\)|\s*at line \d+ col \d+", "", text)
    return ProfilesSyntaxError(
        str(path), int(line or 1), int(col or 1), detail.strip() or "invalid TOML"
    )


def load(path: Path) -> ProfilesFile:
    """Read and validate the profiles file. A missing file is an empty, valid one.

    UnsafeFileError (exit 3) for a file, or a directory holding it, that another user owns
    or that group or others may write: its `secret = "cmd:..."` would run as us."""
    path = Path(path)
    try:
        raw = read_profiles_bytes(path)
    except FileNotFoundError:
        return ProfilesFile(path=path, exists=False)
    except IsADirectoryError:
        raise ProfilesSyntaxError(str(path), 1, 1, "is a directory, not a profiles file") from None
    except OSError as exc:
        raise ProfilesSyntaxError(str(path), 1, 1, f"cannot read: {exc.strerror or exc}") from None
    return parse(path, raw)


def readable_by_others(path: Path) -> str | None:
    """A warning when group or others may read the profiles file (it names credentials and
    the commands that fetch their secrets; a plaintext client_secret would be theirs)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"{inert(str(path))} is readable by group or others "
        f"(mode {stat.S_IMODE(mode):04o}; fix: chmod go-r {inert(str(path))})"
    )


def read_profiles_bytes(path: Path) -> bytes:
    """The profiles file's bytes, if it is safe to act on (see fsutil.read_trusted): a
    symlink to it (dotfiles managed with stow) is followed."""
    from .fsutil import read_trusted

    return read_trusted(path, follow_symlinks=True)


def parse(path: Path, raw: bytes | str) -> ProfilesFile:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return from_mapping(path, read_toml(path, text))


def read_toml(path: Path, text: str) -> dict[str, Any]:
    """tomllib.loads, with every way it can give up reported as a ProfilesSyntaxError.
    Imported here: the app's start reads a big file's parse from its cache instead."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        doc: dict[str, Any] = tomllib.loads(text)
        return doc
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(path, exc, text) from None
    except RecursionError:  # tomllib recurses once per level of [ or {
        raise ProfilesSyntaxError(
            str(path), 1, 1, "arrays or inline tables nested too deeply to read"
        ) from None
    except ValueError as exc:  # int() refuses numbers of more than 4300 digits
        detail = "a number has too many digits to read" if "digits" in str(exc) else str(exc)
        raise ProfilesSyntaxError(str(path), 1, 1, detail) from None


def from_mapping(path: Path, doc: dict[str, Any]) -> ProfilesFile:
    result = ProfilesFile(path=Path(path), exists=True)
    result.settings = _settings(doc.get("settings", {}), result.problems)
    raw_keys = doc.get("keys", {})
    if isinstance(raw_keys, dict):
        keys = {str(k): str(v) for k, v in raw_keys.items() if isinstance(v, str)}
        result.settings = Settings(**{**result.settings.__dict__, "keys": keys})
    profiles = doc.get("profiles", {})
    if not isinstance(profiles, dict):
        result.problems.append(Problem("[profiles] must be a table of profiles", field="profiles"))
        return result
    for name, table in profiles.items():
        result.order.append(name)
        profile = validate_profile(name, table, result.problems)
        if profile is not None:
            result.profiles[name] = profile
    for name, twins in case_twins(result.order).items():
        others = ", ".join(f"'{inert(n)}'" for n in twins)
        result.problems.append(
            Problem(
                f"differs from {others} only by case: easy to mistake for it; rename one",
                profile=name,
                severity=Severity.WARNING,
            )
        )
    return result


def _settings(raw: Any, problems: list[Problem]) -> Settings:
    if not isinstance(raw, dict):
        problems.append(Problem("[settings] must be a table", field="settings"))
        return Settings()
    values: dict[str, Any] = {}
    checks = {
        "auth_url": str,
        "renew_before_seconds": int,
        "clipboard_clear_seconds": int,
        "token_cache": bool,
        "ca_bundle": str,
        "default_profile": str,
    }
    for key, value in raw.items():
        kind = checks.get(key)
        if kind is None:
            problems.append(
                Problem(
                    f"unknown setting '{key}' ignored",
                    field=f"settings.{key}",
                    severity=Severity.WARNING,
                )
            )
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(
                Problem(
                    f"must be a whole number of seconds >= 0, not {_shown(value)}",
                    field=f"settings.{key}",
                )
            )
            continue
        if key == "renew_before_seconds" and value >= MAX_RENEW_BEFORE:
            problems.append(
                Problem(
                    f"must be less than {MAX_RENEW_BEFORE} (a token lives one hour), not {value}",
                    field=f"settings.{key}",
                )
            )
            continue
        if kind is not int and not isinstance(value, kind):
            word = {"bool": "true or false", "str": "a string"}[kind.__name__]
            problems.append(
                Problem(f"must be {word}, not {_shown(value)}", field=f"settings.{key}")
            )
            continue
        if key == "auth_url":
            url_problem = url_error(value)
            if url_problem:
                problems.append(Problem(url_problem, field="settings.auth_url"))
                continue
        values[key] = value
    return Settings(**values)


def _shown(value: Any) -> str:
    """A wrong setting's value, quoted back to the user (never one that looks like a secret)."""
    from .text import inert

    if isinstance(value, str):
        return (
            "a string (not shown: it looks like a secret)"
            if looks_like_a_secret(value)
            else inert(repr(value[:60]))
        )
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "a list"
    return inert(repr(value))[:60]


@functools.lru_cache(maxsize=1024)
def _scope_verdict(
    raw: tuple[Any, ...],
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]] | None:
    """Normalised scopes, why they cannot go together, the unknown ones (None: not all
    strings): worked out once per list of scopes, as a team's profiles share a handful."""
    if not all(isinstance(s, str) for s in raw):
        return None
    scopes = scope_rules.normalize(raw)
    return scopes, scope_rules.combination_error(scopes), tuple(scope_rules.unknown(scopes))


# --- the field rules ---------------------------------------------------------------------
# One table says what each key of a [profiles.NAME] table must be. The file loader
# (validate_profile), the app's form (ui/screens/profile_form.form_errors) and the import
# readers (transfer.py, through validate_profile) all ask it: no second copy of a rule.


@dataclass(frozen=True)
class FieldRule:
    """One key of a profile table: the TOML types it takes (a bool is never an int),
    whether it must be there, what else its value must be (`check`: why not, or None),
    what to say when it is missing or of the wrong type (`message`, with {value}), and
    `expects`: the rule in a few words, where a form shows it beside the field. `notes`
    gives warnings about a value that is kept (an unknown scope)."""

    name: str
    types: tuple[type, ...]
    required: bool
    check: Callable[[Any], str | None]
    message: str
    expects: str = ""
    notes: Callable[[Any], list[str]] | None = None

    def problem(self, value: Any) -> str | None:
        """Why `value` (None: the key is absent) cannot be this field's, or None."""
        if value is None:
            return self.message.format(value=value) if self.required else None
        if (isinstance(value, bool) and bool not in self.types) or not isinstance(
            value, self.types
        ):
            return self.message.format(value=value)
        return self.check(value)


def whole_number(text: str) -> int | str:
    """An int for plain ASCII digits that int() accepts; else the text, for the rules to
    refuse by name (str.isdigit is also true for '²' and other non-ASCII digits). How a
    form's or a CSV cell's text becomes a project_id."""
    if text.isascii() and text.isdigit():
        try:
            return int(text)
        except ValueError:  # more digits than int() converts
            pass
    return text


def positive_int(value: Any) -> bool:
    """A project_id: a whole number above 0 (not a bool, not a float, not text)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


_PROJECT_ID_RULE = "project_id must be a positive integer, not {value!r}"
_SCOPES_RULE = 'scopes must be a list of strings, e.g. ["metrics"]'
_MISSING_CLIENT_ID = "missing client_id (copy it from the Contentsquare console)"


def _scopes(value: Any) -> tuple[tuple[str, ...], str | None, tuple[str, ...]] | None:
    raw = [value] if isinstance(value, str) else value
    try:
        return _scope_verdict(tuple(raw))
    except TypeError:  # a list or table among them: not hashable, not strings either
        return None


def _scopes_check(value: Any) -> str | None:
    verdict = _scopes(value)
    return _SCOPES_RULE if verdict is None else verdict[1]


def _unknown_scopes(value: Any) -> list[str]:
    verdict = _scopes(value)
    return [
        f"unknown scope '{scope}' (kept; Contentsquare may have added it)"
        for scope in (verdict[2] if verdict else ())
    ]


def _client_id_check(value: str) -> str | None:
    if not value.strip():
        return _MISSING_CLIENT_ID
    control = control_error("client_id", value)
    return f"{control}: copy it again from the Contentsquare console" if control else None


def _secret_check(value: str) -> str | None:
    try:
        SecretSource.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def _created_check(value: date) -> str | None:
    created = value.date() if isinstance(value, datetime) else value
    if created > _today():
        return (
            f"created {created.isoformat()} is in the future: use the date the "
            "credential was created in the Contentsquare console"
        )
    return None


_today_seen: tuple[float, date] = (-1.0, date.min)


def _today() -> date:
    """Today's date, asked of the OS at most once a second (10,000 profiles at a start
    would ask it 10,000 times)."""
    global _today_seen
    now = time.monotonic()
    if now - _today_seen[0] > 1.0:
        _today_seen = (now, date.today())
    return _today_seen[1]


FIELD_RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "level",
        (str,),
        False,
        lambda v: None if v in LEVELS else f'unknown level \'{v}\': use "project" or "account"',
        'unknown level \'{value}\': use "project" or "account"',
    ),
    FieldRule("client_id", (str,), True, _client_id_check, _MISSING_CLIENT_ID),
    FieldRule("scopes", (list, str), False, _scopes_check, _SCOPES_RULE, notes=_unknown_scopes),
    FieldRule(
        "project_id",
        (int,),
        False,
        lambda v: None if positive_int(v) else _PROJECT_ID_RULE.format(value=v),
        _PROJECT_ID_RULE,
        expects="a positive whole number",
    ),
    FieldRule(
        "client_secret",
        (str,),
        False,
        lambda v: None if v else "client_secret must be a non-empty string",
        "client_secret must be a non-empty string",
        notes=lambda v: [
            "client secret stored in plaintext in the profiles file; move it to the keyring"
        ],
    ),
    # never quote the value in these messages: a user may have pasted the secret itself
    FieldRule(
        "secret",
        (str,),
        False,
        _secret_check,
        f"unknown secret source (value not shown): {_SOURCE_RULE}",
    ),
    FieldRule(
        "created",
        (date,),
        False,
        _created_check,
        "created must be a TOML date, e.g. 2026-01-15",
        expects="a date like 2026-01-15",
    ),
    FieldRule("description", (str,), False, lambda v: None, "description must be a string"),
    FieldRule("auth_url", (str,), False, url_error, "auth_url must be a string"),
)
RULES: dict[str, FieldRule] = {rule.name: rule for rule in FIELD_RULES}


def field_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be the profile field `name` (None: it can, or it is absent and
    may be). A form or an import asks this for one field; validate_profile for all."""
    return RULES[name].problem(value)


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a profile, or None."""
    if not NAME_RE.match(name):
        return control_error("the profile name", name) or f"a profile name may use {NAME_RULE} only"
    if len(name) > MAX_NAME:
        return f"a profile name is at most {MAX_NAME} characters, not {len(name)}"
    return None


def validate_profile(name: str, table: Any, problems: list[Problem]) -> Profile | None:
    """A Profile, or None with the reasons appended to `problems` (see FIELD_RULES)."""
    first_new = len(problems)  # not a count over all of `problems`: that made loading O(n^2)

    def err(fld: str | None, message: str, severity: Severity = Severity.ERROR) -> None:
        problems.append(Problem(message, profile=name, field=fld, severity=severity))

    bad_name = name_problem(name)
    if bad_name:
        err(None, bad_name)
    if not isinstance(table, dict):
        err(None, "must be a table ([profiles.NAME])")
        return None
    if not PROFILE_KEYS.issuperset(table):
        for key in table:
            if key not in PROFILE_KEYS:
                err(key, f"unknown field '{key}' ignored", Severity.WARNING)

    values: dict[str, Any] = {}
    for rule in FIELD_RULES:  # once per profile per start: kept lean (10,000 profiles)
        value = table.get(rule.name)
        if value is None and not rule.required:
            continue
        if rule.name == "secret" and values.get("client_secret"):
            continue  # a client_secret in the file is the source, whatever `secret` says
        problem = rule.problem(value)
        if problem:
            err(rule.name, problem)
            continue
        values[rule.name] = value
        if rule.notes is not None:
            for note in rule.notes(value):
                err(rule.name, note, Severity.WARNING)

    if len(problems) > first_new and any(
        p.severity is Severity.ERROR for p in problems[first_new:]
    ):
        return None
    plaintext = values.get("client_secret")
    verdict = _scopes(values.get("scopes", ["metrics"]))
    created = values.get("created")
    auth_url = values.get("auth_url")
    return Profile(
        name=name,
        client_id=str(values["client_id"]).strip(),
        level=values.get("level", "project"),
        scopes=verdict[0] if verdict else ("metrics",),
        project_id=values.get("project_id"),
        secret=PLAINTEXT if plaintext else SecretSource.parse(values.get("secret", "keyring")),
        client_secret=Secret(plaintext) if plaintext else None,
        created=created.date() if isinstance(created, datetime) else created,
        description=values.get("description", ""),
        auth_url=auth_url.rstrip("/") if auth_url else None,
    )
