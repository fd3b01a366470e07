"""What each entry point drags in, checked in a fresh interpreter (as harlequin does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HEAVY = ("textual", "httpx", "tomlkit", "keyring", "rich")
# the cached-token path of `csauth token`: none of these, nor anything they pull in
NOT_ON_THE_CACHED_PATH = (*HEAVY, "platformdirs", "httpcore", "anyio", "asyncio")
CSAUTH = Path(sys.executable).with_name("csauth")  # the installed console script


def modules_after(code: str, env: dict | None = None, *, replace_env: bool = False) -> set[str]:
    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env if replace_env else {**os.environ, **(env or {})},
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def heavy_in(loaded: set[str], names=NOT_ON_THE_CACHED_PATH) -> list[str]:
    return sorted(m for m in loaded if m.split(".")[0] in names)


def test_core_never_imports_textual():
    loaded = modules_after(
        "import csauth_tui.core.api, csauth_tui.core.profiles, csauth_tui.core.store, "
        "csauth_tui.core.secrets, csauth_tui.core.tokens, csauth_tui.core.service, "
        "csauth_tui.core.clipboard, csauth_tui.core.request, csauth_tui.fake.server"
    )
    assert "textual" not in loaded
    assert "csauth_tui.core.api" in loaded  # the import above really happened


def test_the_apps_session_and_action_table_never_import_textual():
    """The app's data (ui/session.py) and its action table (ui/actions.py) are plain
    Python, tested without Pilot."""
    loaded = modules_after("import csauth_tui.ui.session, csauth_tui.ui.actions")
    assert "textual" not in loaded and "rich" not in loaded
    assert "csauth_tui.ui.session" in loaded


def write_cached_token(config: Path, cache_dir: Path) -> None:
    """A profile `p` and a token cache holding a live token for it."""
    from csauth_tui.core.tokens import Token, TokenCache

    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[profiles.p]\nclient_id = "cid"\nscopes = ["metrics"]\nsecret = "env:NOPE"\n'
    )
    now = datetime.now(timezone.utc)
    TokenCache(cache_dir / "tokens.json").put(
        Token(
            access_token="cached.token.value",
            endpoint="https://api.contentsquare.com",
            issued_at=now,
            expires_at=now + timedelta(hours=1),
            client_id="cid",
            auth_url="https://api.contentsquare.com",
            scopes=("metrics",),
        )
    )


def csauth_token_script(then: str) -> str:
    """Code for a fresh interpreter: `csauth token p` through the installed console script,
    as a user's shell runs it, its exit status checked; `then` runs with its output in `out`."""
    assert CSAUTH.exists(), f"the csauth console script is not installed next to {sys.executable}"
    return (
        "import contextlib, io, runpy, sys\n"
        f"sys.argv = [{str(CSAUTH)!r}, 'token', 'p']\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        runpy.run_path({str(CSAUTH)!r}, run_name='__main__')\n"
        "    except SystemExit as stop:\n"
        "        status = stop.code\n"
        "assert status == 0, status\n" + then
    )


def run_csauth_token(env: dict[str, str]) -> set[str]:
    """The cached `csauth token p`: prints the cached token; its sys.modules returned."""
    code = csauth_token_script(
        "assert out.getvalue() == 'cached.token.value\\n', 'not the cached token'\n"
    )
    return modules_after(code, env, replace_env=True)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSAUTH_", "XDG_"))}
    env.update(extra)
    return env


def test_cached_token_path_stays_on_the_standard_library(tmp_path):
    """`csauth token` with a cached token: profile looked up, cache hit, printed, and no
    third-party module (nor asyncio) loaded on the way."""
    config, cache = tmp_path / "profiles.toml", tmp_path / "cache"
    write_cached_token(config, cache)
    loaded = run_csauth_token(child_env(CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache)))
    assert heavy_in(loaded) == []
    assert {"csauth_tui.cli", "csauth_tui.core.tokens", "tomllib"} <= loaded


def test_cached_token_path_with_default_locations(tmp_path, monkeypatch):
    """The same without $CSAUTH_CONFIG / $CSAUTH_CACHE_DIR: the files where a user has
    them, in the user's config and cache directories."""
    home = tmp_path / "home"
    dirs = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    for name, value in dirs.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CSAUTH_CONFIG")
    monkeypatch.delenv("CSAUTH_CACHE_DIR")
    from csauth_tui.core import paths

    write_cached_token(paths.config_path(), paths.cache_dir())
    loaded = run_csauth_token(child_env(**dirs))
    assert "csauth_tui.core.tokens" in loaded
    assert heavy_in(loaded) == []


def test_token_formats_live_in_core_without_the_cli():
    """The app prints tokens with core.formats: no CLI module, no third-party import."""
    loaded = modules_after(
        "from csauth_tui.core.formats import probe_url, render, token_env\n"
        "from csauth_tui.core.tokens import iso_utc"
    )
    assert "csauth_tui.commands" not in loaded and "csauth_tui.cli" not in loaded
    assert heavy_in(loaded, HEAVY) == []


def test_app_start_leaves_the_api_client_and_the_forms_for_later():
    """Opening the app imports neither httpx (loaded with the first request) nor the
    add/edit/import screens (loaded when first opened): the first frame waits for neither."""
    loaded = modules_after("import csauth_tui.cli, csauth_tui.commands, csauth_tui.ui.app")
    assert "textual" in loaded
    assert heavy_in(loaded, ("httpx", "httpcore", "tomlkit", "keyring")) == []
    assert (
        not {
            "csauth_tui.core.api",
            "csauth_tui.ui.screens.profile_form",
            "csauth_tui.ui.screens.import_screen",
        }
        & loaded
    )


# the event loop the async client needs and the one-shot CLI fetch does without (httpcore
# still imports the top of anyio, a few lazy modules: not the asyncio backend)
EVENT_LOOP = ("asyncio", "anyio._backends", "sniffio")


def test_uncached_token_fetch_loads_no_event_loop(tmp_path):
    """`csauth token` with nothing cached: the token fetched from the fake API on loopback
    and cached, as a first call does, without asyncio (nor anyio's asyncio backend):
    the synchronous client does the one request."""
    from csauth_tui.core.tokens import TokenCache
    from csauth_tui.fake.server import FakeContentsquare, FakeCredential

    config, cache = tmp_path / "profiles.toml", tmp_path / "cache"
    printed = tmp_path / "printed"
    with FakeContentsquare([FakeCredential("cid", "fake-secret-value")]) as fake:
        config.write_text(
            f'[profiles.p]\nclient_id = "cid"\nscopes = ["metrics"]\n'
            f'secret = "env:HYGIENE_SECRET"\nauth_url = "{fake.url}"\n'
        )
        code = csauth_token_script(f"open({str(printed)!r}, 'w').write(out.getvalue())\n")
        loaded = modules_after(
            code,
            child_env(
                CSAUTH_CONFIG=str(config),
                CSAUTH_CACHE_DIR=str(cache),
                HYGIENE_SECRET="fake-secret-value",
            ),
            replace_env=True,
        )
        assert [r.path for r in fake.requests] == ["/v1/oauth/token"]  # really fetched
    cached = TokenCache(cache / "tokens.json").all()
    assert [t.access_token + "\n" for t in cached] == [printed.read_text()]  # and cached
    assert {"httpx", "csauth_tui.core.api"} <= loaded
    assert sorted(m for m in loaded if m.startswith(EVENT_LOOP)) == []


def run_csauth(argv: list[str], env: dict[str, str], expect: str) -> set[str]:
    """`csauth ARGV` through the installed console script in a fresh interpreter, exit 0,
    `expect` in its output; its sys.modules returned."""
    code = csauth_token_script(f"assert {expect!r} in out.getvalue(), out.getvalue()\n")
    code = code.replace("'token', 'p'", ", ".join(repr(a) for a in argv))
    return modules_after(code, env, replace_env=True)


def test_status_stays_on_the_standard_library(tmp_path):
    """`csauth status` reads the file and the cache: no keyring, no HTTP client, no
    tomlkit, no event loop."""
    config, cache = tmp_path / "profiles.toml", tmp_path / "cache"
    write_cached_token(config, cache)
    env = child_env(CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache))
    for argv in (["status"], ["status", "--json"]):
        loaded = run_csauth(argv, env, expect="p")
        assert heavy_in(loaded) == []
        assert "csauth_tui.status" in loaded  # it really ran


def test_completion_name_lookup_stays_on_the_standard_library(tmp_path):
    """What a completion script calls at TAB: profile names read with tomllib only."""
    config, cache = tmp_path / "profiles.toml", tmp_path / "cache"
    write_cached_token(config, cache)
    loaded = run_csauth(
        ["_names"], child_env(CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache)), expect="p\n"
    )
    assert heavy_in(loaded) == []
    assert "csauth_tui.completion" in loaded
