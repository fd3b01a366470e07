"""Token, JWT claim decoding, expiry maths and the on-disk token cache.

Standard library only: the cached-token path of `csauth token` imports this module and
must start fast (no httpx, tomlkit, keyring or Textual).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, overload

DEFAULT_LIFETIME_SECONDS = 3600
# renew_before_seconds is capped, per token, at this share of the token's own lifetime: a
# setting at or above a token's lifetime would otherwise call every new token stale at once
RENEW_SHARE = 0.5
# A Contentsquare token lives one hour: no answer makes one look fresher than that, and a
# cached token claiming more (or issued in the future) was not written by csauth.
MAX_LIFETIME_SECONDS = 3600
# how far this machine's clock may have stepped back since a cached token was stored
CLOCK_SKEW_SECONDS = 300
# what a cached access token must look like: a JWT, three base64url parts, nothing else
# (no space, no control character, nothing outside printable ASCII)
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@overload
def iso_utc(moment: datetime) -> str: ...
@overload
def iso_utc(moment: None) -> None: ...
def iso_utc(moment: datetime | None) -> str | None:
    """`2026-03-01T12:00:00Z` (None stays None): how the CLI and reports write a moment."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT, without checking its signature (display only).

    Returns ({}, {}) for anything that is not a decodable JWT: a token we cannot read is
    still a token the API may accept.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return {}, {}
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError):
        return {}, {}
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return {}, {}
    return header, claims


def format_remaining(seconds: float) -> str:
    """`41:07`, `1:02:03`, or `expired`."""
    if seconds <= 0:
        return "expired"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def cache_key(auth_url: str, client_id: str, scopes: Iterable[str], project_id: int | None) -> str:
    """What a token is cached under: never the secret."""
    scope_part = " ".join(sorted(set(scopes)))
    project_part = "" if project_id is None else str(project_id)
    return "|".join((auth_url.rstrip("/"), client_id, scope_part, project_part))


@dataclass(frozen=True)
class Token:
    """An access token with what it was issued for. Its repr never shows the token."""

    access_token: str = field(repr=False)
    endpoint: str
    issued_at: datetime
    expires_at: datetime
    client_id: str
    auth_url: str
    scopes: tuple[str, ...] = ()
    project_id: int | None = None
    profile: str | None = None
    trusted: bool = True
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        return cache_key(self.auth_url, self.client_id, self.scopes, self.project_id)

    @property
    def lifetime(self) -> float:
        return (self.expires_at - self.issued_at).total_seconds()

    def seconds_left(self, now: datetime | None = None) -> float:
        return (self.expires_at - (now or utcnow())).total_seconds()

    def is_fresh(self, min_ttl: float, now: datetime | None = None) -> bool:
        """True while more than `min_ttl` seconds remain."""
        return self.seconds_left(now) > min_ttl

    def renew_margin(self, renew_before: float) -> float:
        """How long before expiry this token is renewed: `renew_before`, but never more
        than RENEW_SHARE of its lifetime."""
        return max(0.0, min(float(renew_before), self.lifetime * RENEW_SHARE))

    def fresh_enough(self, renew_before: float, now: datetime | None = None) -> bool:
        """True while the token need not be renewed yet (the CLI's cache and the app's
        auto-renew both ask this): more than `renew_margin(renew_before)` seconds left."""
        return self.is_fresh(self.renew_margin(renew_before), now)

    @property
    def header(self) -> str:
        return f"Authorization: Bearer {self.access_token}"

    def jwt(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return decode_jwt(self.access_token)

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "endpoint": self.endpoint,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "client_id": self.client_id,
            "auth_url": self.auth_url,
            "scopes": list(self.scopes),
            "project_id": self.project_id,
            "profile": self.profile,
            "trusted": self.trusted,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Token:
        return cls(
            access_token=str(data["access_token"]),
            endpoint=str(data["endpoint"]),
            issued_at=datetime.fromisoformat(data["issued_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            client_id=str(data["client_id"]),
            auth_url=str(data["auth_url"]),
            scopes=tuple(data.get("scopes") or ()),
            project_id=data.get("project_id"),
            profile=data.get("profile"),
            trusted=bool(data.get("trusted", True)),
            extra=dict(data.get("extra") or {}),
        )


def _finite(value: Any) -> float | None:
    """A number (or a numeric string) as a finite float, else None. Never a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def numeric_claim(claims: dict[str, Any], name: str) -> float | None:
    """A JWT date claim (`exp`, `iat`) as a finite number, else None (a string is not one)."""
    value = claims.get(name)
    return None if isinstance(value, str) else _finite(value)


def _after(moment: datetime, seconds: float) -> datetime | None:
    with contextlib.suppress(OverflowError):
        return moment + timedelta(seconds=seconds)
    return None


def _append(found: list[datetime], moment: datetime | None) -> None:
    if moment is not None:  # None: past what a datetime holds
        found.append(moment)


def expiry_from_response(sent_at: datetime, expires_in: Any, claims: dict[str, Any]) -> datetime:
    """When a token stops working: the earliest of what its answer says.

    Two sources may disagree: `expires_in`, and the JWT's `exp`. The JWT is read as a
    lifetime, `exp - iat`, counted from when the request was sent, so a clock here that
    differs from the server's changes nothing. The earlier of the two wins (a token never
    looks fresher than either source says). Without `iat`, `exp` could only be read by
    our clock, which may be off by hours: it is used only when `expires_in` is unusable.
    Neither usable: one hour, and never more than MAX_LIFETIME_SECONDS (one hour: a cache
    read refuses a token claiming more). The result is at or before `sent_at` when the
    token was already dead on arrival.
    """
    found: list[datetime] = []
    lifetime = _finite(expires_in)
    if lifetime is not None and lifetime > 0:
        _append(found, _after(sent_at, lifetime))
    exp, iat = numeric_claim(claims, "exp"), numeric_claim(claims, "iat")
    if exp is not None and iat is not None:
        _append(found, _after(sent_at, exp - iat))
    elif exp is not None and not [moment for moment in found if moment is not None]:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            found.append(datetime.fromtimestamp(exp, timezone.utc))
    usable = [moment for moment in found if moment is not None]
    longest = _after(sent_at, MAX_LIFETIME_SECONDS)  # what a token lives, at most
    usable += [longest] if longest is not None else []
    return min(usable) if usable else sent_at + timedelta(seconds=DEFAULT_LIFETIME_SECONDS)


def _moment(value: Any) -> datetime:
    """An ISO moment with a timezone, as to_dict writes it (ValueError otherwise)."""
    if not isinstance(value, str):
        raise ValueError("not a moment")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no timezone")
    return moment


def cached_token(raw: Any, key: str, now: datetime) -> Token | None:
    """The token a cache entry holds, re-checked as a fresh answer is, or None.

    A cache is a hint, never an authority: anyone who could write the file (or a bug)
    could have put anything there. Refused: fields of the wrong type; an access token not
    shaped like a JWT; an entry stored under a key that is not the one its own client_id,
    auth_url, scopes and project_id make; an endpoint a fresh answer would not be trusted
    with (core.urls.endpoint_trusted); a token issued after now (give or take
    CLOCK_SKEW_SECONDS) or expiring later than MAX_LIFETIME_SECONDS (+ skew) from now.
    """
    from .profiles import positive_int
    from .urls import endpoint_trusted

    if not isinstance(raw, dict):
        return None
    try:
        texts = [raw[name] for name in ("access_token", "endpoint", "client_id", "auth_url")]
        scopes, project_id = raw.get("scopes") or [], raw.get("project_id")
        profile, extra = raw.get("profile"), raw.get("extra") or {}
        if (
            not all(isinstance(text, str) for text in texts)
            or not isinstance(scopes, list)
            or not all(isinstance(s, str) for s in scopes)
            or not (project_id is None or positive_int(project_id))
            or not (profile is None or isinstance(profile, str))
            or not isinstance(extra, dict)
            or raw.get("trusted", True) is not True
        ):
            return None
        token = Token(
            access_token=texts[0],
            endpoint=texts[1],
            client_id=texts[2],
            auth_url=texts[3],
            issued_at=_moment(raw["issued_at"]),
            expires_at=_moment(raw["expires_at"]),
            scopes=tuple(scopes),
            project_id=project_id,
            profile=profile,
            extra=dict(extra),
        )
        longest = now + timedelta(seconds=MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS)
        if (
            not JWT_SHAPE.match(token.access_token)
            or token.key != key
            or not endpoint_trusted(token.endpoint, token.auth_url)
            or token.issued_at > now + timedelta(seconds=CLOCK_SKEW_SECONDS)
            or token.expires_at > longest
        ):
            return None
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return token


class TokenCache:
    """Tokens on disk (a small 0600 JSON file), keyed by what was asked, not by secret.

    Reads are lock-free (the file is replaced atomically); writes take a lock and merge
    onto what is on disk so two processes caching tokens keep both. The file is read only
    when it and its directory are ours and not writable by others (fsutil.read_trusted),
    and every entry is re-checked on every read (`cached_token`); no write follows a
    symlink someone placed in the cache directory.
    """

    VERSION = 1
    WHAT = "token cache"

    def __init__(self, path: Path, clock: Clock = utcnow) -> None:
        self.path = Path(path)
        self.clock = clock

    def _read(self) -> dict[str, Any]:
        from .errors import UnsafeFileError
        from .fsutil import read_trusted, warn_ignored

        try:
            data = json.loads(read_trusted(self.path, follow_symlinks=False))
        except UnsafeFileError as problem:
            warn_ignored(self.WHAT, problem)
            return {}
        except (OSError, ValueError, RecursionError):  # unreadable: a cache starts empty
            return {}
        if not isinstance(data, dict) or data.get("version") != self.VERSION:
            return {}
        tokens = data.get("tokens")
        return tokens if isinstance(tokens, dict) else {}

    def get(
        self, key: str, min_ttl: float = 0, *, renew_before: float | None = None
    ) -> Token | None:
        """The cached token for `key` if it passes `cached_token` and more than `min_ttl`
        seconds remain, or (with `renew_before`, the setting) while it is `fresh_enough`."""
        now = self.clock()
        token = cached_token(self._read().get(key), key, now)
        if token is None:
            return None
        fresh = (
            token.is_fresh(min_ttl, now)
            if renew_before is None
            else token.fresh_enough(renew_before, now)
        )
        return token if fresh else None

    def all(self) -> list[Token]:
        """Every cached token that passes `cached_token` and has time left."""
        now = self.clock()
        found = (cached_token(raw, key, now) for key, raw in self._read().items())
        return [token for token in found if token is not None and token.is_fresh(0, now)]

    def put(self, token: Token) -> None:
        """Cache `token`, unless a read would refuse it (untrusted, not a JWT...)."""
        if not token.trusted or cached_token(token.to_dict(), token.key, self.clock()) is None:
            return
        self._update(lambda tokens: tokens.__setitem__(token.key, token.to_dict()))

    def forget(self, client_id: str | None = None, auth_url: str | None = None) -> int:
        """Drop every token (or those of one client_id); returns how many went."""
        removed = 0

        def drop(tokens: dict[str, Any]) -> None:
            nonlocal removed
            for key in list(tokens):
                raw = tokens[key]
                if client_id is None or (
                    isinstance(raw, dict)
                    and raw.get("client_id") == client_id
                    and (auth_url is None or raw.get("auth_url") == auth_url)
                ):
                    del tokens[key]
                    removed += 1

        if os.path.lexists(self.path):
            self._update(drop)
        return removed

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        from .fsutil import atomic_write, directory_problem, file_lock, warn_ignored

        problem = directory_problem(self.path.parent, self.path)
        if problem:  # a directory others may write: they could read or swap our tokens
            warn_ignored(self.WHAT, problem)
            return
        with file_lock(self.path, follow_symlinks=False):
            now = self.clock()
            # what a read would refuse, expired tokens included, is of no use to anyone
            tokens = {
                key: raw
                for key, raw in self._read().items()
                if (token := cached_token(raw, key, now)) is not None and token.is_fresh(0, now)
            }
            change(tokens)
            payload = json.dumps({"version": self.VERSION, "tokens": tokens}, indent=1)
            atomic_write(self.path, payload, follow_symlinks=False)
