"""SyncAuthClient (the CLI's one-shot client) against AuthClient (the app's): the same
MockTransport answers must give the same Token, or the same error type, message, hint and
status, after the same requests and the same waits. Both drive one retry policy; this
table is what proves they read answers alike."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.errors import CsauthError, NetworkError
from csauth_tui.core.sync_client import SyncAuthClient

from .test_api import (
    ENDPOINT,
    JWT,
    NOW,
    PLAIN_TOKEN,
    SECRET,
    SECRET_VALUE,
    assert_clean,
    make_token,
    project_profile,
    token_body,
)

Answer = Callable[[], "httpx.Response | Exception"]


def ok(**kw) -> Answer:
    return lambda: httpx.Response(200, json=token_body(**kw))


def status(code: int, **kw) -> Answer:
    return lambda: httpx.Response(code, **kw)


def raises(kind: type[Exception], text: str = "simulated") -> Answer:
    return lambda: kind(text)


# each row: the answers in order (the last one repeats)
TOKEN_TABLE = {
    "success": [ok()],
    "extra fields kept, echoes dropped": [ok(region="eu", echo=SECRET_VALUE)],
    "untrusted endpoint": [ok(endpoint="https://evil.example")],
    "503, 502, then success": [status(503), status(502), ok()],
    "503 for ever": [status(503)],
    "429 with Retry-After then success": [
        status(429, headers={"Retry-After": "2"}, json={"errorCode": "RATE"}),
        ok(),
    ],
    "429 without Retry-After for ever": [status(429)],
    "Retry-After beyond the budget": [status(429, headers={"Retry-After": "999"})],
    "invalid_client 401": [
        status(401, json={"error": "invalid_client", "error_description": "bad secret"})
    ],
    "invalid_client 400": [status(400, json={"error": "invalid_client"})],
    "403 quoting the secret": [status(403, json={"errorMessage": f"no {SECRET_VALUE}"})],
    "404 HTML page": [status(404, text="<html>nope</html>", headers={"content-type": "text/html"})],
    "501": [status(501, text="not implemented")],
    "200 HTML": [status(200, text="<html>login</html>", headers={"content-type": "text/html"})],
    "200 not JSON": [status(200, text="hello")],
    "200 JSON list": [status(200, json=[1, 2])],
    "200 success false": [status(200, json={"success": False, "errorCode": "PROJECT_ID"})],
    "no access_token": [status(200, json={"endpoint": ENDPOINT})],
    "no endpoint, token echoed": [status(200, json={"access_token": PLAIN_TOKEN})],
    "expired on arrival": [ok(expires_in=-10)],
    "gzip body": [
        lambda: httpx.Response(
            200,
            content=__import__("gzip").compress(httpx.Response(200, json=token_body()).content),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )
    ],
    "connection refused for ever": [raises(httpx.ConnectError, "[Errno 111] Connection refused")],
    "name not resolved, then success": [
        raises(httpx.ConnectError, "[Errno -3] Temporary failure in name resolution"),
        ok(),
    ],
    "connect timeout": [raises(httpx.ConnectTimeout)],
    "read timeout then success": [raises(httpx.ReadTimeout), ok()],
    "read timeout twice": [raises(httpx.ReadTimeout)],
    "dropped, then 503, then success": [raises(httpx.RemoteProtocolError), status(503), ok()],
    "TLS not trusted": [raises(httpx.ConnectError, "[SSL: CERTIFICATE_VERIFY_FAILED]")],
    "proxy refused": [raises(httpx.ProxyError)],
}


class Script:
    """A MockTransport for either client, answering from a list of answer factories (the
    last one repeats), recording what it was asked."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers, self.calls = list(answers), []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.calls.append(
            (request.method, str(request.url), request.content, request.headers.get("user-agent"))
        )
        answer = (self.answers.pop(0) if len(self.answers) > 1 else self.answers[0])()
        if isinstance(answer, Exception):
            raise answer
        return answer


CLIENT_KW = dict(clock=lambda: NOW, jitter=lambda: 1.0, max_retries=3, retry_budget=10.0)


async def run_async(answers: list[Answer], call: str, *args):
    script, sleeps = Script(answers), []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    async with AuthClient(transport=script.transport, sleep=sleep, **CLIENT_KW) as client:
        try:
            result = await getattr(client, call)(*args)
        except CsauthError as exc:
            result = exc
    return outcome(result), script.calls, sleeps


def run_sync(answers: list[Answer], call: str, *args):
    script, sleeps = Script(answers), []
    with SyncAuthClient(transport=script.transport, sleep=sleeps.append, **CLIENT_KW) as client:
        try:
            result = getattr(client, call)(*args)
        except CsauthError as exc:
            result = exc
    return outcome(result), script.calls, sleeps


def outcome(result):
    """What a user or caller can tell apart: the whole result, or the error's face."""
    if isinstance(result, CsauthError):
        assert_clean(result)
        # no httpx chain (which may carry the request body) shown with the error
        assert result.__cause__ is None
        assert result.__context__ is None or result.__suppress_context__
        return (
            type(result),
            str(result),
            result.hint,
            result.exit_code,
            getattr(result, "status", None),
            getattr(result, "retry_after", None),
        )
    return result


@pytest.mark.parametrize("answers", TOKEN_TABLE.values(), ids=TOKEN_TABLE.keys())
async def test_fetch_token_sync_and_async_agree(answers):
    args = (project_profile(), SECRET)
    expected = await run_async(answers, "fetch_token", *args)
    assert run_sync(answers, "fetch_token", *args) == expected


ME_TABLE = {
    "success": [
        status(
            200,
            json={"scopes": "metrics", "permissions": {"projects": [{"id": 7, "name": "Shop"}]}},
        )
    ],
    "401": [status(401, json={"errorCode": "INVALID_CREDENTIALS"})],
    "HTML": [status(200, text="<html/>", headers={"content-type": "text/html"})],
    "503 then success": [status(503), status(200, json={"scopes": []})],
}


@pytest.mark.parametrize("answers", ME_TABLE.values(), ids=ME_TABLE.keys())
async def test_me_sync_and_async_agree(answers):
    expected = await run_async(answers, "me", project_profile(), SECRET)
    assert run_sync(answers, "me", project_profile(), SECRET) == expected


PROBE_TABLE = {
    "segments": [status(200, json={"payload": [{"id": 1}]})],
    "403": [status(403, json={"errorCode": "FORBIDDEN"})],
    "not JSON": [status(200, text="<html/>", headers={"content-type": "text/html"})],
}


def probe_face(result):
    if isinstance(result[0], tuple):  # an error
        return result
    probe = result[0]
    face = (
        probe.ok,
        probe.status,
        probe.summary,
        None if probe.error is None else (type(probe.error), str(probe.error)),
    )
    return face, result[1], result[2]


@pytest.mark.parametrize("answers", PROBE_TABLE.values(), ids=PROBE_TABLE.keys())
async def test_probe_sync_and_async_agree(answers):
    token = make_token()
    expected = probe_face(await run_async(answers, "probe", token, 42))
    assert probe_face(run_sync(answers, "probe", token, 42)) == expected


def test_sync_client_is_configured_like_the_async_one():
    with SyncAuthClient(timeout=9, connect_timeout=2) as client:
        http = client._http
        assert isinstance(http, httpx.Client)
        assert http.timeout == httpx.Timeout(9, connect=2)
        assert http.follow_redirects is False
        assert http.headers["User-Agent"].startswith("csauth-tui/")


def test_sync_client_cuts_off_an_answer_trickling_past_the_deadline():
    """httpx.Client bounds each read only: a body arriving a byte at a time must still
    be cut off after connect_timeout + timeout, as AuthClient's wait_for does."""

    def trickle():
        for byte in b'{"access_token": "x"}':
            time.sleep(0.05)
            yield bytes([byte])

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=trickle()))
    started = time.monotonic()
    with SyncAuthClient(
        transport=transport, timeout=0.1, connect_timeout=0.1, max_retries=0, clock=lambda: NOW
    ) as client:
        with pytest.raises(NetworkError) as info:
            client.fetch_token(project_profile(), SECRET)
    assert str(info.value) == (
        "api.contentsquare.com timed out after 0.2 s: its answer came too slowly"
    )
    assert time.monotonic() - started < 0.6  # not the ~1 s the whole body would take
    assert JWT not in str(info.value)


def test_sync_client_cuts_off_a_server_trickling_its_headers():
    """Before any body: a server on loopback sends its status line a byte at a time, each
    byte well inside the read timeout. The attempt must still end at its deadline."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 4:
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    profile = project_profile(auth_url=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    try:
        with SyncAuthClient(
            timeout=0.2, connect_timeout=0.2, max_retries=0, clock=lambda: NOW
        ) as client:
            with pytest.raises(NetworkError) as info:
                client.fetch_token(profile, SECRET)
    finally:
        stop.set()
        listener.close()
        server.join(5)
    assert "timed out after 0.4 s: its answer came too slowly" in str(info.value)
    assert time.monotonic() - started < 3  # the headers alone would take ~10 s
