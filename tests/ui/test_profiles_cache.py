"""The app's parse cache for big profiles files: the same profiles as a fresh parse, a miss
on any change to the file, never a secret in the cache, and no harm from a broken cache."""

from __future__ import annotations

import json
import math
import os
import stat
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from csauth_tui.core import profiles as core_profiles
from csauth_tui.core.errors import ProfilesSyntaxError
from csauth_tui.core.profiles import load
from csauth_tui.ui import profiles_cache
from csauth_tui.ui.profiles_cache import CACHE_NAME, MIN_BYTES, load_profiles


def big_file(path: Path, n: int = 400, extra: str = "") -> Path:
    """A profiles file over MIN_BYTES, with every TOML value kind the cache must keep."""
    lines = [
        "[settings]",
        'auth_url = "https://api.contentsquare.com"',
        "renew_before_seconds = 120",
        extra,
        "[keys]",
        'get_token = "G"',
        "[odd]  # not a csauth table: kept by the parse all the same",
        "when = 1979-05-27T07:32:00-08:00",
        "naive = 1979-05-27T07:32:00.999999",
        "day = 1979-05-27",
        "at = 07:32:00",
        "inf = inf",
        "nan = nan",
        "neg = -0.0",
        'nested = { a = [1, 2.5, "three", [true, false]], b = { c = 1979-05-27 } }',
    ]
    for i in range(n):
        lines += [
            f"[profiles.team-{i:04d}]",
            'level = "project"',
            f'client_id = "client-{i}"',
            'scopes = ["metrics", "data-export"]',
            f"project_id = {1000 + i}",
            'secret = "env:CSAUTH_SECRET"',
            f"created = 2025-{1 + i % 12:02d}-15",
            f'description = "Team {i}: \\"quoted\\", unicode é 数据, tab\\t"',
        ]
    lines += [
        '[profiles."bad name"]',
        'client_id = ""',
        'scopes = "metrics"',
        "created = 2025-01-01T10:00:00Z",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size >= MIN_BYTES
    return path


def same(a, b) -> None:
    assert a.order == b.order
    assert a.profiles == b.profiles
    assert a.problems == b.problems
    assert a.settings == b.settings
    assert a.exists == b.exists and a.path == b.path


def test_a_cache_hit_gives_the_profiles_a_fresh_parse_gives(tmp_path, monkeypatch):
    config, cache_dir = big_file(tmp_path / "profiles.toml"), tmp_path / "cache"
    first = load_profiles(config, cache_dir)
    same(first, load(config))
    assert (cache_dir / CACHE_NAME).exists()

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed again: the cache was not used")

    monkeypatch.setattr(profiles_cache, "read_toml", no_parse)
    monkeypatch.setattr(core_profiles, "read_toml", no_parse)
    again = load_profiles(config, cache_dir)
    same(again, first)


def test_the_cached_document_keeps_every_toml_value_as_parsed(tmp_path):
    config, cache_dir = big_file(tmp_path / "profiles.toml"), tmp_path / "cache"
    load_profiles(config, cache_dir)
    digest = __import__("hashlib").sha256(config.read_bytes()).hexdigest()
    doc = profiles_cache._read(cache_dir / CACHE_NAME, digest)
    odd = doc["odd"]
    assert odd["when"] == datetime(1979, 5, 27, 7, 32, tzinfo=timezone(timedelta(hours=-8)))
    assert odd["naive"] == datetime(1979, 5, 27, 7, 32, 0, 999999)
    assert odd["naive"].tzinfo is None
    assert odd["day"] == date(1979, 5, 27) and type(odd["day"]) is date
    assert odd["at"] == time(7, 32)
    assert odd["inf"] == math.inf and math.isnan(odd["nan"])
    assert math.copysign(1, odd["neg"]) == -1
    assert odd["nested"] == {"a": [1, 2.5, "three", [True, False]], "b": {"c": date(1979, 5, 27)}}
    assert doc["profiles"]["bad name"]["created"] == datetime(2025, 1, 1, 10, tzinfo=timezone.utc)


def test_any_change_to_the_file_is_a_miss(tmp_path):
    config, cache_dir = big_file(tmp_path / "profiles.toml"), tmp_path / "cache"
    load_profiles(config, cache_dir)
    text = config.read_text(encoding="utf-8").replace(
        'client_id = "client-7"', 'client_id = "client-seven"'
    )
    config.write_text(text, encoding="utf-8")
    os.utime(config, (0, 0))  # even with an old mtime: the bytes decide
    assert load_profiles(config, cache_dir).profiles["team-0007"].client_id == "client-seven"


def test_a_file_with_a_plaintext_secret_is_never_cached(tmp_path):
    config = big_file(tmp_path / "profiles.toml")
    with config.open("a", encoding="utf-8") as out:
        out.write('[profiles.plain]\nclient_id = "p"\nclient_secret = "sentinel-cache-secret"\n')
    cache_dir = tmp_path / "cache"
    pf = load_profiles(config, cache_dir)
    assert pf.profiles["plain"].client_secret is not None
    assert not (cache_dir / CACHE_NAME).exists()


PASTED = "Xq7Lw2Rt9Bz4Nv8Kc1Md5Pf3"  # what a pasted client secret looks like


@pytest.mark.parametrize(
    "line",
    [
        f'"client\\u005fsecret" = "{PASTED}"',  # TOML's escape: the real client_secret key
        f'secret = "{PASTED}"',  # the secret pasted where its source belongs
        f'client-secret = "{PASTED}"',  # a misspelled key the loader does not know
        f'description = "key {PASTED}"',  # pasted anywhere else
    ],
    ids=["escaped-key", "pasted-as-source", "misspelled-key", "in-a-description"],
)
def test_a_file_that_might_hold_a_secret_is_never_cached(tmp_path, line):
    config = big_file(tmp_path / "profiles.toml")
    cache_dir = tmp_path / "cache"
    load_profiles(config, cache_dir)
    assert (cache_dir / CACHE_NAME).exists()  # the file without it is cached...
    with config.open("a", encoding="utf-8") as out:
        out.write(f'[profiles.pasted]\nclient_id = "p"\n{line}\n')
    same(load_profiles(config, cache_dir), load(config))
    # ...and once it might hold a secret, no cache file is left at all, old or new
    assert not (cache_dir / CACHE_NAME).exists()


def test_a_small_file_is_parsed_without_a_cache(tmp_path):
    config = tmp_path / "profiles.toml"
    config.write_text('[profiles.p]\nclient_id = "c"\n')
    same(load_profiles(config, tmp_path / "cache"), load(config))
    assert not (tmp_path / "cache").exists()


def test_the_cache_file_is_private(tmp_path):
    config, cache_dir = big_file(tmp_path / "profiles.toml"), tmp_path / "cache"
    load_profiles(config, cache_dir)
    assert stat.S_IMODE((cache_dir / CACHE_NAME).stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", ["garbage", "other-stamp", "truncated", "wrong-shape"])
def test_a_broken_cache_is_a_miss_not_an_error(tmp_path, damage):
    config, cache_dir = big_file(tmp_path / "profiles.toml"), tmp_path / "cache"
    expected = load_profiles(config, cache_dir)
    cache = cache_dir / CACHE_NAME
    data = cache.read_text(encoding="utf-8")
    if damage == "garbage":
        cache.write_bytes(b"\xff\x00not json")
    elif damage == "other-stamp":
        cache.write_text(data.replace('"stamp":"', '"stamp":"x'), encoding="utf-8")
    elif damage == "truncated":
        cache.write_text(data[: len(data) // 2], encoding="utf-8")
    else:
        stamp = json.loads(data)["stamp"]
        cache.write_text(json.dumps({"stamp": stamp, "doc": [], "dates": [[["x"], "date", "bad"]]}))
    same(load_profiles(config, cache_dir), expected)


def test_errors_are_the_ones_load_reports(tmp_path):
    missing = load_profiles(tmp_path / "nope.toml", tmp_path / "cache")
    assert not missing.exists and missing.profiles == {}
    broken = big_file(tmp_path / "profiles.toml")
    broken.write_text(broken.read_text() + "\n[profiles.x\n")
    with pytest.raises(ProfilesSyntaxError) as caught:
        load_profiles(broken, tmp_path / "cache")
    with pytest.raises(ProfilesSyntaxError) as plain:
        load(broken)
    assert str(caught.value) == str(plain.value)
