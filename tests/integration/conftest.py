"""The real Secret Service keyring, for the tests that need one (tests/run-suite)."""

from __future__ import annotations

import os

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


@pytest.fixture
def secret_service(monkeypatch):
    """keyring's SecretService backend, set explicitly (the autouse fixture points child
    processes at the fail backend), restored after the test."""
    if os.environ.get("CSAUTH_SECRET_SERVICE") != "1":
        reason = (
            "needs a real Secret Service keyring: run it through tests/run-suite "
            "(dbus-run-session + gnome-keyring), e.g. `make test`"
        )
        if _in_ci():
            pytest.fail(f"CI=true but CSAUTH_SECRET_SERVICE is not 1: {reason}", pytrace=False)
        pytest.skip(reason)

    import keyring
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
