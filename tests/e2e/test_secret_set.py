"""`csauth secret set PROFILE` (issue 15 §3): a rotated secret replaces the stored one only
once Contentsquare accepts it, for every profile sharing the client_id; a new client_id
moves every profile that shared the old one. The real command, a real Secret Service
keyring (tests/run-suite) and the fake API over loopback.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests.e2e.conftest import CliEnv
from tests.integration.conftest import secret_service  # noqa: F401 - the fixture

pytestmark = pytest.mark.keyring

SERVICE = "csauth-tui"
OLD = "sentinel-rotate-old-" + uuid.uuid4().hex[:12]
NEW = "sentinel-rotate-new-" + uuid.uuid4().hex[:12]
WRONG = "sentinel-rotate-wrong-" + uuid.uuid4().hex[:12]


@pytest.fixture
def rot(secret_service, monkeypatch, isolated_home):  # noqa: F811
    """Profiles a and b share client X (keyring, holding OLD), c has X from an env var,
    d is another client; the fake API knows X with OLD."""
    x, y = f"rot-x-{uuid.uuid4().hex[:8]}", f"rot-y-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    monkeypatch.setenv("CS_ROT_SECRET", OLD)
    with FakeContentsquare([FakeCredential(x, OLD, scopes=("metrics",))]) as fake:
        cli = CliEnv(fake, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))
        cli.write_profiles(
            f'[settings]\nauth_url = "{fake.url}"\n\n'
            f'# the main one\n[profiles.a]\nclient_id = "{x}"  # from the console\n\n'
            f'[profiles.b]\nclient_id = "{x}"\nscopes = ["metrics"]\n\n'
            f'[profiles.c]\nclient_id = "{x}"\nsecret = "env:CS_ROT_SECRET"\n'
        )
        cli.x, cli.y = x, y
        cli.stored = lambda cid: secret_service.get_password(SERVICE, cid)
        secret_service.set_password(SERVICE, x, OLD)
        try:
            yield cli
        finally:
            for cid in (x, y):
                try:
                    secret_service.delete_password(SERVICE, cid)
                except Exception:  # noqa: BLE001 - already gone
                    pass


def cached(cli: CliEnv) -> list[str]:
    return [t.client_id for t in TokenCache(cli.cache_dir / "tokens.json").all()]


def test_a_rotated_secret_replaces_the_old_one_for_every_profile_sharing_it(rot):
    assert rot.run("token", "a").returncode == 0
    assert cached(rot) == [rot.x]
    rot.fake.add_credential(FakeCredential(rot.x, NEW, scopes=("metrics",)))  # rotated
    result = rot.run("secret", "set", "a", input=NEW + "\n")
    assert result.returncode == 0, result.stderr
    assert rot.stored(rot.x) == NEW
    assert "used by 'a', 'b'" in result.stderr
    assert "'c' also has client_id" in result.stderr  # env-sourced: left alone, and said
    assert "1 cached token(s) dropped" in result.stderr and cached(rot) == []
    assert rot.run("token", "b").returncode == 0  # b works with the new one


def test_a_refused_secret_changes_nothing_and_the_exit_status_says_why(rot):
    assert rot.run("token", "a").returncode == 0
    before = rot.config.read_text()
    result = rot.run("secret", "set", "b", input=WRONG + "\n")
    assert result.returncode == 4  # refused by Contentsquare
    assert "secret not changed" in result.stderr and "--no-verify" in result.stderr
    assert rot.stored(rot.x) == OLD and rot.config.read_text() == before
    assert cached(rot) == [rot.x]

    rot.fake.inject("503", times=None)
    down = rot.run("secret", "set", "a", input=NEW + "\n")
    assert down.returncode == 5 and rot.stored(rot.x) == OLD  # network / server

    forced = rot.run("secret", "set", "a", "--no-verify", input=WRONG + "\n")
    assert forced.returncode == 0, forced.stderr
    assert rot.stored(rot.x) == WRONG


def test_a_new_client_id_moves_every_profile_that_shared_the_old_one(rot):
    rot.fake.add_credential(FakeCredential(rot.y, NEW, scopes=("metrics",)))
    result = rot.run("secret", "set", "a", "--client-id", rot.y, input=NEW + "\n")
    assert result.returncode == 0, result.stderr
    text = rot.config.read_text()
    assert text.count(f'client_id = "{rot.y}"') == 2 and text.count(rot.x) == 1  # c kept
    assert "# the main one" in text and "# from the console" in text
    assert rot.stored(rot.y) == NEW and rot.stored(rot.x) is None  # old entry retired
    said = result.stderr
    assert said.index("for 'a', 'b'") < said.index("secret stored")  # said before done
    for name in ("a", "b"):
        assert rot.run("token", name).returncode == 0


def test_a_new_client_id_that_contentsquare_refuses_moves_nothing(rot):
    before = rot.config.read_text()
    result = rot.run("secret", "set", "a", "--client-id", rot.y, input=NEW + "\n")
    assert result.returncode == 4
    assert rot.config.read_text() == before
    assert rot.stored(rot.y) is None and rot.stored(rot.x) == OLD


def test_profiles_whose_secret_is_not_in_the_keyring_are_told_what_to_do(rot):
    result = rot.run("secret", "set", "c", input=NEW + "\n")
    assert result.returncode == 3
    assert "reads its secret from env $CS_ROT_SECRET" in result.stderr
    assert rot.stored(rot.x) == OLD
