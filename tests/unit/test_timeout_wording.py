"""A timeout message states the time actually waited: "timed out after 15 s" used to come
after 30 s (the read was retried once). Real HTTP to the fake API on loopback."""

from __future__ import annotations

import re
import time

import pytest

from csauth_tui.core.errors import NetworkError
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.core.sync_client import SyncAuthClient
from csauth_tui.fake.server import FakeContentsquare, FakeCredential

SECRET = "timeout-wording-sentinel-secret-77e1"


@pytest.fixture
def slow_fake():
    with FakeContentsquare([FakeCredential("c-slow", SECRET)]) as fake:
        fake.inject("slow", path="/v1/oauth/token", times=None, delay=3)
        yield fake


def test_a_retried_timeout_says_each_limit_and_the_whole_wait(slow_fake):
    profile = Profile(name="slow", client_id="c-slow", auth_url=slow_fake.url)
    started = time.monotonic()
    with SyncAuthClient(
        settings=Settings(auth_url=slow_fake.url),
        timeout=0.4,
        connect_timeout=0.2,
        backoff_base=0.01,
        backoff_cap=0.02,
    ) as client:
        with pytest.raises(NetworkError) as info:
            client.fetch_token(profile, Secret(SECRET))
    waited = time.monotonic() - started
    message = str(info.value)
    # the read timeout is retried once: two tries of 0.4 s
    assert "timed out after 0.4 s on each of 2 tries" in message
    stated = float(re.search(r"\(([\d.]+) s in all\)", message).group(1))
    assert abs(stated - waited) < 0.3, (stated, waited)  # the time the user really waited
    assert SECRET not in message


def test_a_single_try_still_reads_simply(slow_fake):
    profile = Profile(name="slow", client_id="c-slow", auth_url=slow_fake.url)
    with SyncAuthClient(
        settings=Settings(auth_url=slow_fake.url), timeout=0.3, connect_timeout=0.2, max_retries=0
    ) as client:
        with pytest.raises(NetworkError, match=r"timed out after 0\.3 s\Z"):
            client.fetch_token(profile, Secret(SECRET))
