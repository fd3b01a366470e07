"""The attacks on csauth's files, replayed in the app (Pilot) against the fake API on
loopback: a forged token cache never reaches the clipboard, a forged parsed-profiles cache
never changes what a profile's secret runs, and a profiles file others may write is shown
as refused in place of the list. Tests run as root: "another user" is uid 65534.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from csauth_tui.core import fsutil
from csauth_tui.core.tokens import TokenCache, cache_key, decode_jwt
from csauth_tui.ui.profiles_cache import CACHE_NAME, MIN_BYTES, load_profiles
from tests.ui.conftest import SIZE, screen_text, settle, wait_until

NOBODY = 65534
FORGED = "forged.sentinel.token-4d9e2a"  # JWT-shaped: only the rule under test refuses it
FORGERIES = ["evil endpoint, far-future expiry", "world-writable file", "file of another user"]


@pytest.fixture(autouse=True)
def _fresh_warnings():
    fsutil._warned.clear()
    yield
    fsutil._warned.clear()


def forge_token_cache(env, path: Path, how: str) -> None:
    now = env.clock()
    raw = {
        "access_token": FORGED,
        "endpoint": env.fake.url,
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(minutes=30)).isoformat(),
        "client_id": "prod-client-0001",
        "auth_url": env.fake.url,
        "scopes": ["metrics"],
        "project_id": 1001,
        "profile": "prod",
        "trusted": True,
        "extra": {},
    }
    if how == "evil endpoint, far-future expiry":
        raw.update(endpoint="https://evil.test", expires_at="2099-01-01T00:00:00+00:00")
    key = cache_key(env.fake.url, "prod-client-0001", ("metrics",), 1001)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "tokens": {key: raw}}))
    os.chmod(path, 0o666 if how == "world-writable file" else 0o600)
    if how == "file of another user":
        os.chown(path, NOBODY, NOBODY)


@pytest.mark.parametrize("how", FORGERIES)
async def test_copy_curl_never_copies_a_forged_cached_token(env, tmp_path, how):
    path = tmp_path / "tokdir" / "tokens.json"
    forge_token_cache(env, path, how)
    env.write(env.write().read_text().replace("token_cache = false", "token_cache = true"))
    app = env.app(cache=TokenCache(path, clock=env.clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "evil.test" not in screen_text(app)
        await pilot.press("u")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: app.clipboard.startswith("curl "),
            what="the curl command on the clipboard",
        )
        copied = app.clipboard
        assert FORGED not in copied and "evil.test" not in copied
        assert copied.endswith(f"'{env.fake.url}/v1/segments?projectId=1001'")
        token = copied.split("Bearer ", 1)[1].split("'", 1)[0]
        assert decode_jwt(token)[1]["sub"] == "prod-client-0001"  # issued by the fake
        assert len(env.token_requests()) == 1


# --- the parsed-profiles cache ---------------------------------------------------------------


def big_profiles_text(url: str) -> str:
    """`prod` (a credential the fake knows) first, then enough profiles to pass MIN_BYTES;
    no plaintext secret, so the app keeps the parse in its cache."""
    lines = [
        "[settings]",
        f'auth_url = "{url}"',
        "token_cache = false",
        "",
        "[profiles.prod]",
        'level = "project"',
        'client_id = "prod-client-0001"',
        'scopes = ["metrics"]',
        "project_id = 1001",
        'secret = "env:CS_UI_PROD_SECRET"',
    ]
    for i in range(450):
        lines += [
            f"[profiles.team-{i:04d}]",
            f'client_id = "team-client-{i}"',
            'scopes = ["metrics"]',
            'secret = "env:CS_UI_PROD_SECRET"',
            f'description = "padding {"x" * 80}"',
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "how", ["group-writable file", "file of another user", "directory others may write"]
)
async def test_a_forged_parse_cache_never_runs_its_command(env, tmp_path, how):
    marker = tmp_path / "MARKER"
    config = env.write(big_profiles_text(env.fake.url))
    os.chmod(config, 0o600)
    assert config.stat().st_size >= MIN_BYTES
    cache_dir = Path(os.environ["CSAUTH_CACHE_DIR"])
    load_profiles(config, cache_dir)  # the app's own cache of this very file...
    cache = cache_dir / CACHE_NAME
    data = json.loads(cache.read_text())
    for table in data["doc"]["profiles"].values():  # ...rewritten by someone else
        table["secret"] = f"cmd:touch {marker}"
    cache.write_text(json.dumps(data))
    if how == "group-writable file":
        os.chmod(cache, 0o660)
    elif how == "file of another user":
        os.chmod(cache, 0o600)
        os.chown(cache, NOBODY, NOBODY)
    else:
        os.chmod(cache, 0o600)
        os.chmod(cache_dir, 0o777)
    app = env.app(cache=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await settle(pilot)
        assert not marker.exists(), "the forged cache's command ran"
        # the real file's
        assert app.session.pf.profiles["prod"].secret.text == "env:CS_UI_PROD_SECRET"
        assert len(env.token_requests()) == 1  # the real secret got the token
    assert not marker.exists()


async def test_our_own_parse_cache_is_what_the_check_protects(env, tmp_path):
    """The control: the same forgery left private and ours IS used (so the refusals above
    are what stops it, not a cache that was never read)."""
    config = env.write(big_profiles_text(env.fake.url))
    os.chmod(config, 0o600)
    cache_dir = Path(os.environ["CSAUTH_CACHE_DIR"])
    load_profiles(config, cache_dir)
    cache = cache_dir / CACHE_NAME
    data = json.loads(cache.read_text())
    data["doc"]["profiles"]["prod"]["secret"] = "env:CS_UI_STAGING_SECRET"
    cache.write_text(json.dumps(data))
    os.chmod(cache, 0o600)
    app = env.app(cache=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.session.pf.profiles["prod"].secret.text == "env:CS_UI_STAGING_SECRET"


# --- the profiles file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "how", ["world-writable file", "file of another user", "directory others may write"]
)
async def test_a_profiles_file_others_may_write_is_refused_in_place(env, how):
    config = env.write()
    target = config.parent if how == "directory others may write" else config
    if how == "file of another user":
        os.chown(config, NOBODY, NOBODY)
    else:
        os.chmod(target, 0o777 if target.is_dir() else 0o666)
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "The profiles file cannot be read" in shown
        assert "refusing to read" in shown
        fix = f"uid {NOBODY}" if how == "file of another user" else "chmod go-w"
        assert fix in shown
        assert app.session.pf.profiles == {}
        await pilot.press("g")
        await settle(pilot)
        assert env.token_requests() == []
