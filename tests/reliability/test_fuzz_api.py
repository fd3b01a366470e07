"""Fuzz: the token, /me and probe response parsers of core/api.py, fed through AuthClient
over httpx.MockTransport with random status codes, headers and bodies. Only the project's
own errors may escape, and no error or summary quotes the secret or the token."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from csauth_tui.core.api import AuthClient, MeInfo, ProbeResult
from csauth_tui.core.errors import BadResponseError
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret
from csauth_tui.core.tokens import JWT_SHAPE, Token, TokenCache
from tests.reliability.fuzzing import attempt, fuzz_settings, json_values, no_sleep
from tests.reliability.jwt_bits import b64

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
# Stand-ins in generated bodies for the credentials of the example, made fresh for each
# one (tests/leakscan.py tracks every Secret and Token a test builds until the test ends:
# a value reused by a later example would look like a leak of the earlier one).
SECRET, ACCESS = "@SECRET@", "@ACCESS@"
PROFILE = Profile(name="fuzz", client_id="fuzz-client")
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000

echoes = st.sampled_from(
    [
        SECRET,
        f"bad secret {SECRET}",
        ACCESS,
        f"Bearer {ACCESS}",
        "invalid_client",
        "JWT_EXPIRED",
        "CONCURRENT_API_CALL",
        "PROJECT_ID_REQUIRED",
    ]
)
texts = st.text(max_size=30) | echoes


claim_numbers = st.one_of(
    json_values, st.integers(), st.just(10**400), st.integers(1_700_000_000, 1_800_000_000)
)
jwt_parts = st.one_of(
    json_values.map(lambda v: b64(json.dumps(v).encode())),
    st.binary(max_size=20).map(b64),
    st.text(max_size=8),
)
jwts = st.builds(
    lambda h, c, s: f"{h}.{c}.{s}",
    jwt_parts,
    st.fixed_dictionaries(
        {}, optional={"exp": claim_numbers, "iat": claim_numbers, "sub": texts}
    ).map(lambda c: b64(json.dumps(c).encode())),
    jwt_parts,
)
endpoints = st.sampled_from(
    [
        "https://api.contentsquare.com",
        "https://api.eu-west-1.production.contentsquare.com/",
        "http://api.contentsquare.com",
        "https://evil.example",
        "https://contentsquare.com.evil",
        "https://user@api.contentsquare.com",
        "https://[::1",
        "https://api.contentsquare.com:99999",
        " ",
        "",
        "https://api.contentsquare.com/?t=" + ACCESS,
    ]
) | st.text(max_size=30)
numbers = st.one_of(
    st.integers(),
    st.floats(),
    st.just(10**30),
    st.just(-1),
    st.text("0123456789.e-+naif", max_size=8),
)
fields = {
    "access_token": st.just(ACCESS)
    | jwts
    | st.text(max_size=7)
    | st.none()
    | st.integers()
    | st.lists(st.integers(), max_size=2),
    "endpoint": endpoints | json_values,
    "expires_in": numbers | json_values,
    "token_type": st.just("Bearer") | json_values,
    "success": st.booleans() | json_values,
    "errorCode": texts | json_values,
    "errorMessage": texts | json_values,
    "error": texts | json_values | st.fixed_dictionaries({"code": texts, "message": texts}),
    "error_description": texts,
    "message": texts,
    "scopes": st.lists(texts, max_size=3) | texts | json_values,
    "permissions": st.fixed_dictionaries(
        {
            "projects": st.lists(
                st.fixed_dictionaries({}, optional={"id": json_values, "name": json_values}),
                max_size=3,
            )
            | json_values
        }
    )
    | json_values,
    "created_at": json_values,
    "payload": st.lists(json_values, max_size=3) | json_values,
}
json_bodies = st.one_of(
    st.fixed_dictionaries({}, optional=fields),
    st.dictionaries(st.sampled_from(sorted(fields)) | st.text(max_size=8), json_values, max_size=5),
    json_values,
).map(lambda v: json.dumps(v).encode())
bodies = st.one_of(
    json_bodies,
    json_bodies,
    json_bodies,
    st.binary(max_size=60),
    st.text(max_size=60).map(str.encode),
    st.sampled_from(
        [
            b"",
            b"<html><body>502 Bad Gateway</body></html>",
            b"  <!doctype html>",
            b"\xef\xbb\xbf{}",
            b'{"a": NaN}',
            b"[1, 2",
            b"null",
        ]
    ),
    texts.map(lambda t: json.dumps({"error": "invalid_request", "error_description": t}).encode()),
)
statuses = st.sampled_from(
    [200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]
) | st.integers(100, 599)
header_values = st.one_of(
    st.sampled_from(
        [
            b"0",
            b"1",
            b"2.5",
            b"-3",
            b"nan",
            b"inf",
            b"1e400",
            b"99999999999",
            b"Sun, 01 Mar 2026 12:00:05 GMT",
            b"Wed, 21 Oct 99999 07:28:00 GMT",
            b"Mon, 32 Foo 2026 99:99:99 +9999",
            b"",
        ]
    ),
    st.binary(min_size=1, max_size=20).filter(lambda v: b"\r" not in v and b"\n" not in v),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        b"content-type": st.sampled_from(
            [
                b"application/json",
                b"text/html; charset=utf-8",
                b"text/plain",
                b"application/json; charset=latin-1",
            ]
        )
        | header_values,
        b"retry-after": header_values,
    },
)


@dataclass
class Credentials:
    secret: str
    access: str

    @classmethod
    def fresh(cls) -> Credentials:
        return cls(f"fuzz-secret-{uuid.uuid4().hex[:12]}", f"fuzz-token-{uuid.uuid4().hex[:12]}")

    def fill(self, body: bytes) -> bytes:
        return body.replace(SECRET.encode(), self.secret.encode()).replace(
            ACCESS.encode(), self.access.encode()
        )


def respond(status: int, head: dict[bytes, bytes], body: bytes):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=list(head.items()), content=body)

    return handler


def call(kind: str, handler, creds: Credentials):
    async def run():
        async with AuthClient(
            transport=httpx.MockTransport(handler),
            max_retries=1,
            sleep=no_sleep,
            jitter=lambda: 0.0,
            clock=lambda: NOW,
        ) as client:
            if kind == "token":
                return await client.fetch_token(PROFILE, Secret(creds.secret))
            if kind == "me":
                return await client.me(PROFILE, Secret(creds.secret))
            return await client.probe(
                Token(
                    access_token=creds.access,
                    endpoint="https://api.contentsquare.com",
                    issued_at=NOW,
                    expires_at=NOW + timedelta(hours=1),
                    client_id="fuzz-client",
                    auth_url="https://api.contentsquare.com",
                    scopes=("metrics",),
                    project_id=7,
                )
            )

    return asyncio.run(run())


def check_result(kind: str, result, creds: Credentials, tmp_path) -> None:
    if kind == "token":
        assert isinstance(result, Token) and isinstance(result.access_token, str)
        assert result.access_token and result.endpoint == result.endpoint.strip()
        shown = creds.access in repr(result)
        assert result.expires_at.tzinfo is not None and not shown
        cache = TokenCache(tmp_path / "tokens.json", clock=lambda: NOW)
        cache.put(result)  # a JWT-shaped token from any answer is cached and read back
        if result.trusted and result.expires_at > NOW and JWT_SHAPE.match(result.access_token):
            assert cache.get(result.key).access_token == result.access_token
    elif kind == "me":
        assert isinstance(result, MeInfo)
        assert result.scopes is None or all(isinstance(s, str) for s in result.scopes)
        assert result.projects is None or all(
            isinstance(pid, (int, str)) and isinstance(name, str) for pid, name in result.projects
        )
    else:
        assert isinstance(result, ProbeResult)
        assert creds.access not in result.summary, "the probe summary quotes the token"


@fuzz_settings(quick=150, full=3000)
@given(kind=st.sampled_from(["token", "me", "probe"]), status=statuses, head=headers, body=bodies)
@example(
    kind="token",
    status=200,
    head={},
    body=b'{"access_token": "t", "endpoint": "https://api.contentsquare.com", "expires_in": 1e400}',
)
@example(kind="me", status=401, head={}, body=b'{"errorCode": "' + SECRET.encode() + b'"}')
@example(kind="probe", status=429, head={b"retry-after": b"nan"}, body=b"")
def test_response_parsers_on_fuzzed_answers(tmp_path, kind, status, head, body):
    creds = Credentials.fresh()
    result, error = attempt(
        f"api {kind} response parser", call, kind, respond(status, head, creds.fill(body)), creds
    )
    if error is not None:  # the credential sent with this request is never quoted back
        sent = creds.access if kind == "probe" else creds.secret
        quoted = sent in f"{error} {error.hint or ''}"
        assert not quoted, "an error quotes a credential"
    else:
        check_result(kind, result, creds, tmp_path)


@pytest.mark.parametrize("kind", ["token", "me", "probe"])
def test_a_deeply_nested_json_answer_is_a_bad_response(kind):
    """JSON nested deeper than the parser's recursion limit is no answer to read."""
    result, error = attempt(
        f"api {kind} response parser", call, kind, respond(200, {}, DEEP_JSON), Credentials.fresh()
    )
    if kind == "probe":  # a probe reports a bad answer in its result instead of raising
        assert error is None and not result.ok and result.status == 200
        error = result.error
        assert str(error) in result.summary
    assert isinstance(error, BadResponseError), type(error).__name__
    assert "answered" in str(error) and "something that is not" in str(error), str(error)


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_probe_summary_never_quotes_the_token_even_in_an_error_code(status):
    creds = Credentials.fresh()
    body = creds.fill(json.dumps({"errorCode": ACCESS}).encode())
    result, _ = attempt(
        "api probe response parser", call, "probe", respond(status, {}, body), creds
    )
    assert not result.ok and result.status == status
    quoted = creds.access in result.summary  # a bare bool: a report never shows the token
    assert not quoted, "the probe summary quotes the access token"
