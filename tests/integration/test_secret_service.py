"""The secrets module against a REAL Secret Service keyring (gnome-keyring over D-Bus).

Runs under tests/run-suite, which starts a private D-Bus session with a throwaway,
unlocked gnome-keyring and sets CSAUTH_SECRET_SERVICE=1. Outside it the tests skip; in CI
(CI=true) they fail instead, so CI can never pass without them having run.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from csauth_tui.core.errors import KeyringUnavailableError, SecretError
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret
from csauth_tui.core.secrets import (
    KEYRING_SERVICE,
    delete_secret,
    keyring_status,
    resolve_secret,
    store_secret,
)

pytestmark = pytest.mark.keyring

SECRET = "real-keyring-s3cret-ÅÄÖ-🔑"


@pytest.fixture
def client_id(secret_service):
    """A client id no earlier run used; its keyring entry is removed afterwards."""
    cid = f"itest-{uuid.uuid4()}"
    yield cid
    try:
        secret_service.delete_password(KEYRING_SERVICE, cid)
    except Exception:  # noqa: BLE001 - already gone
        pass


def keyring_profile(client_id: str, **kw) -> Profile:
    return Profile(name="kr-prod", client_id=client_id, secret="keyring", **kw)


def test_keyring_status_sees_the_secret_service(secret_service):
    usable, description = keyring_status()
    assert usable is True, description
    assert "SecretService" in description


def test_store_resolve_delete_round_trip(secret_service, client_id):
    store_secret(client_id, Secret(SECRET))

    # really in the Secret Service, under our service name and the client id
    assert secret_service.get_password(KEYRING_SERVICE, client_id) == SECRET
    got = resolve_secret(keyring_profile(client_id))
    assert isinstance(got, Secret) and got.reveal() == SECRET

    with pytest.raises(SecretError, match="different secret"):
        store_secret(client_id, Secret("rotated-" + SECRET))  # never replaced by accident
    assert resolve_secret(keyring_profile(client_id)).reveal() == SECRET
    assert store_secret(client_id, Secret("rotated-" + SECRET), replace=True) == "replaced"
    assert resolve_secret(keyring_profile(client_id)).reveal() == "rotated-" + SECRET

    assert delete_secret(client_id) is True
    assert secret_service.get_password(KEYRING_SERVICE, client_id) is None
    with pytest.raises(SecretError, match="no secret in the keyring for profile 'kr-prod'"):
        resolve_secret(keyring_profile(client_id))
    assert delete_secret(client_id) is False


async def test_fetch_token_with_a_keyring_secret(secret_service, client_id):
    from csauth_tui.core.api import AuthClient
    from csauth_tui.fake.server import FakeContentsquare, FakeCredential

    store_secret(client_id, Secret(SECRET))
    credential = FakeCredential(
        client_id, SECRET, level="project", project_ids=(1001,), scopes=("metrics",)
    )
    with FakeContentsquare([credential]) as fake:
        profile = keyring_profile(client_id, scopes=("metrics",), auth_url=fake.url)
        secret = resolve_secret(profile)
        async with AuthClient() as client:
            token = await client.fetch_token(profile, secret)

    assert token.access_token
    assert SECRET not in token.access_token
    assert token.client_id == client_id
    assert token.expires_at > token.issued_at
    assert "metrics" in token.scopes
    token_requests = [r for r in fake.requests if r.path == "/v1/oauth/token"]
    assert [r.body["client_id"] for r in token_requests] == [client_id]


async def test_stale_keyring_secret_is_refused_without_showing_it(secret_service, client_id):
    from csauth_tui.core.api import AuthClient
    from csauth_tui.core.errors import InvalidCredentialsError
    from csauth_tui.fake.server import FakeContentsquare, FakeCredential

    stale = "stale-" + SECRET
    store_secret(client_id, Secret(stale))
    credential = FakeCredential(
        client_id, SECRET, level="project", project_ids=(1001,), scopes=("metrics",)
    )
    with FakeContentsquare([credential]) as fake:
        profile = keyring_profile(client_id, scopes=("metrics",), auth_url=fake.url)
        async with AuthClient(max_retries=0) as client:
            with pytest.raises(InvalidCredentialsError) as info:
                await client.fetch_token(profile, resolve_secret(profile))
    assert stale not in str(info.value) and SECRET not in str(info.value)


@pytest.fixture
def locked_collection(secret_service):
    """The throwaway keyring's default collection, locked for one test, unlocked after with
    the password tests/run-suite gave it (a prompt cannot be answered headless)."""
    password = os.environ.get("CSAUTH_SECRET_SERVICE_PASSWORD")
    if not password:
        message = "CSAUTH_SECRET_SERVICE_PASSWORD is not set (tests/run-suite sets it)"
        if os.environ.get("CI", "").strip().lower() in ("true", "1"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    import secretstorage
    from jeepney import new_method_call
    from secretstorage.util import DBusAddressWrapper, format_secret, open_session

    bus = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(bus)
    collection.lock()
    assert collection.is_locked()
    try:
        yield collection
    finally:
        gnome = DBusAddressWrapper(
            "/org/freedesktop/secrets",
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
            bus,
        )
        secret = format_secret(open_session(bus), password.encode(), "text/plain")
        gnome.send_and_get_reply(
            new_method_call(
                gnome, "UnlockWithMasterPassword", "o(oayays)", (collection.collection_path, secret)
            )
        )
        assert not collection.is_locked()
        bus.close()


def test_locked_keyring_fails_fast_and_says_so(secret_service, client_id, locked_collection):
    started = time.monotonic()
    with pytest.raises(KeyringUnavailableError) as info:
        resolve_secret(keyring_profile(client_id), timeout=20)
    assert time.monotonic() - started < 20
    text = str(info.value)
    assert "locked" in text
    assert 'secret = "env:VAR"' in text and 'secret = "cmd:COMMAND"' in text

    usable, description = keyring_status(timeout=20)
    assert usable is False and "locked" in description
