"""Where csauth keeps things. Environment overrides exist for tests and the demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "csauth"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--config PATH`, else `$CSAUTH_CONFIG`, else profiles.toml in the user config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CSAUTH_CONFIG")
    if env:
        return Path(env).expanduser()
    return _user_dir("XDG_CONFIG_HOME", ".config", "user_config_dir") / "profiles.toml"


def cache_dir() -> Path:
    env = os.environ.get("CSAUTH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return _user_dir("XDG_CACHE_HOME", ".cache", "user_cache_dir")


def token_cache_path() -> Path:
    return cache_dir() / "tokens.json"


def _user_dir(xdg_variable: str, xdg_default: str, platformdirs_name: str) -> Path:
    """The XDG directory on Linux and the BSDs, worked out here as platformdirs does, so the
    cached `csauth token` path does not import it; platformdirs for macOS and Windows."""
    if sys.platform.startswith(("darwin", "win32", "cygwin")):
        import platformdirs

        return Path(getattr(platformdirs, platformdirs_name)(APP_NAME, appauthor=False))
    base = os.environ.get(xdg_variable, "").strip()
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), xdg_default)
    return Path(base) / APP_NAME
