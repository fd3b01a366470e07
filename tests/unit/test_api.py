"""The auth client against httpx.MockTransport: request shapes, errors, retries, refusals."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from csauth_tui.core import api
from csauth_tui.core.api import AuthClient, MeInfo, endpoint_trusted
from csauth_tui.core.errors import (
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
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.core.tokens import Token

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SECRET_VALUE = "SECRET-sentinel-0d5c1e9a"
SECRET = Secret(SECRET_VALUE)
PLAIN_TOKEN = "TOKEN-sentinel-7b2f44e1"  # not a JWT: only exact-value scrubbing can hide it
ENDPOINT = "https://api.eu-west-1.production.contentsquare.com"


def jwt(claims: dict) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


JWT = jwt({"exp": int((NOW + timedelta(hours=2)).timestamp()), "sub": "client"})
SENTINELS = (SECRET_VALUE, PLAIN_TOKEN, JWT)


def project_profile(**kw) -> Profile:
    return Profile(name=kw.pop("name", "prod"), client_id="cid-123", **kw)


def account_profile(**kw) -> Profile:
    return Profile(name="acct", client_id="cid-acc", level="account", **kw)


def token_body(**kw) -> dict:
    body = {
        "access_token": JWT,
        "endpoint": ENDPOINT,
        "expires_in": 3600,
        "token_type": "Bearer",
        "scope": "metrics",
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


class Server:
    """A scripted MockTransport: answers from a list (the last one repeats), records calls."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers) or [httpx.Response(200, json=token_body())]
        self.calls: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer("simulated", request=request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def body(self, i: int = -1) -> dict:
        return json.loads(self.calls[i].content)


class Sleeps(list):
    async def __call__(self, delay: float) -> None:
        self.append(delay)


def client(server: Server, sleeps: Sleeps | None = None, **kw) -> AuthClient:
    kw.setdefault("jitter", lambda: 1.0)  # deterministic: every backoff at its ceiling
    return AuthClient(
        transport=server.transport,
        clock=lambda: NOW,
        sleep=sleeps if sleeps is not None else Sleeps(),
        **kw,
    )


def assert_clean(exc: BaseException, sentinels=SENTINELS) -> None:
    """No sentinel secret or token anywhere a person or a log could see."""
    for text in (str(exc), repr(exc), exc.args.__repr__(), str(getattr(exc, "hint", ""))):
        for sentinel in sentinels:
            assert sentinel not in text, f"sentinel #{sentinels.index(sentinel)} leaked"


async def fetch(server: Server, profile: Profile | None = None, **kw) -> Token:
    client_kw = {
        k: kw.pop(k) for k in list(kw) if k in ("sleeps", "max_retries", "retry_budget", "settings")
    }
    sleeps = client_kw.pop("sleeps", None)
    async with client(server, sleeps, **client_kw) as c:
        return await c.fetch_token(profile or project_profile(), SECRET, **kw)


# --- request shape ---------------------------------------------------------------------


async def test_token_request_is_json_with_scopes_joined_and_no_project_id():
    server = Server()
    await fetch(server, project_profile(scopes=("metrics", "data-export")))
    (request,) = server.calls
    assert request.method == "POST"
    assert str(request.url) == "https://api.contentsquare.com/v1/oauth/token"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("csauth-tui/")
    assert server.body() == {
        "client_id": "cid-123",
        "client_secret": SECRET_VALUE,
        "grant_type": "client_credentials",
        "scope": "metrics data-export",
    }


async def test_project_id_is_sent_as_int_from_profile_or_argument():
    server = Server()
    await fetch(server, account_profile(project_id=1001))
    assert server.body()["project_id"] == 1001
    await fetch(server, account_profile(project_id=1001), project_id=2002, scopes=["enrichment"])
    assert server.body()["project_id"] == 2002 and server.body()["scope"] == "enrichment"


async def test_auth_url_comes_from_profile_then_settings():
    server = Server()
    await fetch(server, project_profile(auth_url="https://auth.example.test/"))
    assert str(server.calls[-1].url) == "https://auth.example.test/v1/oauth/token"
    await fetch(server, settings=Settings(auth_url="http://127.0.0.1:8123"))
    assert str(server.calls[-1].url) == "http://127.0.0.1:8123/v1/oauth/token"


# --- the token built from the answer -----------------------------------------------------


async def test_token_fields_and_extra_kept_without_access_token():
    server = Server(httpx.Response(200, json=token_body(project_id=1001, surprise=[1, 2])))
    token = await fetch(server, account_profile(project_id=1001, scopes=("metrics",)))
    assert token.access_token == JWT
    assert token.endpoint == ENDPOINT and token.trusted
    assert token.issued_at == NOW and token.expires_at == NOW + timedelta(seconds=3600)
    assert (token.profile, token.client_id, token.project_id) == ("acct", "cid-acc", 1001)
    assert token.auth_url == "https://api.contentsquare.com"
    assert token.scopes == ("metrics",)
    assert token.extra == {
        "expires_in": 3600,
        "token_type": "Bearer",
        "scope": "metrics",
        "project_id": 1001,
        "surprise": [1, 2],
    }
    assert JWT not in repr(token)


@pytest.mark.parametrize(
    ("expires_in", "claims", "expected"),
    [
        (1800, {"exp": int((NOW + timedelta(hours=5)).timestamp())}, NOW + timedelta(seconds=1800)),
        (
            None,
            {"exp": int((NOW + timedelta(minutes=42)).timestamp())},
            NOW + timedelta(minutes=42),
        ),
        (None, {}, NOW + timedelta(hours=1)),
        ("garbage", {}, NOW + timedelta(hours=1)),
    ],
    ids=["expires_in wins", "jwt exp", "default hour", "bad expires_in"],
)
async def test_expiry_from_expires_in_then_exp_then_default(expires_in, claims, expected):
    body = token_body(access_token=jwt(claims) if claims else "opaque-token", expires_in=expires_in)
    token = await fetch(Server(httpx.Response(200, json=body)))
    assert token.expires_at == expected


async def test_foreign_endpoint_gives_an_untrusted_token():
    server = Server(httpx.Response(200, json=token_body(endpoint="https://api.evil.io")))
    token = await fetch(server)
    assert token.trusted is False


# --- refusals before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "kw", "words"),
    [
        (project_profile(scopes=("enrichment", "metrics")), {}, "cannot be combined"),
        (project_profile(), {"scopes": ["metrics", "enrichment"]}, "cannot be combined"),
        (project_profile(), {"scopes": []}, "no scope"),
        (account_profile(), {}, "--project-id N, or set project_id in the profile"),
        (project_profile(auth_url="http://auth.example.test"), {}, "https://"),
        (project_profile(auth_url="ftp://127.0.0.1"), {}, "https://"),
        (project_profile(), {"project_id": -3}, "positive integer"),
    ],
    ids=[
        "enrichment combined",
        "enrichment combined by arg",
        "no scope",
        "account without project",
        "plain http",
        "odd scheme",
        "bad project id",
    ],
)
async def test_refused_before_any_request(profile, kw, words):
    server = Server()
    with pytest.raises(RuleError) as info:
        await fetch(server, profile, **kw)
    assert words in str(info.value)
    assert server.calls == []


async def test_http_auth_url_allowed_on_loopback_only():
    server = Server()
    await fetch(server, project_profile(auth_url="http://localhost:9000"))
    assert len(server.calls) == 1


# --- bad answers on success ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(200, json=token_body(access_token=None)), "no access_token"),
        (httpx.Response(200, json=token_body(access_token="")), "no access_token"),
        (httpx.Response(200, json=token_body(access_token=123)), "no access_token"),
        (httpx.Response(200, json=token_body(endpoint=None)), "no endpoint"),
        (httpx.Response(200, json=token_body(endpoint=["x"])), "no endpoint"),
        (httpx.Response(200, json=[{"access_token": JWT}]), "not an object"),
        (httpx.Response(200, text=f'{{"access_token": "{JWT}", '), "not JSON"),
        (httpx.Response(200, html=f"<html><body>{PLAIN_TOKEN}</body></html>"), "HTML page"),
    ],
    ids=[
        "no token",
        "empty token",
        "token not str",
        "no endpoint",
        "endpoint not str",
        "list",
        "truncated json",
        "html",
    ],
)
async def test_bad_success_answers_are_bad_response_errors(response, words):
    with pytest.raises(BadResponseError) as info:
        await fetch(Server(response))
    assert words in str(info.value)
    assert info.value.status == 200
    assert_clean(info.value)


async def test_token_without_endpoint_never_quotes_the_token():
    body = token_body(endpoint=None, access_token=PLAIN_TOKEN, note=PLAIN_TOKEN)
    with pytest.raises(BadResponseError) as info:
        await fetch(Server(httpx.Response(200, json=body)))
    assert_clean(info.value)


# --- error mapping -----------------------------------------------------------------------


def cs(message, code, status):
    return httpx.Response(
        status, json={"success": False, "errorMessage": message, "errorCode": code}
    )


def oauth(error, description, status):
    return httpx.Response(status, json={"error": error, "error_description": description})


@pytest.mark.parametrize(
    ("response", "kind", "code", "words"),
    [
        (
            oauth("invalid_client", "Client authentication failed", 401),
            InvalidCredentialsError,
            "invalid_client",
            "client_id or client_secret rejected by api.contentsquare.com",
        ),
        (
            cs("Invalid credentials", "UNAUTHORIZED", 401),
            InvalidCredentialsError,
            "UNAUTHORIZED",
            "rejected by api.contentsquare.com",
        ),
        (httpx.Response(401), InvalidCredentialsError, None, "401 Unauthorized"),
        (
            oauth("invalid_client", "bad secret", 400),
            InvalidCredentialsError,
            "invalid_client",
            "rejected",
        ),
        (
            oauth("invalid_client", "Invalid client", 500),
            InvalidCredentialsError,
            "invalid_client",
            "rejected",
        ),
        (cs("Internal error", "INTERNAL", 500), ServerError, "INTERNAL", "server error"),
        (
            httpx.Response(500, text="Internal Server Error"),
            ServerError,
            None,
            "Internal Server Error",
        ),
        (
            cs("Auth token is expired.", "JWT_EXPIRED", 401),
            TokenExpiredError,
            "JWT_EXPIRED",
            "expired",
        ),
        (cs("Forbidden", "FORBIDDEN", 403), ForbiddenError, "FORBIDDEN", "scope"),
        (oauth("insufficient_scope", "no", 403), ForbiddenError, "insufficient_scope", "csauth me"),
        (
            cs("project_id is required", "PROJECT_ID_REQUIRED", 400),
            RefusedError,
            "PROJECT_ID_REQUIRED",
            "--project-id",
        ),
        (
            oauth("invalid_scope", "unknown scope 'foo'", 400),
            RefusedError,
            "invalid_scope",
            "unknown scope 'foo'",
        ),
        (
            httpx.Response(404, html="<html><h1>Not found</h1></html>"),
            RefusedError,
            None,
            "HTML page",
        ),
        (httpx.Response(418, text="short and stout"), RefusedError, None, "short and stout"),
        (httpx.Response(302, headers={"location": "https://x.test"}), ApiError, None, "302"),
        (httpx.Response(502), ServerError, None, "502 Bad Gateway"),
        (
            cs("Too much concurrent calls", "CONCURRENT_API_CALL", 400),
            RateLimitedError,
            "CONCURRENT_API_CALL",
            "concurrent",
        ),
        (
            cs("Too much concurrent calls", "CONCURRENT_API_CALL", 200),
            RateLimitedError,
            "CONCURRENT_API_CALL",
            "rate limited",
        ),
        (
            httpx.Response(429, headers={"retry-after": "3"}),
            RateLimitedError,
            None,
            "retry after 3 s",
        ),
    ],
)
async def test_token_errors_are_typed_and_worded(response, kind, code, words):
    with pytest.raises(ApiError) as info:
        await fetch(Server(response), max_retries=0)
    assert type(info.value) is kind
    assert info.value.status == response.status_code
    assert info.value.code == code
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("response", "exit_code"),
    [
        (cs("The enrichment scope cannot be combined", "INVALID_SCOPE", 400), 4),
        (oauth("invalid_scope", "unknown scope 'foo'", 400), 4),
        (httpx.Response(404, text="no such route"), 4),
        (cs("Internal error", "INTERNAL", 500), 5),
        (httpx.Response(503), 5),
    ],
)
def test_a_4xx_refusal_is_exit_4_and_a_server_error_stays_5(response, exit_code):
    """A script that retries on 5 must not retry a configuration mistake forever."""
    response.request = httpx.Request("POST", "https://api.contentsquare.com/v1/oauth/token")
    error = api.response_error(response, kind="token", secrets=[], now=NOW)
    assert error.exit_code == exit_code
    assert isinstance(error, RefusedError) == (exit_code == 4)


async def test_401_on_probe_is_not_blamed_on_credentials():
    server = Server(oauth("invalid_token", "nope", 401))
    async with client(server) as c:
        result = await c.probe(make_token())
    assert not result.ok and type(result.error) is ApiError
    assert "rejected the access token" in result.summary


ECHOES = [
    oauth("invalid_client", f"bad secret {SECRET_VALUE}", 401),
    cs(f"token {PLAIN_TOKEN} / {JWT} refused", "NOPE", 400),
    httpx.Response(500, text=f"Traceback: client_secret={SECRET_VALUE} " + "x" * 500),
    httpx.Response(403, text=json.dumps({"echo": SECRET_VALUE + "\u00e9"})),
    httpx.Response(200, json={"success": False, "errorCode": "E", "errorMessage": SECRET_VALUE}),
    httpx.Response(429, text=f"{SECRET_VALUE}"),
]


@pytest.mark.parametrize("response", ECHOES)
async def test_no_secret_or_token_in_any_raised_error(response):
    secret_json_escaped = json.dumps(SECRET_VALUE + "\u00e9")  # body echoes it \u-escaped
    with pytest.raises(ApiError) as info:
        await fetch(Server(response), max_retries=0)
    # the client knows its secret, and any JWT is masked (PLAIN_TOKEN was never issued here)
    assert_clean(info.value, (SECRET_VALUE, JWT))
    assert secret_json_escaped[1:-1] not in str(info.value)
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("response", ECHOES)
async def test_no_token_in_probe_errors(response):
    token = make_token(access_token=PLAIN_TOKEN)
    async with client(Server(response), max_retries=0) as c:
        result = await c.probe(token)
    assert not result.ok
    for sentinel in (PLAIN_TOKEN,):
        assert sentinel not in result.summary and sentinel not in repr(result)


# --- network failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "name not resolved"),
        (httpx.ConnectTimeout("timed out"), "connection timed out after 5 s"),
        (httpx.ReadTimeout("timed out"), "timed out after 15 s"),
        (httpx.RemoteProtocolError("Server disconnected"), "dropped"),
        (httpx.ReadError("reset"), "dropped"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS certificate",
        ),
    ],
)
async def test_network_errors_are_worded(exc, words):
    with pytest.raises(NetworkError) as info:
        await fetch(Server(exc), max_retries=0)
    assert words in str(info.value)
    assert "api.contentsquare.com" in str(info.value)
    assert info.value.__suppress_context__  # no httpx chain carrying the request body


# --- retries -----------------------------------------------------------------------------


async def test_503_then_success_retries_with_exponential_full_jitter():
    sleeps = Sleeps()
    server = Server(
        httpx.Response(503), httpx.Response(503), httpx.Response(200, json=token_body())
    )
    token = await fetch(server, sleeps=sleeps)
    assert token.access_token == JWT
    assert len(server.calls) == 3
    assert sleeps == [0.5, 1.0]  # jitter pinned to its ceiling: base 0.5 * 2**n


async def test_jitter_spreads_delays_below_the_ceiling():
    sleeps = Sleeps()
    server = Server(
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(500),
        httpx.Response(200, json=token_body()),
    )
    async with client(server, sleeps, jitter=lambda: 0.25, backoff_cap=1.5) as c:
        await c.fetch_token(project_profile(), SECRET)
    assert sleeps == [0.125, 0.25, 0.375]  # 0.25 * min(1.5, 0.5, 1, 2)


async def test_retries_stop_at_max_retries():
    sleeps = Sleeps()
    server = Server(httpx.Response(503))
    with pytest.raises(ServerError):
        await fetch(server, sleeps=sleeps, max_retries=2)
    assert len(server.calls) == 3 and len(sleeps) == 2


async def test_retries_stop_within_the_budget():
    sleeps = Sleeps()
    server = Server(httpx.Response(503))
    with pytest.raises(ServerError):
        await fetch(server, sleeps=sleeps, max_retries=10, retry_budget=4.0)
    assert sleeps == [0.5, 1.0, 2.0]  # the next (4.0) would pass the 4 s budget
    assert sum(sleeps) <= 4.0


async def test_backoff_is_capped():
    sleeps = Sleeps()
    server = Server(httpx.Response(503))
    with pytest.raises(ServerError):
        await fetch(server, sleeps=sleeps, max_retries=6, retry_budget=1000)
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


async def test_retry_after_seconds_is_honoured():
    sleeps = Sleeps()
    server = Server(
        httpx.Response(429, headers={"retry-after": "7"}),
        cs("Too much concurrent calls", "CONCURRENT_API_CALL", 200),
        httpx.Response(200, json=token_body()),
    )
    await fetch(server, sleeps=sleeps)
    assert sleeps == [7.0, 1.0]


async def test_retry_after_http_date_is_honoured():
    sleeps = Sleeps()
    later = "Sun, 01 Mar 2026 12:00:12 GMT"  # NOW + 12 s
    server = Server(
        httpx.Response(429, headers={"retry-after": later}), httpx.Response(200, json=token_body())
    )
    await fetch(server, sleeps=sleeps)
    assert sleeps == [12.0]


async def test_retry_after_beyond_budget_gives_up_at_once():
    sleeps = Sleeps()
    server = Server(httpx.Response(429, headers={"retry-after": "120"}))
    with pytest.raises(RateLimitedError) as info:
        await fetch(server, sleeps=sleeps)
    assert sleeps == [] and len(server.calls) == 1
    assert info.value.retry_after == 120.0 and info.value.status == 429


@pytest.mark.parametrize("status", [400, 401, 403, 404, 501])
async def test_no_retry_on_other_4xx_or_501(status):
    sleeps = Sleeps()
    server = Server(httpx.Response(status))
    with pytest.raises(ApiError):
        await fetch(server, sleeps=sleeps)
    assert len(server.calls) == 1 and sleeps == []


async def test_connect_errors_are_retried_up_to_max():
    sleeps = Sleeps()
    server = Server(
        httpx.ConnectError, httpx.ConnectTimeout, httpx.Response(200, json=token_body())
    )
    await fetch(server, sleeps=sleeps)
    assert len(server.calls) == 3 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.RemoteProtocolError])
async def test_read_timeouts_and_drops_are_retried_once(exc):
    sleeps = Sleeps()
    server = Server(exc)
    with pytest.raises(NetworkError):
        await fetch(server, sleeps=sleeps)
    assert len(server.calls) == 2 and len(sleeps) == 1
    server = Server(exc, httpx.Response(200, json=token_body()))
    assert (await fetch(server)).access_token == JWT


async def test_issued_at_is_when_the_successful_attempt_was_sent():
    now = [NOW]

    async def sleep(delay):  # time passes while the client waits between attempts
        now[0] += timedelta(seconds=9)

    server = Server(httpx.Response(503), httpx.Response(200, json=token_body()))
    async with AuthClient(transport=server.transport, clock=lambda: now[0], sleep=sleep) as c:
        token = await c.fetch_token(project_profile(), SECRET)
    assert token.issued_at == NOW + timedelta(seconds=9)
    assert token.expires_at == NOW + timedelta(seconds=9 + 3600)


# --- endpoint trust ------------------------------------------------------------------------

CS = "https://api.contentsquare.com"
LOOP = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("endpoint", "auth_url", "trusted"),
    [
        ("https://api.contentsquare.com", CS, True),
        ("https://api.contentsquare.com/", CS, True),
        ("https://contentsquare.com", CS, True),
        ("https://enrichment-api.eu-west-1.contentsquare.com", CS, True),
        ("https://API.ContentSquare.COM", CS, True),
        ("https://api.contentsquare.com.", CS, True),
        ("https://api.contentsquare.com:8443", CS, True),
        ("http://api.contentsquare.com", CS, False),
        ("https://contentsquare.com.evil.io", CS, False),
        ("https://evilcontentsquare.com", CS, False),
        ("https://api.contentsquare.com@evil.io", CS, False),
        ("https://user:pw@api.contentsquare.com", CS, False),
        ("https://evil.io\\@api.contentsquare.com", CS, False),
        ("https://evil.io#.contentsquare.com", CS, False),
        ("https://evil.io?.contentsquare.com", CS, False),
        ("https://api.contentsquare.com:99999", CS, False),
        ("ftp://api.contentsquare.com", CS, False),
        ("api.contentsquare.com", CS, False),
        ("", CS, False),
        ("https://127.0.0.1:8123", CS, False),
        ("http://127.0.0.1:8123", CS, False),
        ("http://127.0.0.1:8123", LOOP, True),
        ("https://localhost:9", LOOP, True),
        ("http://[::1]:9", "http://[::1]:1", True),
        ("http://10.0.0.1:8123", LOOP, False),
        ("http://127.0.0.1.evil.io", LOOP, False),
        ("https://api.contentsquare.com", LOOP, True),
    ],
)
def test_endpoint_trusted(endpoint, auth_url, trusted):
    assert endpoint_trusted(endpoint, auth_url) is trusted


# --- probe -------------------------------------------------------------------------------


def make_token(**kw) -> Token:
    values = dict(
        access_token=JWT,
        endpoint=ENDPOINT,
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        client_id="cid-123",
        auth_url=CS,
        scopes=("metrics",),
        project_id=None,
        profile="prod",
    )
    values.update(kw)
    return Token(**values)


SEGMENTS = httpx.Response(
    200,
    json={
        "success": True,
        "payload": [
            {"id": 1, "name": "New visitors"},
            {"id": 2, "name": "Returning"},
            {"id": 3, "name": "All"},
        ],
    },
)


async def test_probe_sends_bearer_and_project_and_counts_segments():
    server = Server(SEGMENTS)
    async with client(server) as c:
        result = await c.probe(make_token(project_id=1001))
    (request,) = server.calls
    assert request.method == "GET"
    assert str(request.url) == f"{ENDPOINT}/v1/segments?projectId=1001"
    assert request.headers["authorization"] == f"Bearer {JWT}"
    assert result.ok and result.status == 200 and result.elapsed >= 0
    assert result.summary == "200 OK: 3 segments"


async def test_probe_project_argument_overrides_and_none_sends_no_query():
    server = Server(SEGMENTS)
    async with client(server) as c:
        await c.probe(make_token(project_id=1001), project_id=7)
        await c.probe(make_token())
    assert server.calls[0].url.params["projectId"] == "7"
    assert "projectId" not in server.calls[1].url.params


@pytest.mark.parametrize(
    "token",
    [
        make_token(endpoint="https://api.evil.io", trusted=False),
        make_token(endpoint="https://api.evil.io"),  # trusted flag tampered with in a cache
        make_token(trusted=False),
        make_token(endpoint="http://api.contentsquare.com"),
    ],
)
async def test_untrusted_token_is_never_probed(token):
    server = Server(SEGMENTS)
    async with client(server) as c:
        with pytest.raises(UntrustedEndpointError) as info:
            await c.probe(token)
    assert server.calls == []
    assert_clean(info.value)


async def test_probe_api_errors_are_results_not_exceptions():
    server = Server(cs("Auth token is expired.", "JWT_EXPIRED", 401))
    async with client(server) as c:
        result = await c.probe(make_token())
    assert not result.ok and result.status == 401
    assert "JWT_EXPIRED" in result.summary and "expired" in result.summary
    assert isinstance(result.error, TokenExpiredError)

    server = Server(cs("API not enabled", "FORBIDDEN", 403))
    async with client(server) as c:
        result = await c.probe(make_token())
    assert not result.ok and result.status == 403 and isinstance(result.error, ForbiddenError)


async def test_probe_bad_success_body_is_not_ok():
    server = Server(httpx.Response(200, html="<html>login</html>"))
    async with client(server) as c:
        result = await c.probe(make_token())
    assert not result.ok and "HTML page" in result.summary
    assert isinstance(result.error, BadResponseError)


async def test_probe_network_error_raises():
    server = Server(httpx.ConnectError("[Errno 111] Connection refused"))
    async with client(server, max_retries=0) as c:
        with pytest.raises(NetworkError, match="connection refused"):
            await c.probe(make_token())


# --- me ----------------------------------------------------------------------------------


async def test_me_posts_credentials_and_reads_known_fields():
    raw = {
        "scopes": "metrics data-export",
        "created_at": "2025-04-01T10:00:00Z",
        "permissions": {
            "projects": [{"id": 1001, "name": "Shop"}, {"id": "x2", "name": "B"}, "junk"]
        },
        "anything": {"else": True},
    }
    server = Server(httpx.Response(200, json=raw))
    async with client(server) as c:
        info = await c.me(project_profile(), SECRET)
    assert str(server.calls[0].url) == "https://api.contentsquare.com/v1/oauth/me"
    assert server.body() == {"client_id": "cid-123", "client_secret": SECRET_VALUE}
    assert info == MeInfo(
        raw=raw,
        scopes=("metrics", "data-export"),
        projects=((1001, "Shop"), ("x2", "B")),
        created="2025-04-01T10:00:00Z",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, MeInfo(raw={})),
        ([1, 2], MeInfo(raw=[1, 2])),
        (
            {"scopes": ["metrics"], "permissions": "all", "createdAt": "2025-01-01"},
            MeInfo(
                raw={"scopes": ["metrics"], "permissions": "all", "createdAt": "2025-01-01"},
                scopes=("metrics",),
                created="2025-01-01",
            ),
        ),
        (
            {"scopes": 5, "permissions": {"projects": None}, "created": 1700000000},
            MeInfo(
                raw={"scopes": 5, "permissions": {"projects": None}, "created": 1700000000},
                created="1700000000",
            ),
        ),
    ],
)
async def test_me_never_fails_on_missing_fields(raw, expected):
    async with client(Server(httpx.Response(200, json=raw))) as c:
        assert await c.me(project_profile(), SECRET) == expected


async def test_me_errors():
    async with client(Server(httpx.Response(200, text="not json"))) as c:
        with pytest.raises(BadResponseError):
            await c.me(project_profile(), SECRET)
    async with client(Server(oauth("invalid_client", SECRET_VALUE, 401))) as c:
        with pytest.raises(InvalidCredentialsError) as info:
            await c.me(project_profile(), SECRET)
    assert_clean(info.value)
    server = Server()
    async with client(server) as c:
        with pytest.raises(RuleError):
            await c.me(project_profile(auth_url="http://example.test"), SECRET)
    assert server.calls == []


# --- configuration, logging, imports -------------------------------------------------------


def test_missing_ca_bundle_is_a_config_error_naming_it(tmp_path):
    missing = tmp_path / "corp-ca.pem"
    with pytest.raises(ConfigError, match="corp-ca.pem"):
        AuthClient(ca_bundle=str(missing))
    with pytest.raises(ConfigError, match="corp-ca.pem"):
        AuthClient(settings=Settings(ca_bundle=str(missing)))


async def test_unreadable_ca_bundle_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match="bad.pem"):
        AuthClient(ca_bundle=str(bad))


async def test_existing_ca_bundle_is_accepted():
    import certifi

    async with AuthClient(ca_bundle=certifi.where()):
        pass


async def test_timeouts_are_explicit():
    async with AuthClient(timeout=9, connect_timeout=2) as c:
        assert c._http.timeout == httpx.Timeout(9, connect=2)


async def test_debug_log_has_method_url_status_but_no_secrets(caplog):
    caplog.set_level(logging.DEBUG, logger="csauth.api")
    server = Server(httpx.Response(503), httpx.Response(200, json=token_body()))
    token = await fetch(server)
    async with client(Server(SEGMENTS)) as c:
        await c.probe(token)
    text = caplog.text
    assert "POST https://api.contentsquare.com/v1/oauth/token -> 503" in text
    assert "-> 200" in text and "/v1/segments" in text
    for sentinel in SENTINELS:
        assert sentinel not in text


def test_httpx_is_imported_only_when_a_client_is_built():
    code = (
        "import sys\n"
        "import csauth_tui.core.api as api\n"
        "assert 'httpx' not in sys.modules, 'imported too early'\n"
        "assert api.endpoint_trusted('https://api.contentsquare.com', 'https://x')\n"
        "api.AuthClient()\n"
        "assert 'httpx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
