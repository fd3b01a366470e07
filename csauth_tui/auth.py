"""The Python API: tokens for work that outlives one token, as an `httpx.Auth` and clients.

    from csauth_tui import client

    with client("prod-metrics") as http:               # base_url: the token's endpoint
        segments = http.get("/v1/segments").json()

`ContentsquareAuth` takes its tokens where the CLI does (the profiles file, the keyring or
the profile's `env:` / `cmd:` source, the token cache), renews them before they expire,
fetches a new one and retries once on `401 JWT_EXPIRED`, waits and retries (bounded) on
`429` / `CONCURRENT_API_CALL`, and keeps at most 10 requests per project in flight in this
process (Contentsquare's limit). It sends the token only to the origin of the token's
endpoint: a request for any other host is refused, never sent.

`TokenSource` (one profile's current token, shared by the auth and `csauth proxy`) and
`ProjectLimit` (the per-project cap) are what both are built on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from os import PathLike
from typing import TYPE_CHECKING, Any

import httpx

from .core import paths
from .core.answers import endpoint_trusted, response_error
from .core.errors import (
    ConfigError,
    CsauthError,
    RateLimitedError,
    TokenExpiredError,
    UntrustedEndpointError,
)
from .core.kinds import CallKind
from .core.profiles import Profile, Settings, load
from .core.request import TokenRequest, plan
from .core.tokens import Token, TokenCache, iso_utc, utcnow
from .core.urls import reached_directly

if TYPE_CHECKING:  # pragma: no cover
    from .core.tokens import Clock

__all__ = ["ContentsquareAuth", "ProjectLimit", "TokenSource", "async_client", "client"]

log = logging.getLogger("csauth.auth")

MAX_IN_FLIGHT = 10  # Contentsquare: at most 10 concurrent requests per project


# --- one profile's token, for as long as it is needed --------------------------------


class TokenSource:
    """The current token of one profile (with its scopes and project): from memory, else
    from the CLI's token cache, else fetched from the API (and cached for the CLI).

    A token is renewed when `min(renew_before_seconds, lifetime / 2)` seconds are left (so
    short-lived tokens are not renewed on every call): in a background thread, while
    callers go on using it, so requests keep flowing across a renewal. Only a token about
    to expire (`min(10 s, lifetime / 10)` left) makes callers wait for the new one.
    Thread-safe: one fetch at a time. The client secret is looked up again for each fetch
    (never kept), so a rotated secret is picked up.
    """

    def __init__(
        self,
        profile: str,
        *,
        scopes: Iterable[str] | None = None,
        project_id: int | None = None,
        config: str | PathLike[str] | None = None,
        use_cache: bool = True,
        clock: Clock = utcnow,
        on_renew: Callable[[Token], None] | None = None,
    ) -> None:
        profiles = load(paths.config_path(config))
        wrong = profiles.settings_errors()
        if wrong:  # never a silent default: a dropped auth_url would send the secret elsewhere
            raise ConfigError(
                f"{profiles.path}: " + "; ".join(str(p) for p in wrong),
                hint="fix [settings], or remove the key to use its default",
            )
        self.profile: Profile = profiles.get(profile)
        self.settings: Settings = profiles.settings
        self.request: TokenRequest = plan(self.profile, self.settings, scopes, project_id)
        self.cache = (
            TokenCache(paths.token_cache_path(), clock)
            if use_cache and self.settings.token_cache
            else None
        )
        self.renew_before = float(self.settings.renew_before_seconds)
        self.clock = clock
        self.on_renew = on_renew
        # the project's cap on requests in flight (process-wide): a renewal in the
        # background takes a slot like any request (the API counts token requests too)
        self.limit = project_limit(self.limit_key)
        self._token: Token | None = None
        self._lock = threading.Lock()  # held while fetching
        self._background: threading.Thread | None = None
        self._background_lock = threading.Lock()
        self._background_after = 0.0  # time.monotonic() before which no new background try

    def __repr__(self) -> str:
        return f"<TokenSource profile={self.profile.name!r} scopes={self.request.scopes}>"

    @property
    def limit_key(self) -> tuple[str, str]:
        """Which project the requests made with these tokens count against."""
        request = self.request
        target = (
            f"project:{request.project_id}"
            if request.project_id is not None
            else f"client:{self.profile.client_id}"
        )  # project-level: one project
        return (request.auth_url, target)

    def due(self, token: Token) -> bool:
        """Time to get its successor (it may still be used meanwhile): the CLI's and the
        app's rule (Token.fresh_enough)."""
        return not token.fresh_enough(self.renew_before, self.clock())

    def usable(self, token: Token) -> bool:
        """Enough time left for a request to reach the API before it expires."""
        return token.seconds_left(self.clock()) > min(10.0, token.lifetime / 10)

    def peek(self) -> Token | None:
        """The token in memory if it may be used, starting its renewal in the background
        when due: no I/O, no waiting (the async fast path)."""
        token = self._token
        if token is None or not self.usable(token):
            return None
        if self.due(token):
            self._renew_in_background()
        return token

    def current(self) -> Token:
        """A token that may be used (blocking: may read the cache file or fetch one)."""
        token = self.peek()
        if token is not None:
            return token
        with self._lock:
            token = self._token
            if token is not None and self.usable(token):
                return token
            return self._refresh(avoid=None)

    def renew(self, stale: Token) -> Token:
        """A token other than `stale`, which the API said has expired: the one another
        caller got meanwhile, or a new one."""
        with self._lock:
            token = self._token
            if (
                token is not None
                and token.access_token != stale.access_token
                and self.usable(token)
            ):
                return token
            return self._refresh(avoid=stale.access_token)

    def _renew_in_background(self) -> None:
        with self._background_lock:
            if self._background is not None or time.monotonic() < self._background_after:
                return
            self._background = threading.Thread(
                target=self._background_renewal, name="csauth-token-renewal", daemon=True
            )
            self._background.start()

    def _background_renewal(self) -> None:
        # The slot first, then the lock: callers that must wait for a token hold a slot
        # and take the lock to fetch in it themselves; the other order would deadlock.
        self.limit.acquire()
        try:
            with self._lock:
                token = self._token
                if token is None or self.due(token):
                    self._refresh(avoid=None)
        except Exception as exc:  # callers will fetch themselves if it comes to that
            log.warning(
                "renewing the token of %s failed: %s",
                self.profile.name,
                exc if isinstance(exc, CsauthError) else type(exc).__name__,
            )
            token = self._token
            pause = min(5.0, token.lifetime / 10) if token is not None else 5.0
            self._background_after = time.monotonic() + pause
        finally:
            self.limit.release()
            self._background = None

    def _refresh(self, avoid: str | None) -> Token:
        if self.cache is not None:
            cached = self.cache.get(self.request.cache_key, 0)
            if (
                cached is not None
                and cached.access_token != avoid
                and self.usable(cached)
                and not self.due(cached)
            ):
                self._token = cached
                return cached
        token = _off_the_main_thread(self._fetch)
        self._token = token
        if self.on_renew is not None:
            self.on_renew(token)
        return token

    def _fetch(self) -> Token:
        from .core.secrets import resolve_secret
        from .core.service import remember, untrusted_error
        from .core.sync_client import SyncAuthClient

        request = self.request
        secret = resolve_secret(self.profile)
        with SyncAuthClient(settings=self.settings) as auth:
            token = auth.fetch_token(
                self.profile, secret, scopes=request.scopes, project_id=request.project_id
            )
        if not token.trusted or not endpoint_trusted(token.endpoint, token.auth_url):
            raise untrusted_error(token)
        remember(self.cache, token)
        log.debug("new token for %s, expires %s", self.profile.name, iso_utc(token.expires_at))
        return token


def _off_the_main_thread(work: Callable[[], Token]) -> Token:
    """Run `work` in a short-lived thread when called on the main thread: the sync client
    bounds a fetch there with SIGALRM, which would cancel a timer of the program using
    this library. A token is fetched about once an hour: the thread costs nothing."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["token"] = work()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="csauth-token-fetch", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["token"]


# --- at most N requests per project in flight ------------------------------------------


class _Waiter:
    __slots__ = ("event", "future", "granted")

    def __init__(
        self, event: threading.Event | None = None, future: asyncio.Future[None] | None = None
    ) -> None:
        self.event, self.future, self.granted = event, future, False


class ProjectLimit:
    """A first-come, first-served cap on requests in flight, for threads and event loops
    alike (one instance serves both): `acquire()` / `await acquire_async()`, `release()`."""

    def __init__(self, limit: int = MAX_IN_FLIGHT) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.limit = limit
        self.in_flight = 0
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _take(self) -> bool:
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        return False

    def acquire(self) -> None:
        with self._lock:
            if self._take():
                return
            waiter = _Waiter(event=threading.Event())
            self._waiters.append(waiter)
        waiter.event.wait()  # type: ignore[union-attr]

    async def acquire_async(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._take():
                return
            waiter = _Waiter(future=loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future  # type: ignore[misc]
        except asyncio.CancelledError:
            with self._lock:
                if not waiter.granted:
                    self._waiters.remove(waiter)
                    raise
            self.release()  # the slot came as we were cancelled: pass it on
            raise

    def release(self) -> None:
        """Hand the slot to the first waiter, or free it."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.event is not None:
                    waiter.granted = True
                    waiter.event.set()
                    return
                future = waiter.future
                assert future is not None
                try:
                    future.get_loop().call_soon_threadsafe(_wake, future)
                except RuntimeError:  # its loop is closed: nobody will ever wait on it
                    continue
                waiter.granted = True
                return
            self.in_flight -= 1


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_LIMITS: dict[tuple[str, str], ProjectLimit] = {}
_LIMITS_LOCK = threading.Lock()


def project_limit(key: tuple[str, str]) -> ProjectLimit:
    """The process-wide cap of one project: every ContentsquareAuth on it shares it."""
    with _LIMITS_LOCK:
        limit = _LIMITS.get(key)
        if limit is None:
            limit = _LIMITS[key] = ProjectLimit(MAX_IN_FLIGHT)
        return limit


# --- the httpx.Auth ----------------------------------------------------------------------


class ContentsquareAuth(httpx.Auth):
    """`httpx.Auth` for a csauth profile: `Authorization: Bearer` with a token that is
    renewed before it expires, renewed and the request retried once on `401 JWT_EXPIRED`,
    and waits-and-retries (at most `max_rate_retries` times, `rate_budget` seconds in all)
    on `429` / `CONCURRENT_API_CALL`. At most 10 requests per project are in flight in this
    process; more wait their turn, in order. Works with `httpx.Client` and
    `httpx.AsyncClient`.

    `config`: the profiles file (default `$CSAUTH_CONFIG`, else the CLI's default path).
    Raises csauth's errors (`csauth_tui.core.errors`): an unknown profile or a rule broken
    when built, a secret or token problem when a request needs a token.
    """

    def __init__(
        self,
        profile: str,
        *,
        scopes: Iterable[str] | None = None,
        project_id: int | None = None,
        config: str | PathLike[str] | None = None,
        max_rate_retries: int = 3,
        rate_budget: float = 60.0,
        use_cache: bool = True,
    ) -> None:
        self.source = TokenSource(
            profile, scopes=scopes, project_id=project_id, config=config, use_cache=use_cache
        )
        self.limit = self.source.limit
        self.max_rate_retries = max(0, int(max_rate_retries))
        self.rate_budget = float(rate_budget)
        self._origin: tuple[str, str, str, int | None] | None = None

    def __repr__(self) -> str:
        return f"<ContentsquareAuth profile={self.source.profile.name!r}>"

    def token(self) -> Token:
        """The current token (fetched if needed). Its repr never shows the token."""
        return self.source.current()

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # kept in memory, so that it can be sent again
        self.limit.acquire()
        try:
            token = self.source.current()
            retry = _Retry(self)
            while True:
                self._authorize(request, token)
                response = yield request
                if response.status_code < 400:
                    return
                response.read()
                action, wait = retry.after(response, token)
                if action == "renew":
                    token = self.source.renew(token)
                elif action == "wait":
                    time.sleep(wait)
                else:
                    return
        finally:
            self.limit.release()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        await self.limit.acquire_async()
        try:
            token = self.source.peek()
            if token is None:
                token = await asyncio.to_thread(self.source.current)
            retry = _Retry(self)
            while True:
                self._authorize(request, token)
                response = yield request
                if response.status_code < 400:
                    return
                await response.aread()
                action, wait = retry.after(response, token)
                if action == "renew":
                    token = await asyncio.to_thread(self.source.renew, token)
                elif action == "wait":
                    await asyncio.sleep(wait)
                else:
                    return
        finally:
            self.limit.release()

    def _authorize(self, request: httpx.Request, token: Token) -> None:
        """Set the header, but only on a request for the token's own endpoint."""
        origin = self._origin
        if origin is None or origin[0] != token.endpoint:  # parsed once per endpoint
            endpoint = httpx.URL(token.endpoint)
            origin = self._origin = (token.endpoint, endpoint.scheme, endpoint.host, endpoint.port)
        url = request.url
        if (url.scheme, url.host, url.port) != origin[1:]:
            raise UntrustedEndpointError(
                f"refusing to send the token of profile '{self.source.profile.name}' to "
                f"{url.scheme}://{url.host}: the token is for {origin[2]}",
                hint="send requests to the token's endpoint (client() sets it as base_url)",
            )
        request.headers["Authorization"] = f"Bearer {token.access_token}"


class _Retry:
    """What to do after an error answer: "renew" (once, on JWT_EXPIRED), "wait" (on 429 /
    CONCURRENT_API_CALL, within bounds) or "give up" (the answer goes to the caller)."""

    def __init__(self, auth: ContentsquareAuth) -> None:
        self.auth = auth
        self.renewed = False
        self.waits = 0
        self.waited = 0.0

    def after(self, response: httpx.Response, token: Token) -> tuple[str, float]:
        error = response_error(
            response, kind=CallKind.PROBE, secrets=(token.access_token,), now=utcnow()
        )
        if isinstance(error, TokenExpiredError) and not self.renewed:
            self.renewed = True
            return "renew", 0.0
        if isinstance(error, RateLimitedError) and self.waits < self.auth.max_rate_retries:
            wait = error.retry_after
            if wait is None:  # full jitter backoff: 0.5 s, 1 s, 2 s... at most 8 s
                wait = random.random() * min(8.0, 0.5 * 2**self.waits)
            if self.waited + wait <= self.auth.rate_budget:
                self.waits += 1
                self.waited += wait
                return "wait", max(0.0, wait)
        return "give up", 0.0


# --- ready-made clients ----------------------------------------------------------------


def client(
    profile: str,
    *,
    scopes: Iterable[str] | None = None,
    project_id: int | None = None,
    config: str | PathLike[str] | None = None,
    **httpx_kwargs: Any,
) -> httpx.Client:
    """An `httpx.Client` whose `base_url` is the token's endpoint and whose auth is a
    `ContentsquareAuth` for `profile`. Gets the first token now (to learn the endpoint).
    Other keyword arguments go to `httpx.Client`."""
    auth = ContentsquareAuth(profile, scopes=scopes, project_id=project_id, config=config)
    token = auth.token()
    _tls_defaults(auth.source.settings, httpx_kwargs)
    _direct_transport(token.endpoint, httpx_kwargs, httpx.HTTPTransport)
    return httpx.Client(base_url=token.endpoint, auth=auth, **httpx_kwargs)


class _PendingAsyncClient:
    """What `async_client()` returns: `await` it for the `httpx.AsyncClient`, or use it
    directly in `async with`. The first token is fetched there, off the event loop."""

    def __init__(self, auth: ContentsquareAuth, httpx_kwargs: dict[str, Any]) -> None:
        self._auth, self._kwargs = auth, httpx_kwargs
        self._client: httpx.AsyncClient | None = None

    async def _open(self) -> httpx.AsyncClient:
        if self._client is None:
            token = await asyncio.to_thread(self._auth.token)
            _tls_defaults(self._auth.source.settings, self._kwargs)
            _direct_transport(token.endpoint, self._kwargs, httpx.AsyncHTTPTransport)
            self._client = httpx.AsyncClient(
                base_url=token.endpoint, auth=self._auth, **self._kwargs
            )
        return self._client

    def __await__(self) -> Generator[Any, None, httpx.AsyncClient]:
        return self._open().__await__()

    async def __aenter__(self) -> httpx.AsyncClient:
        opened = await self._open()
        return await opened.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._client is not None:
            await self._client.__aexit__(*exc_info)


def async_client(
    profile: str,
    *,
    scopes: Iterable[str] | None = None,
    project_id: int | None = None,
    config: str | PathLike[str] | None = None,
    **httpx_kwargs: Any,
) -> _PendingAsyncClient:
    """`client()` for asyncio: `async with async_client("prod") as http:` or
    `http = await async_client("prod")`. Other keyword arguments go to httpx.AsyncClient."""
    auth = ContentsquareAuth(profile, scopes=scopes, project_id=project_id, config=config)
    return _PendingAsyncClient(auth, httpx_kwargs)


def _tls_defaults(settings: Settings, kwargs: dict[str, Any]) -> None:
    """The profiles file's `ca_bundle` as `verify`, unless the caller chose one."""
    if settings.ca_bundle and "verify" not in kwargs:
        import ssl
        from pathlib import Path

        path = Path(settings.ca_bundle).expanduser()
        kwargs["verify"] = (
            ssl.create_default_context(capath=str(path))
            if path.is_dir()
            else ssl.create_default_context(cafile=str(path))
        )


def _direct_transport(endpoint: str, kwargs: dict[str, Any], transport: Any) -> None:
    """A transport of its own for an endpoint reached directly (httpx then reads no proxy
    from the environment), unless the caller chose one."""
    if reached_directly(endpoint) and not {"transport", "mounts", "proxy"} & set(kwargs):
        kwargs["transport"] = transport(
            verify=kwargs.pop("verify", True), cert=kwargs.pop("cert", None)
        )
