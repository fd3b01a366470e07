"""Fuzz: the JWT decoder, the expiry rule and the token cache file (core/tokens.py).

decode_jwt and the cache readers answer "nothing usable" for anything they cannot read,
never raise; reading the cache never touches the file; writing keeps every readable,
unexpired token already there.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

from hypothesis import event, example, given
from hypothesis import strategies as st

from csauth_tui.core.tokens import (
    Token,
    TokenCache,
    cached_token,
    decode_jwt,
    expiry_from_response,
)
from tests.reliability.fuzzing import attempt, fuzz_settings, json_values
from tests.reliability.jwt_bits import b64

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
DEEP_JSON = "[" * 100_000 + "]" * 100_000

objects = st.dictionaries(st.text(max_size=6), json_values | st.integers(), max_size=4)
parts = st.one_of(
    objects.map(lambda v: b64(json.dumps(v).encode())),
    json_values.map(lambda v: b64(json.dumps(v).encode())),
    st.binary(max_size=24).map(b64),
    st.text(max_size=10),
    st.just(b64(b"[" * 5000)),
)
jwt_like = st.builds(lambda h, c, s: f"{h}.{c}.{s}", parts, parts, parts)


@fuzz_settings(quick=200, full=5000)
@given(
    token=st.one_of(
        jwt_like, st.text(max_size=60), st.none(), st.integers(), st.binary(max_size=10)
    )
)
@example(token="e30.e30.")
@example(token=f"e30.{b64(b'[' * 100_000)}.x")
def test_decode_jwt_on_anything(token):
    decoded, error = attempt("JWT decoder", decode_jwt, token)
    assert error is None, "decode_jwt raised instead of answering ({}, {})"
    header, claims = decoded
    event("decoded" if header or claims else "not a readable JWT")
    assert isinstance(header, dict) and isinstance(claims, dict)
    if header or claims:
        assert isinstance(token, str) and token.count(".") == 2


numbers = st.one_of(
    json_values,
    st.integers(),
    st.floats(),
    st.integers(0, 2**32),
    st.just(10**400),
    st.text("0123456789.e-+naif", max_size=8),
)
sent_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)


@fuzz_settings(quick=150, full=3000)
@given(
    expires_in=numbers,
    claims=st.fixed_dictionaries({}, optional={"exp": numbers, "iat": numbers}),
    sent_at=sent_moments,
)
@example(expires_in=None, claims={"exp": 10**400}, sent_at=NOW)
@example(expires_in=None, claims={"exp": 10**400, "iat": 0}, sent_at=NOW)  # was a crash
@example(expires_in=None, claims={"exp": 1e308, "iat": -1e308}, sent_at=NOW)
def test_expiry_from_any_expires_in_exp_and_iat(expires_in, claims, sent_at):
    moment, error = attempt("token expiry", expiry_from_response, sent_at, expires_in, claims)
    assert error is None and isinstance(moment, datetime) and moment.tzinfo is not None


def token_record(expires_at: datetime, client_id: str = "c") -> dict:
    return Token(
        access_token="fuzz.token.value",
        endpoint="https://api.contentsquare.com",
        issued_at=expires_at - timedelta(hours=1),
        expires_at=expires_at,
        client_id=client_id,
        auth_url="https://api.contentsquare.com",
        scopes=("metrics",),
    ).to_dict()


moments = st.one_of(
    st.datetimes(timezones=st.just(timezone.utc)).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),  # naive: no timezone
    st.sampled_from(
        [
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "",
            "soon",
            "2026-03-01T13:00:00Z",
            "2026-02-30T00:00:00+00:00",
        ]
    ),
    json_values,
)


@st.composite
def cache_records(draw) -> dict:
    record = token_record(
        draw(
            st.datetimes(
                min_value=datetime(2020, 1, 1),
                max_value=datetime(2030, 1, 1),
                timezones=st.just(timezone.utc),
            )
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(record)))
        if draw(st.booleans()):
            del record[key]
        else:
            record[key] = draw(moments if key.endswith("_at") else json_values)
    return record


readable_files = st.fixed_dictionaries(
    {
        "version": st.just(1),
        "tokens": st.dictionaries(st.text(max_size=12), cache_records() | json_values, max_size=4),
    },
).map(lambda d: json.dumps(d).encode())
cache_files = st.one_of(
    readable_files,
    readable_files,
    readable_files,
    st.binary(max_size=80),
    st.fixed_dictionaries(
        {"version": st.sampled_from([2, "1"]) | json_values, "tokens": json_values}
    ).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)


def readable_tokens(raw: bytes) -> dict | None:
    """What the cache should count as already there, or None for a file it cannot read."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != 1
        or not isinstance(data.get("tokens"), dict)
    ):
        return None
    return data["tokens"]


def usable(key, record) -> bool:
    """What a read of the cache would return (and a write therefore keeps)."""
    token = cached_token(record, key, NOW)
    return token is not None and token.is_fresh(0, NOW)


@fuzz_settings(quick=150, full=3000)
@given(raw=cache_files)
@example(raw=b'{"version": 1, "tokens": {"k": {"expires_at": "2030-01-01T00:00:00"}}}')
def test_token_cache_on_a_fuzzed_file(tmp_path, raw):
    path = tmp_path / "tokens.json"
    path.write_bytes(raw)
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    cache = TokenCache(path, clock=lambda: NOW)
    keys = list(readable_tokens(raw) or {}) + ["absent"]
    for key in keys:
        hit, error = attempt("token cache: read", cache.get, key, 60)
        assert error is None
        assert hit is None or (hit.trusted and hit.is_fresh(60, NOW))
    listed, error = attempt("token cache: read", cache.all)
    assert error is None and all(isinstance(t, Token) for t in listed)
    assert path.read_bytes() == raw and path.stat().st_mtime_ns == 1_700_000_000_000_000_000

    before = readable_tokens(raw)
    event("readable cache" if before is not None else "unreadable cache: replaced on write")
    new = Token.from_dict(token_record(NOW + timedelta(hours=1), client_id="fuzz-new"))
    _, error = attempt("token cache: write", cache.put, new)
    assert error is None
    after = readable_tokens(path.read_bytes())
    assert after is not None and cache.get(new.key).access_token == "fuzz.token.value"
    for key, record in (before or {}).items():
        if key != new.key and usable(key, record):
            assert after.get(key) == record, "a valid cached token was lost on write"


def test_a_deeply_nested_cache_file_reads_as_empty(tmp_path):
    """Valid JSON nested deeper than the parser's recursion limit: no token in it."""
    path = tmp_path / "tokens.json"
    path.write_text(DEEP_JSON)
    cache = TokenCache(path, clock=lambda: NOW)
    hit, error = attempt("token cache: read", cache.get, "k")
    assert error is None and hit is None
    listed, error = attempt("token cache: read", cache.all)
    assert error is None and listed == []
    assert path.read_text() == DEEP_JSON  # reading never rewrites the file
