"""Textual's parsed CSS, kept between starts.

Textual parses the CSS of the app and of every widget class on screen at each start:
~10 ms of ours, the largest piece of the start left once the widgets were trimmed. The
rules it parses (RuleSet objects) depend only on the CSS text, where it came from, how it
is ranked and the theme's variables, so they are kept in the cache directory, pickled,
under exactly that, and read back in ~2 ms. Another Textual install or Python version, a
damaged or foreign file: it is ignored and the CSS parsed as usual. Only rules that
parsed without error are kept, so a mistake in the CSS is still reported as Textual
reports it. The file holds CSS only, never anything from the profiles; like every file
csauth writes it is written atomically, 0600, in a 0700 directory.

This leans on one private method, Stylesheet._parse_rules(css, read_from,
is_default_rules, tie_breaker, scope): if a Textual release changes it, `attach` leaves
the stylesheet as it is and the app parses as before (tests/ui/test_css_cache.py fails,
so it is noticed).
"""

from __future__ import annotations

import inspect
import os
import pickle
import sys
from pathlib import Path
from typing import Any

NAME = "textual-css.pickle"
FORMAT = 1
EXPECTED = ["css", "read_from", "is_default_rules", "tie_breaker", "scope"]


def _stamp() -> tuple:
    """What the kept rules are only good for: this format, this Python, this install of
    Textual (its CSS modules' size and time: textual.__version__ would cost the start
    ~8 ms of importlib.metadata)."""
    from textual.css import model, parse, styles

    files = tuple((m.__file__, os.stat(m.__file__).st_size, os.stat(m.__file__).st_mtime_ns)
                  for m in (model, parse, styles))
    return (FORMAT, sys.version_info[:2], files)


class CssCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[tuple, Any] = self._read()
        self.changed = False
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
                if not any(rule.errors for rule in rules):
                    cache.entries[key] = rules
                    cache.changed = True
            return rules

        stylesheet._parse_rules = parse_rules
        return cache

    def _key_of(self, variables: dict[str, str]) -> tuple:
        if variables is not self._variables:  # a theme change replaces the dict
            self._variables, self._variables_key = variables, tuple(sorted(variables.items()))
        return self._variables_key

    def _read(self) -> dict[tuple, Any]:
        try:
            with open(self.path, "rb") as file:
                stamp, entries = pickle.load(file)
        except Exception:  # missing, damaged, from another version: parse as usual
            return {}
        return entries if stamp == _stamp() and isinstance(entries, dict) else {}

    def save(self) -> None:
        """Write what was parsed this run, if anything was (never raises)."""
        if not self.changed:
            return
        from ..core.errors import CsauthError
        from ..core.fsutil import atomic_write

        try:
            atomic_write(self.path, pickle.dumps((_stamp(), self.entries),
                                                 protocol=pickle.HIGHEST_PROTOCOL))
            self.changed = False
        except (CsauthError, OSError, pickle.PicklingError, RecursionError, TypeError,
                AttributeError):
            pass  # no cache this time: the next start parses again
