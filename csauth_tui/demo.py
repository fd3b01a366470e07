"""`csauth demo`: the app on the embedded fake API, with demo profiles in a temp dir.

Nothing is written to the user's config, cache or keyring: the profiles file and cache
live in a temporary directory removed on exit, secrets come from environment variables
of this process, and the keyring is replaced in-process by an in-memory one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoEnvironment:
    config_path: Path
    cache_dir: Path
    api_url: str


def memory_keyring():
    """An in-memory keyring backend (demo and tests): never the user's real keyring."""
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.store.pop((service, username), None) is None:
                raise PasswordDeleteError("no such entry")

    return MemoryKeyring()


@contextlib.contextmanager
def demo_environment(token_lifetime: float = 3600) -> Iterator[DemoEnvironment]:
    import keyring

    from .core.fsutil import atomic_write
    from .fake.demo import DEMO_CREDENTIALS, demo_profiles_toml
    from .fake.server import FakeContentsquare

    saved_env = dict(os.environ)
    previous_keyring = keyring.get_keyring()
    with (
        tempfile.TemporaryDirectory(prefix="csauth-demo-") as tmp,
        FakeContentsquare(DEMO_CREDENTIALS, token_lifetime=token_lifetime) as fake,
    ):
        root = Path(tmp)
        config = root / "profiles.toml"
        text, secrets = demo_profiles_toml(fake.url)
        atomic_write(config, text)
        os.environ.update(secrets)
        os.environ["CSAUTH_CONFIG"] = str(config)
        os.environ["CSAUTH_CACHE_DIR"] = str(root / "cache")
        keyring.set_keyring(memory_keyring())
        try:
            yield DemoEnvironment(config, root / "cache", fake.url)
        finally:
            keyring.set_keyring(previous_keyring)
            os.environ.clear()
            os.environ.update(saved_env)
