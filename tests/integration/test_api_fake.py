"""The auth client against the real fake Contentsquare server, over loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.errors import (
    BadResponseError,
    ForbiddenError,
    InvalidCredentialsError,
    NetworkError,
    RuleError,
    ServerError,
    TokenExpiredError,
    UntrustedEndpointError,
)
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.fake import FakeContentsquare, FakeCredential

PROJECT_SECRET = "proj-secret-sentinel-4c1f"
ACCOUNT_SECRET = "acct-secret-sentinel-9e2d"
CREDENTIALS = [
    FakeCredential(
        "proj-client",
        PROJECT_SECRET,
        level="project",
        project_ids=(1001,),
        scopes=("metrics", "data-export"),
        created="2025-05-01",
    ),
    FakeCredential(
        "acct-client",
        ACCOUNT_SECRET,
        level="account",
        project_ids=(1001, 1002),
        scopes=("metrics",),
    ),
]
PROJECT = Profile(name="shop", client_id="proj-client", scopes=("metrics",))
ACCOUNT = Profile(name="acct", client_id="acct-client", level="account", scopes=("metrics",))


@pytest.fixture
def fake():
    with FakeContentsquare(CREDENTIALS) as server:
        yield server


def make_client(fake: FakeContentsquare, **kw) -> AuthClient:
    kw.setdefault("timeout", 10.0)
    kw.setdefault("connect_timeout", 5.0)
    kw.setdefault("backoff_base", 0.05)
    return AuthClient(settings=Settings(auth_url=fake.url), **kw)


def calls(fake: FakeContentsquare, path: str, at_least: int = 0) -> list:
    """The recorded requests to `path`. The fake records a request just after answering it,
    so wait (boundedly) until `at_least` of them are there."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in fake.requests if r.path == path]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def statuses(fake: FakeContentsquare, path: str, at_least: int) -> list[int]:
    """Sorted: answers can be recorded out of order."""
    return sorted(r.status for r in calls(fake, path, at_least))


async def test_token_fetched_and_probed(fake):
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        result = await client.probe(token)
    assert token.trusted and token.endpoint == fake.url
    assert token.project_id is None and token.scopes == ("metrics",)
    assert 3590 <= token.lifetime <= 3610
    assert token.jwt()[1]["sub"] == "proj-client"
    assert token.extra["project_id"] == 1001 and "access_token" not in token.extra
    assert result.ok and result.summary == "200 OK: 4 segments"
    (sent,) = calls(fake, "/v1/oauth/token", 1)
    assert sent.body == {
        "client_id": "proj-client",
        "client_secret": "REDACTED",
        "grant_type": "client_credentials",
        "scope": "metrics",
    }
    assert sent.headers["User-Agent"].startswith("csauth-tui/")


async def test_account_level_token_with_project(fake):
    async with make_client(fake) as client:
        with pytest.raises(RuleError, match="--project-id"):
            await client.fetch_token(ACCOUNT, Secret(ACCOUNT_SECRET))
        assert fake.requests == []  # refused before any request

        token = await client.fetch_token(ACCOUNT, Secret(ACCOUNT_SECRET), project_id=1002)
        result = await client.probe(token)
        assert token.project_id == 1002 and result.ok
        assert calls(fake, "/v1/segments", 1)[-1].query == {"projectId": "1002"}

        with pytest.raises(ForbiddenError) as info:
            await client.fetch_token(ACCOUNT, Secret(ACCOUNT_SECRET), project_id=1003)
    assert info.value.status == 403 and info.value.code == "PROJECT_FORBIDDEN"


async def test_wrong_secret_is_invalid_credentials(fake):
    wrong = "wrong-secret-sentinel-77aa"
    async with make_client(fake) as client:
        with pytest.raises(InvalidCredentialsError) as info:
            await client.fetch_token(PROJECT, Secret(wrong))
    host = fake.url.removeprefix("http://")
    assert f"client_id or client_secret rejected by {host}" in str(info.value)
    assert info.value.status == 401 and info.value.code == "invalid_client"
    assert wrong not in str(info.value) and wrong not in repr(info.value)
    assert len(calls(fake, "/v1/oauth/token", 1)) == 1  # a 401 is not retried


async def test_token_watched_to_expiry_then_renewed(fake):
    fake.token_lifetime = 2
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        assert token.lifetime == pytest.approx(2, abs=0.5)
        assert (await client.probe(token)).ok

        deadline = time.monotonic() + 20
        while True:
            result = await client.probe(token)
            if not result.ok or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        assert not result.ok and result.status == 401
        assert "JWT_EXPIRED" in result.summary
        assert isinstance(result.error, TokenExpiredError)

        fake.token_lifetime = 3600
        fresh = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        assert (await client.probe(fresh)).ok


async def test_503_once_then_success_is_retried(fake):
    fake.inject("503", path="/v1/oauth/token")
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
    assert token.trusted
    assert statuses(fake, "/v1/oauth/token", 2) == [200, 503]


async def test_persistent_500_gives_a_server_error_after_the_retries(fake):
    fake.inject("html", path="/v1/oauth/token", times=None)
    async with make_client(fake, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
    assert info.value.status == 500 and "HTML page" in str(info.value)
    assert len(calls(fake, "/v1/oauth/token", 3)) == 3


async def test_dropped_connection_is_retried_once(fake):
    fake.inject("drop", path="/v1/oauth/token")
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        assert token.trusted

        fake.inject("drop", path="/v1/segments", times=None)
        with pytest.raises(NetworkError, match="dropped"):
            await client.probe(token)
    assert len(calls(fake, "/v1/segments", 2)) == 2


async def test_stalled_answer_times_out(fake):
    async with make_client(fake, timeout=0.5) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        fake.inject("stall", path="/v1/segments", times=None, delay=5)
        with pytest.raises(NetworkError, match="timed out after 0.5 s"):
            await client.probe(token)


async def test_slow_answer_within_the_timeout_succeeds(fake):
    fake.inject("slow", path="/v1/segments", delay=0.3)
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        result = await client.probe(token)
    assert result.ok and result.elapsed >= 0.25


async def test_foreign_endpoint_token_is_untrusted_and_never_probed(fake):
    fake.inject("foreign_endpoint")
    async with make_client(fake) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
        assert token.trusted is False
        with pytest.raises(UntrustedEndpointError, match="evil.example.com"):
            await client.probe(token)
    assert calls(fake, "/v1/segments") == []


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("no_endpoint", "no endpoint"),
        ("wrong_shape", "not an object"),
        ("malformed_json", "not JSON"),
    ],
)
async def test_bad_token_answers(fake, kind, words):
    fake.inject(kind, path="/v1/oauth/token")
    async with make_client(fake) as client:
        with pytest.raises(BadResponseError, match=words) as info:
            await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
    assert "eyJ" not in str(info.value)


async def test_rate_limit_with_retry_after_is_waited_out(fake):
    fake.inject("concurrent", path="/v1/oauth/token", retry_after=0.2)
    async with make_client(fake) as client:
        started = time.monotonic()
        await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
    assert time.monotonic() - started >= 0.19
    assert statuses(fake, "/v1/oauth/token", 2) == [200, 429]


async def test_concurrency_limit_is_absorbed_by_retries():
    with FakeContentsquare(CREDENTIALS, latency=0.3) as fake:
        async with make_client(
            fake, backoff_base=0.2, max_retries=8, retry_budget=60, jitter=lambda: 1.0
        ) as client:
            token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
            results = await asyncio.gather(*(client.probe(token) for _ in range(14)))
        assert all(r.ok for r in results)
        assert any(r.status == 429 for r in calls(fake, "/v1/segments"))
        assert fake.max_in_flight[1001] <= 10


async def test_me_reads_the_known_fields(fake):
    async with make_client(fake) as client:
        info = await client.me(PROJECT, Secret(PROJECT_SECRET))
        account = await client.me(ACCOUNT, Secret(ACCOUNT_SECRET))
        with pytest.raises(InvalidCredentialsError):
            await client.me(PROJECT, Secret("nope"))
    assert info.scopes == ("metrics", "data-export")
    assert info.projects == ((1001, "Demo shop"),)
    assert info.created == "2025-05-01"
    assert info.raw["level"] == "project"
    assert account.projects == ((1001, "Demo shop"), (1002, "Demo shop (staging)"))
    assert account.created is None


async def test_loopback_bypasses_a_configured_proxy(fake, monkeypatch):
    dead = "http://127.0.0.1:9"  # nothing listens there: going through it would fail
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with make_client(fake, max_retries=0) as client:
        token = await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
    assert token.trusted


async def test_nothing_listening_is_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(auth_url=f"http://127.0.0.1:{port}")
    async with AuthClient(settings=settings, max_retries=1, backoff_base=0.01) as client:
        with pytest.raises(NetworkError, match=f"127.0.0.1:{port}: connection refused"):
            await client.fetch_token(PROJECT, Secret(PROJECT_SECRET))
