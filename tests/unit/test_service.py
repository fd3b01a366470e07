"""TokenService: cache first, then secret + API, then cache again; rules before secrets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csauth_tui.core.errors import RuleError, UntrustedEndpointError
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.core.service import TokenService, untrusted_error
from csauth_tui.core.tokens import Token, TokenCache

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SETTINGS = Settings(auth_url="https://api.contentsquare.com", renew_before_seconds=300)
TRUSTED = "https://api.eu-west-1.production.contentsquare.com"
SECRET_VALUE = "SECRET-sentinel-31c0a2"


class FakeClient:
    """Stands in for AuthClient: counts calls, issues numbered tokens."""

    def __init__(
        self, lifetime: float = 3600, endpoint: str = TRUSTED, trusted: bool = True
    ) -> None:
        self.calls: list[dict] = []
        self.lifetime = lifetime
        self.endpoint = endpoint
        self.trusted = trusted

    async def fetch_token(self, profile, secret, *, scopes=None, project_id=None) -> Token:
        self.calls.append(
            {"profile": profile.name, "secret": secret, "scopes": scopes, "project_id": project_id}
        )
        return Token(
            access_token=f"TOKEN.sig.{len(self.calls)}",  # JWT-shaped: all the cache keeps
            endpoint=self.endpoint,
            issued_at=NOW,
            expires_at=NOW + timedelta(seconds=self.lifetime),
            client_id=profile.client_id,
            auth_url=profile.effective_auth_url(SETTINGS),
            scopes=tuple(scopes),
            project_id=project_id,
            profile=profile.name,
            trusted=self.trusted,
        )


class FakeResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, profile: Profile) -> Secret:
        self.calls.append(profile.name)
        return Secret(SECRET_VALUE)


PROFILE = Profile(
    name="prod", client_id="cid-1", scopes=("metrics",), project_id=1001, secret="env:UNUSED"
)


@pytest.fixture
def cache(tmp_path) -> TokenCache:
    return TokenCache(tmp_path / "cache" / "tokens.json", clock=lambda: NOW)


def service(cache, client, resolver, settings=SETTINGS) -> TokenService:
    return TokenService(settings, client, cache=cache, resolve_secret=resolver)


async def test_first_call_fetches_with_the_resolved_secret_and_caches(cache):
    client, resolver = FakeClient(), FakeResolver()
    token = await service(cache, client, resolver).token(PROFILE)
    assert token.access_token == "TOKEN.sig.1"
    assert resolver.calls == ["prod"]
    assert client.calls[0]["secret"] == Secret(SECRET_VALUE)
    assert client.calls[0]["scopes"] == ("metrics",)
    assert client.calls[0]["project_id"] == 1001
    assert cache.get(token.key) == token


async def test_a_cache_hit_skips_the_secret_and_the_client(cache):
    client, resolver = FakeClient(), FakeResolver()
    svc = service(cache, client, resolver)
    first = await svc.token(PROFILE)
    second = await svc.token(PROFILE)
    assert second == first
    assert len(client.calls) == 1
    assert resolver.calls == ["prod"]


async def test_a_token_cached_by_another_process_is_used(cache):
    client, resolver = FakeClient(), FakeResolver()
    await service(cache, client, resolver).token(PROFILE)
    other = FakeClient()
    again = await service(TokenCache(cache.path, clock=lambda: NOW), other, resolver).token(PROFILE)
    assert again.access_token == "TOKEN.sig.1"
    assert other.calls == []


async def test_other_scopes_or_project_are_a_cache_miss(cache):
    client, resolver = FakeClient(), FakeResolver()
    svc = service(cache, client, resolver)
    await svc.token(PROFILE)
    await svc.token(PROFILE, ["data-export"])
    await svc.token(PROFILE, project_id=1002)
    assert len(client.calls) == 3


async def test_force_bypasses_the_cache_and_replaces_the_cached_token(cache):
    client, resolver = FakeClient(), FakeResolver()
    svc = service(cache, client, resolver)
    await svc.token(PROFILE)
    renewed = await svc.token(PROFILE, force=True)
    assert renewed.access_token == "TOKEN.sig.2"
    assert len(client.calls) == 2 and len(resolver.calls) == 2
    assert (await svc.token(PROFILE)).access_token == "TOKEN.sig.2"
    assert len(client.calls) == 2


async def test_min_ttl_decides_whether_a_cached_token_is_good_enough(cache):
    client, resolver = FakeClient(lifetime=200), FakeResolver()  # 200 s left at NOW
    svc = service(cache, client, resolver)
    await svc.token(PROFILE, min_ttl=0)
    assert (await svc.token(PROFILE, min_ttl=100)).access_token == "TOKEN.sig.1"
    assert (await svc.token(PROFILE, min_ttl=300)).access_token == "TOKEN.sig.2"
    # the default is renew_before_seconds (300), capped at half the token's lifetime (a
    # 200 s token is renewed with 100 s left): a fresh 200 s token is good enough, where
    # the uncapped setting would have called every such token stale at once
    assert (await svc.token(PROFILE)).access_token == "TOKEN.sig.2"


async def test_token_cache_false_never_uses_the_cache(cache):
    client, resolver = FakeClient(), FakeResolver()
    settings = Settings(auth_url=SETTINGS.auth_url, token_cache=False)
    svc = service(cache, client, resolver, settings=settings)
    await svc.token(PROFILE)
    await svc.token(PROFILE)
    assert len(client.calls) == 2
    assert not cache.path.exists()
    assert svc.cached(svc.plan(PROFILE)) is None


async def test_an_untrusted_token_is_returned_but_never_cached(cache):
    client = FakeClient(endpoint="https://api.evil.example.net", trusted=False)
    svc = service(cache, client, FakeResolver())
    token = await svc.token(PROFILE)
    assert token.trusted is False
    await svc.token(PROFILE)
    assert len(client.calls) == 2
    assert cache.all() == []


async def test_a_slow_secret_source_does_not_freeze_the_event_loop(cache):
    """The keyring or a `cmd:` password manager may take seconds: the app must keep
    drawing meanwhile, so the resolver runs off the event loop."""
    import asyncio
    import threading

    loop_ran = threading.Event()

    def slow_resolver(profile: Profile) -> Secret:
        if not loop_ran.wait(timeout=10):  # generous: only a frozen loop gets here
            raise AssertionError("the event loop was blocked while resolving the secret")
        return Secret(SECRET_VALUE)

    async def meanwhile() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    client = FakeClient()
    svc = service(cache, client, slow_resolver)
    token, _ = await asyncio.gather(svc.token(PROFILE), meanwhile())
    assert token.access_token == "TOKEN.sig.1"


async def test_an_already_resolved_secret_is_used_without_resolving_again(cache):
    client, resolver = FakeClient(), FakeResolver()
    given = Secret("given-secret-value")
    await service(cache, client, resolver).token(PROFILE, secret=given)
    assert resolver.calls == []
    assert client.calls[0]["secret"] == given


@pytest.mark.parametrize(
    "profile, kw",
    [
        (Profile(name="acct", client_id="c", level="account"), {}),
        (PROFILE, {"scopes": ["enrichment", "metrics"]}),
        (PROFILE, {"scopes": []}),
        (PROFILE, {"project_id": 0}),
    ],
)
async def test_a_rule_error_comes_before_the_secret_is_resolved(cache, profile, kw):
    client, resolver = FakeClient(), FakeResolver()
    with pytest.raises(RuleError):
        await service(cache, client, resolver).token(profile, **kw)
    assert resolver.calls == []
    assert client.calls == []


async def test_a_rule_error_comes_before_the_cache_is_read(cache, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("cache read before the rules were checked")

    monkeypatch.setattr(cache, "get", boom)
    with pytest.raises(RuleError):
        await service(cache, FakeClient(), FakeResolver()).token(
            Profile(name="acct", client_id="c", level="account")
        )


# --- untrusted_error ----------------------------------------------------------------------


def _token(endpoint: str, access: str = "eyJsecret.eyJtoken.sig") -> Token:
    return Token(
        access_token=access,
        endpoint=endpoint,
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        client_id="cid-1",
        auth_url=SETTINGS.auth_url,
        trusted=False,
    )


@pytest.mark.parametrize(
    "endpoint, host",
    [
        ("https://evil.example.net/v1", "evil.example.net"),
        ("http://api.contentsquare.com", "api.contentsquare.com"),
        ("https://user:pw@evil.example.net/eyJsecret.eyJtoken.sig?t=eyJsecret", "evil.example.net"),
    ],
    ids=["foreign-host", "http-not-https", "userinfo-path-and-query"],
)
def test_untrusted_error_names_the_host_and_never_the_token(endpoint, host):
    error = untrusted_error(_token(endpoint))
    assert isinstance(error, UntrustedEndpointError)
    text = str(error)
    assert host in text
    assert "not used" in text
    assert "eyJsecret" not in text and "eyJtoken" not in text
    assert "user:pw" not in text


@pytest.mark.parametrize(
    "endpoint",
    [
        "eyJsecret.eyJtoken.sig",
        "/relative/eyJsecret.eyJtoken.sig",
        "Bearer eyJsecret.eyJtoken.sig",
        "https://[eyJsecret.eyJtoken.sig",
    ],
    ids=["bare-token", "relative-path", "bearer-header", "broken-ipv6"],
)
def test_untrusted_error_on_an_endpoint_without_host_does_not_quote_it(endpoint):
    error = untrusted_error(_token(endpoint))
    assert isinstance(error, UntrustedEndpointError)
    assert "unparsable" in str(error)
    assert "eyJsecret" not in str(error) and "eyJtoken" not in str(error)
