"""The tokens the app holds right now, and what each profile has asked for.

Plain Python (no Textual): the app's one timer reads this to update countdowns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core.tokens import Token, format_remaining

NET = "net"  # the app's worker group of everything that talks to Contentsquare
WARN_SECONDS = 10 * 60
CRITICAL_SECONDS = 2 * 60
# Auto-renew: never two renewals of one request closer than RENEW_GAP; after a failure (or
# a new token already due for renewal) the next try waits RENEW_BACKOFF, doubling per
# failure up to RENEW_BACKOFF_CAP.
RENEW_GAP = 10.0
RENEW_BACKOFF = 15.0
RENEW_BACKOFF_CAP = 300.0


@dataclass
class LiveToken:
    token: Token
    auto_renew: bool = False
    renewing: bool = False
    probe: str = ""  # last "test token" result, worded
    retry_at: datetime | None = None  # auto-renew waits until then
    failures: int = 0  # auto-renewals in a row that failed

    def due_for_renewal(self, renew_before: float, now: datetime) -> bool:
        """Auto-renew is on, nothing under way, the token is no longer fresh enough (the
        setting capped by its lifetime: Token.fresh_enough) and no back-off is running."""
        return (
            self.auto_renew
            and not self.renewing
            and not self.token.fresh_enough(renew_before, now)
            and (self.retry_at is None or now >= self.retry_at)
        )

    def renewed(self, now: datetime) -> None:
        self.renewing, self.failures = False, 0
        self.retry_at = now + timedelta(seconds=RENEW_GAP)

    def renewal_failed(self, now: datetime) -> float:
        """Back off: the seconds until the next try."""
        self.renewing = False
        self.failures += 1
        delay = min(RENEW_BACKOFF_CAP, RENEW_BACKOFF * 2 ** (self.failures - 1))
        self.retry_at = now + timedelta(seconds=delay)
        return delay

    def state(self, now: datetime) -> str:
        return format_remaining(self.token.seconds_left(now))

    def urgency(self, now: datetime) -> str:
        """'ok', 'warn' (< 10 min), 'critical' (< 2 min) or 'expired'."""
        left = self.token.seconds_left(now)
        if left <= 0:
            return "expired"
        if left < CRITICAL_SECONDS:
            return "critical"
        if left < WARN_SECONDS:
            return "warn"
        return "ok"


@dataclass
class RequestChoice:
    """What the user picked for one profile: scopes and target project."""

    scopes: tuple[str, ...]
    project_id: int | None


@dataclass
class LiveTokens:
    by_key: dict[str, LiveToken] = field(default_factory=dict)
    # profile name -> its tokens by key: the timer asks per profile every second
    _by_profile: dict[str | None, dict[str, LiveToken]] = field(default_factory=dict)

    def put(self, token: Token) -> LiveToken:
        """Hold `token`; a token replacing one for the same request keeps its auto-renew."""
        previous = self.by_key.get(token.key)
        live = LiveToken(token)
        if previous is not None:  # auto-renew and its back-off belong to the request
            live.auto_renew = previous.auto_renew
            live.retry_at, live.failures = previous.retry_at, previous.failures
        if previous is not None:
            self._by_profile.get(previous.token.profile, {}).pop(token.key, None)
        self.by_key[token.key] = live
        self._by_profile.setdefault(token.profile, {})[token.key] = live
        return live

    def get(self, key: str) -> LiveToken | None:
        return self.by_key.get(key)

    def profiles(self) -> set[str | None]:
        return {name for name, tokens in self._by_profile.items() if tokens}

    def for_profile(self, name: str) -> list[LiveToken]:
        return list(self._by_profile.get(name, {}).values())

    def drop_profile(self, name: str) -> None:
        for key in self._by_profile.pop(name, {}):
            self.by_key.pop(key, None)

    def table_state(self, name: str, preferred_key: str | None, now: datetime) -> str:
        """What the profile table shows: the token for the current choice, else the newest;
        '+N' when the profile holds more tokens than that."""
        tokens = self.for_profile(name)
        if not tokens:
            return "--"
        shown = self.by_key.get(preferred_key) if preferred_key else None
        if shown is None or shown.token.profile != name:
            shown = max(tokens, key=lambda live: live.token.issued_at)
        text = "renewing" if shown.renewing else shown.state(now)
        return f"{text} +{len(tokens) - 1}" if len(tokens) > 1 else text
