"""A big profiles file, parsed once: the app starts without re-reading 10,000 tables.

tomllib is pure Python: 10,000 profiles take ~0.4 s to parse, most of the app's start.
For a file of at least MIN_BYTES the parsed TOML document is kept in the cache directory
as JSON, under the SHA-256 of the file's bytes, so any change to the file (an edit, a
`csauth add`, another machine's copy) is a miss and a fresh parse. The document, not the
validated profiles, is kept: validation runs every time, exactly as without the cache.
A document that holds, or might hold, a secret is never cached (the cache must not be one
more place a secret lives): see `might_hold_a_secret`. Plain Python: no Textual here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ..core.errors import UnsafeFileError
from ..core.fsutil import directory_problem, read_trusted, warn_ignored
from ..core.profiles import (
    PROFILE_KEYS,
    ProfilesFile,
    SecretKind,
    SecretSource,
    from_mapping,
    load,
    parse,
    read_profiles_bytes,
    read_toml,
)
from ..core.redact import looks_like_a_secret

MIN_BYTES = 64 * 1024  # about 300 profiles; below that tomllib takes a few ms
FORMAT = 2
CACHE_NAME = "profiles.parsed.json"
WHAT = "parsed-profiles cache"


def load_profiles(path: Path, cache_dir: Path | None) -> ProfilesFile:
    """`core.profiles.load(path)`, from the parse cache in `cache_dir` when it can be."""
    path = Path(path)
    if cache_dir is None:
        return load(path)
    try:
        raw = read_profiles_bytes(path)  # UnsafeFileError: refused, as load() refuses it
    except OSError:
        return load(path)  # missing, a directory, unreadable: load() says which
    cache = Path(cache_dir) / CACHE_NAME
    if len(raw) < MIN_BYTES or b"client_secret" in raw:
        _remove(cache)  # nothing of an older, bigger or secret-free version stays behind
        return parse(path, raw)
    digest = hashlib.sha256(raw).hexdigest()
    doc = _read(cache, digest)
    if doc is None:
        doc = read_toml(path, raw.decode("utf-8", errors="replace"))
        if might_hold_a_secret(doc):
            _remove(cache)
        else:
            _write(cache, digest, doc)
    del raw  # megabytes, not needed while the profiles are made
    return from_mapping(path, doc)


def might_hold_a_secret(doc: dict[str, Any]) -> bool:
    """A client_secret however it was spelled in TOML, a key the loader does not know (a
    misspelled client-secret), a `secret` that is not a known source, or any string that
    looks like a pasted secret."""
    profiles = doc.get("profiles")
    for table in profiles.values() if isinstance(profiles, dict) else ():
        if not isinstance(table, dict) or set(table) - (PROFILE_KEYS - {"client_secret"}):
            return True
        try:
            source = SecretSource.parse(table.get("secret", "keyring"))
        except ValueError:
            return True
        if source.kind is SecretKind.PLAINTEXT:  # said by a client_secret key, not so
            return True
    return _any_string(doc, looks_like_a_secret)


def _any_string(value: Any, test) -> bool:
    if isinstance(value, dict):
        return any(_any_string(k, test) or _any_string(v, test) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_string(v, test) for v in value)
    return isinstance(value, str) and test(value)


def _remove(cache: Path) -> None:
    try:
        cache.unlink()
    except OSError:
        pass  # none there, or not ours to remove: either way nothing is read from it


def _stamp(digest: str) -> str:
    return f"{FORMAT}:{sys.version_info[0]}.{sys.version_info[1]}:{digest}"


def _read(cache: Path, digest: str) -> dict[str, Any] | None:
    """The cached document, only from a file that is ours and that no one else may write
    (it says what each profile's `secret = "cmd:..."` runs), never through a symlink."""
    try:
        data = json.loads(read_trusted(cache, follow_symlinks=False))
        if not isinstance(data, dict) or data.get("stamp") != _stamp(digest):
            return None
        doc = data["doc"]
        for where, kind, text in data["dates"]:
            _put_back(doc, where, TYPES[kind](text))
    except UnsafeFileError as problem:
        warn_ignored(WHAT, problem)
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None  # no cache, another file's, or a damaged one: parse
    return doc if isinstance(doc, dict) else None


def _write(cache: Path, digest: str, doc: dict[str, Any]) -> None:
    from ..core.errors import CsauthError
    from ..core.fsutil import atomic_write

    problem = directory_problem(cache.parent, cache)
    if problem:
        warn_ignored(WHAT, problem)
        return
    dates: list[tuple[list, str, str]] = []
    try:
        plain = _encode(doc, [], dates)
        text = json.dumps(
            {"stamp": _stamp(digest), "doc": plain, "dates": dates}, separators=(",", ":")
        )
        # 0600, in a 0700 directory it creates; a symlink there is replaced, not followed
        atomic_write(cache, text, follow_symlinks=False)
    except (CsauthError, OSError, ValueError, RecursionError):
        pass  # no cache this time: the next start parses again


TYPES = {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat}


def _encode(value: Any, where: list, dates: list) -> Any:
    """`value` as JSON can hold it; each date or time becomes its ISO text, and its place
    in the document goes to `dates`, so that reading needs no hook per JSON object."""
    if isinstance(value, dict):
        return {key: _encode(item, [*where, key], dates) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item, [*where, i], dates) for i, item in enumerate(value)]
    if isinstance(value, (date, time)):  # a datetime is a date: it is named first
        kind = (
            "datetime"
            if isinstance(value, datetime)
            else "date"
            if isinstance(value, date)
            else "time"
        )
        dates.append((where, kind, value.isoformat()))
        return None
    return value  # str, int, float (inf and nan included), bool


def _put_back(doc: Any, where: list, value: Any) -> None:
    *path, last = where
    for step in path:
        doc = doc[step]
    doc[last] = value
