"""Which URLs csauth talks to, and where a token may be sent. Standard library only.

The cached-token path of `csauth token` re-checks every cached token's endpoint with
`endpoint_trusted`, so these rules live here, away from httpx (answers.py) and tomllib
(profiles.py), which both re-export them under their old names.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from .redact import looks_like_a_secret
from .text import control_characters, inert

TRUSTED_DOMAIN = "contentsquare.com"
# one DNS label: letters, digits and '-', not at either end, at most 63 characters
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")


def split(url: Any) -> SplitResult | None:
    """`urlsplit(url)`, or None for anything that is not a string or has a bad port."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def host_of(url: str) -> str:
    """`api.contentsquare.com` or `127.0.0.1:8123`: never userinfo, path or query."""
    parts = split(url)
    if parts is None or not parts.hostname:
        return "an unparsable URL"
    port = parts.port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return inert(f"{host}:{port}" if port else host)


def is_loopback(host: str) -> bool:
    import ipaddress  # here: the cached-token path rarely needs it

    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reached_directly(url: str) -> bool:
    """Plain http, or a loopback host (all of 127.0.0.0/8, ::1, localhost, an IPv4-mapped
    loopback): no proxy from the environment may see such a request, as it would see the
    secret or the token."""
    import ipaddress

    parts = split(url)
    if parts is None:
        return False
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme == "http" or is_loopback(host):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped is not None and bool(mapped.is_loopback)


def url_error(url: str) -> str | None:
    """Why `url` cannot be an auth URL: https (or http on a loopback host only) to a
    well-formed host and port, with no user, query, fragment or control character."""
    hidden = looks_like_a_secret(url) or "@" in url  # a pasted secret, a user:password
    shown = "the URL (not shown: it may hold a secret)" if hidden else f"'{inert(url)}'"
    if control_characters(url) or any(c.isspace() for c in url):
        return f"{shown} holds spaces or control characters"
    try:
        parts = urlsplit(url)
        port_ok = valid_port(parts.netloc)
    except ValueError:
        return f"{shown} is not a URL"
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        return f"{shown} must be an https:// URL (plain http is allowed for loopback only)"
    if "@" in parts.netloc or parts.query or parts.fragment:
        return f"{shown} must not hold a user, a query (?...) or a fragment (#...)"
    if not port_ok:
        return f"{shown} has a port that is not a number from 1 to 65535"
    if not (is_loopback(host) or _is_ip(host) or valid_hostname(host)):
        return f"{shown} has a malformed host name"
    if parts.scheme == "http" and not is_loopback(host):
        return f"{shown} must be an https:// URL (plain http is allowed for loopback only)"
    return None


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def valid_port(netloc: str) -> bool:
    """No port, or a decimal one from 1 to 65535 (`:0`, `:99999`, `:abc`, `:` are not)."""
    rest = netloc.rsplit("]", 1)[1] if netloc.startswith("[") else netloc
    if ":" not in rest:
        return True
    port = rest.rsplit(":", 1)[1]
    return port.isascii() and port.isdigit() and 1 <= int(port) <= 65535


def valid_hostname(host: str) -> bool:
    """A DNS name made of non-empty labels (one final dot allowed: `api.example.com.`)."""
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return len(host) <= 254 and all(_LABEL_RE.match(label) for label in labels)


def endpoint_trusted(endpoint: str, auth_url: str) -> bool:
    """May a token be sent to `endpoint`? https on contentsquare.com (or a subdomain);
    http(s) on loopback only when the auth URL itself is loopback (the fake server).
    The host must be a well-formed name (no empty label, as in `api..contentsquare.com`)
    and a port, if any, a real one."""
    parts = split(endpoint)
    if parts is None or not parts.hostname or parts.query or parts.fragment:
        return False
    if "@" in parts.netloc or any(c.isspace() or c == "\\" for c in endpoint):
        return False
    if not valid_port(parts.netloc):
        return False
    if control_characters(endpoint):  # never printed (`--format curl`) or sent as it is
        return False
    host = parts.hostname
    if parts.scheme == "https" and valid_hostname(host):
        name = host.rstrip(".")
        if name == TRUSTED_DOMAIN or name.endswith("." + TRUSTED_DOMAIN):
            return True
    auth = split(auth_url)
    return bool(
        parts.scheme in ("http", "https")
        and auth is not None
        and auth.hostname
        and is_loopback(auth.hostname)
        and is_loopback(host)
    )
