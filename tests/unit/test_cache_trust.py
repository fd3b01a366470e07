"""What csauth reads back from its cache and config directories, and what it creates there.
(Not in tmp_path / "cache", the isolated cache dir the leak scanner reads at teardown.)

A cache is a hint, never an authority: every cached token is re-checked as a fresh answer
is; a file (or a directory holding one) that another user owns or that group or others may
write is ignored for caches and refused for the profiles file; no write follows a symlink
someone placed in the cache directory; every directory csauth creates is 0700.
Tests run as root: "another user" is uid 65534.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from csauth_tui.core import fsutil
from csauth_tui.core.errors import StoreError, UnsafeFileError
from csauth_tui.core.fsutil import atomic_write, ensure_private_dir, file_lock, read_trusted
from csauth_tui.core.profiles import load
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.tokens import (
    CLOCK_SKEW_SECONDS,
    MAX_LIFETIME_SECONDS,
    Token,
    TokenCache,
    cached_token,
    expiry_from_response,
)
from csauth_tui.ui.profiles_cache import CACHE_NAME, MIN_BYTES, load_profiles

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
AUTH_URL = "https://api.contentsquare.com"
JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaWQtMSJ9.c2lnbmF0dXJl"
NOBODY = 65534


def good_token(**kw) -> Token:
    values = dict(
        access_token=JWT,
        endpoint="https://api.eu-west-1.contentsquare.com",
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        client_id="cid-1",
        auth_url=AUTH_URL,
        scopes=("metrics",),
        project_id=1001,
        profile="prod",
    )
    values.update(kw)
    return Token(**values)


def write_cache(path: Path, entries: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "tokens": entries}))
    os.chmod(path, 0o600)


# --- every cached token is re-checked ------------------------------------------------------


def forged(**changes) -> tuple[str, dict]:
    token = good_token()
    raw = token.to_dict()
    raw.update(changes)
    return token.key, raw


FORGERIES = {
    "endpoint elsewhere": forged(endpoint="https://evil.test"),
    "endpoint without the dot": forged(endpoint="https://evilcontentsquare.com"),
    "endpoint with an empty label": forged(endpoint="https://api..contentsquare.com"),
    "endpoint with port 0": forged(endpoint="https://api.contentsquare.com:0"),
    "far-future expiry": forged(expires_at="2099-01-01T00:00:00+00:00"),
    "expiry just past an hour and the skew": forged(
        expires_at=(
            NOW + timedelta(seconds=MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS + 1)
        ).isoformat()
    ),
    "issued in the future": forged(
        issued_at=(NOW + timedelta(seconds=CLOCK_SKEW_SECONDS + 1)).isoformat()
    ),
    "not shaped like a JWT": forged(access_token="opaque-token"),
    "a newline in the token": forged(access_token=JWT + "\nX-Evil: 1"),
    "a space in the token": forged(access_token=JWT.replace(".", ". ", 1)),
    "non-ASCII in the token": forged(access_token=JWT.replace("c2ln", "c2lñ")),
    "another client_id than its key": forged(client_id="cid-2"),
    "another auth_url than its key": forged(auth_url="https://other.contentsquare.com"),
    "other scopes than its key": forged(scopes=["metrics", "data-export"]),
    "another project than its key": forged(project_id=1002),
    "project_id as text": forged(project_id="1001"),
    "scopes not a list of strings": forged(scopes="metrics"),
    "token not a string": forged(access_token=["a.b.c"]),
    "marked untrusted": forged(trusted=False),
    "no timezone": forged(expires_at="2026-03-01T12:30:00"),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_entry_is_never_returned(tmp_path, name):
    key, raw = FORGERIES[name]
    path = tmp_path / "cachedir" / "tokens.json"
    write_cache(path, {key: raw})
    cache = TokenCache(path, clock=lambda: NOW)
    assert cache.get(key) is None
    assert cache.all() == []
    assert cached_token(raw, key, NOW) is None


def test_the_same_entry_unforged_is_returned(tmp_path):
    """The forgeries above differ from this one by one field each: each rule bites."""
    token = good_token()
    path = tmp_path / "cachedir" / "tokens.json"
    write_cache(path, {token.key: token.to_dict()})
    cache = TokenCache(path, clock=lambda: NOW)
    assert cache.get(token.key) == token
    assert cache.all() == [token]
    # the bounds themselves are inside: an hour plus the skew, issued up to the skew ahead
    edge = good_token(
        issued_at=NOW + timedelta(seconds=CLOCK_SKEW_SECONDS),
        expires_at=NOW + timedelta(seconds=MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS),
    )
    assert cached_token(edge.to_dict(), edge.key, NOW) == edge


def test_a_forged_entry_is_dropped_on_the_next_write(tmp_path):
    key, raw = FORGERIES["endpoint elsewhere"]
    path = tmp_path / "cachedir" / "tokens.json"
    write_cache(path, {key: raw, "junk": {"client_id": "x"}})
    cache = TokenCache(path, clock=lambda: NOW)
    fresh = good_token(client_id="cid-9")
    cache.put(fresh)
    stored = json.loads(path.read_text())["tokens"]
    assert list(stored) == [fresh.key]
    assert "evil.test" not in path.read_text()


def test_what_a_read_would_refuse_is_not_written():
    """A token that is not JWT-shaped, or lives longer than an hour, is not cached."""
    for token in (
        good_token(access_token="opaque"),
        good_token(expires_at=NOW + timedelta(hours=5)),
    ):
        assert cached_token(token.to_dict(), token.key, NOW) is None


def test_a_fresh_answer_never_lives_longer_than_an_hour():
    """The same bound as a cache read: a server saying 24 h gets the hour a token lives."""
    assert expiry_from_response(NOW, 86400, {}) == NOW + timedelta(seconds=3600)
    iat = 1_900_000_000
    assert expiry_from_response(NOW, None, {"iat": iat, "exp": iat + 7200}) == NOW + timedelta(
        seconds=3600
    )
    assert expiry_from_response(NOW, 1200, {}) == NOW + timedelta(seconds=1200)


# --- only our own files, and only from our own directories ---------------------------------


def a_cache_with_one_good_token(tmp_path) -> tuple[TokenCache, Token]:
    token = good_token()
    path = tmp_path / "cachedir" / "tokens.json"
    write_cache(path, {token.key: token.to_dict()})
    return TokenCache(path, clock=lambda: NOW), token


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_a_token_cache_others_may_write_is_ignored(tmp_path, caplog, mode):
    cache, token = a_cache_with_one_good_token(tmp_path)
    os.chmod(cache.path, mode)
    with caplog.at_level(logging.WARNING, logger="csauth.files"):
        assert cache.get(token.key) is None and cache.all() == []
    warned = caplog.text
    assert str(cache.path) in warned and f"chmod go-w {cache.path}" in warned


def test_a_token_cache_owned_by_another_user_is_ignored(tmp_path, caplog):
    cache, token = a_cache_with_one_good_token(tmp_path)
    os.chown(cache.path, NOBODY, NOBODY)
    with caplog.at_level(logging.WARNING, logger="csauth.files"):
        assert cache.get(token.key) is None
    assert f"owned by uid {NOBODY}" in caplog.text and str(cache.path) in caplog.text


@pytest.mark.parametrize("change", ["group-writable", "world-writable", "other owner"])
def test_a_cache_directory_others_may_write_is_neither_read_nor_written(tmp_path, change):
    cache, token = a_cache_with_one_good_token(tmp_path)
    directory = cache.path.parent
    if change == "other owner":
        os.chown(directory, NOBODY, NOBODY)
    else:
        os.chmod(directory, 0o770 if change == "group-writable" else 0o777)
    before = cache.path.read_bytes()
    assert cache.get(token.key) is None
    cache.put(good_token(client_id="cid-2"))  # our tokens never go where others can read
    assert cache.path.read_bytes() == before
    assert [p.name for p in directory.iterdir()] == ["tokens.json"]


def test_a_sticky_world_writable_directory_of_root_is_allowed(tmp_path):
    """/tmp-like: others cannot rename or remove our file there, and the file is checked."""
    cache, token = a_cache_with_one_good_token(tmp_path)
    os.chmod(cache.path.parent, 0o1777)
    assert cache.get(token.key) == token


def test_a_readable_cache_is_still_read_and_made_private_on_write(tmp_path):
    cache, token = a_cache_with_one_good_token(tmp_path)
    os.chmod(cache.path, 0o644)
    assert cache.get(token.key) == token
    cache.put(good_token(client_id="cid-2"))
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_a_fifo_in_place_of_the_cache_does_not_hang(tmp_path):
    path = tmp_path / "cachedir" / "tokens.json"
    path.parent.mkdir()
    os.mkfifo(path, 0o600)
    result = []
    reader = threading.Thread(target=lambda: result.append(TokenCache(path).all()), daemon=True)
    reader.start()
    reader.join(5)
    assert result == [[]], "reading a FIFO blocked"


# --- no write follows a symlink in the cache directory -------------------------------------


def test_a_symlinked_token_cache_is_not_read_and_not_written_through(tmp_path):
    elsewhere = tmp_path / "victim.json"
    token = good_token()
    elsewhere.write_text(json.dumps({"version": 1, "tokens": {token.key: token.to_dict()}}))
    os.chmod(elsewhere, 0o600)
    before = elsewhere.read_bytes()
    path = tmp_path / "cachedir" / "tokens.json"
    path.parent.mkdir()
    path.symlink_to(elsewhere)
    cache = TokenCache(path, clock=lambda: NOW)
    assert cache.get(token.key) is None  # not read through the link
    cache.put(good_token(client_id="cid-2"))
    assert elsewhere.read_bytes() == before  # not written through it either
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_symlinked_lock_file_is_not_opened(tmp_path):
    victim = tmp_path / "victim"
    path = tmp_path / "cachedir" / "tokens.json"
    path.parent.mkdir()
    (path.parent / "tokens.json.lock").symlink_to(victim)
    with pytest.raises(StoreError, match="symbolic link"):
        with file_lock(path, follow_symlinks=False):
            pass
    assert not victim.exists()


def test_the_profiles_file_symlink_stow_makes_is_still_followed(tmp_path):
    """Dotfiles managed with stow: the profiles file is a link to the user's own file."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "profiles.toml"
    real.write_text('[profiles.p]\nclient_id = "cid"\nsecret = "env:X"\n')
    link = tmp_path / "config" / "profiles.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    assert list(load(link).profiles) == ["p"]
    ProfileStore(link).add("q", {"client_id": "cid-q", "secret": "env:Y"})
    assert link.is_symlink() and "cid-q" in real.read_text()


def test_a_parsed_profiles_cache_symlink_is_replaced_not_followed(tmp_path):
    config = big_profiles(tmp_path / "config" / "profiles.toml", "env:CSAUTH_SECRET")
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    cache_dir = tmp_path / "cachedir"
    cache_dir.mkdir()
    (cache_dir / CACHE_NAME).symlink_to(victim)
    load_profiles(config, cache_dir)
    assert victim.read_text() == "keep me"
    assert not (cache_dir / CACHE_NAME).is_symlink()


# --- the parsed-profiles cache ---------------------------------------------------------------


def big_profiles(path: Path, secret: str) -> Path:
    lines = []
    for i in range(400):
        lines += [
            f"[profiles.team-{i:04d}]",
            f'client_id = "client-{i}"',
            'scopes = ["metrics"]',
            f'secret = "{secret}"',
            f'description = "{"x" * 100}"',
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    assert path.stat().st_size >= MIN_BYTES
    return path


def forge_parse_cache(config: Path, cache_dir: Path, command: str) -> Path:
    """A parse cache that says every profile's secret runs `command`: what another user
    able to write the cache directory could leave there."""
    load_profiles(config, cache_dir)
    cache = cache_dir / CACHE_NAME
    data = json.loads(cache.read_text())
    for table in data["doc"]["profiles"].values():
        table["secret"] = command
    cache.write_text(json.dumps(data))
    return cache


@pytest.mark.parametrize("how", ["group-writable", "other owner", "directory writable"])
def test_a_forged_parse_cache_is_ignored(tmp_path, caplog, how):
    config = big_profiles(tmp_path / "config" / "profiles.toml", "env:CSAUTH_SECRET")
    cache_dir = tmp_path / "cachedir"
    cache = forge_parse_cache(config, cache_dir, "cmd:touch /tmp/never")
    if how == "group-writable":
        os.chmod(cache, 0o660)
    elif how == "other owner":
        os.chown(cache, NOBODY, NOBODY)
    else:
        os.chmod(cache_dir, 0o777)
    with caplog.at_level(logging.WARNING, logger="csauth.files"):
        loaded = load_profiles(config, cache_dir)
    assert {p.secret.text for p in loaded.profiles.values()} == {"env:CSAUTH_SECRET"}
    assert "parsed-profiles cache not used" in caplog.text and str(cache) in caplog.text


def test_our_own_parse_cache_is_still_used(tmp_path):
    """The check does not turn the cache off: the same forgery, ours and private, is read
    (which is why the checks above matter)."""
    config = big_profiles(tmp_path / "config" / "profiles.toml", "env:CSAUTH_SECRET")
    forge_parse_cache(config, tmp_path / "cachedir", "cmd:true")
    loaded = load_profiles(config, tmp_path / "cachedir")
    assert {p.secret.text for p in loaded.profiles.values()} == {"cmd:true"}


# --- the profiles file: refused, not ignored -------------------------------------------------


def profiles_file(tmp_path) -> Path:
    path = tmp_path / "config" / "profiles.toml"
    path.parent.mkdir()
    path.write_text('[profiles.p]\nclient_id = "cid"\nsecret = "cmd:true"\n')
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_profiles_file_others_may_write_is_refused(tmp_path, mode):
    path = profiles_file(tmp_path)
    os.chmod(path, mode)
    with pytest.raises(UnsafeFileError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message and f"chmod go-w {path}" in message
    assert caught.value.exit_code == 3
    with pytest.raises(UnsafeFileError):  # the store (add, rm, import, the app's edits)
        ProfileStore(path).load()
    with pytest.raises(UnsafeFileError):
        ProfileStore(path).add("q", {"client_id": "x"})
    assert "[profiles.q]" not in path.read_text()


def test_a_profiles_file_of_another_user_is_refused(tmp_path):
    path = profiles_file(tmp_path)
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(UnsafeFileError, match=f"owned by uid {NOBODY}"):
        load(path)


@pytest.mark.parametrize("change", ["group-writable", "other owner"])
def test_a_profiles_directory_others_may_write_is_refused(tmp_path, change):
    path = profiles_file(tmp_path)
    if change == "other owner":
        os.chown(path.parent, NOBODY, NOBODY)
    else:
        os.chmod(path.parent, 0o770)
    with pytest.raises(UnsafeFileError) as caught:
        load(path)
    assert f"its directory {path.parent}" in str(caught.value)


def test_a_profiles_file_readable_by_others_is_still_read(tmp_path):
    """Readable is worth a warning (`csauth audit` gives it), not a refusal."""
    path = profiles_file(tmp_path)
    os.chmod(path, 0o644)
    assert list(load(path).profiles) == ["p"]


def test_the_stow_link_target_is_checked_too(tmp_path):
    real = tmp_path / "dotfiles" / "profiles.toml"
    real.parent.mkdir()
    real.write_text('[profiles.p]\nclient_id = "cid"\n')
    os.chmod(real, 0o666)
    link = tmp_path / "config" / "profiles.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    with pytest.raises(UnsafeFileError, match="writable by group and others"):
        load(link)


def test_read_trusted_reports_a_missing_file_as_missing(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_trusted(tmp_path / "nope" / "file")
    assert load(tmp_path / "nope" / "profiles.toml").exists is False


# --- every directory created is 0700, under any umask ---------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_every_directory_created_is_0700_parents_included(tmp_path, umask):
    base = tmp_path / "home"
    base.mkdir()
    old = os.umask(umask)
    try:
        ensure_private_dir(base / ".cache" / "csauth")
        atomic_write(base / ".config" / "csauth" / "profiles.toml", "x")
        TokenCache(base / "c1" / "c2" / "tokens.json", clock=lambda: NOW).put(good_token())
    finally:
        os.umask(old)
    for created in (".cache", ".cache/csauth", ".config", ".config/csauth", "c1", "c1/c2"):
        assert stat.S_IMODE((base / created).stat().st_mode) == 0o700, created
    assert stat.S_IMODE(base.stat().st_mode) != 0o700 or umask == 0o077  # not ours: untouched


def test_an_existing_directory_keeps_its_mode(tmp_path):
    existing = tmp_path / "shared"
    existing.mkdir()
    os.chmod(existing, 0o755)
    ensure_private_dir(existing / "csauth")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o755


def test_warnings_are_said_once_per_path(tmp_path, caplog):
    cache, token = a_cache_with_one_good_token(tmp_path)
    os.chmod(cache.path, 0o666)
    fsutil._warned.clear()
    with caplog.at_level(logging.WARNING, logger="csauth.files"):
        for _ in range(3):
            cache.get(token.key)
    assert caplog.text.count("token cache not used") == 1


@pytest.fixture(autouse=True)
def _fresh_warnings():
    fsutil._warned.clear()
    yield
    fsutil._warned.clear()
