"""[settings] rules and the per-token renewal cap, unit level."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csauth_tui.core.profiles import Settings, from_mapping
from csauth_tui.core.tokens import Token, TokenCache

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def problems(settings: dict, profiles: dict | None = None):
    pf = from_mapping("/p.toml", {"settings": settings, "profiles": profiles or {}})
    return pf, [(p.field, p.severity) for p in pf.problems]


@pytest.mark.parametrize(
    "key, value",
    [
        ("auth_url", "http://evil.example"),
        ("auth_url", 42),
        ("auth_url", "ftp://x"),
        ("renew_before_seconds", -5),
        ("renew_before_seconds", 3600),
        ("renew_before_seconds", 4000),
        ("renew_before_seconds", True),
        ("renew_before_seconds", 1.5),
        ("clipboard_clear_seconds", "x"),
        ("clipboard_clear_seconds", -1),
        ("token_cache", "yes"),
        ("token_cache", 1),
        ("ca_bundle", 3),
    ],
)
def test_every_invalid_setting_is_an_error_that_blocks_use(key, value):
    pf, found = problems({key: value})
    assert found == [(f"settings.{key}", "error")]
    assert [p.field for p in pf.settings_errors()] == [f"settings.{key}"]


def test_valid_settings_and_unknown_keys_are_not_errors():
    pf, found = problems(
        {
            "renew_before_seconds": 0,
            "clipboard_clear_seconds": 0,
            "token_cache": False,
            "auth_url": "http://127.0.0.1:8080",
            "colour": "blue",
        }
    )
    assert found == [("settings.colour", "warning")]
    assert pf.settings_errors() == []
    assert problems({"renew_before_seconds": 3599})[0].settings_errors() == []


def test_settings_that_are_not_a_table_are_an_error():
    pf = from_mapping("/p.toml", {"settings": "yes"})
    assert [p.field for p in pf.settings_errors()] == ["settings"]


def test_a_profiles_own_rejected_auth_url_makes_that_profile_invalid():
    pf, _ = problems(
        {}, {"p": {"client_id": "c", "auth_url": "http://evil.example"}, "q": {"client_id": "d"}}
    )
    assert "p" not in pf.profiles and "q" in pf.profiles
    assert [p.field for p in pf.errors_for("p")] == ["auth_url"]


def token(lifetime: float, issued: datetime = NOW) -> Token:
    return Token(
        "tok.e30.sig",
        "https://api.contentsquare.com",
        issued,
        issued + timedelta(seconds=lifetime),
        "c",
        "https://api.contentsquare.com",
    )


def test_renew_before_is_capped_at_half_a_tokens_lifetime():
    short = token(150)
    assert short.renew_margin(300) == 75
    assert short.fresh_enough(300, NOW)  # used to be stale the moment it arrived
    assert short.fresh_enough(300, NOW + timedelta(seconds=74))
    assert not short.fresh_enough(300, NOW + timedelta(seconds=75))
    hour = token(3600)
    assert hour.renew_margin(300) == 300  # a normal token: the setting as written
    assert not token(-5).fresh_enough(300, NOW)  # dead on arrival stays dead


def test_the_cache_applies_the_same_cap(tmp_path):
    cache = TokenCache(tmp_path / "tokens.json", clock=lambda: NOW + timedelta(seconds=10))
    cache.put(token(150))
    key = token(150).key
    assert cache.get(key, renew_before=Settings().renew_before_seconds) is not None
    assert cache.get(key, 300) is None  # an explicit --min-ttl is taken as asked
