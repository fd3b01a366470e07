"""The app's session (ui/session.py) without Pilot: load, choices, requests, the file
watch, token fetches against the fake API over loopback (a real AuthClient), auto-renew
decisions and the wording of errors."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from csauth_tui.core.errors import (
    InvalidCredentialsError,
    NetworkError,
    RuleError,
    SecretError,
)
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from csauth_tui.ui.session import Session
from csauth_tui.ui.wording import describe_error

SECRET = "sentinel-session-secret-51c0ae"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def profiles(url: str, extra: str = "") -> str:
    return f"""[settings]
auth_url = "{url}"
token_cache = false
{extra}
[profiles.prod]
level = "project"
client_id = "session-client-0001"
scopes = ["metrics"]
project_id = 1001
secret = "env:CS_SESSION_SECRET"

[profiles.agency]
level = "account"
client_id = "session-client-0002"
scopes = ["metrics"]
secret = "env:CS_SESSION_SECRET"
"""


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("CS_SESSION_SECRET", SECRET)
    credentials = (
        FakeCredential("session-client-0001", SECRET, project_ids=(1001,)),
        FakeCredential("session-client-0002", SECRET, level="account", project_ids=(1001, 1002)),
    )
    with FakeContentsquare(credentials) as server:
        yield server


@pytest.fixture
def session(tmp_path, fake):
    config = tmp_path / "profiles.toml"
    config.write_text(profiles(fake.url))
    built = Session(config, clock=Clock(), cache=False)
    built.load()
    return built


def test_load_reads_profiles_and_settings(session, fake):
    assert session.pf.order == ["prod", "agency"]
    assert session.settings.auth_url == fake.url
    assert session.load_error is None


def test_a_file_broken_after_a_good_load_keeps_the_last_good_profiles(session):
    session.config_path.write_text("[profiles.prod\nlevel = 1\n")
    session.load()
    assert session.pf.order == ["prod", "agency"]  # the last good table stays
    assert f"{session.config_path}:1:" in session.load_error
    session.config_path.write_text(profiles("http://127.0.0.1:1"))
    session.load()
    assert session.load_error is None and session.settings.auth_url == "http://127.0.0.1:1"


def test_a_file_broken_from_the_start_shows_no_profiles(tmp_path):
    config = tmp_path / "profiles.toml"
    config.write_text("[profiles.prod\n")
    session = Session(config, cache=False)
    session.load()
    assert session.pf.order == [] and session.load_error


def test_choices_start_from_the_profile_and_follow_the_user(session):
    prod = session.pf.profiles["prod"]
    assert session.choice(prod).scopes == ("metrics",)
    assert session.choice(prod).project_id == 1001
    session.choose("prod", ("metrics", "data-export"), None)
    assert set(session.request_for(prod).scopes) == {"metrics", "data-export"}


def test_request_for_an_account_profile_without_project_says_what_to_do(session):
    agency = session.pf.profiles["agency"]
    with pytest.raises(RuleError, match="account-level credential.*p focuses it"):
        session.request_for(agency)
    session.choose("agency", ("metrics",), 1002)
    assert session.request_for(agency).project_id == 1002


def test_current_key_is_worked_out_once_per_choice(session, monkeypatch):
    prod = session.pf.profiles["prod"]
    calls = []
    real = session.request_for
    monkeypatch.setattr(session, "request_for", lambda p: calls.append(p.name) or real(p))
    first = session.current_key(prod)
    assert session.current_key(prod) == first and calls == ["prod"]  # cached
    session.choose("prod", ("data-export",), 1001)
    assert session.current_key(prod) != first and calls == ["prod", "prod"]  # worked out again


def test_the_file_watch_tells_outside_edits_from_our_own(session):
    assert not session.file_changed()
    text = session.config_path.read_text()
    session.config_path.write_text(text + "\n# edited elsewhere\n")
    os.utime(session.config_path, ns=(1, 1))  # a different signature, whatever the clock
    assert session.file_changed()
    assert not session.file_changed()  # said once


async def test_our_own_writes_are_not_news(session):
    async with session.writing() as store:
        store.update("prod", {"description": "written by the app"})
        assert not session.file_changed()  # in flight: not someone else's edit
    assert not session.file_changed()


async def test_fetch_gets_a_token_from_the_fake_api(session, fake):
    prod = session.pf.profiles["prod"]
    request = session.request_for(prod)
    fetched = await session.fetch(prod, request.scopes, request.project_id)
    try:
        assert fetched.error is None and fetched.live is not None
        assert fetched.live.token.profile == "prod"
        assert session.live_for(prod) is fetched.live
        assert [r.path for r in fake.requests] == ["/v1/oauth/token"]
        assert session.table_states(["prod"])["prod"] == "1:00:00"  # the countdown column
    finally:
        await session.close()


async def test_fetch_with_a_wrong_secret_returns_the_error_never_raises(session, monkeypatch):
    monkeypatch.setenv("CS_SESSION_SECRET", "not-the-secret")
    prod = session.pf.profiles["prod"]
    fetched = await session.fetch(prod, ("metrics",), 1001)
    await session.close()
    assert fetched.live is None and isinstance(fetched.error, InvalidCredentialsError)
    assert describe_error(fetched.error)[0] == "Credentials rejected"


async def test_auto_renew_backs_off_after_a_failure(session, monkeypatch):
    prod = session.pf.profiles["prod"]
    fetched = await session.fetch(prod, ("metrics",), 1001)
    live = fetched.live
    live.auto_renew = True
    assert session.renewals_due(session.clock()) == []  # fresh: nothing to do
    session.clock.now = NOW + timedelta(seconds=3600 - 100)  # in the renewal window
    assert session.renewals_due(session.clock()) == [live] and live.renewing
    assert session.renewals_due(session.clock()) == []  # under way: not twice
    monkeypatch.setenv("CS_SESSION_SECRET", "revoked")
    failed = await session.fetch(prod, ("metrics",), 1001, force=True, auto=True)
    await session.close()
    assert failed.note == " (auto-renew tries again in 15 s)"
    assert session.renewals_due(session.clock()) == []  # backing off
    session.clock.now += timedelta(seconds=16)
    assert session.renewals_due(session.clock()) == [live]


async def test_nothing_is_sent_while_settings_are_wrong(tmp_path, fake):
    config = tmp_path / "profiles.toml"
    config.write_text(
        profiles(fake.url).replace(f'auth_url = "{fake.url}"', 'auth_url = "http://evil.example"')
    )
    session = Session(config, cache=False)
    session.load()
    fetched = await session.fetch(session.pf.profiles["prod"], ("metrics",), 1001)
    assert "[settings] is invalid" in str(fetched.error)
    assert fake.requests == []
    assert session.renewals_due(NOW) == []


def test_errors_carry_their_own_title_and_the_apps_hints():
    assert describe_error(NetworkError("connection refused")) == (
        "Network problem",
        "connection refused",
    )
    title, message = describe_error(
        SecretError("no secret for prod", hint="store it with `csauth add prod ...`")
    )
    assert title == "Secret not found" and "csauth" not in message
    assert "press e" in message
    assert describe_error(ValueError("x"))[0] == "Error"


def test_the_session_repr_shows_no_secret(session):
    session.copy(SECRET)
    assert SECRET not in repr(session) and SECRET not in str(session)
