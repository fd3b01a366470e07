"""Fuzz: the profiles loader (profiles.py) and the tomlkit store (store.py) on random and
near-valid TOML. Only the project's own errors may escape, every problem names a real
profile, no secret is quoted, and a load never touches the user's file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import event, example, given
from hypothesis import strategies as st

from csauth_tui.core import profiles
from csauth_tui.core.errors import ConfigError, ProfileInvalidError, ProfilesSyntaxError
from csauth_tui.core.profiles import LEVELS, NAME_RE, ProfilesFile
from csauth_tui.core.store import ProfileStore
from tests.reliability.fuzzing import (
    attempt,
    fuzz_settings,
    near_valid_profiles,
    unique_secrets,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEEP_ARRAY = b"a = " + b"[" * 1100 + b"]" * 1100
HUGE_INT = b'[profiles.x]\nclient_id = "c"\nproject_id = ' + b"9" * 4400 + b"\n"


def fresh_file(tmp_path: Path, raw: bytes) -> tuple[Path, bytes, int]:
    path = tmp_path / "profiles.toml"
    path.write_bytes(raw)
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    return path, raw, path.stat().st_mtime_ns


def assert_untouched(path: Path, raw: bytes, mtime: int) -> None:
    assert path.read_bytes() == raw, "the profiles file changed"
    assert path.stat().st_mtime_ns == mtime, "the profiles file was rewritten"


def check_loaded(pf: ProfilesFile, secrets: list[str]) -> None:
    """What `csauth list` and the app rely on, whatever the file held."""
    assert set(pf.profiles) <= set(pf.order)
    for problem in pf.problems:
        assert problem.severity in ("error", "warning")
        assert problem.profile is None or problem.profile in pf.order
        text = str(problem)
        for secret in secrets:
            assert secret not in text, "a problem message quotes a client secret"
    for name in pf.order:
        if name in pf.profiles:
            assert pf.errors_for(name) == []
            profile = pf.get(name)
            assert NAME_RE.match(profile.name) and profile.level in LEVELS
            assert isinstance(profile.client_id, str) and profile.client_id.strip()
            assert profile.scopes and all(isinstance(s, str) for s in profile.scopes)
            assert profile.project_id is None or (
                type(profile.project_id) is int and profile.project_id > 0
            )
            for secret in secrets:
                assert secret not in repr(profile)
        else:
            assert pf.errors_for(name), f"profile {name!r} rejected without a reason"
            try:
                pf.get(name)
            except ProfileInvalidError as exc:
                assert all(secret not in str(exc) for secret in secrets)
            else:
                raise AssertionError("an invalid profile was handed out")
    s = pf.settings
    assert type(s.renew_before_seconds) is int and s.renew_before_seconds >= 0
    assert type(s.clipboard_clear_seconds) is int and s.clipboard_clear_seconds >= 0
    assert isinstance(s.token_cache, bool) and isinstance(s.auth_url, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in s.keys.items())


def check_refusal(exc: ConfigError, path: Path) -> None:
    assert isinstance(exc, ConfigError), type(exc)
    if isinstance(exc, ProfilesSyntaxError):
        assert exc.line >= 1 and exc.col >= 1 and exc.detail
        assert str(exc).startswith(f"{path}:{exc.line}:{exc.col}: ")


@fuzz_settings()
@given(raw=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
@example(raw=DEEP_ARRAY)
@example(raw=HUGE_INT)
@example(raw=b"\xff\xfe[profiles.x]\n")
def test_loader_on_arbitrary_bytes(tmp_path, raw):
    path, raw, mtime = fresh_file(tmp_path, raw)
    loaded, error = attempt("profiles loader: random", profiles.load, path)
    assert_untouched(path, raw, mtime)
    if error is not None:
        check_refusal(error, path)
    else:
        check_loaded(loaded, [])


@fuzz_settings(quick=200, full=3000)
@given(case=near_valid_profiles())
def test_loader_on_near_valid_profiles(tmp_path, case):
    raw, secrets = unique_secrets(case[0], case[1].secrets)
    path, raw, mtime = fresh_file(tmp_path, raw)
    loaded, error = attempt("profiles loader: near-valid", profiles.load, path)
    assert_untouched(path, raw, mtime)
    event("refused" if error else f"loaded, {len(loaded.profiles)} of {len(loaded.order)} valid")
    if error is not None:
        check_refusal(error, path)
        assert all(secret not in str(error) for secret in secrets)
    else:
        check_loaded(loaded, secrets)


def parsed(raw: bytes) -> dict | None:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


@fuzz_settings(quick=100, full=1500)
@given(case=near_valid_profiles(), change=st.sampled_from(["add", "setting", "remove"]))
def test_store_opening_a_near_valid_file(tmp_path, case, change):
    """The store either makes the change, keeping every other entry, or refuses with a
    project error and leaves the file byte for byte as it was."""
    raw, _ = unique_secrets(case[0], [])
    path, raw, mtime = fresh_file(tmp_path, raw)
    store = ProfileStore(path)
    _, error = attempt("profiles store: load", store.load)
    assert_untouched(path, raw, mtime)
    before = parsed(raw)
    names = (
        list(before.get("profiles", {}))
        if before and isinstance(before.get("profiles"), dict)
        else []
    )
    if change == "add":
        fields = {"level": "project", "client_id": "fuzz-client", "scopes": ["metrics"]}
        _, error = attempt("profiles store: change", store.add, "fuzz-probe", fields)
    elif change == "setting":
        _, error = attempt("profiles store: change", store.set_setting, "renew_before_seconds", 42)
    else:
        _, error = attempt(
            "profiles store: change", store.remove, names[0] if names else "fuzz-absent"
        )
    event(f"{change}: " + ("refused" if error else "done"))
    if error is not None or path.read_bytes() == raw:
        assert_untouched(path, raw, mtime)
        return
    after = parsed(path.read_bytes())
    assert before is not None and after is not None, "the store wrote a file it cannot read"
    if change == "add":
        del after["profiles"]["fuzz-probe"]
    elif change == "setting":
        del after["settings"]["renew_before_seconds"]
        before.setdefault("settings", {}).pop("renew_before_seconds", None)
    else:
        del before["profiles"][names[0]]
    for data in (before, after):
        for section in ("profiles", "settings"):
            if data.get(section) == {}:
                del data[section]
    assert after == before, "the store changed entries it was not asked to change"


def test_store_refuses_what_the_loader_refuses(tmp_path):
    path, raw, mtime = fresh_file(tmp_path, DEEP_ARRAY)
    fields = {"level": "project", "client_id": "fuzz-client"}
    _, error = attempt("profiles store: change", ProfileStore(path).add, "fuzz-probe", fields)
    assert isinstance(error, ConfigError)
    assert_untouched(path, raw, mtime)
