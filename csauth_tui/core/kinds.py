"""The core's kinds and modes, as enums rather than loose strings. Standard library only.

Each is a `str` enum whose value is the word csauth has always used (in JSON reports, on
the command line, in tests): it compares equal to that word and prints as it, so what is
written or shown does not change, while the core's code names a member the type checker
knows (`Severity.ERROR`, never a misspelt "eror").
"""

from __future__ import annotations

from enum import Enum


class Word(str, Enum):
    """A str enum that prints as its value (enum.StrEnum is Python 3.11+)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Severity(Word):
    """How bad a Problem of the profiles file or an audit Finding is."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class CallKind(Word):
    """Which API call an answer belongs to: a 401 means bad credentials on TOKEN and ME,
    a bad or expired token on PROBE."""

    TOKEN = "token"
    ME = "me"
    PROBE = "probe"


class ImportAction(Word):
    """What an import does with one row."""

    ADD = "add"
    OVERWRITE = "overwrite"
    CONFLICT = "conflict"
    INVALID = "invalid"


class SecretsMode(Word):
    """Where an import puts a client_secret it finds (`--secrets`)."""

    KEYRING = "keyring"
    SKIP = "skip"
    PLAINTEXT = "plaintext"
