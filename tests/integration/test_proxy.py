"""csauth_tui.proxy in-process, over real loopback HTTP (TCP and a Unix socket) to the fake
API: tokens through several lifetimes, requests in flight across renewals, JWT_EXPIRED
retried once, at most 10 requests in flight, the client's Authorization never forwarded,
answers passed through unchanged."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest

from csauth_tui.auth import ProjectLimit, TokenSource
from csauth_tui.proxy import BackgroundProxy, Proxy
from tests.integration.test_python_api import (  # noqa: F401 - fixtures
    assert_lived_through_renewals,
    data_requests,
    fake,
    hammer,
    short_lives,
    spy_proxy,
    token_requests,
    write_profiles,
)

SEGMENTS = "/v1/segments"


class Running:
    """A proxy served by a thread of its own; its log lines kept in `lines`."""

    def __init__(self, profile: str = "prod-metrics", **source_options) -> None:
        self.lines: list[str] = []
        self.source = TokenSource(profile, **source_options)
        self.runner = BackgroundProxy(self.source)
        self.runner.proxy.log = self.lines.append

    def __enter__(self) -> Running:
        self.url = self.runner.start()
        return self

    def __exit__(self, *exc) -> None:
        self.runner.stop()


@pytest.fixture
def proxy(fake):  # noqa: F811
    with Running() as running:
        yield running


# --- through several token lifetimes ------------------------------------------------------


@pytest.mark.parametrize(
    "renew_before, clock_ahead",
    [(1, 0.0), (0, 1.5)],
    ids=["renewed-before-expiry", "expired-at-the-api"],
)
def test_proxy_lives_through_three_token_lifetimes(fake, renew_before, clock_ahead):  # noqa: F811
    """12 clients through the proxy for three 2 s token lifetimes: every answer is a 200,
    tokens renewed ahead of expiry with requests flowing across each renewal, or renewed
    on the API's JWT_EXPIRED and the request sent once more."""
    short_lives(fake, renew_before=renew_before, clock_ahead=clock_ahead)
    with Running() as running:
        statuses = hammer(lambda: httpx.Client(timeout=30), f"{running.url}{SEGMENTS}", 6.5, 12)
    assert_lived_through_renewals(fake, statuses, in_flight=not clock_ahead)
    expired = [r for r in data_requests(fake) if r.status == 401]
    if clock_ahead:
        assert expired and any("token expired at the API" in line for line in running.lines)
    else:
        assert expired == []
    assert all("eyJ" not in line for line in running.lines)


def test_jwt_expired_is_retried_once_then_shown(fake, proxy):  # noqa: F811
    with httpx.Client() as http:
        assert http.get(f"{proxy.url}{SEGMENTS}").status_code == 200
        fake.clock_ahead = 10**6
        fetched = len(token_requests(fake))
        response = http.get(f"{proxy.url}{SEGMENTS}")
    assert response.status_code == 401 and response.json()["errorCode"] == "JWT_EXPIRED"
    assert len(token_requests(fake)) == fetched + 1
    assert len(data_requests(fake)) == 3


# --- at most 10 in flight ------------------------------------------------------------------


async def test_thirty_concurrent_requests_never_exceed_ten_in_flight(fake, proxy):  # noqa: F811
    fake.latency = 0.3
    fake.max_concurrent_per_project = 1000  # count every request in flight, refuse none
    async with httpx.AsyncClient(timeout=30) as http:
        answers = await asyncio.gather(*(http.get(f"{proxy.url}{SEGMENTS}") for _ in range(30)))
    assert [a.status_code for a in answers] == [200] * 30  # none refused for concurrency
    assert fake.max_in_flight[1001] == 10


def test_the_limit_serves_waiters_in_order():
    limit = ProjectLimit(1)
    limit.acquire()
    served: list[int] = []

    def wait_turn(i: int) -> None:
        limit.acquire()
        served.append(i)
        limit.release()

    threads = []
    for i in range(5):
        threads.append(threading.Thread(target=wait_turn, args=(i,)))
        threads[-1].start()
        while limit.waiting < i + 1:
            time.sleep(0.001)
    limit.release()
    for thread in threads:
        thread.join()
    assert served == [0, 1, 2, 3, 4]
    assert limit.in_flight == 0


async def test_a_cancelled_waiter_gives_its_turn_on():
    limit = ProjectLimit(1)
    await limit.acquire_async()
    first = asyncio.ensure_future(limit.acquire_async())
    second = asyncio.ensure_future(limit.acquire_async())
    await asyncio.sleep(0)
    first.cancel()
    limit.release()
    await asyncio.wait_for(second, 2)
    assert first.cancelled() and limit.in_flight == 1


# --- what is forwarded -----------------------------------------------------------------------


def test_client_authorization_is_replaced_and_hop_by_hop_headers_dropped(fake, proxy):  # noqa: F811
    headers = {
        "Authorization": "Bearer not-the-real-token",
        "Connection": "keep-alive, X-Hop",
        "X-Hop": "dropped",
        "Proxy-Authorization": "Basic Zm9vOmJhcg==",
        "TE": "trailers",
        "X-Keep": "kept",
    }
    with httpx.Client() as http:
        response = http.get(f"{proxy.url}{SEGMENTS}", headers=headers)
    assert response.status_code == 200  # the fake refuses any token it did not sign
    seen = {k.lower(): v for k, v in data_requests(fake)[-1].headers.items()}
    assert seen["authorization"] == "Bearer REDACTED" and seen["x-keep"] == "kept"
    assert not {"x-hop", "proxy-authorization", "te"} & set(seen)
    assert data_requests(fake)[-1].token_id is not None  # a token of the fake's own


def test_api_errors_come_back_unchanged(fake, proxy):  # noqa: F811
    """The token has no data-export scope: the API's 403 and its body, byte for byte."""
    token = proxy.source.current()
    with httpx.Client() as http:
        direct = http.get(
            f"{fake.url}/v1/exports", headers={"Authorization": f"Bearer {token.access_token}"}
        )
        proxied = http.get(f"{proxy.url}/v1/exports")
    assert direct.status_code == proxied.status_code == 403
    assert proxied.content == direct.content
    assert proxied.headers["content-type"] == direct.headers["content-type"]


def test_request_bodies_are_passed_through(fake, proxy):  # noqa: F811
    body = {"name": "daily export", "format": "csv"}

    def chunks():
        text = json.dumps(body).encode()
        yield text[:7]
        yield text[7:]

    with httpx.Client() as http:
        sized = http.post(f"{proxy.url}/v1/exports", json=body)
        chunked = http.post(
            f"{proxy.url}/v1/exports",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert sized.status_code == chunked.status_code == 405  # the fake's own answer
    posted = [r for r in fake.requests if r.path == "/v1/exports"]
    assert [r.body for r in posted] == [body, body]


def raw_request(proxy_url: str, target: str) -> tuple[int, bytes]:
    """One request sent as written (httpx would normalise the path): status and body."""
    import socket

    address = proxy_url.split("/")[2]
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize(
    "path", ["/v1/../v1/oauth/token", "/v1/%2e%2e/oauth/token", "/v2/segments", "/", "/v1"]
)
def test_only_v1_paths_are_forwarded(fake, proxy, path):  # noqa: F811
    prefix = "/" + proxy.url.split("/", 3)[3]
    assert raw_request(proxy.url, prefix + SEGMENTS)[0] == 200
    before = len(fake.requests)
    status, body = raw_request(proxy.url, prefix + path)
    assert status == 404
    assert json.loads(body)["errorCode"] == "CSAUTH_PROXY_NOT_FOUND"
    assert len(fake.requests) == before  # nothing went to the API


def test_the_random_prefix_is_required(fake, proxy):  # noqa: F811
    origin = proxy.url.rsplit("/", 1)[0]
    with httpx.Client() as http:
        for url in (
            f"{origin}{SEGMENTS}",
            f"{origin}/wrongprefix{SEGMENTS}",
            f"{proxy.url}x{SEGMENTS}",
        ):
            assert http.get(url).status_code == 404
    assert fake.requests == [r for r in fake.requests if r.path == "/v1/oauth/token"]


def test_not_a_forward_proxy(fake, proxy):  # noqa: F811
    """An absolute-form request (`GET http://elsewhere/...`) is refused, not relayed."""
    status, _ = raw_request(proxy.url, f"{fake.url}{SEGMENTS}")
    assert status == 400
    assert data_requests(fake) == []


def test_the_api_unreachable_is_a_502_from_the_proxy(fake, proxy):  # noqa: F811
    proxy.source.current()
    fake.stop()
    with httpx.Client() as http:
        response = http.get(f"{proxy.url}{SEGMENTS}")
    assert response.status_code == 502
    assert response.json()["errorCode"] == "CSAUTH_UPSTREAM_UNREACHABLE"
    deadline = time.monotonic() + 5  # the line is logged once the answer is sent
    while not any(" 502 " in line for line in proxy.lines) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(
        f"GET {SEGMENTS} 502 " in line and "cannot reach the API" in line for line in proxy.lines
    )


# --- the Unix socket ---------------------------------------------------------------------------


def test_unix_socket_is_private_and_serves(fake, tmp_path, monkeypatch):  # noqa: F811
    from csauth_tui.proxy import default_socket

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    source = TokenSource("prod-metrics")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    proxy = Proxy(source, log=lambda line: None)
    path = default_socket("prod-metrics")
    url = asyncio.run_coroutine_threadsafe(proxy.start_unix(path), loop).result(10)
    try:
        assert url.startswith("http+unix://%2F")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(path))) as http:
            assert http.get(f"http://localhost{SEGMENTS}").status_code == 200
    finally:
        asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert not Path(path).exists()  # removed on stop


def test_a_proxy_from_the_environment_never_sees_the_forwarded_request(fake, spy_proxy):  # noqa: F811
    """The API on another loopback address (127.0.0.2): still reached directly."""
    from csauth_tui.fake.server import FakeContentsquare, FakeCredential

    creds = [FakeCredential("py-client", os.environ["CS_PY_API_SECRET"], project_ids=(1001,))]
    with FakeContentsquare(creds, host="127.0.0.2") as other:
        write_profiles(other, renew_before=300)
        with Running() as running, httpx.Client(trust_env=False) as http:
            assert http.get(f"{running.url}{SEGMENTS}").status_code == 200
        assert [r.path for r in other.requests] == ["/v1/oauth/token", SEGMENTS]
    assert spy_proxy.requests == []
