"""`csauth demo` runs in a throwaway world and leaves the user's world exactly as it was."""

from __future__ import annotations

import os

import keyring
import pytest

from csauth_tui.core import paths, profiles
from csauth_tui.core.api import AuthClient
from csauth_tui.core.secrets import resolve_secret
from csauth_tui.core.service import TokenService
from csauth_tui.core.tokens import TokenCache
from csauth_tui.demo import demo_environment


def tree(path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


async def test_inside_the_demo_profiles_parse_and_the_fake_api_answers(tmp_path):
    with demo_environment() as env:
        assert os.environ["CSAUTH_CONFIG"] == str(env.config_path)
        assert paths.config_path() == env.config_path
        assert paths.cache_dir() == env.cache_dir
        assert not env.config_path.is_relative_to(tmp_path)  # not the test's own config

        pf = profiles.load(env.config_path)
        assert [p for p in pf.problems if p.severity == "error"] == []
        assert {"prod-metrics", "agency-account", "enrichment-eu"} <= set(pf.profiles)
        assert pf.settings.auth_url == env.api_url

        profile = pf.get("prod-metrics")
        async with AuthClient(settings=pf.settings) as client:
            token = await client.fetch_token(profile, resolve_secret(profile))
        assert token.trusted
        assert token.access_token
        assert token.project_id == 1001
        assert token.seconds_left() > 3000


def test_inside_the_demo_the_keyring_is_in_memory():
    original = keyring.get_keyring()
    with demo_environment():
        backend = keyring.get_keyring()
        assert backend is not original
        keyring.set_password("csauth", "demo-client", "demo-value")
        assert backend.get_password("csauth", "demo-client") == "demo-value"
    assert keyring.get_keyring() is original


async def test_after_the_demo_everything_is_as_before(isolated_home):
    before_env = dict(os.environ)
    before_keyring = keyring.get_keyring()
    with demo_environment() as env:
        root = env.config_path.parent
        assert os.environ != before_env
        # use the demo the way the app does: token through the service, cached on disk
        pf = profiles.load(paths.config_path())
        async with AuthClient(settings=pf.settings) as client:
            svc = TokenService(pf.settings, client, cache=TokenCache(paths.token_cache_path()))
            token = await svc.token(pf.get("agency-account"))
            assert (await svc.token(pf.get("agency-account"))) == token  # from the cache
        assert paths.token_cache_path().is_relative_to(root)
        assert paths.token_cache_path().exists()
        keyring.set_password("csauth", "x", "y")
    assert dict(os.environ) == before_env
    assert not root.exists()
    assert keyring.get_keyring() is before_keyring
    # nothing in the XDG dirs or the config/cache the autouse fixture points at
    for name in ("xdg-config", "xdg-cache", "config", "cache"):
        assert tree(isolated_home / name) == [], name


def test_the_demo_cleans_up_when_its_body_fails(isolated_home):
    before_env = dict(os.environ)
    before_keyring = keyring.get_keyring()
    with pytest.raises(RuntimeError, match="boom"), demo_environment() as env:
        root = env.config_path.parent
        raise RuntimeError("boom")
    assert dict(os.environ) == before_env
    assert not root.exists()
    assert keyring.get_keyring() is before_keyring


def test_the_fake_api_is_gone_after_the_demo():
    import httpx

    with demo_environment() as env:
        assert httpx.post(f"{env.api_url}/v1/oauth/token", json={}, timeout=30).status_code >= 400
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{env.api_url}/v1/oauth/token", json={}, timeout=30)
