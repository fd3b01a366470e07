"""Faults, part 1: one table of every fault kind, run through the core over real loopback
HTTP against the embedded fake API. test_faults_cli.py runs the same table through the
`csauth token` command, test_faults_app.py through the app.

For each fault: the right error type, a clear message naming the host, no secret and no
token in it, bounded wall time, and a token cache left as it was (or, for the faults a
client must absorb, the token cached with the right expiry).

Time limits: the client gets short timeouts and a short retry budget (QUICK_LIMITS) in
quick and full mode alike, so the table runs in seconds; the bound each case is held to is
worked out from the limits the client was given (time_bound), the same arithmetic that
bounds a user's wait at the real defaults. Full mode at the real defaults took minutes
of waiting on stalled servers and proved nothing more.

A DNS failure is made the same on every machine: `.invalid` names are answered "no such
name" by a stand-in for socket.getaddrinfo (tests/reliability/resolver.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from csauth_tui.core.api import AuthClient
from csauth_tui.core.errors import (
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REFUSED,
    BadResponseError,
    CsauthError,
    NetworkError,
    RateLimitedError,
    ServerError,
    TokenExpiredError,
    UntrustedEndpointError,
)
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.core.service import TokenService
from csauth_tui.core.tokens import Token, TokenCache, expiry_from_response, utcnow
from csauth_tui.fake.server import (
    DEFAULT_SKEW,
    FAULT_KINDS,
    FOREIGN_ENDPOINT,
    FakeContentsquare,
    FakeCredential,
)
from tests import figures
from tests.reliability import resolver
from tests.reliability.jwt_bits import unsigned_jwt

# --- limits and bounds ---------------------------------------------------------------------

QUICK_LIMITS = dict(
    timeout=1.0,
    connect_timeout=0.5,
    max_retries=2,
    retry_budget=3.0,
    backoff_base=0.05,
    backoff_cap=0.2,
)
LIMITS: dict = QUICK_LIMITS
SLACK = 5.0  # scheduling, thread start-up, a loaded machine


def time_bound(limits: dict = LIMITS, startup: float = 0.0) -> float:
    """A generous ceiling for one failed token request made with `limits`: every attempt
    may use a whole connect and read timeout, and the waits between them stop at the retry
    budget."""
    lim = {**AuthClient.__init__.__kwdefaults__, **limits}
    attempts = lim["max_retries"] + 1
    return (
        attempts * (lim["connect_timeout"] + lim["timeout"]) + lim["retry_budget"] + SLACK + startup
    )


HANG = 300.0  # how long a stalled or slow fault would hold a client with no timeout

# --- the table -----------------------------------------------------------------------------

SECRET = "sentinel-faults-secret-5e0b7c"
CLIENT_ID = "faults-client-0001"
CREDENTIALS = [
    FakeCredential(CLIENT_ID, SECRET, project_ids=(1001,), scopes=("metrics", "data-export"))
]
PROFILE = Profile(name="prod", client_id=CLIENT_ID, scopes=("metrics",))
LIFETIME = 3600


def profiles_text(auth_url: str) -> str:
    """The profiles file the CLI and the app read: prod, and another one to move to."""
    return f"""[settings]
auth_url = "{auth_url}"

[profiles.prod]
level = "project"
client_id = "{CLIENT_ID}"
scopes = ["metrics"]
secret = "env:CS_FAULTS_SECRET"

[profiles.other]
level = "project"
client_id = "other-client"
scopes = ["metrics"]
secret = "env:CS_FAULTS_SECRET"
"""


@dataclass(frozen=True)
class FaultCase:
    """One way the world can go wrong, and what every layer must make of it."""

    id: str
    kind: str | None = None  # what the fake is told to inject; None: no fake fault
    target: str = "fake"  # where auth_url points: fake | refused | dns | dns_hang | full_backlog
    retry_after: float | None = None
    delay: float | None = None
    error: type[CsauthError] | None = None  # None: the token must arrive
    exit_code: int = EXIT_OK
    words: tuple[str, ...] = ()  # in the message (CLI: its stderr line; app: the toast)
    absent: tuple[str, ...] = ()  # never in the message
    names_host: bool = True  # the message says which host failed
    lifetime: float | None = None  # a token that arrives must be given this lifetime
    layers: tuple[str, ...] = ("core", "cli", "app")
    clock_offset: float = 0.0  # core only: this machine's clock is this far off (seconds)

    def inject_into(self, fake: FakeContentsquare) -> None:
        if self.kind is not None:
            fake.inject(
                self.kind,
                path="/v1/oauth/token",
                times=None,
                retry_after=self.retry_after,
                delay=self.delay,
            )


def net(id, target, words, **kw) -> FaultCase:
    return FaultCase(
        id, target=target, error=NetworkError, exit_code=EXIT_NETWORK, words=words, **kw
    )


def bad(id, kind, error, exit_code, words, **kw) -> FaultCase:
    return FaultCase(id, kind, error=error, exit_code=exit_code, words=words, **kw)


FAULTS: tuple[FaultCase, ...] = (
    net("connection refused", "refused", ("connection refused",)),
    net("DNS failure", "dns", ("name not resolved",)),
    net("DNS hangs", "dns_hang", ("connection timed out",), layers=("core",)),
    net("connect timeout", "full_backlog", ("connection timed out after",)),
    bad("read timeout", "slow", NetworkError, EXIT_NETWORK, ("timed out after",), delay=HANG),
    bad("stall mid-body", "stall", NetworkError, EXIT_NETWORK, ("timed out after",), delay=HANG),
    bad(
        "answer trickles in",
        "trickle",
        NetworkError,
        EXIT_NETWORK,
        ("timed out after", "answer came too slowly"),
    ),
    bad(
        "dropped connection", "drop", NetworkError, EXIT_NETWORK, ("dropped before a full answer",)
    ),
    bad(
        "truncated body", "truncated", NetworkError, EXIT_NETWORK, ("dropped before a full answer",)
    ),
    bad("500", "500", ServerError, EXIT_NETWORK, ("had a server error", "INTERNAL_SERVER_ERROR")),
    bad("502", "502", ServerError, EXIT_NETWORK, ("had a server error", "an HTML page")),
    bad("503", "503", ServerError, EXIT_NETWORK, ("had a server error", "an HTML page")),
    bad(
        "429",
        "429",
        RateLimitedError,
        EXIT_NETWORK,
        ("rate limited", "TOO_MANY_REQUESTS"),
        absent=("retry after",),
    ),
    bad(
        "429 + Retry-After",
        "429",
        RateLimitedError,
        EXIT_NETWORK,
        ("rate limited", "retry after 60 s"),
        retry_after=60,
    ),
    bad(
        "CONCURRENT_API_CALL",
        "concurrent",
        RateLimitedError,
        EXIT_NETWORK,
        ("CONCURRENT_API_CALL", "at most 10 concurrent requests"),
        absent=("retry after",),
    ),
    bad(
        "CONCURRENT_API_CALL + Retry-After",
        "concurrent",
        RateLimitedError,
        EXIT_NETWORK,
        ("CONCURRENT_API_CALL", "retry after 0.2 s"),
        retry_after=0.2,
    ),
    bad("HTML error page", "html", ServerError, EXIT_NETWORK, ("an HTML page",)),
    bad(
        "truncated JSON",
        "malformed_json",
        BadResponseError,
        EXIT_NETWORK,
        ("answered 200 with something that is not JSON",),
    ),
    bad(
        "non-JSON body",
        "not_json",
        BadResponseError,
        EXIT_NETWORK,
        ("answered 200 with an HTML page",),
    ),
    bad(
        "JSON of the wrong shape",
        "wrong_shape",
        BadResponseError,
        EXIT_NETWORK,
        ("a JSON list, not an object",),
    ),
    bad(
        "gzip bomb",
        "gzip_bomb",
        NetworkError,
        EXIT_NETWORK,
        ("was too large", "over 1 MiB once decompressed"),
    ),
    bad(
        "oversized answer", "oversized", NetworkError, EXIT_NETWORK, ("was too large", "over 1 MiB")
    ),
    bad("no endpoint", "no_endpoint", BadResponseError, EXIT_NETWORK, ("has no endpoint",)),
    bad(
        "foreign endpoint",
        "foreign_endpoint",
        UntrustedEndpointError,
        EXIT_REFUSED,
        (urlsplit(FOREIGN_ENDPOINT).netloc,),
        names_host=False,
    ),
    bad(
        "JWT with a past exp",
        "past_exp",
        TokenExpiredError,
        EXIT_REFUSED,
        ("already expired when it was issued",),
    ),
    FaultCase("exp earlier than expires_in", "skew_early", lifetime=LIFETIME - DEFAULT_SKEW),
    FaultCase("exp later than expires_in", "skew_late", lifetime=LIFETIME),
    FaultCase("local clock 2 h ahead", lifetime=LIFETIME, clock_offset=7200, layers=("core",)),
    FaultCase("local clock 2 h behind", lifetime=LIFETIME, clock_offset=-7200, layers=("core",)),
)


def cases(layer: str) -> list:
    return [pytest.param(case, id=case.id) for case in FAULTS if layer in case.layers]


def test_the_table_tries_every_fault_the_fake_can_inject():
    tried = {case.kind for case in FAULTS}
    assert set(FAULT_KINDS) - tried == set()
    ids = [case.id for case in FAULTS]
    assert len(ids) == len(set(ids))


# --- where auth_url points -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
    except TimeoutError:
        return False
    return True


@contextlib.contextmanager
def full_backlog() -> Iterator[str]:
    """A loopback listener that never accepts, its queue filled: Linux drops the SYNs of
    any further connection, so connecting times out (the way a filtered port does)."""
    listener = socket.socket()
    fillers = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        if connects(port):
            pytest.fail(
                "a listener with a full backlog still accepts connections here: "
                "no way to make a connect timeout on this machine"
            )
        yield f"http://127.0.0.1:{port}"
    finally:
        for sock in fillers:
            sock.close()
        listener.close()


@contextlib.contextmanager
def hanging_dns(monkeypatch) -> Iterator[str]:
    """Name resolution that never answers for `.invalid` names (a dead DNS server)."""
    release = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if resolver.host_name(host).endswith(resolver.SUFFIX):
            release.wait(HANG)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield f"https://{resolver.NO_SUCH_HOST}"
    finally:
        release.set()  # the resolver thread ends, so the event loop can close


def no_such_names(monkeypatch) -> str:
    """`.invalid` names fail to resolve at once, in this process: the URL of one."""
    monkeypatch.setattr(socket, "getaddrinfo", resolver.answering_no_such_name(socket.getaddrinfo))
    return f"https://{resolver.NO_SUCH_HOST}"


@contextlib.contextmanager
def auth_url_for(case: FaultCase, fake: FakeContentsquare, monkeypatch) -> Iterator[str]:
    if case.target == "fake":
        case.inject_into(fake)
        yield fake.url
    elif case.target == "refused":
        yield f"http://127.0.0.1:{free_port()}"
    elif case.target == "dns":
        yield no_such_names(monkeypatch)
    elif case.target == "dns_hang":
        with hanging_dns(monkeypatch) as url:
            yield url
    elif case.target == "full_backlog":
        with full_backlog() as url:
            yield url
    else:  # pragma: no cover
        raise AssertionError(f"unknown target {case.target}")


def host_of(url: str) -> str:
    return urlsplit(url).netloc


# --- what every layer checks ---------------------------------------------------------------


def check_message(case: FaultCase, message: str, auth_url: str) -> None:
    for words in case.words:
        assert words in message, f"{words!r} missing from {message!r}"
    for words in case.absent:
        assert words not in message, f"{words!r} should not be in {message!r}"
    if case.names_host:
        assert host_of(auth_url) in message, message
    assert SECRET not in message, "the client secret is in the message"
    assert "eyJ" not in message, "a JWT is in the message"
    assert "Traceback" not in message


def other_token(now: datetime) -> Token:
    """A cached token of another credential: a failure must leave it, byte for byte."""
    cs = "https://api.contentsquare.com"
    return Token(
        access_token="cached.token-of.someone-else",
        endpoint=cs,
        issued_at=now,
        expires_at=now + timedelta(hours=1),
        client_id="someone-else",
        auth_url=cs,
        scopes=("metrics",),
    )


@contextlib.contextmanager
def recorded(layer: str) -> Iterator[None]:
    """One fault kind tried on `layer`: handled unless the body fails."""
    handled = False
    try:
        yield
        handled = True
    finally:
        figures.outcome("faults", f"{layer}: fault kinds handled", handled)


# --- the core ------------------------------------------------------------------------------


@pytest.fixture
def fake():
    with FakeContentsquare(CREDENTIALS, token_lifetime=LIFETIME) as server:
        yield server


@pytest.mark.parametrize("case", cases("core"))
async def test_core(case, fake, tmp_path, monkeypatch):
    with recorded("core"):
        await check_core(case, fake, tmp_path, monkeypatch)


async def check_core(case: FaultCase, fake, tmp_path, monkeypatch) -> None:
    offset = timedelta(seconds=case.clock_offset)

    def clock() -> datetime:
        return utcnow() + offset

    cache = TokenCache(tmp_path / "tokens.json", clock=clock)
    cache.put(other_token(clock()))
    before = cache.path.read_bytes()
    with auth_url_for(case, fake, monkeypatch) as auth_url:
        settings = Settings(auth_url=auth_url)
        async with AuthClient(settings=settings, clock=clock, **LIMITS) as client:
            service = TokenService(
                settings, client, cache=cache, resolve_secret=lambda profile: Secret(SECRET)
            )
            started = time.monotonic()
            try:
                token = await service.token(PROFILE)
                if not token.trusted:  # the token is kept, but never sent anywhere
                    await client.probe(token)
            except CsauthError as exc:
                error = exc
            else:
                error = None
            elapsed = time.monotonic() - started

    assert elapsed < time_bound(), f"took {elapsed:.1f} s"
    if case.error is None:
        assert error is None, f"{type(error).__name__}: {error}"
        assert token.lifetime == pytest.approx(case.lifetime, abs=1.5)
        cached = cache.get(token.key)
        assert cached is not None and cached.expires_at == token.expires_at
        return
    assert type(error) is case.error, f"{type(error).__name__}: {error}"
    assert error.exit_code == case.exit_code
    check_message(case, str(error), auth_url)
    assert SECRET not in repr(error)
    assert cache.path.read_bytes() == before, "the token cache changed"
    if case.error is UntrustedEndpointError:
        assert not [r for r in fake.requests if r.path == "/v1/segments"]


async def test_a_name_that_does_not_exist_is_asked_for_once(caplog, monkeypatch):
    """NXDOMAIN is an answer, not a hiccup: no retries, no backoff waits."""
    caplog.set_level("DEBUG", logger="csauth.api")
    settings = Settings(auth_url=no_such_names(monkeypatch))
    async with AuthClient(settings=settings, **QUICK_LIMITS) as client:
        with pytest.raises(NetworkError, match="name not resolved"):
            await client.fetch_token(PROFILE, Secret(SECRET))
    attempts = [r for r in caplog.records if "failed after" in r.getMessage()]
    assert len(attempts) == 1


# --- the expiry rule, on its own ------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
IAT = 1_900_000_000  # the server's clock, whatever ours says


@pytest.mark.parametrize(
    ("expires_in", "claims", "lifetime"),
    [
        (3600, {"iat": IAT, "exp": IAT + 3000}, 3000),  # exp earlier: exp wins
        (3000, {"iat": IAT, "exp": IAT + 3600}, 3000),  # expires_in earlier: it wins
        (3600, {"iat": IAT, "exp": IAT + 3600}, 3600),
        (None, {"iat": IAT, "exp": IAT + 1800}, 1800),
        ("2400", {"iat": IAT, "exp": IAT + 3600}, 2400),
        (3600, {"iat": IAT, "exp": IAT - 60}, -60),  # dead on arrival
    ],
)
def test_expiry_is_the_earlier_of_expires_in_and_the_jwt_lifetime(expires_in, claims, lifetime):
    assert expiry_from_response(NOW, expires_in, claims) == NOW + timedelta(seconds=lifetime)


@pytest.mark.parametrize("skew", [-7200, -600, 0, 600, 7200])
def test_a_clock_that_differs_from_the_servers_does_not_change_the_lifetime(skew):
    claims = {"iat": int(NOW.timestamp()) + skew, "exp": int(NOW.timestamp()) + skew + 3600}
    assert expiry_from_response(NOW, 3600, claims) == NOW + timedelta(seconds=3600)


def test_without_iat_exp_is_read_by_our_clock_only_when_expires_in_is_unusable():
    """Our clock may be hours off (a dual-boot RTC, WSL drift): exp alone must not turn a
    working token into an expired one while expires_in says how long it lives."""
    soon = {"exp": int(NOW.timestamp()) + 1200}
    later = {"exp": int(NOW.timestamp()) + 7200}
    past = {"exp": int(NOW.timestamp()) - 30}
    for claims in (soon, later, past):
        assert expiry_from_response(NOW, 3600, claims) == NOW + timedelta(seconds=3600)
    assert expiry_from_response(NOW, None, soon) == NOW + timedelta(seconds=1200)
    assert expiry_from_response(NOW, "junk", past) == NOW - timedelta(seconds=30)


@pytest.mark.parametrize(
    "claims",
    [
        {"iat": IAT, "exp": float("nan")},
        {"iat": IAT, "exp": 10**30},
        {"iat": IAT, "exp": 10**400},
        {"iat": 10**400, "exp": IAT},
        {"iat": IAT, "exp": "1900000900"},
        {"iat": IAT, "exp": True},
    ],
)
def test_unusable_exp_leaves_expires_in_alone(claims):
    assert expiry_from_response(NOW, 900, claims) == NOW + timedelta(seconds=900)


@pytest.mark.parametrize("iat", [True, "x", float("-inf"), float("nan"), None])
def test_without_a_usable_iat_exp_is_read_by_our_clock(iat):
    claims = {"iat": iat, "exp": int(NOW.timestamp()) + 600}
    assert expiry_from_response(NOW, None, claims) == NOW + timedelta(seconds=600)
    assert expiry_from_response(NOW, 900, claims) == NOW + timedelta(seconds=900)


async def test_a_token_dead_on_arrival_by_our_clock_names_the_clock():
    """No iat and no expires_in: the only reading of exp is by our clock; one far ahead
    must be named. With expires_in, the token is used for what expires_in says."""
    import httpx

    sent = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    body = {
        "access_token": unsigned_jwt({"exp": int(sent.timestamp()) - 7200}),
        "endpoint": "https://api.contentsquare.com",
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with AuthClient(transport=transport, clock=lambda: sent, max_retries=0) as client:
        with pytest.raises(TokenExpiredError) as info:
            await client.fetch_token(PROFILE, Secret(SECRET))
        body["expires_in"] = 3600
        token = await client.fetch_token(PROFILE, Secret(SECRET))
    assert token.expires_at == sent + timedelta(seconds=3600)
    message = str(info.value)
    assert "already expired by this machine's clock" in message
    assert "2.0 h before the request was sent" in message
    assert "check this machine's clock" in message
    assert "eyJ" not in message
