"""`csauth secret set`'s proof: /me must name the same client_id when it names one."""

from __future__ import annotations

import pytest

from csauth_tui import everyday
from csauth_tui.core import sync_client
from csauth_tui.core.answers import MeInfo
from csauth_tui.core.errors import RefusedError
from csauth_tui.core.profiles import Profile, ProfilesFile
from csauth_tui.core.redact import Secret


def with_me(monkeypatch, raw):
    class Client:
        def __init__(self, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def me(self, profile, secret):
            return MeInfo.from_json(raw)

    monkeypatch.setattr(sync_client, "SyncAuthClient", Client)


def prove(tmp_path):
    profile = Profile(name="p", client_id="client-aaaa-0001")
    return everyday.prove(
        ProfilesFile(tmp_path / "p.toml"), profile, Secret("proof-test-secret"), lambda *a: None
    )


def test_me_for_another_client_refuses_the_secret(monkeypatch, tmp_path):
    with_me(monkeypatch, {"client_id": "client-bbbb-0002"})
    with pytest.raises(RefusedError) as caught:
        prove(tmp_path)
    assert "not clie…0001" in str(caught.value)


def test_me_for_the_same_client_or_silent_about_it_is_accepted(monkeypatch, tmp_path):
    with_me(monkeypatch, {"client_id": "client-aaaa-0001"})
    assert prove(tmp_path).endswith("for the same client_id")
    with_me(monkeypatch, {"scopes": "metrics"})
    assert "does not say" in prove(tmp_path)
