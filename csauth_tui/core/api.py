"""The Contentsquare auth client: fetch a token, ask /v1/oauth/me, probe a token.

httpx is imported only when an AuthClient is built (the CLI's cached-token path never
imports this module at all). Requests are planned here and retried by one policy
(_Retrying); what the answers mean is read in answers.py. No message or log line built
here carries a client secret or an access token.
"""

from __future__ import annotations

import logging
import random
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__

# Reading answers lives in answers.py; MeInfo, ProbeResult, endpoint_trusted and
# response_error are re-exported as part of this module's API.
from .answers import (  # noqa: F401
    MeInfo,
    ProbeResult,
    _host,
    _is_html,
    _json_body,
    _probe_refused,
    _probe_result,
    _redact,
    _token_from,
    endpoint_trusted,
    response_error,
)
from .errors import (
    ApiError,
    BadResponseError,
    ConfigError,
    NetworkError,
    RateLimitedError,
    RuleError,
    ServerError,
    UntrustedEndpointError,
)
from .kinds import CallKind
from .profiles import Profile, Settings
from .redact import Secret
from .request import plan
from .text import inert
from .tokens import Clock, Token, utcnow
from .urls import reached_directly, url_error

if TYPE_CHECKING:  # pragma: no cover
    import ssl

    import httpx

log = logging.getLogger("csauth.api")

USER_AGENT = f"csauth-tui/{__version__}"
RETRY_STATUSES = (500, 502, 503, 504)
# A token, /me or probe answer is a few KB. Past this, raw or decompressed, the answer is
# refused: a gzip bomb (2 MB inflating to 2 GiB) must not take the memory and the time.
MAX_ANSWER_BYTES = 1024 * 1024
# Asked for explicitly: with brotli or zstandard installed httpx would offer them too, and
# their ratios are far past gzip's ~1000:1 (what one 64 KiB read may inflate to).
ACCEPT_ENCODING = "gzip, deflate"


# --- one request, and the rules for retrying it ----------------------------------------


@dataclass(frozen=True)
class _Call:
    """One API request as planned: what to send and which secrets its answers may echo."""

    method: str
    url: str
    kind: CallKind  # see response_error
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

    def __init__(self, client: BaseAuthClient, call: _Call) -> None:
        self.client, self.call = client, call
        self.attempt, self.read_retries, self.used = 0, 1, 0.0

    def failed(self, exc: Exception, elapsed: float) -> float:
        """The attempt ended without an answer (`exc`: an httpx.TransportError or
        _DeadlinePassed). Call it inside the `except` block: the error it raises hides
        the httpx chain (which may hold the request body)."""
        call = self.call
        self.used += elapsed
        # the message states the time actually waited: every try and the pauses between
        error, retry_class = self.client._network_error(
            exc, call.url, waited=self.used, tries=self.attempt + 1
        )
        log.debug(
            "%s %s failed after %.3fs: %s", call.method, call.url, elapsed, type(exc).__name__
        )
        if retry_class is None or (retry_class == "read" and self.read_retries == 0):
            raise error from None
        if retry_class == "read":
            self.read_retries -= 1
        return self._next(error, self.client._backoff(self.attempt))

    def answered(self, response: httpx.Response, elapsed: float) -> float | None:
        """The attempt got a whole answer: None when it is a success."""
        call = self.call
        self.used += elapsed
        log.debug(
            "%s %s -> %s in %.3fs", call.method, response.request.url, response.status_code, elapsed
        )
        error = response_error(
            response, kind=call.kind, secrets=call.secrets, now=self.client._clock()
        )
        if error is None:
            return None
        retryable = isinstance(error, RateLimitedError) or (
            isinstance(error, ServerError) and error.status in RETRY_STATUSES
        )
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
        log.debug(
            "retrying %s %s in %.2fs (retry %d of %d)",
            self.call.method,
            self.call.url,
            delay,
            self.attempt + 1,
            client.max_retries,
        )
        self.used += delay
        self.attempt += 1
        return delay


# --- the clients ---------------------------------------------------------------------


class BaseAuthClient:
    """What the async AuthClient and the CLI's SyncAuthClient (sync_client.py) share, as
    httpx's Client and AsyncClient share its BaseClient: the settings and limits, what
    each call sends and what its answer means, the retry rules and the error wording.
    No I/O here: each sibling sends with its own httpx client and sleeps its own way.
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
        self._options: dict[str, Any] = dict(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            verify=_verify(ca_bundle or self.settings.ca_bundle),
            trust_env=True,  # HTTPS_PROXY / NO_PROXY, SSL_CERT_FILE / SSL_CERT_DIR
            transport=transport,
            follow_redirects=False,  # a redirect must never carry the secret elsewhere
        )
        self._clients: dict[bool, Any] = {}  # direct? -> httpx client, built on first use

    @staticmethod
    def _default_sleep(seconds: float) -> Any:
        raise NotImplementedError

    @staticmethod
    def _http_client(httpx: Any, *, direct: bool, **options: Any) -> Any:
        """The httpx client of this sibling (a direct one: see _client_for)."""
        raise NotImplementedError

    @property
    def _http(self) -> Any:
        """The client for the Contentsquare hosts (through HTTPS_PROXY when set)."""
        return self._client(direct=False)

    def _client_for(self, url: str) -> Any:
        """Loopback hosts (all of 127.0.0.0/8, ::1, localhost) and plain http are reached
        directly: a proxy from the environment must never see a request to them."""
        return self._client(direct=self._options["transport"] is None and reached_directly(url))

    def _client(self, *, direct: bool) -> Any:
        client = self._clients.get(direct)
        if client is None:
            import httpx

            client = self._clients[direct] = self._http_client(
                httpx, direct=direct, **self._options
            )
        return client

    # --- what each call sends, and what its answer means ---------------------------------

    def _token_call(
        self, profile: Profile, secret: Secret, scopes: Iterable[str] | None, project_id: int | None
    ) -> tuple[_Call, Callable[..., Token]]:
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
        call = _Call("POST", f"{auth_url}/v1/oauth/token", CallKind.TOKEN, (revealed,), body)

        def parse(response: httpx.Response, sent_at: datetime) -> Token:
            return _token_from(
                response,
                sent_at,
                url=call.url,
                profile=profile,
                auth_url=auth_url,
                scopes=wanted,
                project_id=project_id,
                secret=revealed,
            )

        return call, parse

    def _me_call(self, profile: Profile, secret: Secret) -> tuple[_Call, Callable[..., MeInfo]]:
        url = f"{self._auth_url(profile)}/v1/oauth/me"
        revealed = Secret(secret).reveal()
        call = _Call(
            "POST",
            url,
            CallKind.ME,
            (revealed,),
            {"client_id": profile.client_id, "client_secret": revealed},
        )

        def parse(response: httpx.Response, _sent_at: datetime) -> MeInfo:
            data, is_json = _json_body(response)
            if not is_json:
                what = "an HTML page" if _is_html(response) else "something that is not JSON"
                raise BadResponseError(
                    f"{_host(url)} answered /v1/oauth/me with {what}", status=response.status_code
                )
            return MeInfo.from_json(data)

        return call, parse

    @staticmethod
    def _probe_call(token: Token, project_id: int | None) -> _Call:
        secrets = (token.access_token,)
        if not token.trusted or not endpoint_trusted(token.endpoint, token.auth_url):
            raise UntrustedEndpointError(
                _redact(
                    f"refusing to send the token to {_host(token.endpoint)}: not an "
                    "https contentsquare.com endpoint",
                    secrets,
                ),
                hint="the token endpoint returned an unexpected API URL",
            )
        project_id = token.project_id if project_id is None else project_id
        return _Call(
            "GET",
            f"{token.endpoint.rstrip('/')}/v1/segments",
            CallKind.PROBE,
            secrets,
            params={"projectId": str(project_id)} if project_id is not None else None,
            headers={"Authorization": f"Bearer {token.access_token}"},
        )

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
        return self._jitter() * min(self.backoff_cap, self.backoff_base * 2.0**attempt)

    def _network_error(
        self, exc: Exception, url: str, *, waited: float | None = None, tries: int = 1
    ) -> tuple[NetworkError, str | None]:
        """A worded NetworkError, and "connect", "read" or None for how to retry it.
        `waited` (seconds, every try and pause included) and `tries`: a timeout after
        retries says both the limit of one try and the whole time waited."""
        import httpx

        host = _host(url)

        def after(limit: float) -> str:
            if tries <= 1 or waited is None:
                return f"after {limit:g} s"
            return f"after {limit:g} s on each of {tries} tries ({round(waited, 1):g} s in all)"

        if isinstance(exc, _DeadlinePassed):  # our own deadline, not one of httpx's
            return NetworkError(
                f"{host} timed out {after(self._attempt_deadline)}: its answer came too slowly"
            ), "read"
        if isinstance(exc, httpx.ConnectTimeout):
            return NetworkError(
                f"cannot reach {host}: connection timed out {after(self.connect_timeout)}"
            ), "connect"
        if isinstance(exc, httpx.TimeoutException):
            return NetworkError(f"{host} timed out {after(self.timeout)}"), "read"
        if isinstance(exc, httpx.ProxyError):
            return NetworkError(
                f"the proxy refused the connection to {host}", hint="check HTTPS_PROXY / NO_PROXY"
            ), "connect"
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
                    hint="set ca_bundle in [settings] or SSL_CERT_FILE for a corporate CA",
                ), None
            if any(
                s in text
                for s in (
                    "name or service",
                    "nodename",
                    "getaddrinfo",
                    "name resolution",
                    "no address",
                )
            ):
                if any(
                    isinstance(c, socket.gaierror) and c.errno == socket.EAI_NONAME for c in causes
                ):  # the name does not exist: asking again won't help
                    return NetworkError(f"cannot reach {host}: name not resolved"), None
                reason = "name not resolved"
            elif "refused" in text:
                reason = "connection refused"
            else:
                reason = "connection failed"
            return NetworkError(f"cannot reach {host}: {reason}"), "connect"
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return NetworkError(f"the connection to {host} dropped before a full answer"), "read"
        return NetworkError(f"cannot talk to {host}: {type(exc).__name__}"), None


class AuthClient(BaseAuthClient):
    """Talks to the Contentsquare auth and API hosts. Use as `async with AuthClient() as c`.

    SyncAuthClient (sync_client.py) is its sibling without asyncio, for one-shot CLI
    calls: the two share BaseAuthClient (request plans, answer parsing, retry rules).
    """

    @staticmethod
    async def _default_sleep(seconds: float) -> None:
        import asyncio  # here, not at the top: the sync client never loads the event loop

        await asyncio.sleep(seconds)

    @staticmethod
    def _http_client(httpx: Any, *, direct: bool, **options: Any) -> Any:
        if direct:  # with a transport of its own, httpx reads no proxy from the environment
            options["transport"] = httpx.AsyncHTTPTransport(
                verify=options["verify"], trust_env=True
            )
        return httpx.AsyncClient(**options)

    async def __aenter__(self) -> AuthClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in list(self._clients.values()):
            await client.aclose()

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
        (sending, reading and decompressing) is also cut off after `connect_timeout +
        timeout` seconds: a server sending a byte now and then cannot hold the client for
        ever. An answer past MAX_ANSWER_BYTES is refused (NetworkError), never retried."""
        import asyncio

        import httpx

        retrying = _Retrying(self, call)
        while True:
            sent_at = self._clock()
            started = time.perf_counter()
            try:
                response = await asyncio.wait_for(
                    self._receive(httpx, call), self._attempt_deadline
                )
            except asyncio.TimeoutError:
                delay = retrying.failed(_DeadlinePassed(), time.perf_counter() - started)
            except httpx.TransportError as exc:
                delay = retrying.failed(exc, time.perf_counter() - started)
            else:
                answered = retrying.answered(response, time.perf_counter() - started)
                if answered is None:
                    return response, sent_at
                delay = answered
            await self._sleep(delay)

    async def _receive(self, httpx: Any, call: _Call) -> httpx.Response:
        """The whole answer, streamed and counted (see _Body)."""
        async with self._client_for(call.url).stream(
            call.method, call.url, json=call.json_body, params=call.params, headers=call.headers
        ) as streamed:
            body = _Body(call.url, streamed)
            if streamed.is_stream_consumed:  # an answer built in memory (MockTransport)
                body.decoded(streamed.content)
            else:
                async for chunk in streamed.aiter_raw():
                    body.feed(chunk)
                body.finish()
        return body.response(httpx, streamed)


class _Body:
    """An answer's body as it arrives, refused (NetworkError) as soon as it passes
    MAX_ANSWER_BYTES as sent or once decompressed. The raw stream is inflated here, with
    zlib told never to make more than the room left: httpx's own decoders inflate a whole
    64 KiB read at once (64 MiB of a gzip bomb, and twice that while zlib's buffer grows).
    Stacked or other encodings are refused before any of the body is read."""

    def __init__(self, url: str, response: httpx.Response) -> None:
        self.url = url
        self.status = response.status_code
        self.chunks: list[bytes] = []
        self.raw_size = self.size = 0
        codings = [
            c.strip().lower()
            for c in response.headers.get_list("content-encoding", split_commas=True)
        ]
        self.codings = [c for c in codings if c and c != "identity"]
        if len(self.codings) > 1 or any(c not in ("gzip", "deflate") for c in self.codings):
            shown = inert(", ".join(self.codings))[:60]
            raise BadResponseError(
                f"{_host(url)} answered with Content-Encoding '{shown}', which csauth does "
                f"not accept (only one of gzip, deflate)",
                status=response.status_code,
            )
        # a gzip or a zlib header, told apart by zlib; raw deflate is tried after (below)
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 32) if self.codings else None
        self._first = True

    def feed(self, raw: bytes) -> None:
        """One piece of the raw stream."""
        self.raw_size += len(raw)
        if self.raw_size > MAX_ANSWER_BYTES:
            raise self._too_large("")
        self._keep(self._inflate(raw) if self._inflater is not None else raw)

    def finish(self) -> None:
        if self._inflater is not None:
            self._keep(self._inflater.flush())

    def decoded(self, content: bytes) -> None:
        """A body httpx already holds whole and decoded (an answer built in memory)."""
        self._inflater = None
        self._keep(content)

    def _inflate(self, raw: bytes) -> bytes:
        room = MAX_ANSWER_BYTES - self.size + 1  # one byte more tells "too large"
        if self._inflater is None:  # not compressed: nothing to inflate
            return raw
        try:
            out = self._inflater.decompress(raw, room)
        except zlib.error:
            if not (self._first and self.codings == ["deflate"]):
                raise BadResponseError(
                    f"the answer from {_host(self.url)} cannot be decompressed ({self.codings[0]})",
                    status=self.status,
                ) from None
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # deflate without header
            self._first = False
            return self._inflate(raw)
        self._first = False
        return out

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > MAX_ANSWER_BYTES:
            raise self._too_large(" once decompressed" if self._inflater is not None else "")
        self.chunks.append(data)

    def _too_large(self, how: str) -> NetworkError:
        self.chunks.clear()
        return NetworkError(
            f"the answer from {_host(self.url)} was too large (over "
            f"{MAX_ANSWER_BYTES // 2**20} MiB{how}): refused",
            hint="a token answer is a few KB: check the auth URL, and any proxy or portal "
            "answering in its place",
            status=self.status,
        )

    def response(self, module: Any, streamed: httpx.Response) -> httpx.Response:
        """A plain response holding the decompressed body (the request is kept, for the
        debug log; the encoding headers go, the body being decoded already)."""
        headers = [
            (k, v)
            for k, v in streamed.headers.raw  # bytes: as they came
            if k.lower() not in (b"content-encoding", b"content-length")
        ]
        rebuilt: httpx.Response = module.Response(
            streamed.status_code,
            headers=headers,
            content=b"".join(self.chunks),
            request=streamed.request,
            extensions={
                k: v
                for k, v in streamed.extensions.items()
                if k in ("http_version", "reason_phrase")
            },
        )
        return rebuilt


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from (httpx wraps the OSError twice)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        yield current
        current, seen = current.__cause__ or current.__context__, seen + 1


def _verify(ca_bundle: str | None) -> bool | ssl.SSLContext:
    """True (httpx then honours SSL_CERT_FILE / SSL_CERT_DIR, else certifi), or an SSL
    context for a configured CA bundle file or directory."""
    if not ca_bundle:
        return True
    import ssl

    path = Path(ca_bundle).expanduser()
    if not path.exists():
        raise ConfigError(
            f"CA bundle {path} does not exist", hint="fix ca_bundle in [settings], or remove it"
        )
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"CA bundle {path} cannot be loaded: {getattr(exc, 'reason', None) or exc}"
        ) from None
