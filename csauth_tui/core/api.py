"""The Contentsquare auth client: fetch a token, ask /v1/oauth/me, probe a token.

httpx is imported only when an AuthClient is built (the CLI's cached-token path never
imports this module at all). No message, log line or repr built here carries a client
secret or an access token: response text is scrubbed and capped before it is quoted, and
the body of a successful token response is never quoted.
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import __version__
from .errors import (
    ApiError,
    BadResponseError,
    ConfigError,
    ForbiddenError,
    InvalidCredentialsError,
    NetworkError,
    RateLimitedError,
    RefusedError,
    RuleError,
    ServerError,
    TokenExpiredError,
    UntrustedEndpointError,
)
from .profiles import Profile, Settings, is_loopback, url_error
from .request import PROJECT_ID_HINT, plan
from .redact import Secret
from .tokens import Clock, Token, decode_jwt, expiry_from_response, numeric_claim, utcnow

if TYPE_CHECKING:  # pragma: no cover
    import httpx

log = logging.getLogger("csauth.api")

USER_AGENT = f"csauth-tui/{__version__}"
RETRY_STATUSES = (500, 502, 503, 504)
MASK = "********"
SNIPPET_CHARS = 200
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_INVALID_CLIENT_RE = re.compile(r"invalid[ _-]?client", re.I)
_LOOPBACK_MOUNTS = ("all://127.0.0.1", "all://localhost", "all://[::1]")


# --- where a token may be sent -------------------------------------------------------


def endpoint_trusted(endpoint: str, auth_url: str) -> bool:
    """May a token be sent to `endpoint`? https on contentsquare.com (or a subdomain);
    http(s) on loopback only when the auth URL itself is loopback (the fake server)."""
    parts = _split(endpoint)
    if parts is None or not parts.hostname or parts.query or parts.fragment:
        return False
    if "@" in parts.netloc or any(c.isspace() or c == "\\" for c in endpoint):
        return False
    host = parts.hostname.rstrip(".")
    if parts.scheme == "https" and (host == "contentsquare.com"
                                    or host.endswith(".contentsquare.com")):
        return True
    auth = _split(auth_url)
    return bool(
        parts.scheme in ("http", "https")
        and auth is not None and auth.hostname and is_loopback(auth.hostname)
        and is_loopback(host)
    )


def _split(url: Any):
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def _host(url: str) -> str:
    """`api.contentsquare.com` or `127.0.0.1:8123`: never userinfo, path or query."""
    parts = _split(url)
    if parts is None or not parts.hostname:
        return "an unparsable URL"
    port = parts.port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}" if port else host


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
                (p.get("id") if isinstance(p.get("id"), (int, str)) else str(p.get("id")),
                 str(p.get("name") or ""))
                for p in found if isinstance(p, dict)
            )
        created = next((raw[k] for k in ("created_at", "createdAt", "created")
                        if raw.get(k) is not None), None)
        return cls(raw=raw, scopes=scopes, projects=projects,
                   created=None if created is None else str(created))


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
    """Server text fit to quote: secrets and JWTs masked, one line, at most ~200 chars."""
    text = " ".join(_redact(str(text), secrets).split())
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
    return (str(code) if code not in (None, "") else None,
            str(message) if message not in (None, "") else None)


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
    response: httpx.Response, *, kind: str, secrets: Iterable[str], now: datetime
) -> ApiError | None:
    """The typed error a response stands for, or None when it is a success.

    `kind` is "token", "me" or "probe": a 401 means bad credentials on the first two and a
    rejected token on the last.
    """
    secrets = list(secrets)
    status = response.status_code
    body, is_json = _json_body(response)
    code, message = _envelope(body)
    success = 200 <= status < 300
    if success and not (isinstance(body, dict) and (body.get("success") is False or
                                                      body.get("errorCode"))):
        return None
    host = _host(str(response.request.url))
    if message and not (success and kind == "token"):
        detail = _snippet(message, secrets)
    elif not is_json and response.content.strip() and not success:
        detail = "an HTML page" if _is_html(response) else _snippet(
            response.content.decode("utf-8", "replace"), secrets)
    else:
        detail = None
    said = ": ".join(p for p in (code, detail) if p) or f"{status} {response.reason_phrase}"
    said = _redact(said, secrets)
    kw = {"status": status, "code": _redact(code, secrets) if code else None}
    # OAuth says invalid_client may come as 400 or 401; a 500 has been reported too
    says_invalid_client = bool(_INVALID_CLIENT_RE.search(f"{code or ''} {message or ''}"))

    if status == 429 or code == "CONCURRENT_API_CALL":
        wait = _retry_after(response.headers.get("retry-after"), now)
        return RateLimitedError(
            f"rate limited by {host} ({said})"
            + (f"; retry after {wait:g} s" if wait is not None else ""),
            hint="Contentsquare allows at most 10 concurrent requests per project",
            retry_after=wait, **kw)
    if status == 401 and code == "JWT_EXPIRED":
        return TokenExpiredError(f"access token expired ({host} said {said})",
                                 hint="fetch a new token: this flow has no refresh token", **kw)
    if kind in ("token", "me") and (status == 401 or (status >= 400 and says_invalid_client)):
        return InvalidCredentialsError(
            f"client_id or client_secret rejected by {host} ({said})",
            hint="check the profile's client_id and secret; credentials expire a year "
                 "after creation", **kw)
    if status == 401:
        return ApiError(f"{host} rejected the access token ({said})",
                        hint="fetch a new token", **kw)
    if status == 403:
        if kind == "probe":
            hint = ("the token may lack the scope this API needs, or the API is not enabled "
                    "for the project")
        else:
            hint = ("this credential may not reach that project or scope; `csauth me` "
                    "lists what it can reach")
        return ForbiddenError(f"{host} refused access ({said})", hint=hint, **kw)
    if status >= 500:
        return ServerError(f"{host} had a server error ({said})",
                           hint="try again later", **kw)
    hint = PROJECT_ID_HINT if code and "PROJECT_ID" in code.upper() else None
    if success:
        return ApiError(f"{host} reported a failure ({said})", hint=hint, **kw)
    # a 4xx is a mistake in the request (exit 4): retrying it will not help
    kind_of_error = RefusedError if 400 <= status < 500 else ApiError
    return kind_of_error(f"{host} refused the request ({said})", hint=hint, **kw)


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _expired_on_arrival(host: str, claims: dict[str, Any], sent_at: datetime,
                        status: int) -> TokenExpiredError:
    """A token whose own claims say it was dead before it reached us."""
    exp, iat = numeric_claim(claims, "exp"), numeric_claim(claims, "iat")
    if exp is None:
        return TokenExpiredError(f"the token from {host} came with no time left to use it",
                                 hint="the server issued an unusable token: try again later",
                                 status=status)
    if iat is not None:
        return TokenExpiredError(
            f"the token from {host} was already expired when it was issued (its exp is "
            f"{_duration(iat - exp)} before its iat)",
            hint="the server issued an unusable token: try again later", status=status)
    return TokenExpiredError(
        f"the token from {host} had already expired by this machine's clock (its exp is "
        f"{_duration(sent_at.timestamp() - exp)} before the request was sent)",
        hint="check this machine's clock: one running ahead of the server's makes fresh "
             "tokens look expired", status=status)


# --- one request, and the rules for retrying it ----------------------------------------


@dataclass(frozen=True)
class _Call:
    """One API request as planned: what to send and which secrets its answers may echo."""

    method: str
    url: str
    kind: str  # "token", "me" or "probe": see response_error
    secrets: tuple[str, ...] = field(repr=False)
    json_body: dict[str, Any] | None = field(default=None, repr=False)
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = field(default=None, repr=False)


class _DeadlinePassed(Exception):
    """One attempt ran past `connect_timeout + timeout` (httpx bounds each read only)."""


class _Retrying:
    """The retry rules of one request, without any I/O: told how each attempt ended, it
    returns how long to wait before the next one, or raises the error to give up with.
    The async and the sync client both drive it, so both retry alike.

    Retried: 429 / CONCURRENT_API_CALL (after Retry-After when given), 500/502/503/504,
    connect errors and connect timeouts up to `max_retries`; read timeouts, dropped
    connections and answers past the attempt deadline once. Waits never add up past
    `retry_budget` seconds.
    """

    def __init__(self, client: AuthClient, call: _Call) -> None:
        self.client, self.call = client, call
        self.attempt, self.read_retries, self.used = 0, 1, 0.0

    def failed(self, exc: Exception, elapsed: float) -> float:
        """The attempt ended without an answer (`exc`: an httpx.TransportError or
        _DeadlinePassed). Call it inside the `except` block: the error it raises hides
        the httpx chain (which may hold the request body)."""
        call = self.call
        self.used += elapsed
        error, retry_class = self.client._network_error(exc, call.url)
        log.debug("%s %s failed after %.3fs: %s", call.method, call.url, elapsed,
                  type(exc).__name__)
        if retry_class is None or (retry_class == "read" and self.read_retries == 0):
            raise error from None
        if retry_class == "read":
            self.read_retries -= 1
        return self._next(error, self.client._backoff(self.attempt))

    def answered(self, response: httpx.Response, elapsed: float) -> float | None:
        """The attempt got a whole answer: None when it is a success."""
        call = self.call
        self.used += elapsed
        log.debug("%s %s -> %s in %.3fs", call.method, response.request.url,
                  response.status_code, elapsed)
        error = response_error(response, kind=call.kind, secrets=call.secrets,
                               now=self.client._clock())
        if error is None:
            return None
        retryable = isinstance(error, RateLimitedError) or (
            isinstance(error, ServerError) and error.status in RETRY_STATUSES)
        if not retryable:
            raise error from None
        wait = getattr(error, "retry_after", None)
        if wait is not None and wait > self.client.retry_budget - self.used:
            raise error from None  # told to wait longer than we are willing to
        return self._next(error, wait if wait is not None else self.client._backoff(self.attempt))

    def _next(self, error: ApiError, delay: float) -> float:
        client = self.client
        if self.attempt >= client.max_retries or self.used + delay > client.retry_budget:
            raise error from None
        log.debug("retrying %s %s in %.2fs (retry %d of %d)", self.call.method, self.call.url,
                  delay, self.attempt + 1, client.max_retries)
        self.used += delay
        self.attempt += 1
        return delay


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # here, not at the top: the sync client never loads the event loop

    await asyncio.sleep(seconds)


# --- the clients ---------------------------------------------------------------------


class AuthClient:
    """Talks to the Contentsquare auth and API hosts. Use as `async with AuthClient() as c`.

    SyncAuthClient below is the same client without asyncio, for one-shot CLI calls: the
    two share everything but the sending (request plans, answer parsing, retry rules).
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        max_retries: int = 3,
        retry_budget: float = 30.0,
        clock: Clock = utcnow,
        transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
        ca_bundle: str | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        import httpx

        self.settings = settings or Settings()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_retries = max(0, int(max_retries))
        self.retry_budget = retry_budget
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep if sleep is not None else self._default_sleep
        self._jitter = jitter
        self._http = self._http_client(
            httpx,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            verify=_verify(ca_bundle or self.settings.ca_bundle),
            trust_env=True,  # HTTPS_PROXY / NO_PROXY, SSL_CERT_FILE / SSL_CERT_DIR
            mounts={pattern: None for pattern in _LOOPBACK_MOUNTS},  # loopback skips proxies
            transport=transport,
            follow_redirects=False,  # a redirect must never carry the secret elsewhere
        )

    _default_sleep = staticmethod(_asyncio_sleep)

    @staticmethod
    def _http_client(httpx: Any, **options: Any) -> Any:
        return httpx.AsyncClient(**options)

    async def __aenter__(self) -> AuthClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- the three calls --------------------------------------------------------------

    async def fetch_token(
        self,
        profile: Profile,
        secret: Secret,
        *,
        scopes: Iterable[str] | None = None,
        project_id: int | None = None,
    ) -> Token:
        """Exchange the client credentials for an access token."""
        call, parse = self._token_call(profile, secret, scopes, project_id)
        return parse(*await self._send(call))

    async def me(self, profile: Profile, secret: Secret) -> MeInfo:
        """What the credentials can reach, as /v1/oauth/me tells it."""
        call, parse = self._me_call(profile, secret)
        return parse(*await self._send(call))

    async def probe(self, token: Token, project_id: int | None = None) -> ProbeResult:
        """A first real call with the token: GET {endpoint}/v1/segments."""
        call = self._probe_call(token, project_id)
        started = time.perf_counter()
        try:
            response, _ = await self._send(call)
        except NetworkError:
            raise
        except ApiError as exc:
            return _probe_refused(exc, time.perf_counter() - started)
        return _probe_result(call.url, response, time.perf_counter() - started)

    async def _send(self, call: _Call) -> tuple[httpx.Response, datetime]:
        """One request with retries (see _Retrying); returns a success response and when
        it was sent. httpx's timeouts bound each read, not a whole answer, so one attempt
        is also cut off after `connect_timeout + timeout` seconds: a server sending a byte
        now and then cannot hold the client for ever."""
        import asyncio

        import httpx

        retrying = _Retrying(self, call)
        while True:
            sent_at = self._clock()
            started = time.perf_counter()
            try:
                response = await asyncio.wait_for(
                    self._http.request(call.method, call.url, json=call.json_body,
                                       params=call.params, headers=call.headers),
                    self._attempt_deadline)
            except asyncio.TimeoutError:
                delay = retrying.failed(_DeadlinePassed(), time.perf_counter() - started)
            except httpx.TransportError as exc:
                delay = retrying.failed(exc, time.perf_counter() - started)
            else:
                delay = retrying.answered(response, time.perf_counter() - started)
                if delay is None:
                    return response, sent_at
            await self._sleep(delay)

    # --- what each call sends, and what its answer means ---------------------------------

    def _token_call(self, profile: Profile, secret: Secret, scopes: Iterable[str] | None,
                    project_id: int | None) -> tuple[_Call, Callable[..., Token]]:
        request = plan(profile, self.settings, scopes, project_id)
        wanted, project_id = request.scopes, request.project_id
        auth_url = self._auth_url(profile)
        revealed = Secret(secret).reveal()
        body: dict[str, Any] = {
            "client_id": profile.client_id,
            "client_secret": revealed,
            "grant_type": "client_credentials",
            "scope": " ".join(wanted),
        }
        if project_id is not None:
            body["project_id"] = project_id
        call = _Call("POST", f"{auth_url}/v1/oauth/token", "token", (revealed,), body)

        def parse(response: httpx.Response, sent_at: datetime) -> Token:
            return _token_from(response, sent_at, url=call.url, profile=profile,
                               auth_url=auth_url,
                               scopes=wanted, project_id=project_id, secret=revealed)

        return call, parse

    def _me_call(self, profile: Profile, secret: Secret
                 ) -> tuple[_Call, Callable[..., MeInfo]]:
        url = f"{self._auth_url(profile)}/v1/oauth/me"
        revealed = Secret(secret).reveal()
        call = _Call("POST", url, "me", (revealed,),
                     {"client_id": profile.client_id, "client_secret": revealed})

        def parse(response: httpx.Response, _sent_at: datetime) -> MeInfo:
            data, is_json = _json_body(response)
            if not is_json:
                what = "an HTML page" if _is_html(response) else "something that is not JSON"
                raise BadResponseError(f"{_host(url)} answered /v1/oauth/me with {what}",
                                       status=response.status_code)
            return MeInfo.from_json(data)

        return call, parse

    @staticmethod
    def _probe_call(token: Token, project_id: int | None) -> _Call:
        secrets = (token.access_token,)
        if not token.trusted or not endpoint_trusted(token.endpoint, token.auth_url):
            raise UntrustedEndpointError(
                _redact(f"refusing to send the token to {_host(token.endpoint)}: not an "
                        "https contentsquare.com endpoint", secrets),
                hint="the token endpoint returned an unexpected API URL")
        project_id = token.project_id if project_id is None else project_id
        return _Call(
            "GET", f"{token.endpoint.rstrip('/')}/v1/segments", "probe", secrets,
            params={"projectId": str(project_id)} if project_id is not None else None,
            headers={"Authorization": f"Bearer {token.access_token}"})

    # --- plumbing ---------------------------------------------------------------------

    def _auth_url(self, profile: Profile) -> str:
        auth_url = profile.effective_auth_url(self.settings)
        problem = url_error(auth_url)
        if problem:
            raise RuleError(f"profile '{profile.name}': {problem}")
        return auth_url

    @property
    def _attempt_deadline(self) -> float:
        return self.connect_timeout + self.timeout

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self._jitter() * min(self.backoff_cap, self.backoff_base * 2 ** attempt)

    def _network_error(self, exc: Exception, url: str) -> tuple[NetworkError, str | None]:
        """A worded NetworkError, and "connect", "read" or None for how to retry it."""
        import httpx

        host = _host(url)
        if isinstance(exc, _DeadlinePassed):  # our own deadline, not one of httpx's
            return NetworkError(f"{host} timed out after {self._attempt_deadline:g} s: its "
                                "answer came too slowly"), "read"
        if isinstance(exc, httpx.ConnectTimeout):
            return NetworkError(f"cannot reach {host}: connection timed out after "
                                f"{self.connect_timeout:g} s"), "connect"
        if isinstance(exc, httpx.TimeoutException):
            return NetworkError(f"{host} timed out after {self.timeout:g} s"), "read"
        if isinstance(exc, httpx.ProxyError):
            return NetworkError(f"the proxy refused the connection to {host}",
                                hint="check HTTPS_PROXY / NO_PROXY"), "connect"
        if isinstance(exc, httpx.ConnectError):
            causes = list(_causes(exc))
            text = " ".join(str(c) for c in causes).lower()
            if any(isinstance(c, socket.gaierror) for c in causes):
                text += " name resolution"
            if any(isinstance(c, ConnectionRefusedError) for c in causes):
                text += " refused"
            if "certificate" in text or "ssl" in text or "tls" in text:
                return NetworkError(
                    f"cannot reach {host}: its TLS certificate is not trusted",
                    hint="set ca_bundle in [settings] or SSL_CERT_FILE for a corporate CA"
                ), None
            if any(s in text for s in ("name or service", "nodename", "getaddrinfo",
                                       "name resolution", "no address")):
                if any(isinstance(c, socket.gaierror) and c.errno == socket.EAI_NONAME
                       for c in causes):  # the name does not exist: asking again won't help
                    return NetworkError(f"cannot reach {host}: name not resolved"), None
                reason = "name not resolved"
            elif "refused" in text:
                reason = "connection refused"
            else:
                reason = "connection failed"
            return NetworkError(f"cannot reach {host}: {reason}"), "connect"
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return NetworkError(f"the connection to {host} dropped before a full answer"), \
                "read"
        return NetworkError(f"cannot talk to {host}: {type(exc).__name__}"), None


# --- parsing answers (shared by both clients) --------------------------------------------


def _token_from(response: httpx.Response, sent_at: datetime, *, url: str, profile: Profile,
                auth_url: str, scopes: tuple[str, ...], project_id: int | None,
                secret: str) -> Token:
    """The Token a successful token response carries, or BadResponseError /
    TokenExpiredError for one that carries none usable."""
    host = _host(url)
    data, is_json = _json_body(response)
    if not is_json:
        what = "an HTML page" if _is_html(response) else "something that is not JSON"
        raise BadResponseError(f"the token endpoint at {host} answered "
                               f"{response.status_code} with {what}",
                               status=response.status_code)
    if not isinstance(data, dict):
        raise BadResponseError(f"the token endpoint at {host} answered a JSON "
                               f"{type(data).__name__}, not an object",
                               status=response.status_code)
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise BadResponseError(f"the token response from {host} has no access_token",
                               status=response.status_code)
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise BadResponseError(f"the token response from {host} has no endpoint "
                               "(the API base URL to use the token with)",
                               status=response.status_code)
    endpoint = endpoint.strip()
    _, claims = decode_jwt(access_token)
    trusted = endpoint_trusted(endpoint, auth_url)
    if not trusted:
        log.warning("token endpoint %s is not trusted: the token will not be used",
                    _redact(_host(endpoint), [access_token]))
    expires_at = expiry_from_response(sent_at, data.get("expires_in"), claims)
    if expires_at <= sent_at:
        raise _expired_on_arrival(host, claims, sent_at, response.status_code)
    # Whatever else the answer holds goes to the cache file, except what echoes the
    # token or the client secret.
    known = (access_token, secret)
    extra = {k: v for k, v in data.items()
             if k not in ("access_token", "endpoint") and not _mentions(v, known)}
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
    return ProbeResult(False, status, elapsed, f"{status} {exc.code or 'error'}: {exc}",
                       error=exc)


def _probe_result(url: str, response: httpx.Response, elapsed: float) -> ProbeResult:
    data, is_json = _json_body(response)
    status = response.status_code
    line = f"{status} {response.reason_phrase}".strip()
    if not is_json or not isinstance(data, dict):
        error = BadResponseError(
            f"{_host(url)} answered /v1/segments with "
            + ("an HTML page" if _is_html(response) else "something that is not a "
               "JSON object"), status=status)
        return ProbeResult(False, status, elapsed, f"{line}: {error}", error=error)
    payload = data.get("payload")
    if isinstance(payload, list):
        count = len(payload)
        return ProbeResult(True, status, elapsed,
                           f"{line}: {count} segment{'' if count == 1 else 's'}")
    return ProbeResult(True, status, elapsed, line)


def _causes(exc: BaseException):
    """The exception and what it was raised from (httpx wraps the OSError twice)."""
    seen = 0
    while exc is not None and seen < 8:
        yield exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


def _verify(ca_bundle: str | None):
    """True (httpx then honours SSL_CERT_FILE / SSL_CERT_DIR, else certifi), or an SSL
    context for a configured CA bundle file or directory."""
    if not ca_bundle:
        return True
    import ssl

    path = Path(ca_bundle).expanduser()
    if not path.exists():
        raise ConfigError(f"CA bundle {path} does not exist",
                          hint="fix ca_bundle in [settings], or remove it")
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"CA bundle {path} cannot be loaded: "
                          f"{getattr(exc, 'reason', None) or exc}") from None
