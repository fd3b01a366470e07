"""What a token request asks for, checked against the rules before anything is sent.

Standard library only: the CLI's cached-token path uses it to compute the cache key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import scopes as scope_rules
from .errors import RuleError
from .profiles import Profile, Settings, field_problem
from .tokens import cache_key

PROJECT_ID_HINT = "pass --project-id N, or set project_id in the profile"


@dataclass(frozen=True)
class TokenRequest:
    profile: Profile
    auth_url: str
    scopes: tuple[str, ...]
    project_id: int | None

    @property
    def cache_key(self) -> str:
        return cache_key(self.auth_url, self.profile.client_id, self.scopes, self.project_id)


def plan(
    profile: Profile,
    settings: Settings,
    scopes: Iterable[str] | None = None,
    project_id: int | None = None,
) -> TokenRequest:
    """The request for `profile` with optional overrides, or RuleError saying what to fix."""
    chosen = profile.scopes if scopes is None else scope_rules.normalize(scopes)
    chosen = scope_rules.check(chosen)
    target = project_id if project_id is not None else profile.project_id
    problem = field_problem("project_id", target)
    if problem:
        raise RuleError(problem)
    if profile.is_account and target is None:
        raise RuleError(
            f"profile '{profile.name}' is an account-level credential: a token must target "
            "one project",
            hint=PROJECT_ID_HINT,
        )
    return TokenRequest(profile, profile.effective_auth_url(settings), chosen, target)
