"""Writing the profiles file without disturbing what the user wrote by hand.

Every change runs the same way (`_locked` then `_commit`): take the inter-process lock,
read the bytes on disk *now* (so an edit made elsewhere since our last read is merged, not
clobbered), make the change, check it, write atomically (0600), remember the content hash.

How a change is made: each operation proposes one or more candidate texts, best first.
The best ones edit the text surgically (append a table, cut a table's lines, rewrite one
header line) or edit a tomlkit document in place; the last resort is a plainer tomlkit edit.
A candidate is kept only if the standard TOML parser reads it back as exactly the data we
meant (the old data plus the change, nothing else), so a clever edit that misjudged a
strange file falls back to a plainer one instead of corrupting the file.

Reading stays in profiles.py (tomllib, light); tomlkit is imported here only.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import Table

from . import fsutil, profiles
from .errors import ConfigError, ProfileInvalidError, StoreError, UnknownProfileError
from .kinds import Severity
from .profiles import ProfilesFile
from .redact import Secret

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILE_HEADER = """\
# csauth profiles: one [profiles.NAME] table per Contentsquare OAuth client.
# Client secrets are not kept in this file: they live in the system keyring
# (secret = "keyring"), or come from an environment variable (secret = "env:VAR")
# or a command (secret = "cmd:..."). `csauth add` creates a profile and stores its secret.
"""

# the order of keys in a profile table that csauth writes from scratch
FIELD_ORDER = (
    "description",
    "level",
    "client_id",
    "project_id",
    "scopes",
    "secret",
    "client_secret",
    "auth_url",
    "created",
)
SETTING_KEYS = frozenset(f.name for f in dataclasses.fields(profiles.Settings)) - {"keys"}
_MISSING = "missing"  # the fingerprint of a file that does not exist


@dataclass
class _Current:
    """The file as it is on disk right now (read under the lock)."""

    text: str
    data: dict[str, Any]  # what tomllib makes of it

    @property
    def profiles(self) -> dict[str, Any]:
        found: dict[str, Any] = self.data.get("profiles", {})  # a table: _read_current
        return found


class ProfileStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: str | None = None  # fingerprint of what we last read or wrote

    # --- reading ------------------------------------------------------------------------

    def load(self) -> ProfilesFile:
        try:
            raw = profiles.read_profiles_bytes(self.path)  # refuses a file others may write
        except OSError:
            # missing (an empty, valid file) or unreadable: profiles.load gives the answer
            # and the error the rest of csauth gives
            self._seen = self._fingerprint()
            return profiles.load(self.path)
        self._seen = _digest(raw)
        return profiles.parse(self.path, raw)

    def changed_on_disk(self) -> bool:
        """True when the file differs from what we last loaded or wrote (or never loaded)."""
        return self._seen is None or self._fingerprint() != self._seen

    def _fingerprint(self) -> str:
        try:
            return _digest(self.path.read_bytes())
        except FileNotFoundError:
            return _MISSING
        except OSError:
            return "unreadable"

    # --- changing -----------------------------------------------------------------------

    def add(self, name: str, fields: Mapping[str, Any], *, overwrite: bool = False) -> None:
        _check_name(name)
        values = {k: v for k, v in _plain_fields(fields).items() if v is not None}
        with self._locked() as cur:
            expected = _copy(cur)
            expected.setdefault("profiles", {})[name] = values
            if name in cur.profiles:
                if not overwrite:
                    raise ConfigError(
                        f"a profile named '{name}' already exists in {self.path}",
                        hint="pick another name, or replace it on purpose",
                    )
                # replace the content, keep the table where it is with its comments
                self._require(cur, name)
                changes = {key: None for key in cur.profiles[name]} | values
                candidates = _table_edits(cur.text, ("profiles", name), changes)
            else:
                block = _render_new_profile(name, values)
                candidates = [
                    lambda: _append_block(cur.text, block),
                    lambda: _edited(cur.text, lambda doc: _add_table(doc, name, values)),
                ]
            self._commit(cur, expected, candidates, check=_profile_check(name))

    def add_many(self, entries: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Add several new profiles in one locked write (an import): all or none."""
        prepared = []
        for name, fields in entries:
            _check_name(name)
            prepared.append(
                (name, {k: v for k, v in _plain_fields(fields).items() if v is not None})
            )
        if not prepared:
            return
        with self._locked() as cur:
            clashes = [name for name, _ in prepared if name in cur.profiles]
            if clashes:
                raise ConfigError(f"profiles already in {self.path}: {', '.join(clashes)}")
            expected = _copy(cur)
            for name, values in prepared:
                expected.setdefault("profiles", {})[name] = values

            def append_all() -> str:
                text = cur.text
                for name, values in prepared:
                    text = _append_block(text, _render_new_profile(name, values))
                return text

            def via_document(doc: tomlkit.TOMLDocument) -> None:
                for name, values in prepared:
                    _add_table(doc, name, values)

            checks = [_profile_check(name) for name, _ in prepared]

            def check_all(result: ProfilesFile) -> None:
                for check in checks:
                    check(result)

            self._commit(
                cur,
                expected,
                [append_all, lambda: _edited(cur.text, via_document)],
                check=check_all,
            )

    def update(self, name: str, changes: Mapping[str, Any]) -> None:
        """Set the given fields; a value of None removes that key from the profile."""
        changes = _plain_fields(changes)
        with self._locked() as cur:
            self._require(cur, name)
            expected = _copy(cur)
            table = expected["profiles"][name]
            for key, value in changes.items():
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value
            candidates = _table_edits(cur.text, ("profiles", name), changes)
            self._commit(cur, expected, candidates, check=_profile_check(name))

    def remove(self, name: str) -> bool:
        """Remove the profile's table (and the comment lines right above it)."""
        with self._locked() as cur:
            if name not in cur.profiles:
                return False
            expected = _copy(cur)
            del expected["profiles"][name]
            candidates = [
                lambda: _cut_table(cur.text, name),
                lambda: _edited(cur.text, lambda doc: doc["profiles"].__delitem__(name)),
            ]
            self._commit(cur, expected, candidates)
        return True

    def rename(self, old: str, new: str) -> None:
        _check_name(new)
        with self._locked() as cur:
            self._require(cur, old)
            if new in cur.profiles:
                raise ConfigError(f"a profile named '{new}' already exists in {self.path}")
            expected = _copy(cur)
            expected["profiles"][new] = expected["profiles"].pop(old)
            candidates = [
                # rewriting the header line keeps the table's place, content and comments
                lambda: _rename_header(cur.text, old, new),
                # an inline-table profile (`old = { ... }` under [profiles]) renames in place
                lambda: _rename_inline(cur.text, old, new),
                # tomlkit cannot rename a [profiles.OLD] table in place: the last resort moves
                # the table (with its own comments) to the end of the [profiles] tables
                lambda: _edited(cur.text, lambda doc: _move_table(doc["profiles"], old, new)),
            ]
            self._commit(cur, expected, candidates, check=_profile_check(new))

    def set_setting(self, key: str, value: Any) -> None:
        """Set one key of [settings]; None removes it (back to the default)."""
        if key not in SETTING_KEYS:
            known = ", ".join(sorted(SETTING_KEYS))
            raise ValueError(f"unknown setting '{key}' (known: {known})")
        value = _plain(key, value)
        with self._locked() as cur:
            settings = cur.data.get("settings", {})
            if not isinstance(settings, dict):
                raise ConfigError(f"[settings] in {self.path} is not a table; fix it by hand")
            if value is None and key not in settings:
                return
            expected = _copy(cur)
            if value is None:
                del expected["settings"][key]
            else:
                expected.setdefault("settings", {})[key] = value
            if "settings" in cur.data:
                candidates = _table_edits(cur.text, ("settings",), {key: value})
            else:
                candidates = [
                    # a new [settings] table goes before the first table
                    lambda: _insert_before_first_table(cur.text, _render_settings(key, value)),
                    lambda: _edited(cur.text, lambda doc: _append_settings(doc, key, value)),
                ]
            self._commit(cur, expected, candidates, check=_setting_check(key))

    # --- the transaction ----------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_Current]:
        with fsutil.file_lock(self.path):
            yield self._read_current()

    def _read_current(self) -> _Current:
        try:
            raw = profiles.read_profiles_bytes(self.path)
        except FileNotFoundError:
            return _Current(text="", data={})
        except IsADirectoryError:
            raise StoreError(
                f"{self.path} is a directory, not a profiles file; nothing was written",
                hint="move it away, or point --config / CSAUTH_CONFIG at a file",
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot read {self.path}: {exc.strerror or exc}; nothing was written"
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start].decode("utf-8", errors="replace")
            line = before.count("\n") + 1
            col = len(before) - (before.rfind("\n") + 1) + 1
            raise profiles.syntax_error(
                self.path, ValueError(f"not valid UTF-8 (at line {line}, column {col})")
            ) from None
        data = profiles.read_toml(self.path, text)
        try:
            tomlkit.parse(text)
        except ParseError as exc:
            raise profiles.syntax_error(self.path, exc, text) from None
        if not isinstance(data.get("profiles", {}), dict):
            raise ConfigError(f"'profiles' in {self.path} is not a table; fix it by hand")
        return _Current(text=text, data=data)

    def _commit(
        self,
        cur: _Current,
        expected: dict[str, Any],
        candidates: Iterable[Callable[[], str | None]],
        check: Callable[[ProfilesFile], None] | None = None,
    ) -> None:
        new_text = _first_faithful(candidates, expected)
        if new_text is None:
            raise StoreError(
                f"could not change {self.path} without disturbing other entries; "
                "nothing was written",
                hint="make this change by hand",
            )
        if not cur.text.strip():
            new_text = FILE_HEADER + "\n" + new_text
        if check is not None:
            check(profiles.parse(self.path, new_text))
        if new_text != cur.text:
            fsutil.atomic_write(self.path, new_text)
        self._seen = _digest(new_text.encode("utf-8"))

    def _require(self, cur: _Current, name: str) -> None:
        if name not in cur.profiles:
            known = ", ".join(cur.profiles) or "none"
            raise UnknownProfileError(f"no profile named '{name}' in {self.path} (known: {known})")
        if not isinstance(cur.profiles[name], dict):
            raise ConfigError(f"profile '{name}' in {self.path} is not a table; fix it by hand")


# --- checks ------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not profiles.NAME_RE.fullmatch(name):
        raise ValueError(f"invalid profile name {name!r}: use {profiles.NAME_RULE}")


def _plain_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - profiles.PROFILE_KEYS)
    if unknown:
        known = ", ".join(sorted(profiles.PROFILE_KEYS))
        raise ValueError(f"unknown profile field(s) {', '.join(unknown)} (known: {known})")
    return {key: _plain(key, value) for key, value in fields.items()}


def _plain(key: str, value: Any) -> Any:
    """The value as TOML will hold it (never in a message: it may be a secret)."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, tuple):
        value = list(value)
    if value is not None:
        try:
            tomlkit.item(value)
        except Exception:  # tomlkit raises several types for "cannot convert"
            raise ValueError(f"'{key}' cannot hold a {type(value).__name__}") from None
    return value


def _profile_check(name: str) -> Callable[[ProfilesFile], None]:
    def check(result: ProfilesFile) -> None:
        errors = result.errors_for(name)
        if errors:
            detail = "; ".join(str(p) for p in errors)
            raise ProfileInvalidError(f"profile '{name}' was not saved: {detail}")

    return check


def _setting_check(key: str) -> Callable[[ProfilesFile], None]:
    def check(result: ProfilesFile) -> None:
        errors = [
            p
            for p in result.problems
            if p.field == f"settings.{key}" and p.severity is Severity.ERROR
        ]
        if errors:
            raise ConfigError(f"setting not saved: {errors[0]}")

    return check


# --- choosing a candidate ----------------------------------------------------------------


def _first_faithful(
    candidates: Iterable[Callable[[], str | None]], expected: dict[str, Any]
) -> str | None:
    for make in candidates:
        try:
            text = make()
            if text is not None and _normal(tomllib.loads(text)) == _normal(expected):
                return text
        except Exception:  # a candidate that fails in any way is simply not chosen
            continue
    return None


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    """Empty [profiles] / [settings] tables mean the same as none."""
    return {k: v for k, v in data.items() if not (k in ("profiles", "settings") and v == {})}


def _copy(cur: _Current) -> dict[str, Any]:
    return copy.deepcopy(cur.data)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- tomlkit edits -----------------------------------------------------------------------


def _edited(text: str, change: Callable[[tomlkit.TOMLDocument], None]) -> str:
    doc = tomlkit.parse(text)
    change(doc)
    return doc.as_string()


def _table_edits(
    text: str, path: tuple[str, ...], changes: Mapping[str, Any]
) -> list[Callable[[], str | None]]:
    """Edit a table in place: values set and keys removed where they are (a line keeps
    its own comment), new keys written right after its last key (see _insert_keys)."""

    def edit(doc: tomlkit.TOMLDocument, *, new_keys: bool) -> None:
        table = _walk(doc, path)
        for key, value in changes.items():
            if value is None:
                if key in table:
                    del table[key]
            elif key in table or new_keys:
                table[key] = value  # in place; a new key goes after trailing comments

    def careful() -> str | None:
        added = {
            key: value
            for key, value in changes.items()
            if value is not None and key not in _walk(tomlkit.parse(text), path)
        }
        edited = _edited(text, lambda doc: edit(doc, new_keys=False))
        return _insert_keys(edited, path, added) if added else edited

    return [careful, lambda: _edited(text, lambda doc: edit(doc, new_keys=True))]


def _walk(doc: tomlkit.TOMLDocument, path: tuple[str, ...]) -> Any:
    table: Any = doc
    for part in path:
        table = table[part]
    return table


def _new_table(values: Mapping[str, Any]) -> Table:
    table = tomlkit.table()
    for key in sorted(values, key=lambda k: FIELD_ORDER.index(k) if k in FIELD_ORDER else 99):
        table.add(key, values[key])
    return table


def _render_new_profile(name: str, values: Mapping[str, Any]) -> str:
    doc = tomlkit.document()
    doc.append("profiles", tomlkit.table(is_super_table=True))
    doc["profiles"].append(name, _new_table(values))
    return doc.as_string()  # "[profiles.NAME]\nkey = value\n..."


def _add_table(doc: tomlkit.TOMLDocument, name: str, values: Mapping[str, Any]) -> None:
    if "profiles" not in doc:
        doc.append("profiles", tomlkit.table(is_super_table=True))
    doc["profiles"][name] = _new_table(values)


def _new_settings(key: str, value: Any) -> Table:
    table = tomlkit.table()
    table.add(key, value)
    return table


def _append_settings(doc: tomlkit.TOMLDocument, key: str, value: Any) -> None:
    doc.append("settings", _new_settings(key, value))


def _render_settings(key: str, value: Any) -> str:
    doc = tomlkit.document()
    doc.append("settings", _new_settings(key, value))
    return doc.as_string()  # "[settings]\nkey = value\n"


def _move_table(container: Any, old: str, new: str) -> None:
    table = container[old]
    del container[old]
    container[new] = table


# --- text edits --------------------------------------------------------------------------

_AOT_RE = re.compile(r"^[ \t]*\[\[")  # an [[array of tables]] header
_HEADER_RE = re.compile(r"^(?P<indent>[ \t]*)\[(?P<key>[^\[\]]+)\](?P<rest>.*)$")


def _lines(text: str) -> list[str]:
    """Lines with their endings; only '\\n' ends a line (str.splitlines splits on more)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _header_path(line: str) -> tuple[str, ...] | None:
    """('profiles', 'prod') for a line `[profiles.prod]  # comment`, else None."""
    match = _HEADER_RE.match(line.rstrip("\n"))
    if not match:
        return None
    try:
        node: Any = tomllib.loads(f"[{match['key']}]")
    except tomllib.TOMLDecodeError:
        return None
    path = []
    while isinstance(node, dict) and len(node) == 1:
        part, node = next(iter(node.items()))
        path.append(part)
    return tuple(path)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _find_header(lines: list[str], name: str) -> int | None:
    return _find_table(lines, ("profiles", name))


def _find_table(lines: list[str], path: tuple[str, ...]) -> int | None:
    """The line of the one `[a.b]` header naming `path` (None: none, or more than one)."""
    found = [i for i, line in enumerate(lines) if _header_path(line) == path]
    return found[0] if len(found) == 1 else None


def _is_header(line: str) -> bool:
    return _header_path(line) is not None or bool(_AOT_RE.match(line))


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _insert_keys(text: str, path: tuple[str, ...], values: Mapping[str, Any]) -> str | None:
    """New `key = value` lines right after the last key of the table `[path]`, before the
    blank lines and comments that separate it from the next table (tomlkit's own add puts
    them after those), indented like the table's first key."""
    lines = _lines(text)
    header = _find_table(lines, path)
    if header is None:
        return None  # an inline or dotted table: the plainer tomlkit edit does it
    following = next((i for i in range(header + 1, len(lines)) if _is_header(lines[i])), len(lines))
    last_key = following - 1
    while last_key > header and (_is_blank(lines[last_key]) or _is_comment(lines[last_key])):
        last_key -= 1
    first_key = next(
        (
            line
            for line in lines[header + 1 : last_key + 1]
            if not _is_blank(line) and not _is_comment(line)
        ),
        "",
    )
    indent = first_key[: len(first_key) - len(first_key.lstrip(" \t"))]
    newline = _newline(text)
    new = []
    for key, value in values.items():
        if isinstance(value, dict):
            return None  # would render as a table of its own
        rendered = tomlkit.item(value).as_string()
        new.append(f"{indent}{tomlkit.key(key).as_string()} = {rendered}{newline}")
    if not lines[last_key].endswith("\n"):
        lines[last_key] += newline
    return "".join(lines[: last_key + 1] + new + lines[last_key + 1 :])


def _insert_before_first_table(text: str, block: str) -> str | None:
    """`block` and a blank line right before the first table header (None: no table)."""
    lines = _lines(text)
    first = next((i for i, line in enumerate(lines) if _is_header(line)), None)
    if first is None:
        return None
    newline = _newline(text)
    return "".join(lines[:first]) + block.replace("\n", newline) + newline + "".join(lines[first:])


_KEY_LINE_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<key>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
    r"|[A-Za-z0-9_-]+)(?P<rest>[ \t]*=.*)$",
    re.DOTALL,
)


def _rename_inline(text: str, old: str, new: str) -> str | None:
    """Rewrite `old = { ... }` under [profiles] (a profile written as an inline table) as
    `new = { ... }`, in place: the line keeps its value and comment."""
    lines = _lines(text)
    header = _find_table(lines, ("profiles",))
    if header is None:
        return None
    following = next((i for i in range(header + 1, len(lines)) if _is_header(lines[i])), len(lines))
    found = []
    for i in range(header + 1, following):
        match = _KEY_LINE_RE.match(lines[i])
        if match is None:
            continue
        try:
            key = next(iter(tomllib.loads(f"{match['key']} = 0")))
        except tomllib.TOMLDecodeError:
            continue
        if key == old:
            found.append((i, match))
    if len(found) != 1:
        return None
    i, match = found[0]
    lines[i] = f"{match['indent']}{tomlkit.key(new).as_string()}{match['rest']}"
    return "".join(lines)


def _append_block(text: str, block: str) -> str:
    """`block` at the end of `text`, after exactly one blank line."""
    if not text.strip():
        return block
    if "\r\n" in text:
        block = block.replace("\n", "\r\n")
    newline = "\r\n" if "\r\n" in text else "\n"
    if text.endswith(newline * 2):
        sep = ""
    elif text.endswith(newline):
        sep = newline
    else:
        sep = newline * 2
    return text + sep + block


def _cut_table(text: str, name: str) -> str | None:
    """Remove [profiles.NAME]: its header, its keys, the comment lines right above the
    header (no blank line between) and right below its last key, and the blank lines after.
    Comments separated from it by a blank line belong to no one in particular: they stay."""
    lines = _lines(text)
    header = _find_header(lines, name)
    if header is None:
        return None
    following = next(
        (i for i in range(header + 1, len(lines)) if _header_path(lines[i])), len(lines)
    )
    last_key = following - 1
    while last_key > header and (_is_blank(lines[last_key]) or _is_comment(lines[last_key])):
        last_key -= 1
    end = last_key + 1
    while end < following and _is_comment(lines[end]):
        end += 1
    if end == following < len(lines):
        end = last_key + 1  # comments running into the next header are that table's own
    while end < following and _is_blank(lines[end]):
        end += 1
    start = header
    while start > 0 and _is_comment(lines[start - 1]):
        start -= 1
    if end == len(lines):  # nothing after it: do not leave blank lines at the end
        while start > 0 and _is_blank(lines[start - 1]):
            start -= 1
    return "".join(lines[:start] + lines[end:])


def _rename_header(text: str, old: str, new: str) -> str | None:
    """Rewrite `[profiles.OLD]  # comment` as `[profiles.NEW]  # comment`, in place."""
    lines = _lines(text)
    header = _find_header(lines, old)
    if header is None:
        return None
    match = _HEADER_RE.match(lines[header].rstrip("\n"))
    assert match is not None
    newline = "\n" if lines[header].endswith("\n") else ""
    lines[header] = f"{match['indent']}[profiles.{new}]{match['rest']}{newline}"
    return "".join(lines)
