"""The real `csauth` command with a real Secret Service keyring: the path a user takes.

`csauth add` reads the secret from stdin into gnome-keyring, `csauth token` reads it back
and fetches a token from the fake API, `csauth rm` deletes the keyring entry.
"""

from __future__ import annotations

import uuid

import pytest

from csauth_tui.core.tokens import decode_jwt
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests.e2e.conftest import CliEnv

pytestmark = pytest.mark.keyring

SECRET = "cli-keyring-sentinel-" + uuid.uuid4().hex


def test_add_token_rm_through_the_real_keyring(secret_service, monkeypatch, isolated_home):
    import os
    from pathlib import Path

    client_id = f"kr-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    with FakeContentsquare([FakeCredential(client_id, SECRET, scopes=("metrics",))]) as fake:
        cli = CliEnv(fake, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))
        cli.write_profiles(f'[settings]\nauth_url = "{fake.url}"\n')

        added = cli.run(
            "add", "kr", "--level", "project", "--client-id", client_id, input=SECRET + "\n"
        )
        assert added.returncode == 0, added.stderr
        assert "keyring" in added.stderr
        assert SECRET not in cli.config.read_text()  # the secret went to the keyring only
        assert secret_service.get_password("csauth-tui", client_id) == SECRET

        token = cli.run("token", "kr", "--no-cache")
        assert token.returncode == 0, token.stderr
        assert decode_jwt(token.stdout.strip())[1]["sub"] == client_id

        removed = cli.run("rm", "kr")
        assert removed.returncode == 0, removed.stderr
        assert "keyring entry deleted" in removed.stderr
        assert secret_service.get_password("csauth-tui", client_id) is None
        for output in (added, token, removed):
            assert SECRET not in output.stdout + output.stderr
