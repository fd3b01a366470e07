"""Every test runs away from the developer's real config, cache and keyring."""

from __future__ import annotations

import os

import pytest

from csauth_tui.demo import memory_keyring as make_memory_keyring
from tests import figures

# Every run scans what the suite shows for client secrets and tokens (tests/leakscan.py),
# and for control characters csauth did not write (tests/escscan.py).
pytest_plugins = ("tests.leakscan", "tests.escscan")


def pytest_terminal_summary(terminalreporter):
    """Print the reliability figures (tests/figures.py) after the run, if any were recorded."""
    text = figures.table()
    if text:
        terminalreporter.write_line("")
        for line in text.splitlines():
            terminalreporter.write_line(line)
    target = os.environ.get("CSAUTH_FIGURES_JSON")
    if target and text:
        figures.write_json(target)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    config = tmp_path / "config" / "profiles.toml"
    cache = tmp_path / "cache"
    monkeypatch.setenv("CSAUTH_CONFIG", str(config))
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    # Child processes (CLI runs) get a keyring that refuses everything, never the real one,
    # unless a test opts into the Secret Service on purpose.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CSAUTH_PROFILE", raising=False)  # a developer's default profile
    return tmp_path


@pytest.fixture
def memory_keyring(monkeypatch):
    import keyring

    backend = make_memory_keyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True, scope="session")
def usual_umask():
    """csauth refuses a profiles file (or a directory) that group or others may write: the
    files and directories the tests make get the usual 0o022 umask, even where the login
    umask is 0o002 (user-private groups)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
