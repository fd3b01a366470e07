"""What each entry point drags in, checked in a fresh interpreter (as harlequin does)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("textual", "httpx", "tomlkit", "keyring", "rich")


def modules_after(code: str, env: dict | None = None) -> set[str]:
    import os

    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_core_never_imports_textual():
    loaded = modules_after(
        "import csauth_tui.core.api, csauth_tui.core.profiles, csauth_tui.core.store, "
        "csauth_tui.core.secrets, csauth_tui.core.tokens, csauth_tui.core.service, "
        "csauth_tui.core.clipboard, csauth_tui.core.request, csauth_tui.fake.server"
    )
    assert "textual" not in loaded
    assert "csauth_tui.core.api" in loaded  # the import above really happened


def test_cached_token_path_stays_on_the_standard_library(tmp_path):
    """`csauth token` with a cached token: profile looked up, cache hit, printed."""
    from datetime import datetime, timedelta, timezone

    from csauth_tui.core.tokens import Token, TokenCache

    config = tmp_path / "profiles.toml"
    config.write_text('[profiles.p]\nclient_id = "cid"\nscopes = ["metrics"]\n'
                      'secret = "env:NOPE"\n')
    now = datetime.now(timezone.utc)
    TokenCache(tmp_path / "cache" / "tokens.json").put(Token(
        access_token="cached-token-value", endpoint="https://api.contentsquare.com",
        issued_at=now, expires_at=now + timedelta(hours=1), client_id="cid",
        auth_url="https://api.contentsquare.com", scopes=("metrics",)))
    env = {"CSAUTH_CONFIG": str(config), "CSAUTH_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import io, contextlib\n"
        "from csauth_tui.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    rc = main(['token', 'p'])\n"
        "assert rc == 0 and buf.getvalue().strip() == 'cached-token-value', buf.getvalue()\n"
    )
    loaded = modules_after(code, env)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []
    assert "csauth_tui.core.tokens" in loaded


def test_token_formats_live_in_core_without_the_cli():
    """The app prints tokens with core.formats: no CLI module, no third-party import."""
    loaded = modules_after("from csauth_tui.core.formats import probe_url, render, token_env\n"
                           "from csauth_tui.core.tokens import iso_utc")
    assert "csauth_tui.commands" not in loaded and "csauth_tui.cli" not in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
