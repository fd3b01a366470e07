"""Name resolution the fault tests can count on: `.invalid` names (RFC 6761) do not exist,
and say so at once, on every machine. A real resolver would usually answer the same, but a
CI runner with no reachable DNS server answers EAI_AGAIN ("try again"), and slowly.

Only socket.getaddrinfo is replaced: httpx, anyio and csauth's error mapping still meet a
real socket.gaierror on their real path. test_faults.py patches it in-process; the CLI
launcher of test_faults_cli.py calls install() in the child before importing csauth.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

SUFFIX = ".invalid"
NO_SUCH_HOST = "csauth-fault.invalid"


def host_name(host: str | bytes | None) -> str:
    # anyio hands the name over IDNA-encoded, as bytes
    return host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)


def answering_no_such_name(real: Callable) -> Callable:
    """`real` getaddrinfo, except that `.invalid` names fail as NXDOMAIN (EAI_NONAME)."""

    def getaddrinfo(host, *args, **kwargs):
        if host_name(host).endswith(SUFFIX):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    return getaddrinfo


def install() -> None:
    """For a child process: from now on, `.invalid` names do not exist."""
    socket.getaddrinfo = answering_no_such_name(socket.getaddrinfo)
