"""Bounds on what comes from outside, in the core: the answer cap in both clients (over
real loopback HTTP to the fake API, and MockTransport answers for the odd encodings),
which URLs skip proxies, a `cmd:` command's output, and the "expired on arrival" wording.
The end-to-end replays through the `csauth` command are in tests/e2e/test_bounds.py."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from datetime import timedelta

import httpx
import pytest

from csauth_tui.core.api import MAX_ANSWER_BYTES, AuthClient
from csauth_tui.core.errors import BadResponseError, NetworkError, SecretError, TokenExpiredError
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.secrets import MAX_COMMAND_OUTPUT, resolve_secret
from csauth_tui.core.sync_client import SyncAuthClient
from csauth_tui.core.urls import reached_directly as _direct
from csauth_tui.fake.server import FakeContentsquare, FakeCredential

from .test_api import JWT, NOW, SECRET, assert_clean, jwt, project_profile, token_body

FAKE_SECRET = "sentinel-bounds-secret-4c1d9e"
PROFILE = Profile(name="prod", client_id="bounds-client", scopes=("metrics",))


@pytest.fixture
def fake():
    with FakeContentsquare([FakeCredential("bounds-client", FAKE_SECRET)]) as server:
        yield server


def settings_for(fake) -> Settings:
    return Settings(auth_url=fake.url)


# --- the answer cap, over real HTTP ---------------------------------------------------------


@pytest.mark.parametrize("fault", ["gzip_bomb", "oversized"])
async def test_the_app_client_refuses_an_answer_too_large_in_bounded_memory(fake, fault):
    fake.inject(fault, times=None)
    tracemalloc.start()
    started = time.monotonic()
    try:
        async with AuthClient(settings=settings_for(fake), max_retries=0) as client:
            with pytest.raises(NetworkError) as info:
                await client.fetch_token(PROFILE, FAKE_SECRET)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "was too large (over 1 MiB" in str(info.value)
    assert info.value.exit_code == 5
    assert time.monotonic() - started < 5
    print(f"peak {peak / 2**20:.1f} MiB")
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB"  # the cap and change, not a 64 MiB step
    assert len(fake.requests) == 1  # never retried


@pytest.mark.parametrize("fault", ["gzip_bomb", "oversized"])
def test_the_cli_client_refuses_an_answer_too_large(fake, fault):
    fake.inject(fault, times=None)
    with SyncAuthClient(settings=settings_for(fake)) as client:
        with pytest.raises(NetworkError, match="was too large"):
            client.fetch_token(PROFILE, FAKE_SECRET)
    assert len(fake.requests) == 1


def test_an_answer_just_under_the_cap_is_read():
    padding = "x" * (MAX_ANSWER_BYTES - 2000)
    body = gzip.compress(httpx.Response(200, json=token_body(padding=padding)).content)
    assert len(body) < 10_000  # compressed, far below; inflated, just below
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            content=iter([body]),
        )
    )
    with SyncAuthClient(transport=transport, clock=lambda: NOW) as client:
        token = client.fetch_token(project_profile(), SECRET)
    assert token.access_token == JWT


@pytest.mark.parametrize(
    "coding, packed",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # as HTTP says: zlib's header
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # as some servers send: none
    ],
)
def test_compressed_answers_are_read(coding, packed):
    body = packed(httpx.Response(200, json=token_body()).content)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            headers={"Content-Encoding": coding, "Content-Type": "application/json"},
            content=iter([body[:7], body[7:]]),
        )
    )
    with SyncAuthClient(transport=transport, clock=lambda: NOW) as client:
        assert client.fetch_token(project_profile(), SECRET).access_token == JWT


# --- odd encodings (MockTransport: the body is streamed, not read up front) ----------------


def streamed(headers: dict, body: bytes, *, is_async: bool):
    async def chunks():
        yield body

    return lambda request: httpx.Response(
        200,
        headers={"Content-Type": "application/json", **headers},
        content=chunks() if is_async else iter([body]),
    )


ODD = {
    "gzip twice (a bomb of bombs)": (
        {"Content-Encoding": "gzip, gzip"},
        gzip.compress(gzip.compress(b"{}")),
        BadResponseError,
        "Content-Encoding 'gzip, gzip'",
    ),
    "br (not asked for)": (
        {"Content-Encoding": "br"},
        b"\x0b\x00\x80{}\x03",
        BadResponseError,
        "Content-Encoding 'br'",
    ),
    "gzip that is not": (
        {"Content-Encoding": "gzip"},
        b"not gzip at all",
        BadResponseError,
        "cannot be decompressed (gzip)",
    ),
}


@pytest.mark.parametrize("headers, body, kind, words", ODD.values(), ids=ODD.keys())
async def test_odd_encodings_are_refused_by_both_clients(headers, body, kind, words):
    transport = httpx.MockTransport(streamed(headers, body, is_async=True))
    async with AuthClient(transport=transport, clock=lambda: NOW, max_retries=0) as client:
        with pytest.raises(kind) as info:
            await client.fetch_token(project_profile(), SECRET)
    assert words in str(info.value)
    assert_clean(info.value)
    transport = httpx.MockTransport(streamed(headers, body, is_async=False))
    with SyncAuthClient(transport=transport, clock=lambda: NOW, max_retries=0) as client:
        with pytest.raises(kind) as sync_info:
            client.fetch_token(project_profile(), SECRET)
    assert str(sync_info.value) == str(info.value)


async def test_only_gzip_and_deflate_are_asked_for(fake):
    async with AuthClient(settings=settings_for(fake)) as client:
        await client.fetch_token(PROFILE, FAKE_SECRET)
    assert fake.requests[-1].headers.get("Accept-Encoding") == "gzip, deflate"


# --- which URLs skip proxies ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, direct",
    [
        ("http://127.0.0.1:8123/v1/oauth/token", True),
        ("https://127.0.0.2/v1/oauth/token", True),
        ("https://127.255.255.254/x", True),
        ("https://localhost:9/x", True),
        ("https://LOCALHOST./x", True),
        ("https://[::1]:8443/x", True),
        ("https://[::ffff:127.0.0.5]/x", True),
        ("http://example.com/x", True),  # plain http: never through a proxy
        ("https://api.contentsquare.com/v1/oauth/token", False),
        ("https://128.0.0.1/x", False),
        ("https://localhost.example.com/x", False),
    ],
)
def test_direct_routes(url, direct):
    assert _direct(url) is direct


def test_each_route_gets_its_own_client_built_on_first_use(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with SyncAuthClient() as client:
        assert client._clients == {}
        direct = client._client_for("https://127.0.0.2/x")
        proxied = client._client_for("https://api.contentsquare.com/x")
        assert direct is not proxied
        assert client._http is proxied
        assert set(client._clients) == {True, False}


# --- a `cmd:` command's output ----------------------------------------------------------------


def cmd_profile(command: str) -> Profile:
    return Profile(name="vault", client_id="cid", secret=f"cmd:{command}")


def test_a_command_printing_past_the_cap_is_stopped_and_named():
    started = time.monotonic()
    with pytest.raises(SecretError) as info:
        resolve_secret(cmd_profile("yes"), timeout=10)
    assert str(info.value).startswith(
        "the secret command of profile 'vault' (yes) printed more than 64 KiB on stdout"
    )
    assert time.monotonic() - started < 5


def test_a_command_flooding_stderr_still_gives_its_secret():
    flood = 4 * MAX_COMMAND_OUTPUT
    secret = resolve_secret(
        cmd_profile(f"sh -c 'head -c {flood} /dev/zero | tr \"\\0\" x >&2; echo s3cret-from-cmd'")
    )
    assert secret.reveal() == "s3cret-from-cmd"


def test_the_timeout_still_holds():
    started = time.monotonic()
    with pytest.raises(SecretError, match="timed out after 0.5 s"):
        resolve_secret(cmd_profile("sleep 30"), timeout=0.5)
    assert time.monotonic() - started < 3


def test_an_error_line_still_comes_from_stderr():
    with pytest.raises(SecretError, match=r"exited with status 2: no such entry$"):
        resolve_secret(cmd_profile("sh -c 'echo no such entry >&2; exit 2'"))


# --- "expired on arrival" says what is true -----------------------------------------------------


def claims_token(**claims) -> str:
    return jwt({"sub": "client", **claims})


def token_answer(access_token: str, **kw):
    return httpx.MockTransport(
        lambda request: httpx.Response(200, json=token_body(access_token=access_token, **kw))
    )


def expired_error(transport) -> TokenExpiredError:
    with SyncAuthClient(transport=transport, clock=lambda: NOW, max_retries=0) as client:
        with pytest.raises(TokenExpiredError) as info:
            client.fetch_token(project_profile(), SECRET)
    return info.value


def test_exp_before_iat_is_said_when_it_is_so():
    iat = int(NOW.timestamp())
    error = expired_error(token_answer(claims_token(iat=iat, exp=iat - 600)))
    assert "was already expired when it was issued (its exp is 10 min before its iat)" in str(error)


def test_exp_equal_to_iat_is_not_called_before_it():
    iat = int(NOW.timestamp())
    error = expired_error(token_answer(claims_token(iat=iat, exp=iat)))
    assert "(its exp is the same as its iat)" in str(error)


def test_a_good_exp_and_iat_are_not_blamed_for_an_expires_in_of_nothing():
    """exp is an hour after iat; it is expires_in (a few nanoseconds) that left no time."""
    iat = int(NOW.timestamp())
    error = expired_error(token_answer(claims_token(iat=iat, exp=iat + 3600), expires_in=1e-9))
    assert "before its iat" not in str(error)
    assert "came with no time left to use it" in str(error)


def test_an_exp_without_iat_behind_the_clock_blames_the_clock():
    exp = int((NOW - timedelta(minutes=30)).timestamp())
    error = expired_error(token_answer(claims_token(exp=exp), expires_in="soon"))
    assert "had already expired by this machine's clock (its exp is 30 min before" in str(error)
