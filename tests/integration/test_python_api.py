"""The Python API (`from csauth_tui import ContentsquareAuth, client, async_client`) against
the fake API over real loopback HTTP: tokens renewed through several lifetimes, JWT_EXPIRED
answered by a renewal and one retry, 429 waited out, at most 10 requests in flight."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from csauth_tui.core.errors import RuleError, UnknownProfileError, UntrustedEndpointError
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential

API_SECRET = "sentinel-python-api-secret-42c1e9"
ACCOUNT_SECRET = "sentinel-python-api-account-77d0aa"
SEGMENTS = "/v1/segments"
TOKEN = "/v1/oauth/token"


def profiles(url: str, renew_before: int) -> str:
    return f"""[settings]
auth_url = "{url}"
renew_before_seconds = {renew_before}

[profiles.prod-metrics]
level = "project"
client_id = "py-client"
scopes = ["metrics"]
secret = "env:CS_PY_API_SECRET"

[profiles.agency]
level = "account"
client_id = "py-account"
scopes = ["metrics"]
secret = "env:CS_PY_ACCOUNT_SECRET"
"""


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("CS_PY_API_SECRET", API_SECRET)
    monkeypatch.setenv("CS_PY_ACCOUNT_SECRET", ACCOUNT_SECRET)
    creds = [
        FakeCredential("py-client", API_SECRET, project_ids=(1001,)),
        FakeCredential("py-account", ACCOUNT_SECRET, level="account", project_ids=(1001, 1002)),
    ]
    with FakeContentsquare(creds) as server:
        write_profiles(server, renew_before=300)
        yield server


def write_profiles(fake: FakeContentsquare, renew_before: int, path: Path | None = None) -> Path:
    path = path or Path(os.environ["CSAUTH_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profiles(fake.url, renew_before))
    return path


def data_requests(fake: FakeContentsquare) -> list:
    return [r for r in fake.requests if r.path == SEGMENTS]


def token_requests(fake: FakeContentsquare) -> list:
    return [r for r in fake.requests if r.path == TOKEN]


def short_lives(fake: FakeContentsquare, *, renew_before: int, clock_ahead: float) -> None:
    """Tokens of 2 s; `clock_ahead`: the fake's clock runs ahead, so it says JWT_EXPIRED
    while the client still counts the token as live (what clock skew does)."""
    fake.token_lifetime = 2
    fake.latency = 0.1
    fake.clock_ahead = clock_ahead
    write_profiles(fake, renew_before=renew_before)


def assert_lived_through_renewals(
    fake: FakeContentsquare, statuses: list[int], *, in_flight: bool = True
) -> None:
    """Every answer the caller saw was a success, across at least three tokens, at most 10
    requests in flight at the API; `in_flight`: each renewal after the first token happened
    while other requests were in flight (renewals ahead of expiry do not stop the traffic)."""
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    served = [r for r in data_requests(fake) if r.status == 200]
    assert len({r.token_id for r in served}) >= 3
    fetches = [r for r in token_requests(fake) if r.status == 200]
    assert len(fetches) >= 3
    for fetch in fetches[1:] if in_flight else ():
        assert any(r.time < fetch.time < r.time + r.duration for r in data_requests(fake)), (
            "no request was in flight across a renewal"
        )
    assert max(fake.max_in_flight.values()) <= 10


# --- the package stays light -----------------------------------------------------------


def test_importing_the_package_does_not_load_httpx():
    code = (
        "import sys, csauth_tui\n"
        "assert 'httpx' not in sys.modules and 'csauth_tui.auth' not in sys.modules\n"
        "from csauth_tui import ContentsquareAuth, client, async_client\n"
        "import httpx\n"
        "assert issubclass(ContentsquareAuth, httpx.Auth)\n"
        "assert callable(client) and callable(async_client)\n"
        "assert {'ContentsquareAuth', 'client', 'async_client'} <= set(dir(csauth_tui))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- tokens through several lifetimes ---------------------------------------------------


def hammer(
    open_client: Callable[[], AbstractContextManager[httpx.Client]],
    path: str,
    seconds: float,
    workers: int,
) -> list[int]:
    """`workers` threads GET `path` for `seconds`, each through the client `open_client`
    gives it (a shared one, or one of its own); every status they saw."""
    statuses: list[int] = []
    stop = time.monotonic() + seconds

    def work() -> None:
        with open_client() as http:
            while time.monotonic() < stop:
                statuses.append(http.get(path).status_code)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize(
    "renew_before, clock_ahead",
    [(1, 0.0), (0, 1.5)],
    ids=["renewed-before-expiry", "expired-at-the-api"],
)
def test_client_lives_through_three_token_lifetimes(fake, renew_before, clock_ahead):
    """12 threads on one client for three 2 s token lifetimes: every answer is a 200.
    Renewed ahead of expiry (renew_before_seconds), or, when the API's clock runs ahead,
    renewed on its JWT_EXPIRED answer and the request sent once more."""
    from csauth_tui import client

    short_lives(fake, renew_before=renew_before, clock_ahead=clock_ahead)
    with client("prod-metrics") as http:
        assert str(http.base_url).rstrip("/") == fake.url
        statuses = hammer(lambda: contextlib.nullcontext(http), SEGMENTS, 6.5, 12)
    assert_lived_through_renewals(fake, statuses, in_flight=not clock_ahead)
    expired = [r for r in data_requests(fake) if r.status == 401]
    if clock_ahead:
        assert expired, "the API never said JWT_EXPIRED: the retry path was not exercised"
    else:
        assert expired == []  # renewed before the API would refuse


async def test_async_client_lives_through_three_token_lifetimes(fake):
    from csauth_tui import async_client

    short_lives(fake, renew_before=1, clock_ahead=0.0)
    statuses: list[int] = []
    stop = time.monotonic() + 6.5

    async with async_client("prod-metrics") as http:

        async def work() -> None:
            while time.monotonic() < stop:
                statuses.append((await http.get(SEGMENTS)).status_code)

        await asyncio.gather(*(work() for _ in range(12)))
    assert_lived_through_renewals(fake, statuses)


def test_jwt_expired_is_retried_once_only(fake):
    """An API that refuses every token: one renewal, one retry, then its 401 is the answer."""
    from csauth_tui import client

    with client("prod-metrics") as http:
        fake.clock_ahead = 10**6
        before = len(token_requests(fake))
        response = http.get(SEGMENTS)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "JWT_EXPIRED"
    assert len(data_requests(fake)) == 2
    assert len(token_requests(fake)) == before + 1


# --- the per-project limit and rate limiting --------------------------------------------


def test_thirty_threads_never_have_more_than_ten_requests_in_flight(fake):
    from csauth_tui import client

    fake.latency = 0.3
    fake.max_concurrent_per_project = 1000  # count every request in flight, refuse none
    with client("prod-metrics") as http:
        barrier = threading.Barrier(30)
        statuses: list[int] = []

        def one() -> None:
            barrier.wait()
            statuses.append(http.get(SEGMENTS).status_code)

        threads = [threading.Thread(target=one) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 30  # none refused with CONCURRENT_API_CALL
    assert fake.max_in_flight[1001] == 10


async def test_thirty_tasks_never_have_more_than_ten_requests_in_flight(fake):
    from csauth_tui import async_client

    fake.latency = 0.3
    fake.max_concurrent_per_project = 1000  # count every request in flight, refuse none
    async with async_client("agency", project_id=1002) as http:
        answers = await asyncio.gather(
            *(http.get(SEGMENTS, params={"projectId": "1002"}) for _ in range(30))
        )
    assert [a.status_code for a in answers] == [200] * 30
    assert fake.max_in_flight[1002] == 10


def test_concurrent_api_call_is_waited_out(fake):
    from csauth_tui import client

    fake.inject("concurrent", path=SEGMENTS, times=2, retry_after=0.2)
    with client("prod-metrics") as http:
        started = time.monotonic()
        response = http.get(SEGMENTS)
        took = time.monotonic() - started
    assert response.status_code == 200
    assert [r.status for r in data_requests(fake)] == [429, 429, 200]
    assert took >= 0.4  # it waited as Retry-After said


def test_rate_limit_retries_are_bounded(fake):
    from csauth_tui import ContentsquareAuth

    fake.inject("429", path=SEGMENTS, times=None)
    auth = ContentsquareAuth("prod-metrics", max_rate_retries=2)
    with httpx.Client(base_url=fake.url, auth=auth) as http:
        response = http.get(SEGMENTS)
    assert response.status_code == 429
    assert len(data_requests(fake)) == 3  # the first try and two retries


# --- where the token goes ----------------------------------------------------------------


def test_the_token_is_never_sent_to_another_host(fake):
    """A URL off the token's endpoint (another port here) is refused before anything is
    sent: the other server sees nothing."""
    from csauth_tui import client

    with FakeContentsquare([]) as other, client("prod-metrics") as http:
        with pytest.raises(UntrustedEndpointError, match="refusing to send the token"):
            http.get(f"{other.url}{SEGMENTS}")
        assert other.requests == []
        assert http.get(SEGMENTS).status_code == 200  # the client still works


# --- the same files as the CLI -----------------------------------------------------------


def test_tokens_are_shared_with_the_cli_cache(fake):
    from csauth_tui import ContentsquareAuth, client

    with client("prod-metrics") as http:
        assert http.get(SEGMENTS).status_code == 200
    cached = TokenCache(Path(os.environ["CSAUTH_CACHE_DIR"]) / "tokens.json").all()
    assert [t.client_id for t in cached] == ["py-client"]
    # a second process (here: a second auth) takes it from the cache, fetching nothing
    assert ContentsquareAuth("prod-metrics").token().access_token == cached[0].access_token
    assert len(token_requests(fake)) == 1


def test_config_argument_wins_over_the_environment(fake, tmp_path, monkeypatch):
    from csauth_tui import client

    elsewhere = write_profiles(fake, 300, tmp_path / "elsewhere" / "team.toml")
    monkeypatch.setenv("CSAUTH_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(UnknownProfileError, match="missing.toml"):
        client("prod-metrics")
    with client("prod-metrics", config=elsewhere, timeout=5) as http:
        assert http.get(SEGMENTS).status_code == 200
        assert http.timeout.read == 5  # the httpx keyword arguments were passed on


def test_rules_are_checked_when_built(fake):
    from csauth_tui import ContentsquareAuth

    with pytest.raises(RuleError, match="account-level"):
        ContentsquareAuth("agency")
    assert token_requests(fake) == []


def test_a_wrong_setting_is_an_error_not_a_default(fake):
    """auth_url that is not allowed (plain http off loopback): refused, never replaced by
    the default host (which would then get the secret)."""
    from csauth_tui import ContentsquareAuth
    from csauth_tui.core.errors import ConfigError

    path = Path(os.environ["CSAUTH_CONFIG"])
    path.write_text(
        path.read_text().replace(f'auth_url = "{fake.url}"', 'auth_url = "http://auth.example.com"')
    )
    with pytest.raises(ConfigError, match="settings.auth_url"):
        ContentsquareAuth("prod-metrics")


PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture
def spy_proxy(monkeypatch):
    """An HTTP proxy from the environment that records what it is sent (it would see the
    bearer token of a plain-http request)."""
    with FakeContentsquare([]) as spy:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, spy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield spy


async def test_a_proxy_from_the_environment_never_sees_a_loopback_endpoint(fake, spy_proxy):
    from csauth_tui import async_client, client

    with client("prod-metrics") as http:
        assert http.get(SEGMENTS).status_code == 200
    async with async_client("prod-metrics") as http:
        assert (await http.get(SEGMENTS)).status_code == 200
    assert spy_proxy.requests == []
