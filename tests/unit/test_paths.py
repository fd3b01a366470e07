"""Default locations: worked out without platformdirs on Linux, where platformdirs puts them."""

from __future__ import annotations

import os
import sys

import platformdirs
import pytest

from csauth_tui.core import paths


@pytest.mark.skipif(sys.platform.startswith(("darwin", "win32")), reason="XDG platforms only")
@pytest.mark.parametrize(
    "xdg",
    [
        {},
        {"XDG_CONFIG_HOME": "/srv/conf", "XDG_CACHE_HOME": "/srv/cache"},
        {"XDG_CONFIG_HOME": "relative/conf", "XDG_CACHE_HOME": "  "},
    ],
    ids=["unset", "absolute", "relative-or-blank"],
)
def test_default_dirs_are_where_platformdirs_puts_them(monkeypatch, tmp_path, xdg):
    for name in ("CSAUTH_CONFIG", "CSAUTH_CACHE_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in xdg.items():
        monkeypatch.setenv(name, value)
    expected_config = os.path.join(
        platformdirs.user_config_dir("csauth", appauthor=False), "profiles.toml"
    )
    assert str(paths.config_path()) == expected_config
    assert str(paths.cache_dir()) == platformdirs.user_cache_dir("csauth", appauthor=False)
    assert str(paths.token_cache_path()).startswith(str(paths.cache_dir()))
