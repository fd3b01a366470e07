"""The profiles file: the data model, and loading + validating it.

Reading uses the standard library's tomllib (tomli on 3.10) so the cached-token path of
the CLI stays light; writes that must keep the user's formatting live in store.py.
"""

from __future__ import annotations

import functools
import re
import sys
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
    "level", "client_id", "scopes", "project_id", "secret", "client_secret",
    "created", "description", "auth_url",
}


class SecretKind(Word):
    """Where a profile's client secret lives; the value is how the profiles file says it
    (`secret = "keyring"`, `"env:VAR"`, `"cmd:COMMAND"`; plaintext: a client_secret key)."""

    KEYRING = "keyring"
    ENV = "env"
    COMMAND = "cmd"
    PLAINTEXT = "plaintext"


_SOURCE_RULE = "use \"keyring\", \"env:VAR\" or \"cmd:COMMAND\""


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
            return cls(SecretKind(text))
        prefix, colon, argument = text.partition(":")
        if not colon or prefix not in ("env", "cmd"):
            raise ValueError(f"unknown secret source (value not shown): {_SOURCE_RULE}")
        if not argument:
            raise ValueError(f"'{text}' needs a variable name or a command after the colon")
        if prefix == "env" and not ENV_NAME_RE.match(argument):
            raise ValueError("env: must be followed by a variable name made of letters, "
                             "digits and '_', not starting with a digit (value not shown)")
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
        shown = "(not shown: it looks like a secret)" if looks_like_a_secret(self.argument) \
            else repr(self.argument)
        return f"SecretSource({self.kind.name}, {shown})" if self.argument \
            else f"SecretSource({self.kind.name})"


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
        return [p for p in self.problems if p.profile is None and p.severity is Severity.ERROR
                and (p.field or "").startswith("settings")]

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
    close = (difflib.get_close_matches(name, names, n=limit)
             or difflib.get_close_matches(name, names, n=1, cutoff=0.25))
    return list(dict.fromkeys(same + close))[:limit]


def case_twins(names: list[str]) -> dict[str, list[str]]:
    """The names that differ from another only by case, each with its twins."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.casefold(), []).append(name)
    return {name: [n for n in group if n != name]
            for group in groups.values() if len(group) > 1 for name in group}


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
    return ProfilesSyntaxError(str(path), int(line or 1), int(col or 1), detail.strip() or "invalid TOML")


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
        raise ProfilesSyntaxError(str(path), 1, 1, "arrays or inline tables nested too "
                                  "deeply to read") from None
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
        result.problems.append(Problem(
            f"differs from {others} only by case: easy to mistake for it; rename one",
            profile=name, severity=Severity.WARNING))
    return result


def _settings(raw: Any, problems: list[Problem]) -> Settings:
    if not isinstance(raw, dict):
        problems.append(Problem("[settings] must be a table", field="settings"))
        return Settings()
    values: dict[str, Any] = {}
    checks = {
        "auth_url": str, "renew_before_seconds": int, "clipboard_clear_seconds": int,
        "token_cache": bool, "ca_bundle": str, "default_profile": str,
    }
    for key, value in raw.items():
        kind = checks.get(key)
        if kind is None:
            problems.append(Problem(f"unknown setting '{key}' ignored", field=f"settings.{key}",
                                    severity=Severity.WARNING))
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(Problem(f"must be a whole number of seconds >= 0, not "
                                    f"{_shown(value)}", field=f"settings.{key}"))
            continue
        if key == "renew_before_seconds" and value >= MAX_RENEW_BEFORE:
            problems.append(Problem(f"must be less than {MAX_RENEW_BEFORE} (a token lives one "
                                    f"hour), not {value}", field=f"settings.{key}"))
            continue
        if kind is not int and not isinstance(value, kind):
            word = {"bool": "true or false", "str": "a string"}[kind.__name__]
            problems.append(Problem(f"must be {word}, not {_shown(value)}",
                                    field=f"settings.{key}"))
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
        return ("a string (not shown: it looks like a secret)" if looks_like_a_secret(value)
                else inert(repr(value[:60])))
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "a list"
    return inert(repr(value))[:60]


@functools.lru_cache(maxsize=1024)
def _scope_verdict(raw: tuple[Any, ...]
                   ) -> tuple[tuple[str, ...], str | None, tuple[str, ...]] | None:
    """Normalised scopes, why they cannot go together, the unknown ones (None: not all
    strings): worked out once per list of scopes, as a team's profiles share a handful."""
    if not all(isinstance(s, str) for s in raw):
        return None
    scopes = scope_rules.normalize(raw)
    return scopes, scope_rules.combination_error(scopes), tuple(scope_rules.unknown(scopes))


def validate_profile(name: str, table: Any, problems: list[Problem]) -> Profile | None:
    """A Profile, or None with the reasons appended to `problems`."""
    first_new = len(problems)  # not a count over all of `problems`: that made loading O(n^2)

    def err(fld: str | None, message: str, severity: Severity = Severity.ERROR) -> None:
        problems.append(Problem(message, profile=name, field=fld, severity=severity))

    if not NAME_RE.match(name):
        err(None, control_error("the profile name", name)
            or f"a profile name may use {NAME_RULE} only")
    elif len(name) > MAX_NAME:
        err(None, f"a profile name is at most {MAX_NAME} characters, not {len(name)}")
    if not isinstance(table, dict):
        err(None, "must be a table ([profiles.NAME])")
        return None
    if not PROFILE_KEYS.issuperset(table):
        for key in table:
            if key not in PROFILE_KEYS:
                err(key, f"unknown field '{key}' ignored", Severity.WARNING)

    level = table.get("level", "project")
    if level not in LEVELS:
        err("level", f"unknown level '{level}': use \"project\" or \"account\"")

    client_id = table.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        err("client_id", "missing client_id (copy it from the Contentsquare console)")
    elif control_error("client_id", client_id):
        err("client_id", f"{control_error('client_id', client_id)}: copy it again from the "
            "Contentsquare console")

    raw_scopes = table.get("scopes", ["metrics"])
    if isinstance(raw_scopes, str):
        raw_scopes = [raw_scopes]
    try:
        verdict = _scope_verdict(tuple(raw_scopes)) if isinstance(raw_scopes, list) else None
    except TypeError:  # a list or table among them: not hashable, not strings either
        verdict = None
    if verdict is None:
        err("scopes", "scopes must be a list of strings, e.g. [\"metrics\"]")
        verdict = (("metrics",), None, ())  # not used: the profile is refused
    scopes, combo, unknown = verdict
    if combo:
        err("scopes", combo)
    for scope in unknown:
        err("scopes", f"unknown scope '{scope}' (kept; Contentsquare may have added it)",
            Severity.WARNING)

    project_id = table.get("project_id")
    if project_id is not None and (isinstance(project_id, bool) or not isinstance(project_id, int)
                                   or project_id <= 0):
        err("project_id", f"project_id must be a positive integer, not {project_id!r}")
        project_id = None

    secret: SecretSource | None = KEYRING
    plaintext = table.get("client_secret")
    if plaintext is not None:
        if not isinstance(plaintext, str) or not plaintext:
            err("client_secret", "client_secret must be a non-empty string")
        else:
            err("client_secret", "client secret stored in plaintext in the profiles file; "
                "move it to the keyring", Severity.WARNING)
            secret = PLAINTEXT
    if secret is not PLAINTEXT and "secret" in table:
        try:
            secret = SecretSource.parse(table["secret"])
        except ValueError as exc:
            err("secret", str(exc))
            secret = None

    created = table.get("created")
    if isinstance(created, datetime):
        created = created.date()
    if created is not None and not isinstance(created, date):
        err("created", "created must be a TOML date, e.g. 2026-01-15")
        created = None
    elif created is not None and created > date.today():
        err("created", f"created {created.isoformat()} is in the future: use the date the "
            "credential was created in the Contentsquare console")
        created = None

    description = table.get("description", "")
    if not isinstance(description, str):
        err("description", "description must be a string")
        description = ""

    auth_url = table.get("auth_url")
    if auth_url is not None:
        problem = url_error(auth_url) if isinstance(auth_url, str) else "auth_url must be a string"
        if problem:
            err("auth_url", problem)

    if len(problems) > first_new and any(p.severity is Severity.ERROR
                                         for p in problems[first_new:]):
        return None
    return Profile(
        name=name,
        client_id=str(client_id).strip(),
        level=level,
        scopes=scopes,
        project_id=project_id,
        secret=secret or KEYRING,
        client_secret=Secret(plaintext) if isinstance(plaintext, str) and plaintext else None,
        created=created,
        description=description,
        auth_url=auth_url.rstrip("/") if auth_url else None,
    )
