"""The app's live-token registry (plain Python): what the countdown column shows."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from csauth_tui.core.tokens import Token
from csauth_tui.ui.live import LiveTokens

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def token(profile: str, scopes=("metrics",), project=None, minutes=60, issued=NOW) -> Token:
    return Token(
        access_token="t",
        endpoint="https://api.contentsquare.com",
        issued_at=issued,
        expires_at=issued + timedelta(minutes=minutes),
        client_id=f"c-{profile}",
        auth_url="https://api.contentsquare.com",
        scopes=scopes,
        project_id=project,
        profile=profile,
    )


def test_table_state_shows_the_current_choice_and_counts_the_others():
    live = LiveTokens()
    assert live.table_state("a", None, NOW) == "--"
    first = live.put(token("a", minutes=30))
    second = live.put(
        token("a", scopes=("data-export",), minutes=50, issued=NOW + timedelta(seconds=1))
    )
    assert live.table_state("a", first.token.key, NOW) == "30:00 +1"
    assert live.table_state("a", second.token.key, NOW) == "50:01 +1"
    assert live.table_state("a", "no-such-key", NOW) == "50:01 +1"  # newest when unknown
    assert live.table_state("a", first.token.key, NOW + timedelta(minutes=31)) == "expired +1"
    assert live.profiles() == {"a"}


def test_a_token_moving_to_another_profile_and_drops_keep_the_index_right():
    live = LiveTokens()
    shared = token("a")
    live.put(shared)
    live.put(dataclasses.replace(shared, profile="b"))  # same key, now shown for b
    assert live.for_profile("a") == [] and len(live.for_profile("b")) == 1
    assert live.profiles() == {"b"}
    live.put(token("c"))
    live.drop_profile("b")
    assert live.get(shared.key) is None and live.profiles() == {"c"}
    assert live.table_state("b", None, NOW) == "--"


def test_auto_renew_survives_a_replacement():
    live = LiveTokens()
    first = live.put(token("a"))
    first.auto_renew = True
    again = live.put(token("a", issued=NOW + timedelta(minutes=55)))
    assert again.auto_renew is True
