"""Textual's parsed CSS, kept between starts.

Textual parses the CSS of the app and of every widget class on screen at each start:
~10 ms of ours, the largest piece of the start left once the widgets were trimmed. The
rules it parses (RuleSet objects) depend only on the CSS text, where it came from, how it
is ranked and the theme's variables, so they are kept in the cache directory, pickled,
under exactly that, and read back in ~2 ms. Another Textual install or Python version, a
damaged or foreign file: it is ignored and the CSS parsed as usual. Only rules that
parsed without error are kept, so a mistake in the CSS is still reported as Textual
reports it; only the rules a run used are written back, so the file does not grow. The
file holds CSS only, never anything from the profiles; like every file csauth writes it
is written atomically, 0600, in a 0700 directory, and it is read only when it is the
user's own and private (unpickling runs code).

This leans on one private method, Stylesheet._parse_rules(css, read_from,
is_default_rules, tie_breaker, scope): if a Textual release changes it, `attach` leaves
the stylesheet as it is and the app parses as before (tests/ui/test_css_cache.py fails,
so it is noticed).
"""

from __future__ import annotations

import functools
import inspect
import os
import pickle
import sys
from pathlib import Path
from typing import Any

NAME = "textual-css.pickle"
FORMAT = 1
EXPECTED = ["css", "read_from", "is_default_rules", "tie_breaker", "scope"]


@functools.lru_cache(maxsize=1)
def _stamp() -> tuple:
    """What the kept rules are only good for: this format, this Python, this install of
    Textual. The install is told by the digest of its RECORD (every file's hash, as pip
    wrote it), or, without one (a source checkout), by the size and time of every module
    in the package; textual.__version__ would cost the start ~8 ms of importlib.metadata."""
    import hashlib

    import textual

    package = os.path.dirname(textual.__file__)
    site = os.path.dirname(package)
    records = [os.path.join(site, entry.name, "RECORD") for entry in os.scandir(site)
               if entry.name.startswith("textual-") and entry.name.endswith(".dist-info")]
    if len(records) == 1 and os.path.exists(records[0]):
        with open(records[0], "rb") as record:
            install: object = hashlib.sha256(record.read()).hexdigest()
    else:
        install = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns)
                        for path in sorted(Path(package).rglob("*.py")))
    return (FORMAT, sys.version_info[:2], package, install)


class CssCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[tuple, Any] = self._read()
        self.used: set[tuple] = set()  # what this run asked for: all that is saved
        self.parsed = False  # whether this run parsed anything (a miss)
        self._variables: object = None  # the dict the key below was made from
        self._variables_key: tuple = ()

    @classmethod
    def attach(cls, stylesheet: Any, path: Path) -> CssCache | None:
        """Serve `stylesheet`'s parses from the cache at `path` (None: left as it was)."""
        original = getattr(stylesheet, "_parse_rules", None)
        try:
            if list(inspect.signature(original).parameters) != EXPECTED:
                return None
        except (TypeError, ValueError):
            return None
        cache = cls(path)

        def parse_rules(css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
            key = (css, read_from, is_default_rules, tie_breaker, scope,
                   cache._key_of(stylesheet._variables))
            rules = cache.entries.get(key)
            if rules is None:
                rules = original(css, read_from, is_default_rules, tie_breaker, scope)
                if any(rule.errors for rule in rules):
                    return rules
                cache.entries[key] = rules
                cache.parsed = True
            cache.used.add(key)
            return rules

        stylesheet._parse_rules = parse_rules
        return cache

    def _key_of(self, variables: dict[str, str]) -> tuple:
        if variables is not self._variables:  # a theme change replaces the dict
            self._variables, self._variables_key = variables, tuple(sorted(variables.items()))
        return self._variables_key

    def _read(self) -> dict[tuple, Any]:
        """The kept rules; none from a file that is not the user's own and private (a
        pickle runs code as it loads: only a file this user wrote, and that nobody else
        can rewrite, is read)."""
        try:
            with open(self.path, "rb") as file:
                info = os.fstat(file.fileno())
                if info.st_uid != os.getuid() or info.st_mode & 0o077:
                    return {}
                stamp, entries = pickle.load(file)
        except Exception:  # missing, damaged, from another version: parse as usual
            return {}
        return entries if stamp == _stamp() and isinstance(entries, dict) else {}

    @property
    def changed(self) -> bool:
        """Something was parsed, or something kept was not asked for (an old theme, CSS
        since edited): the file is written again with this run's rules only."""
        return self.parsed or self.used != set(self.entries)

    def save(self) -> None:
        """Write the rules this run used, if that differs from the file (never raises)."""
        if not self.changed:
            return
        from ..core.errors import CsauthError
        from ..core.fsutil import atomic_write

        try:
            self.entries = {key: self.entries[key] for key in self.used}
            atomic_write(self.path, pickle.dumps((_stamp(), self.entries),
                                                 protocol=pickle.HIGHEST_PROTOCOL))
            self.parsed = False
        except (CsauthError, OSError, pickle.PicklingError, RecursionError, TypeError,
                AttributeError):
            pass  # no cache this time: the next start parses again
