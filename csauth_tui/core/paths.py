"""Where csauth keeps things. Environment overrides exist for tests and the demo."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "csauth"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--config PATH`, else `$CSAUTH_CONFIG`, else profiles.toml in the user config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CSAUTH_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "profiles.toml"


def cache_dir() -> Path:
    env = os.environ.get("CSAUTH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def token_cache_path() -> Path:
    return cache_dir() / "tokens.json"
