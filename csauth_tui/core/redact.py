"""Keeping secrets out of reprs, messages and screens."""

from __future__ import annotations

import re

# a long run of letters and digits: how client secrets and tokens look, and how variable
# names (UPPER_SNAKE), words and paths do not
_RUN = re.compile(r"[A-Za-z0-9]{16,}")
_HEX = re.compile(r"[0-9a-f]{24,}")
_URLSAFE_RUN = re.compile(r"[A-Za-z0-9_-]{24,}")


class Secret:
    """A client secret or token that never shows itself by accident.

    `str()`, `repr()` and f-strings give a mask; only `.reveal()` gives the value, so every
    place that sends or prints it is easy to find with grep.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str:  # never pickled by accident into a cache or a log
        raise TypeError("a Secret cannot be pickled")


def mask(value: str, keep: int = 4) -> str:
    """`c3133d76-aaaa-...` -> `c313…aaaa`; short values are fully masked."""
    if not value:
        return ""
    if len(value) <= keep * 2 + 2:
        return "•" * min(len(value), 8)
    return f"{value[:keep]}…{value[-keep:]}"


def mask_token(token: str) -> str:
    """A JWT shown masked: its first and last few characters only."""
    return mask(token, keep=6)


def looks_like_a_secret(text: str) -> bool:
    """True for text holding what looks like a pasted secret (see `secret_parts`). Used
    where a user's setting is quoted back (an env var name, a command) in case they pasted
    the secret itself there."""
    return bool(secret_parts(text))


def secret_parts(text: str) -> list[str]:
    """The runs of `text` that look like a pasted secret: 16+ letters and digits with mixed
    case, 24+ hex digits, 20+ letters and digits with at least 3 of each, or 24+ URL-safe
    characters (as token_urlsafe makes) with mixed case and digits. Names such as
    CS_PROD_CLIENT_SECRET, paths and UUIDs do not match."""
    found = []
    for run in _RUN.findall(text or ""):
        digits = sum(c.isdigit() for c in run)
        letters = len(run) - digits
        if digits == 0 or letters == 0:
            continue
        mixed_case = any(c.islower() for c in run) and any(c.isupper() for c in run)
        if mixed_case or _HEX.search(run) or (len(run) >= 20 and min(digits, letters) >= 3):
            found.append(run)
    for run in _URLSAFE_RUN.findall(text or ""):
        if (
            any(c.isdigit() for c in run)
            and any(c.islower() for c in run)
            and any(c.isupper() for c in run)
            and run not in found
        ):
            found.append(run)
    return found
