"""Getting a token for a profile: cache first, then secret + API, then cache again.

The one path the CLI and the app share, so both renew, cache and refuse alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .errors import UntrustedEndpointError
from .profiles import Profile, Settings
from .redact import Secret
from .request import TokenRequest, plan
from .tokens import Token, TokenCache

if TYPE_CHECKING:
    from .api import AuthClient


def untrusted_error(token: Token) -> UntrustedEndpointError:
    from .urls import host_of

    host = host_of(token.endpoint)  # never the raw endpoint: it may carry the token
    return UntrustedEndpointError(
        f"the token endpoint returned an API URL on an untrusted host ({host}); "
        "the token was not used",
        hint="expected https on contentsquare.com; check auth_url and any proxy in between",
    )


class TokenService:
    def __init__(
        self,
        settings: Settings,
        client: AuthClient,
        *,
        cache: TokenCache | None = None,
        resolve_secret: Callable[[Profile], Secret] | None = None,
    ) -> None:
        if resolve_secret is None:
            from .secrets import resolve_secret as default_resolver

            resolve_secret = default_resolver
        self.settings = settings
        self.client = client
        self.cache = cache if settings.token_cache else None
        self.resolve_secret = resolve_secret

    def plan(
        self, profile: Profile, scopes: Iterable[str] | None = None, project_id: int | None = None
    ) -> TokenRequest:
        return plan(profile, self.settings, scopes, project_id)

    def cached(self, request: TokenRequest, min_ttl: float | None = None) -> Token | None:
        if self.cache is None:
            return None
        if min_ttl is None:  # the setting, capped per token (Token.fresh_enough)
            return self.cache.get(
                request.cache_key, renew_before=self.settings.renew_before_seconds
            )
        return self.cache.get(request.cache_key, min_ttl)

    async def token(
        self,
        profile: Profile,
        scopes: Iterable[str] | None = None,
        project_id: int | None = None,
        *,
        min_ttl: float | None = None,
        force: bool = False,
        secret: Secret | None = None,
    ) -> Token:
        """A token with more than `min_ttl` seconds left (default: one that is
        `fresh_enough` for renew_before_seconds).

        `secret`: one the caller already resolved (so a `cmd:` prompt runs once); else it
        is resolved here, in a worker thread (the keyring or a command can block seconds).
        """
        request = self.plan(profile, scopes, project_id)
        if not force:
            hit = self.cached(request, min_ttl)
            if hit is not None:
                return hit
        if secret is None:
            import asyncio  # here: the CLI's sync path imports this module, not asyncio

            secret = await asyncio.to_thread(self.resolve_secret, profile)
        token = await self.client.fetch_token(
            profile, secret, scopes=request.scopes, project_id=request.project_id
        )
        remember(self.cache, token)
        return token


def remember(cache: TokenCache | None, token: Token) -> None:
    """Cache a freshly fetched token: only one that may be used (trusted endpoint), and
    only when there is a cache. The CLI's sync fetch calls this too."""
    if cache is not None and token.trusted:
        cache.put(token)
