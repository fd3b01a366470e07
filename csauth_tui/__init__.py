"""csauth-tui: Contentsquare OAuth credentials and tokens, in a terminal app and a CLI.

The Python API (`ContentsquareAuth`, `client`, `async_client`) lives in csauth_tui.auth and
is loaded on first use: importing this package stays as light as the CLI's cached
`csauth token` path needs (no httpx).
"""

from __future__ import annotations

import logging as _logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ContentsquareAuth", "__version__", "async_client", "client"]

if TYPE_CHECKING:  # pragma: no cover
    from .auth import ContentsquareAuth, async_client, client

# Our log lines are for -v (which configures a handler). Without one, Python's last-resort
# handler would print warnings bare on stderr, before the real "csauth: error: ..." line.
_logging.getLogger("csauth").addHandler(_logging.NullHandler())

_LAZY = {"ContentsquareAuth", "client", "async_client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import auth

        return getattr(auth, name)
    raise AttributeError(f"module 'csauth_tui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
