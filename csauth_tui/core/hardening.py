"""Keep what csauth holds (client secrets, tokens) out of core dumps. Standard library
only, and cheap: it runs first thing in every `csauth` command.

RLIMIT_CORE 0 stops the kernel writing a core file, and on Linux PR_SET_DUMPABLE 0 stops a
core dump handler (systemd-coredump, apport: core_pattern "|...", which a zero RLIMIT_CORE
does not always stop) and other processes of the same user from reading csauth's memory
(ptrace, /proc/PID/mem). Both fail quietly where they cannot be had.

The dumpable flag is reset when a process execs a program; the core limit is inherited, so
`csauth exec` puts back the user's own limit first (restore_core_limit).
"""

from __future__ import annotations

import sys

PR_SET_DUMPABLE = 4
_user_core_limit: int | None = None  # the soft limit csauth was started with


def no_core_dumps() -> None:
    global _user_core_limit
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        if _user_core_limit is None:
            _user_core_limit = soft
        if soft != 0:
            resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    except (OSError, ValueError):
        pass
    if sys.platform.startswith("linux"):
        _not_dumpable()


def _not_dumpable() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(
            ctypes.c_int(PR_SET_DUMPABLE),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
    except (ImportError, OSError, AttributeError):
        pass


def restore_core_limit() -> None:
    """The core limit the user had before csauth, for a command csauth execs: it holds
    no secret of csauth's once exec'd (only the token variables it was given)."""
    if _user_core_limit is None:
        return
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (_user_core_limit, hard))
    except (ImportError, OSError, ValueError):
        pass
