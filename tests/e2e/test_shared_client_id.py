"""Two profiles, one client_id: the keyring holds one secret per client_id, so adding the
second with another secret must never silently replace the secret the first relies on.

The real `csauth` command in a subprocess, a real Secret Service keyring (tests/run-suite)
and the fake Contentsquare API over loopback: the attack replayed as a user would run it.
"""

from __future__ import annotations

import json
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
SECRET_A = "sentinel-shared-secret-a-" + uuid.uuid4().hex[:12]
SECRET_B = "sentinel-shared-secret-b-" + uuid.uuid4().hex[:12]
SECRET_C = "sentinel-shared-secret-c-" + uuid.uuid4().hex[:12]


@pytest.fixture
def shared(secret_service, monkeypatch, isolated_home):  # noqa: F811
    """A fake API that knows `client_id` with SECRET_A, a profiles file pointing at it,
    child processes on the real keyring; the keyring entry is removed afterwards."""
    client_id = f"shared-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    with FakeContentsquare([FakeCredential(client_id, SECRET_A, scopes=("metrics",))]) as fake:
        cli = CliEnv(fake, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))
        cli.write_profiles(f'[settings]\nauth_url = "{fake.url}"\n')
        cli.client_id = client_id
        cli.stored = lambda: secret_service.get_password(SERVICE, client_id)
        try:
            yield cli
        finally:
            try:
                secret_service.delete_password(SERVICE, client_id)
            except Exception:  # noqa: BLE001 - already gone
                pass


def add(cli: CliEnv, name: str, secret: str, *extra: str):
    return cli.run(
        "add", name, "--level", "project", "--client-id", cli.client_id, *extra, input=secret + "\n"
    )


def cached_client_ids(cli: CliEnv) -> list[str]:
    return [t.client_id for t in TokenCache(cli.cache_dir / "tokens.json").all()]


def names_in_file(cli: CliEnv) -> list[str]:
    listed = cli.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [p["name"] for p in json.loads(listed.stdout)["profiles"]]


def test_a_second_profile_cannot_replace_the_secret_the_first_relies_on(shared):
    cli = shared
    first = add(cli, "kp", SECRET_A)
    assert first.returncode == 0, first.stderr
    token = cli.run("token", "kp")
    assert token.returncode == 0, token.stderr
    assert cached_client_ids(cli) == [cli.client_id]

    # a different (wrong) secret for the same client_id: refused, nothing written
    before = cli.config.read_text()
    refused = add(cli, "kp2", SECRET_B)
    assert refused.returncode == 3, refused.stderr
    assert "already holds a different secret" in refused.stderr
    assert "'kp'" in refused.stderr and "--replace-secret" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert cli.stored() == SECRET_A
    assert cli.config.read_text() == before
    requests = cli.token_requests()
    again = cli.run("token", "kp", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert cli.token_requests() == requests + 1  # really fetched, with the secret kept

    # asked on purpose, but Contentsquare rejects the new secret: still nothing written
    rejected = add(cli, "kp2", SECRET_B, "--replace-secret")
    assert rejected.returncode == 4, rejected.stderr
    assert "secret not replaced" in rejected.stderr and "--no-verify" in rejected.stderr
    assert cli.stored() == SECRET_A
    assert cli.config.read_text() == before
    assert cli.fake.requests[-1].body["client_id"] == cli.client_id  # it was asked
    assert cli.run("token", "kp", "--no-cache").returncode == 0
    assert cached_client_ids(cli) == [cli.client_id]  # the good token stays cached

    # the credential was rotated in the console: B works now, and replaces A for both
    cli.fake.add_credential(FakeCredential(cli.client_id, SECRET_B, scopes=("metrics",)))
    replaced = add(cli, "kp2", SECRET_B, "--replace-secret")
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced for 'kp'" in replaced.stderr
    assert "1 cached token(s) of that client_id dropped" in replaced.stderr
    assert cli.stored() == SECRET_B
    assert names_in_file(cli) == ["kp", "kp2"]
    assert cached_client_ids(cli) == []  # no token fetched with A hides anything now
    requests = cli.token_requests()
    for name in ("kp", "kp2"):
        result = cli.run("token", name)
        assert result.returncode == 0, result.stderr
    assert cli.token_requests() == requests + 1  # kp fetched anew, kp2 reused it

    # the same secret again needs no flag
    same = add(cli, "kp3", SECRET_B)
    assert same.returncode == 0, same.stderr
    assert cli.stored() == SECRET_B
    for result in (first, token, refused, rejected, replaced, same):
        for secret in (SECRET_A, SECRET_B):
            assert secret not in result.stdout + result.stderr


def test_no_verify_forces_a_replacement_only_together_with_replace_secret(shared):
    cli = shared
    assert add(cli, "kp", SECRET_A).returncode == 0

    alone = add(cli, "kp2", SECRET_C, "--no-verify")
    assert alone.returncode == 2
    assert "--no-verify goes with --replace-secret" in alone.stderr
    assert cli.stored() == SECRET_A

    requests = len(cli.fake.requests)
    forced = add(cli, "kp2", SECRET_C, "--replace-secret", "--no-verify")
    assert forced.returncode == 0, forced.stderr
    assert len(cli.fake.requests) == requests  # not asked: forced on purpose
    assert cli.stored() == SECRET_C
    assert cli.run("token", "kp").returncode == 4  # what the user chose to risk


def test_a_piped_secret_with_one_final_newline_is_whole_and_more_lines_are_refused(shared):
    cli = shared
    two = cli.run(
        "add",
        "kp",
        "--level",
        "project",
        "--client-id",
        cli.client_id,
        input=SECRET_A + "\nnotes: rotated in March\n",
    )
    assert two.returncode == 3
    assert "more than one line" in two.stderr and "head -n 1" in two.stderr
    assert cli.stored() is None
    assert not cli.config.read_text().count("[profiles.")

    crlf = cli.run(
        "add", "kp", "--level", "project", "--client-id", cli.client_id, input=SECRET_A + "\r\n"
    )
    assert crlf.returncode == 0, crlf.stderr
    assert cli.stored() == SECRET_A  # nothing cut, no stray \r
    assert cli.run("token", "kp").returncode == 0
