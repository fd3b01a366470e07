"""Small file helpers the unit and reliability tests share."""

from __future__ import annotations

import stat
from pathlib import Path


def mode(path: Path) -> int:
    """The permission bits of `path` (0o600 for a private file)."""
    return stat.S_IMODE(path.stat().st_mode)


class HandleStandIn:
    """Stands in for the file object a save writes through: a subclass changes `write`
    (to fail, or to stop halfway); everything else, closing included, reaches the real file."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()

    def __getattr__(self, name):
        return getattr(self.handle, name)
