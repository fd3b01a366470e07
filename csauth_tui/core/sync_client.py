"""The CLI's one-shot client: AuthClient's sibling on httpx.Client, without asyncio.

A `csauth token` that has to fetch then spends its time fetching, not importing asyncio and
anyio's backend. Same calls, answers, errors and retries as AuthClient: the request
building, the retry policy and the parsing are their shared BaseAuthClient's.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .answers import MeInfo, ProbeResult, _probe_refused, _probe_result
from .api import BaseAuthClient, _Body, _Call, _DeadlinePassed, _Retrying
from .errors import ApiError, NetworkError, RuleError
from .profiles import Profile, Settings
from .redact import Secret
from .request import plan
from .tokens import Token

if TYPE_CHECKING:  # pragma: no cover
    import httpx


class SyncAuthClient(BaseAuthClient):
    """AuthClient's sibling on httpx.Client: the same calls, answers, errors and retries,
    without asyncio's event loop (a one-shot `csauth token` then spends its time
    fetching, not importing).
    Use as `with SyncAuthClient() as c`; `transport` is then an httpx.BaseTransport and
    `sleep` a plain function. It shares BaseAuthClient's __init__ and so its defaults."""

    @staticmethod
    def _default_sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    def _http_client(httpx: Any, *, direct: bool, **options: Any) -> Any:
        if direct:  # see BaseAuthClient._client_for
            options["transport"] = httpx.HTTPTransport(verify=options["verify"], trust_env=True)
        return httpx.Client(**options)

    def __enter__(self) -> SyncAuthClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for client in list(self._clients.values()):
            client.close()

    def fetch_token(
        self,
        profile: Profile,
        secret: Secret,
        *,
        scopes: Iterable[str] | None = None,
        project_id: int | None = None,
    ) -> Token:
        call, parse = self._token_call(profile, secret, scopes, project_id)
        return parse(*self._send(call))

    def me(self, profile: Profile, secret: Secret) -> MeInfo:
        call, parse = self._me_call(profile, secret)
        return parse(*self._send(call))

    def probe(self, token: Token, project_id: int | None = None) -> ProbeResult:
        call = self._probe_call(token, project_id)
        started = time.perf_counter()
        try:
            response, _ = self._send(call)
        except NetworkError:
            raise
        except ApiError as exc:
            return _probe_refused(exc, time.perf_counter() - started)
        return _probe_result(call.url, response, time.perf_counter() - started)

    def _send(self, call: _Call) -> tuple[httpx.Response, datetime]:
        import httpx

        retrying = _Retrying(self, call)
        while True:
            sent_at = self._clock()
            started = time.perf_counter()
            try:
                with _alarm(self._attempt_deadline):
                    response = self._receive(httpx, call, started + self._attempt_deadline)
            except (httpx.TransportError, _DeadlinePassed) as exc:
                delay = retrying.failed(exc, time.perf_counter() - started)
            else:
                answered = retrying.answered(response, time.perf_counter() - started)
                if answered is None:
                    return response, sent_at
                delay = answered
            self._sleep(delay)

    def _receive(self, httpx: Any, call: _Call, deadline: float) -> httpx.Response:
        """The whole answer, or _DeadlinePassed: httpx.Client has no overall timeout, so
        the body is streamed and the clock checked after each chunk (and _alarm covers a
        server that trickles its headers). Refused past MAX_ANSWER_BYTES (see _Body)."""
        with self._client_for(call.url).stream(
            call.method, call.url, json=call.json_body, params=call.params, headers=call.headers
        ) as streamed:
            body = _Body(call.url, streamed)
            if streamed.is_stream_consumed:  # an answer built in memory (MockTransport)
                body.decoded(streamed.content)
            else:
                for chunk in streamed.iter_raw():
                    body.feed(chunk)
                    if time.perf_counter() > deadline:
                        raise _DeadlinePassed
                body.finish()
            if time.perf_counter() > deadline:
                raise _DeadlinePassed
        return body.response(httpx, streamed)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise _DeadlinePassed in the main thread after `seconds` (SIGALRM), so a server
    sending its status line and headers a byte at a time cannot hold a one-shot command;
    httpx's timeouts bound each read only. Elsewhere (a thread, Windows): no alarm."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def fire(signum: int, frame: Any) -> None:
        raise _DeadlinePassed

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def prove_secret(settings: Settings, profile: Profile, secret: Secret) -> None:
    """Ask Contentsquare for a token with `secret` (at the profile's auth_url); its error
    if refused. An account-level profile with no project asks /me instead: a token needs
    a project, /me only the pair. Used before a stored secret is replaced."""
    with SyncAuthClient(settings=settings) as client:
        try:
            request = plan(profile, settings)
        except RuleError:
            client.me(profile, secret)
            return
        client.fetch_token(profile, secret, scopes=request.scopes, project_id=request.project_id)
