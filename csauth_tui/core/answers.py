"""What the Contentsquare API answers, read: the trusted-endpoint rule, /me and probe
results, the error an answer means (`response_error`), and a token built from a token
answer. Plain functions shared by the async AuthClient and the CLI's SyncAuthClient.

No message or repr built here carries a client secret or an access token: response text
is scrubbed and capped before it is quoted, and a successful token answer is never quoted.
Server text quoted in a message is made inert (core.text) where it is quoted: an escape
sequence in an errorMessage is shown, never obeyed, whoever prints the message.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .errors import (
    ApiError,
    BadResponseError,
    ForbiddenError,
    InvalidCredentialsError,
    RateLimitedError,
    RefusedError,
    ServerError,
    TokenExpiredError,
)
from .kinds import CallKind
from .profiles import Profile
from .request import PROJECT_ID_HINT
from .text import control_characters, inert
from .tokens import Token, decode_jwt, expiry_from_response, numeric_claim
from .urls import endpoint_trusted as endpoint_trusted  # re-exported: its old home
from .urls import host_of
from .urls import is_loopback as is_loopback  # noqa: F401 - re-exported
from .urls import split as split  # noqa: F401 - re-exported

if TYPE_CHECKING:  # pragma: no cover
    import httpx

log = logging.getLogger("csauth.api")

MASK = "********"
SNIPPET_CHARS = 200
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_INVALID_CLIENT_RE = re.compile(r"invalid[ _-]?client", re.I)


# --- where a token may be sent -------------------------------------------------------


# The rule itself lives in urls.py (standard library only: the cached-token path of
# `csauth token` checks cached tokens with it); the old names stay importable from here.
_split = split
_host = host_of


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class MeInfo:
    """What /v1/oauth/me said: the whole JSON, plus the known fields when present."""

    raw: Any
    scopes: tuple[str, ...] | None = None
    projects: tuple[tuple[int | str, str], ...] | None = None
    created: str | None = None

    @classmethod
    def from_json(cls, raw: Any) -> MeInfo:
        if not isinstance(raw, dict):
            return cls(raw=raw)
        scopes = raw.get("scopes")
        if isinstance(scopes, str):
            scopes = tuple(scopes.split())
        elif isinstance(scopes, list):
            scopes = tuple(str(s) for s in scopes)
        else:
            scopes = None
        projects = None
        permissions = raw.get("permissions")
        found = permissions.get("projects") if isinstance(permissions, dict) else None
        if isinstance(found, list):
            projects = tuple(
                (_project_id(p.get("id")), str(p.get("name") or ""))
                for p in found
                if isinstance(p, dict)
            )
        created = next(
            (raw[k] for k in ("created_at", "createdAt", "created") if raw.get(k) is not None), None
        )
        return cls(
            raw=raw,
            scopes=scopes,
            projects=projects,
            created=None if created is None else str(created),
        )


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    status: int
    elapsed: float
    summary: str
    error: ApiError | None = field(default=None, compare=False)


# --- scrubbing and wording -----------------------------------------------------------


def _redact(text: str, secrets: Iterable[str]) -> str:
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                text = text.replace(escaped, MASK)
    return _JWT_RE.sub(MASK, text)


def _snippet(text: str, secrets: Iterable[str]) -> str:
    """Server text fit to quote: secrets and JWTs masked, one line, at most ~200 chars,
    no character that could steer a terminal."""
    text = inert(" ".join(_redact(str(text), secrets).split()))
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


def _mentions(value: Any, needles: Iterable[str]) -> bool:
    """Whether any string inside a JSON value (keys included) contains one of `needles`."""
    if isinstance(value, dict):
        return any(_mentions(k, needles) or _mentions(v, needles) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(v, needles) for v in value)
    return any(n and n in str(value) for n in needles)


def _json_body(response: httpx.Response) -> tuple[Any, bool]:
    try:
        return json.loads(response.content), True
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return None, False


def _is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return "html" in kind or response.content.lstrip()[:1] == b"<"


def _envelope(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from {success,errorMessage,errorCode} or {error,error_description}."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("errorCode") or body.get("code")
    message = body.get("errorMessage") or body.get("error_description") or body.get("message")
    error = body.get("error")
    if isinstance(error, str):
        code = code or error
        message = message or (None if error == code else error)
    elif isinstance(error, dict):  # {"error": {"code": ..., "message": ...}}
        code = code or error.get("code")
        message = message or error.get("message")
    return (
        str(code) if code not in (None, "") else None,
        str(message) if message not in (None, "") else None,
    )


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def response_error(
    response: httpx.Response, *, kind: CallKind, secrets: Iterable[str], now: datetime
) -> ApiError | None:
    """The typed error a response stands for, or None when it is a success.

    `kind` (CallKind) is TOKEN, ME or PROBE: a 401 means bad credentials on the first two
    and a rejected token on the last. Its word ("probe") is read as the member.
    """
    kind = CallKind(kind)
    secrets = list(secrets)
    status = response.status_code
    body, is_json = _json_body(response)
    code, message = _envelope(body)
    success = 200 <= status < 300
    if success and not (
        isinstance(body, dict) and (body.get("success") is False or body.get("errorCode"))
    ):
        return None
    host = _host(str(response.request.url))
    if message and not (success and kind is CallKind.TOKEN):
        detail = _snippet(message, secrets)
    elif not is_json and response.content.strip() and not success:
        detail = (
            "an HTML page"
            if _is_html(response)
            else _snippet(response.content.decode("utf-8", "replace"), secrets)
        )
    else:
        detail = None
    said = ": ".join(p for p in (code, detail) if p) or f"{status} {response.reason_phrase}"
    said = inert(_redact(said, secrets))
    kw: dict[str, Any] = {"status": status, "code": inert(_redact(code, secrets)) if code else None}
    # OAuth says invalid_client may come as 400 or 401; a 500 has been reported too
    says_invalid_client = bool(_INVALID_CLIENT_RE.search(f"{code or ''} {message or ''}"))

    if status == 429 or code == "CONCURRENT_API_CALL":
        wait = _retry_after(response.headers.get("retry-after"), now)
        return RateLimitedError(
            f"rate limited by {host} ({said})"
            + (f"; retry after {wait:g} s" if wait is not None else ""),
            hint="Contentsquare allows at most 10 concurrent requests per project",
            retry_after=wait,
            **kw,
        )
    if status == 401 and code == "JWT_EXPIRED":
        return TokenExpiredError(
            f"access token expired ({host} said {said})",
            hint="fetch a new token: this flow has no refresh token",
            **kw,
        )
    if kind in (CallKind.TOKEN, CallKind.ME) and (
        status == 401 or (status >= 400 and says_invalid_client)
    ):
        return InvalidCredentialsError(
            f"client_id or client_secret rejected by {host} ({said})",
            hint="check the profile's client_id and secret; credentials expire a year "
            "after creation",
            **kw,
        )
    if status == 401:
        return ApiError(
            f"{host} rejected the access token ({said})", hint="fetch a new token", **kw
        )
    if status == 403:
        if kind is CallKind.PROBE:
            hint = (
                "the token may lack the scope this API needs, or the API is not enabled "
                "for the project"
            )
        else:
            hint = (
                "this credential may not reach that project or scope; `csauth me` "
                "lists what it can reach"
            )
        return ForbiddenError(f"{host} refused access ({said})", hint=hint, **kw)
    if status >= 500:
        return ServerError(f"{host} had a server error ({said})", hint="try again later", **kw)
    project_hint = PROJECT_ID_HINT if code and "PROJECT_ID" in code.upper() else None
    if success:
        return ApiError(f"{host} reported a failure ({said})", hint=project_hint, **kw)
    # a 4xx is a mistake in the request (exit 4): retrying it will not help
    kind_of_error = RefusedError if 400 <= status < 500 else ApiError
    return kind_of_error(f"{host} refused the request ({said})", hint=project_hint, **kw)


def _project_id(value: Any) -> int | str:
    return value if isinstance(value, (int, str)) else str(value)


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _expired_on_arrival(
    host: str, claims: dict[str, Any], sent_at: datetime, status: int
) -> TokenExpiredError:
    """A token whose own claims say it was dead before it reached us."""
    exp, iat = numeric_claim(claims, "exp"), numeric_claim(claims, "iat")
    hint = "the server issued an unusable token: try again later"
    if exp is not None and iat is not None and exp <= iat:
        when = "the same as its iat" if exp == iat else f"{_duration(iat - exp)} before its iat"
        return TokenExpiredError(
            f"the token from {host} was already expired when it was issued (its exp is {when})",
            hint=hint,
            status=status,
        )
    if exp is not None and iat is None and exp <= sent_at.timestamp():
        return TokenExpiredError(
            f"the token from {host} had already expired by this machine's clock (its exp is "
            f"{_duration(sent_at.timestamp() - exp)} before the request was sent)",
            hint="check this machine's clock: one running ahead of the server's makes fresh "
            "tokens look expired",
            status=status,
        )
    # neither claim says so: its expires_in (or an exp - iat of a few microseconds) left
    # no time at all
    return TokenExpiredError(
        f"the token from {host} came with no time left to use it", hint=hint, status=status
    )


# --- parsing answers (shared by both clients) --------------------------------------------


def _token_from(
    response: httpx.Response,
    sent_at: datetime,
    *,
    url: str,
    profile: Profile,
    auth_url: str,
    scopes: tuple[str, ...],
    project_id: int | None,
    secret: str,
) -> Token:
    """The Token a successful token response carries, or BadResponseError /
    TokenExpiredError for one that carries none usable."""
    host = _host(url)
    data, is_json = _json_body(response)
    if not is_json:
        what = "an HTML page" if _is_html(response) else "something that is not JSON"
        raise BadResponseError(
            f"the token endpoint at {host} answered {response.status_code} with {what}",
            status=response.status_code,
        )
    if not isinstance(data, dict):
        raise BadResponseError(
            f"the token endpoint at {host} answered a JSON {type(data).__name__}, not an object",
            status=response.status_code,
        )
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise BadResponseError(
            f"the token response from {host} has no access_token", status=response.status_code
        )
    if control_characters(access_token):  # printed by `csauth token`: never a raw escape
        raise BadResponseError(
            f"the access_token from {host} holds control characters: it is not a usable token",
            status=response.status_code,
        )
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise BadResponseError(
            f"the token response from {host} has no endpoint "
            "(the API base URL to use the token with)",
            status=response.status_code,
        )
    endpoint = endpoint.strip()
    _, claims = decode_jwt(access_token)
    trusted = endpoint_trusted(endpoint, auth_url)
    if not trusted:
        log.warning(
            "token endpoint %s is not trusted: the token will not be used",
            inert(_redact(_host(endpoint), [access_token])),
        )
    expires_at = expiry_from_response(sent_at, data.get("expires_in"), claims)
    if expires_at <= sent_at:
        raise _expired_on_arrival(host, claims, sent_at, response.status_code)
    # Whatever else the answer holds goes to the cache file, except what echoes the
    # token or the client secret.
    known = (access_token, secret)
    extra = {
        k: v
        for k, v in data.items()
        if k not in ("access_token", "endpoint") and not _mentions(v, known)
    }
    return Token(
        access_token=access_token,
        endpoint=endpoint,
        issued_at=sent_at,
        expires_at=expires_at,
        client_id=profile.client_id,
        auth_url=auth_url,
        scopes=scopes,
        project_id=project_id,
        profile=profile.name,
        trusted=trusted,
        extra=extra,
    )


def _probe_refused(exc: ApiError, elapsed: float) -> ProbeResult:
    status = exc.status or 0
    return ProbeResult(False, status, elapsed, f"{status} {exc.code or 'error'}: {exc}", error=exc)


def _probe_result(url: str, response: httpx.Response, elapsed: float) -> ProbeResult:
    data, is_json = _json_body(response)
    status = response.status_code
    line = f"{status} {response.reason_phrase}".strip()
    if not is_json or not isinstance(data, dict):
        error = BadResponseError(
            f"{_host(url)} answered /v1/segments with "
            + ("an HTML page" if _is_html(response) else "something that is not a JSON object"),
            status=status,
        )
        return ProbeResult(False, status, elapsed, f"{line}: {error}", error=error)
    payload = data.get("payload")
    if isinstance(payload, list):
        count = len(payload)
        return ProbeResult(
            True, status, elapsed, f"{line}: {count} segment{'' if count == 1 else 's'}"
        )
    return ProbeResult(True, status, elapsed, line)
