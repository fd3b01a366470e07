"""Token, JWT decoding, expiry maths, cache keys and the on-disk token cache."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from csauth_tui.core.tokens import (
    DEFAULT_LIFETIME_SECONDS,
    Token,
    TokenCache,
    cache_key,
    decode_jwt,
    expiry_from_response,
    format_remaining,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
AUTH_URL = "https://api.contentsquare.com"
ENDPOINT = "https://api.eu-west-1.production.contentsquare.com"
ACCESS = "TOKEN.sentinel.5f0c2b9e"  # JWT-shaped: the cache keeps nothing else
REPO = Path(__file__).resolve().parents[2]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_jwt(claims: dict, key: bytes = b"k3y") -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def make_token(**kw) -> Token:
    issued = kw.pop("issued_at", NOW)
    lifetime = kw.pop("lifetime", 3600)
    values = dict(
        access_token=ACCESS,
        endpoint=ENDPOINT,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=lifetime),
        client_id="cid-1",
        auth_url=AUTH_URL,
        scopes=("metrics",),
        project_id=1001,
        profile="prod",
    )
    values.update(kw)
    return Token(**values)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- decode_jwt ------------------------------------------------------------------------


def test_decode_jwt_reads_header_and_claims_of_a_real_hs256_token():
    claims = {"sub": "cid-1", "exp": 1_900_000_000, "scope": "metrics", "name": "Zoë"}
    header, decoded = decode_jwt(hs256_jwt(claims))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert decoded == claims


@pytest.mark.parametrize("length", range(1, 9))
def test_decode_jwt_handles_every_padding_length(length):
    # claims whose base64 encodings end on every remainder modulo 4
    claims = {"s": "x" * length}
    assert decode_jwt(hs256_jwt(claims))[1] == claims


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "not.a.jwt",
        "a.b",  # two parts
        "a.b.c.d",
        "....",
        "%%%.%%%.%%%",
        "é.é.é",  # non-ASCII
        b64url(b"\xff\xfe") + "." + b64url(b"\xff") + ".sig",  # not UTF-8
        "abcde.abcde.sig",  # length 5: impossible base64 padding
        b64url(b"[1, 2]") + "." + b64url(b"{}") + ".sig",  # header not an object
        b64url(b'{"alg": "none"}') + "." + b64url(b'"just a string"') + ".sig",
        b64url(b'{"alg": "none"}') + "." + b64url(b"[1, 2, 3]") + ".sig",
        b64url(b'{"alg": "none"}') + "." + b64url(b"null") + ".sig",
        pytest.param(
            b64url(b'{"alg": "none"}') + "." + b64url(b"[" * 100_000) + ".sig", id="nested-too-deep"
        ),
        None,
        12345,
        b"a.b.c",
    ],
)
def test_decode_jwt_never_raises_on_what_is_not_a_jwt(value):
    assert decode_jwt(value) == ({}, {})


def test_token_jwt_decodes_its_own_access_token():
    token = make_token(access_token=hs256_jwt({"sub": "me"}))
    assert token.jwt()[1] == {"sub": "me"}


# --- format_remaining -----------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (3599, "59:59"),
        (3599.9, "59:59"),
        (61, "01:01"),
        (5, "00:05"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
        (36_000 + 59, "10:00:59"),
        (0, "expired"),
        (-1, "expired"),
        (-3600, "expired"),
    ],
)
def test_format_remaining(seconds, shown):
    assert format_remaining(seconds) == shown


# --- expiry_from_response ---------------------------------------------------------------


EXP_CLAIMS = {"exp": int((NOW + timedelta(minutes=50)).timestamp())}


@pytest.mark.parametrize("expires_in", [1800, 1800.0, "1800", " 1800 "])
def test_expires_in_wins_over_jwt_exp(expires_in):
    assert expiry_from_response(NOW, expires_in, EXP_CLAIMS) == NOW + timedelta(seconds=1800)


@pytest.mark.parametrize(
    "expires_in",
    [None, True, False, -5, 0, "-5", "0", "soon", "", "nan", float("nan"), [1800], {"s": 1}],
)
def test_unusable_expires_in_falls_back_to_jwt_exp(expires_in):
    assert expiry_from_response(NOW, expires_in, EXP_CLAIMS) == NOW + timedelta(minutes=50)


@pytest.mark.parametrize("expires_in", [float("inf"), "inf", "1e400", 10**20, 1e15])
def test_absurd_expires_in_falls_back_instead_of_crashing(expires_in):
    assert expiry_from_response(NOW, expires_in, EXP_CLAIMS) == NOW + timedelta(minutes=50)


@pytest.mark.parametrize("claims", [{}, {"exp": True}, {"exp": "1900000000"}, {"exp": 10**30}])
def test_without_expires_in_or_usable_exp_a_token_lives_one_hour(claims):
    assert expiry_from_response(NOW, None, claims) == NOW + timedelta(
        seconds=DEFAULT_LIFETIME_SECONDS
    )
    assert DEFAULT_LIFETIME_SECONDS == 3600


# --- cache_key and Token ----------------------------------------------------------------


def test_cache_key_sorts_and_dedupes_scopes_and_strips_trailing_slash():
    a = cache_key("https://api.contentsquare.com/", "cid", ["metrics", "data-export"], 7)
    b = cache_key("https://api.contentsquare.com", "cid", ("data-export", "metrics", "metrics"), 7)
    assert a == b


def test_cache_key_separates_what_was_asked():
    base = cache_key(AUTH_URL, "cid", ["metrics"], 7)
    assert cache_key(AUTH_URL, "cid", ["metrics"], 8) != base
    assert cache_key(AUTH_URL, "cid", ["metrics"], None) != base
    assert cache_key(AUTH_URL, "other", ["metrics"], 7) != base
    assert cache_key(AUTH_URL, "cid", ["data-export"], 7) != base
    assert cache_key("http://127.0.0.1:9", "cid", ["metrics"], 7) != base


def test_token_key_is_the_cache_key_and_holds_no_secret():
    token = make_token()
    assert token.key == cache_key(AUTH_URL, "cid-1", ["metrics"], 1001)
    assert ACCESS not in token.key


def test_token_repr_and_str_never_show_the_access_token():
    token = make_token(extra={"refresh": ACCESS})
    for text in (repr(token), str(token), f"{token}", f"{token!r}"):
        assert ACCESS not in text
        assert "prod" in text  # still useful: the profile name shows
    assert token.header == f"Authorization: Bearer {ACCESS}"


def test_token_round_trips_through_dict():
    token = make_token(scopes=("metrics", "data-export"), extra={"token_type": "Bearer"})
    assert Token.from_dict(json.loads(json.dumps(token.to_dict()))) == token


def test_token_freshness_maths():
    token = make_token(lifetime=600)
    assert token.lifetime == 600
    assert token.seconds_left(NOW + timedelta(seconds=100)) == 500
    assert token.is_fresh(300, NOW + timedelta(seconds=100))
    assert not token.is_fresh(300, NOW + timedelta(seconds=400))


# --- TokenCache -----------------------------------------------------------------------


@pytest.fixture
def cache_path(tmp_path) -> Path:
    return tmp_path / "cache-dir" / "tokens.json"


def test_put_then_get_round_trip(cache_path):
    cache = TokenCache(cache_path, clock=Clock())
    token = make_token()
    cache.put(token)
    assert cache.get(token.key) == token
    assert cache.get("some|other|key|") is None
    assert TokenCache(cache_path, clock=Clock()).all() == [token]


def test_get_respects_min_ttl(cache_path):
    clock = Clock()
    cache = TokenCache(cache_path, clock=clock)
    token = make_token(lifetime=3600)
    cache.put(token)
    clock.now = NOW + timedelta(seconds=3400)  # 200 s left
    assert cache.get(token.key, min_ttl=300) is None
    assert cache.get(token.key, min_ttl=100) == token
    clock.now = NOW + timedelta(seconds=3600)  # expired
    assert cache.get(token.key) is None


def test_the_injected_clock_decides_not_the_wall_clock(cache_path):
    # a token from 2001 is fresh for a cache whose clock says it is 2001
    old = datetime(2001, 1, 1, tzinfo=timezone.utc)
    cache = TokenCache(cache_path, clock=Clock(old))
    token = make_token(issued_at=old)
    cache.put(token)
    assert cache.get(token.key, min_ttl=300) == token
    assert TokenCache(cache_path).get(token.key) is None  # real time: long expired


def test_untrusted_tokens_are_never_stored(cache_path):
    cache = TokenCache(cache_path, clock=Clock())
    cache.put(make_token(trusted=False, endpoint="https://evil.example.net"))
    assert not cache_path.exists()
    cache.put(make_token(client_id="good"))
    cache.put(make_token(trusted=False, endpoint="https://evil.example.net"))
    assert [t.client_id for t in cache.all()] == ["good"]
    assert "evil.example.net" not in cache_path.read_text()


def test_an_untrusted_entry_written_by_hand_is_not_returned(cache_path):
    token = make_token(trusted=False)
    cache_path.parent.mkdir()
    cache_path.write_text(json.dumps({"version": 1, "tokens": {token.key: token.to_dict()}}))
    assert TokenCache(cache_path, clock=Clock()).get(token.key) is None


def test_expired_tokens_are_pruned_on_write(cache_path):
    clock = Clock()
    cache = TokenCache(cache_path, clock=clock)
    short = make_token(client_id="short", lifetime=100)
    long = make_token(client_id="long", lifetime=3600)
    cache.put(short)
    cache.put(long)
    clock.now = NOW + timedelta(seconds=200)
    cache.put(make_token(client_id="new", issued_at=clock.now))
    stored = json.loads(cache_path.read_text())["tokens"]
    assert sorted(raw["client_id"] for raw in stored.values()) == ["long", "new"]


@pytest.mark.parametrize(
    "content",
    [
        "{ not json",
        "",
        "\xff\xfe garbage",
        "[1, 2, 3]",
        '"a string"',
        json.dumps({"version": 99, "tokens": {}}),
        json.dumps({"version": 1, "tokens": []}),
        json.dumps({"version": 1, "tokens": {"k": "not a dict", "k2": {"partial": 1}}}),
    ],
)
def test_corrupt_or_foreign_file_is_empty_and_overwritten_cleanly(cache_path, content):
    cache_path.parent.mkdir()
    cache_path.write_text(content, encoding="utf-8", errors="surrogateescape")
    cache = TokenCache(cache_path, clock=Clock())
    assert cache.get("k") is None
    assert cache.get(make_token().key) is None
    assert cache.all() == []
    token = make_token()
    cache.put(token)
    data = json.loads(cache_path.read_text())
    assert data["version"] == TokenCache.VERSION
    assert cache.get(token.key) == token


def test_an_entry_with_a_timestamp_without_timezone_is_ignored(cache_path):
    token = make_token()
    raw = token.to_dict()
    raw["issued_at"] = "2026-03-01T12:00:00"
    raw["expires_at"] = "2026-03-01T13:00:00"
    cache_path.parent.mkdir()
    cache_path.write_text(json.dumps({"version": 1, "tokens": {token.key: raw}}))
    cache = TokenCache(cache_path, clock=Clock())
    assert cache.get(token.key) is None
    cache.put(make_token(client_id="other"))  # and writing still works
    assert cache.get(make_token(client_id="other").key) is not None


def test_cache_file_is_0600_in_a_0700_directory(cache_path):
    TokenCache(cache_path, clock=Clock()).put(make_token())
    assert stat.S_IMODE(cache_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_path.parent.stat().st_mode) == 0o700


def test_forget_all_and_forget_one_client(cache_path):
    cache = TokenCache(cache_path, clock=Clock())
    assert cache.forget() == 0
    assert not cache_path.exists()  # forgetting nothing creates nothing
    cache.put(make_token(client_id="a", project_id=1))
    cache.put(make_token(client_id="a", project_id=2))
    cache.put(make_token(client_id="a", project_id=3, auth_url="http://127.0.0.1:8123"))
    cache.put(make_token(client_id="b"))
    assert cache.forget("nobody") == 0
    assert cache.forget("a", AUTH_URL) == 2
    assert sorted((t.client_id, t.auth_url) for t in cache.all()) == [
        ("a", "http://127.0.0.1:8123"),
        ("b", AUTH_URL),
    ]
    assert cache.forget("a") == 1
    assert [t.client_id for t in cache.all()] == ["b"]
    cache.put(make_token(client_id="c"))
    assert cache.forget() == 2
    assert cache.all() == []


def test_two_processes_caching_at_once_keep_every_token(cache_path):
    script = textwrap.dedent(
        """
        import sys
        from datetime import datetime, timedelta, timezone
        from csauth_tui.core.tokens import Token, TokenCache

        path, who = sys.argv[1], sys.argv[2]
        now = datetime.now(timezone.utc)
        cache = TokenCache(path)
        for i in range(20):
            cache.put(Token(access_token=f"tok.{who}.{i}", endpoint="https://x.contentsquare.com",
                            issued_at=now, expires_at=now + timedelta(hours=1),
                            client_id=f"{who}-{i}", auth_url="https://api.contentsquare.com",
                            scopes=("metrics",), project_id=1))
        print("done")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(cache_path), who],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("p1", "p2")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    ids = sorted(t.client_id for t in TokenCache(cache_path).all())
    assert ids == sorted(f"{who}-{i}" for who in ("p1", "p2") for i in range(20))
    assert len(ids) == 40


def test_iso_utc_is_one_format_for_the_cli_and_the_reports():
    from csauth_tui.core.tokens import iso_utc

    paris = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 3, 1, 13, 0, 5, tzinfo=paris)) == "2026-03-01T12:00:05Z"
    assert iso_utc(None) is None
