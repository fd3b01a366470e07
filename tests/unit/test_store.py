"""Writing the profiles file: the user's own formatting survives, failures write nothing."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from csauth_tui.core import profiles
from csauth_tui.core.errors import (
    ConfigError,
    ProfileInvalidError,
    ProfilesSyntaxError,
    StoreError,
    UnknownProfileError,
)
from csauth_tui.core.redact import Secret
from csauth_tui.core.store import ProfileStore

REPO = Path(__file__).resolve().parents[2]
OLD_MTIME_NS = 1_600_000_000 * 10**9

HAND_WRITTEN = """\
# My Contentsquare credentials.
#   Maintained by hand - please keep this comment!
keys = { copy = "y", quit = "q" }   # an inline table at the top

[settings]
renew_before_seconds   =   600   # ten minutes
token_cache=true

# --- production -----------------------------------------------

[profiles.prod]              # the big one
level     = "account"
client_id = "prod-client"    # from the console
scopes    = [ "metrics",
              "data-export" ]  # both
project_id = 12345
created = 2025-03-01

# staging: project level
[profiles.staging]
client_id="stg"
scopes=["metrics"]
secret = "env:STAGING_SECRET"

  [profiles.enrich]   # indented on purpose
  client_id = 'enrich-client'
  scopes = ["enrichment"]
  description = "enrichment only"   # alone!

# trailing comment at end of file
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "conf" / "profiles.toml"
    target.parent.mkdir(mode=0o700)
    target.write_text(HAND_WRITTEN)
    os.utime(target, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    return target


@pytest.fixture
def store(path: Path) -> ProfileStore:
    s = ProfileStore(path)
    s.load()
    return s


def assert_untouched(path: Path) -> None:
    assert path.read_text() == HAND_WRITTEN
    assert path.stat().st_mtime_ns == OLD_MTIME_NS


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- formatting survives ----------------------------------------------------------------


def test_add_appends_a_table_after_one_blank_line_and_keeps_everything_else(store, path):
    store.add(
        "new-one",
        {
            "client_id": "n1",
            "scopes": ("metrics", "surveys"),
            "project_id": 42,
            "level": "account",
            "created": dt.date(2026, 1, 15),
            "description": "fresh",
        },
    )
    assert path.read_text() == HAND_WRITTEN + (
        "\n"
        "[profiles.new-one]\n"
        'description = "fresh"\n'
        'level = "account"\n'
        'client_id = "n1"\n'
        "project_id = 42\n"
        'scopes = ["metrics", "surveys"]\n'
        "created = 2026-01-15\n"
    )
    loaded = store.load()
    assert loaded.problems == []
    assert list(loaded.profiles) == ["prod", "staging", "enrich", "new-one"]
    new = loaded.profiles["new-one"]
    assert (new.project_id, new.scopes, new.created) == (
        42,
        ("metrics", "surveys"),
        dt.date(2026, 1, 15),
    )


def test_add_to_a_file_without_final_newline_still_leaves_one_blank_line(path):
    path.write_text('[profiles.a]\nclient_id = "a"')
    ProfileStore(path).add("b", {"client_id": "b"})
    assert path.read_text() == '[profiles.a]\nclient_id = "a"\n\n[profiles.b]\nclient_id = "b"\n'


def test_update_edits_values_in_place_and_keeps_their_comments(store, path):
    store.update(
        "prod",
        {"client_id": "prod-2", "project_id": 777, "created": None, "description": "Prod metrics"},
    )
    expected = HAND_WRITTEN.replace(
        'client_id = "prod-client"    # from the console',
        'client_id = "prod-2"    # from the console',
    ).replace(
        "project_id = 12345\ncreated = 2025-03-01\n",
        'project_id = 777\ndescription = "Prod metrics"\n',  # new key after the last key
    )
    assert path.read_text() == expected
    prod = store.load().profiles["prod"]
    assert (prod.client_id, prod.project_id, prod.created) == ("prod-2", 777, None)


def test_update_of_an_indented_table_keeps_its_indentation(store, path):
    store.update("enrich", {"auth_url": "https://enrichment-api.eu.contentsquare.com"})
    assert path.read_text() == HAND_WRITTEN.replace(
        '"enrichment only"   # alone!\n',
        '"enrichment only"   # alone!\n'
        '  auth_url = "https://enrichment-api.eu.contentsquare.com"\n',
    )


def test_remove_takes_the_table_and_its_comment_and_nothing_else(store, path):
    assert store.remove("staging") is True
    assert path.read_text() == HAND_WRITTEN.replace(
        "# staging: project level\n"
        "[profiles.staging]\n"
        'client_id="stg"\n'
        'scopes=["metrics"]\n'
        'secret = "env:STAGING_SECRET"\n'
        "\n",
        "",
    )
    assert list(store.load().profiles) == ["prod", "enrich"]


def test_remove_the_last_table_keeps_a_detached_comment_after_it(store, path):
    store.remove("enrich")
    assert path.read_text() == HAND_WRITTEN.replace(
        "  [profiles.enrich]   # indented on purpose\n"
        "  client_id = 'enrich-client'\n"
        '  scopes = ["enrichment"]\n'
        '  description = "enrichment only"   # alone!\n'
        "\n",
        "",
    )


def test_remove_of_a_missing_profile_says_so_and_writes_nothing(store, path):
    assert store.remove("nope") is False
    assert_untouched(path)


def test_rename_rewrites_only_the_header_line(store, path):
    store.rename("staging", "qa")
    store.rename("enrich", "enrich-eu")
    assert path.read_text() == HAND_WRITTEN.replace(
        "[profiles.staging]\n", "[profiles.qa]\n"
    ).replace(
        "  [profiles.enrich]   # indented on purpose\n",
        "  [profiles.enrich-eu]   # indented on purpose\n",
    )
    loaded = store.load()
    assert list(loaded.profiles) == ["prod", "qa", "enrich-eu"]
    assert loaded.profiles["qa"].secret.text == "env:STAGING_SECRET"


def test_set_setting_in_place_new_and_removed(store, path):
    store.set_setting("token_cache", False)
    store.set_setting("clipboard_clear_seconds", 10)
    store.set_setting("renew_before_seconds", None)
    assert path.read_text() == HAND_WRITTEN.replace(
        "renew_before_seconds   =   600   # ten minutes\ntoken_cache=true\n",
        "token_cache=false\nclipboard_clear_seconds = 10\n",
    )
    settings = store.load().settings
    assert (
        settings.token_cache,
        settings.clipboard_clear_seconds,
        settings.renew_before_seconds,
    ) == (False, 10, 300)


def test_a_new_settings_table_goes_before_the_profiles(path):
    path.write_text('# mine\n\n[profiles.a]\nclient_id = "a"\n')
    ProfileStore(path).set_setting("token_cache", False)
    assert path.read_text() == (
        '# mine\n\n[settings]\ntoken_cache = false\n\n[profiles.a]\nclient_id = "a"\n'
    )


def test_bad_setting_is_refused(store, path):
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        store.set_setting("colour", "blue")
    with pytest.raises(ConfigError, match="settings.renew_before_seconds"):
        store.set_setting("renew_before_seconds", -5)
    with pytest.raises(ConfigError, match="settings.auth_url"):
        store.set_setting("auth_url", "http://example.com")
    assert_untouched(path)


INLINE_PROFILES = """\
[profiles]  # written by hand as inline tables
legacy = { client_id = "old", scopes = ["metrics"] }   # the old one
other  = { client_id = "other" }
"""


def test_profiles_written_as_inline_tables_are_edited_where_they_are(path):
    path.write_text(INLINE_PROFILES)
    store = ProfileStore(path)
    store.update("legacy", {"client_id": "renewed"})
    store.rename("legacy", "legacy-2")
    assert path.read_text() == INLINE_PROFILES.replace(
        'legacy = { client_id = "old",', 'legacy-2 = { client_id = "renewed",'
    )
    store.remove("legacy-2")
    assert path.read_text() == INLINE_PROFILES.replace(
        'legacy = { client_id = "old", scopes = ["metrics"] }   # the old one\n', ""
    )
    assert list(store.load().profiles) == ["other"]


def test_a_new_file_gets_a_header_explaining_it(tmp_path):
    path = tmp_path / "fresh" / "profiles.toml"
    store = ProfileStore(path)
    store.add("first", {"client_id": "c1"})
    text = path.read_text()
    header, body = text.split("\n\n", 1)
    assert all(line.startswith("# ") for line in header.splitlines())
    assert "keyring" in header and "csauth add" in header
    assert body == '[profiles.first]\nclient_id = "c1"\n'
    assert list(store.load().profiles) == ["first"]


# --- what is refused --------------------------------------------------------------------


def test_names_and_fields_are_checked_before_anything_is_read(store, path):
    for bad in ("with space", "dots.in.it", "", "new\n", "é"):
        with pytest.raises(ValueError, match="invalid profile name"):
            store.add(bad, {"client_id": "x"})
    with pytest.raises(ValueError, match="unknown profile field.*colour"):
        store.add("ok", {"client_id": "x", "colour": "red"})
    with pytest.raises(ValueError, match="unknown profile field"):
        store.update("prod", {"clientid": "x"})
    with pytest.raises(ValueError, match="'description' cannot hold a object"):
        store.update("prod", {"description": object()})
    with pytest.raises(ValueError, match="invalid profile name"):
        store.rename("prod", "prod 2")
    assert_untouched(path)


def test_name_clashes_and_missing_profiles(store, path):
    with pytest.raises(ConfigError, match="'prod' already exists"):
        store.add("prod", {"client_id": "x"})
    with pytest.raises(ConfigError, match="'staging' already exists"):
        store.rename("prod", "staging")
    with pytest.raises(UnknownProfileError, match="no profile named 'ghost'"):
        store.update("ghost", {"client_id": "x"})
    with pytest.raises(UnknownProfileError, match="no profile named 'ghost'"):
        store.rename("ghost", "spirit")
    assert_untouched(path)


def test_overwrite_replaces_the_profile_where_it_is(store, path):
    store.add("staging", {"client_id": "stg-2", "level": "project"}, overwrite=True)
    assert path.read_text() == HAND_WRITTEN.replace(
        'client_id="stg"\nscopes=["metrics"]\nsecret = "env:STAGING_SECRET"\n',
        'client_id="stg-2"\nlevel = "project"\n',
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"project_id": "12"}, "project_id"),
        ({"level": "galaxy"}, "level"),
        ({"scopes": ["enrichment", "metrics"]}, "scopes"),
        ({"client_id": None}, "client_id"),
        ({"auth_url": "http://evil.example.com"}, "auth_url"),
    ],
)
def test_a_change_that_makes_the_profile_invalid_writes_nothing(store, path, change, field):
    with pytest.raises(ProfileInvalidError) as caught:
        store.update("prod", change)
    assert f"prod.{field}" in str(caught.value)
    assert_untouched(path)


def test_an_invalid_new_profile_is_refused_without_showing_its_secret(store, path):
    with pytest.raises(ProfileInvalidError) as caught:
        store.add(
            "leaky", {"client_id": "c", "project_id": 0, "client_secret": Secret("s3cr3t-VALUE")}
        )
    assert "leaky.project_id" in str(caught.value)
    assert "s3cr3t-VALUE" not in str(caught.value)
    assert_untouched(path)


def test_plaintext_secret_is_written_only_when_given(store, path):
    store.add("plain", {"client_id": "c", "client_secret": Secret("s3cr3t-VALUE")})
    assert 'client_secret = "s3cr3t-VALUE"' in path.read_text()
    loaded = store.load()
    assert loaded.profiles["plain"].client_secret == Secret("s3cr3t-VALUE")
    assert loaded.profiles["plain"].secret.text == "plaintext"


def test_other_broken_profiles_do_not_block_a_write(path):
    path.write_text(HAND_WRITTEN + '\n[profiles.broken]\nlevel = "galaxy"\n')
    store = ProfileStore(path)
    store.add("fine", {"client_id": "f"})
    loaded = store.load()
    assert "fine" in loaded.profiles
    assert loaded.errors_for("broken")  # still there, still reported


@pytest.mark.parametrize(
    ("broken", "line", "col"),
    [
        (HAND_WRITTEN.replace('client_id="stg"', 'client_id="stg'), 21, 15),
        (HAND_WRITTEN.replace("token_cache=true", "token_cache="), 7, 13),
        (HAND_WRITTEN + "[profiles.x\n", 31, 12),
        (HAND_WRITTEN + 'x = """never closed\n', 31, 20),
    ],
    ids=["unclosed-string", "missing-value", "unclosed-header", "end-of-file"],
)
def test_a_syntax_error_is_reported_as_path_line_col_and_nothing_is_written(
    path, broken, line, col
):
    path.write_text(broken)
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    store = ProfileStore(path)
    for attempt in (
        lambda: store.add("z", {"client_id": "z"}),
        lambda: store.update("prod", {"project_id": 1}),
        lambda: store.remove("prod"),
        lambda: store.rename("prod", "p"),
        lambda: store.set_setting("token_cache", False),
    ):
        with pytest.raises(ProfilesSyntaxError) as caught:
            attempt()
        assert (caught.value.line, caught.value.col) == (line, col)
        assert str(caught.value).startswith(f"{path}:{line}:{col}: ")
    # the same words as the loader gives
    with pytest.raises(ProfilesSyntaxError) as loaded:
        store.load()
    assert str(loaded.value) == str(caught.value)
    assert path.read_text() == broken
    assert path.stat().st_mtime_ns == OLD_MTIME_NS


def test_a_file_that_is_not_utf8_is_reported_and_kept(path):
    path.write_bytes(b'[profiles.a]\nclient_id = "caf\xe9"\n')
    with pytest.raises(ProfilesSyntaxError, match=r":2:17: not valid UTF-8"):
        ProfileStore(path).add("b", {"client_id": "b"})
    assert path.read_bytes() == b'[profiles.a]\nclient_id = "caf\xe9"\n'


# --- the file on disk -------------------------------------------------------------------


def test_files_are_private_after_every_write(store, path):
    path.chmod(0o644)
    store.add("x", {"client_id": "x"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_created_directory_is_private(tmp_path):
    path = tmp_path / "deep" / "er" / "profiles.toml"
    ProfileStore(path).add("x", {"client_id": "x"})
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_rename_leaves_the_old_file_and_no_temp_file(store, path, monkeypatch):
    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(StoreError) as caught:
        store.add("x", {"client_id": "x"})
    assert str(caught.value) == (
        f"cannot write {path.resolve()}: No space left on device "
        "(disk full); the previous file is unchanged"
    )
    assert_untouched(path)
    assert leftovers(path.parent) == []


def test_a_temp_file_left_by_a_killed_save_is_ignored_then_removed(store, path):
    stale = path.parent / ".profiles.toml.k1ll3d00.tmp"
    stale.write_text(HAND_WRITTEN[:100])  # the half a killed save had written
    assert list(store.load().profiles) == ["prod", "staging", "enrich"]
    store.add("x", {"client_id": "x"})
    assert leftovers(path.parent) == []
    assert list(store.load().profiles) == ["prod", "staging", "enrich", "x"]


def test_a_directory_in_place_of_the_file_is_a_clear_error(tmp_path):
    path = tmp_path / "conf" / "profiles.toml"
    path.mkdir(parents=True)
    with pytest.raises(StoreError) as caught:
        ProfileStore(path).add("x", {"client_id": "x"})
    assert str(caught.value).startswith(f"{path} is a directory, not a profiles file")
    assert path.is_dir() and list(path.iterdir()) == []


@pytest.mark.parametrize("lock_file_exists", [True, False])
def test_a_read_only_directory_is_a_clear_error(store, path, monkeypatch, lock_file_exists):
    directory = path.parent
    if lock_file_exists:  # left by an earlier csauth run
        (directory / "profiles.toml.lock").touch()
    directory.chmod(0o500)
    try:
        if os.access(directory, os.W_OK):
            # root ignores the mode: answer as the kernel answers everyone else
            simulate_read_only(directory, monkeypatch)
        with pytest.raises(StoreError) as caught:
            store.add("x", {"client_id": "x"})
    finally:
        directory.chmod(0o700)
    assert str(path) in str(caught.value) and "Permission denied" in str(caught.value)
    assert_untouched(path)
    assert leftovers(directory) == []


def simulate_read_only(directory: Path, monkeypatch) -> None:
    denied = PermissionError(errno.EACCES, "Permission denied")
    real_mkstemp, real_open = tempfile.mkstemp, os.open

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == directory:
            raise denied
        return real_mkstemp(*args, dir=dir, **kwargs)

    def open_(file, flags, *args, **kwargs):
        new = flags & os.O_CREAT and not os.path.exists(file)
        if new and Path(file).parent == directory:
            raise denied
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "open", open_)


# --- other writers ----------------------------------------------------------------------


def test_an_edit_made_elsewhere_is_merged_not_clobbered(store, path):
    assert store.changed_on_disk() is False
    with path.open("a") as handle:
        handle.write('\n# added in an editor meanwhile\n[profiles.handmade]\nclient_id = "hm"\n')
    assert store.changed_on_disk() is True
    store.add("mine", {"client_id": "m"})
    text = path.read_text()
    assert "# added in an editor meanwhile\n[profiles.handmade]\n" in text
    assert list(store.load().profiles) == ["prod", "staging", "enrich", "handmade", "mine"]
    assert store.changed_on_disk() is False


def test_two_stores_on_one_file_see_each_others_changes(store, path):
    other = ProfileStore(path)
    other.remove("staging")
    assert store.changed_on_disk() is True
    store.update("prod", {"project_id": 5})
    assert list(store.load().profiles) == ["prod", "enrich"]  # staging stays removed
    assert other.changed_on_disk() is True


def test_changed_on_disk_before_any_load_and_for_a_missing_file(tmp_path):
    store = ProfileStore(tmp_path / "none.toml")
    assert store.changed_on_disk() is True  # never looked
    assert store.load().exists is False
    assert store.changed_on_disk() is False
    (tmp_path / "none.toml").write_text('[profiles.a]\nclient_id = "a"\n')
    assert store.changed_on_disk() is True


ADDER = """
import sys, time
from pathlib import Path
from csauth_tui.core.store import ProfileStore
path, prefix, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
deadline = time.monotonic() + 120
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("never told to start")
    time.sleep(0.002)
store = ProfileStore(path)
for i in range(30):
    store.add(f"{prefix}-{i}", {"client_id": f"{prefix}-client-{i}"})
"""


def test_two_processes_adding_at_once_lose_nothing(path, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(path), prefix, str(go)],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("left", "right")
    ]
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
    loaded = profiles.load(path)
    added = [n for n in loaded.profiles if n.startswith(("left-", "right-"))]
    assert len(added) == 60
    assert {loaded.profiles[f"right-{i}"].client_id for i in range(30)} == {
        f"right-client-{i}" for i in range(30)
    }
    assert path.read_text().startswith(HAND_WRITTEN)


def test_a_misjudged_text_edit_falls_back_to_a_plainer_one(store, path, monkeypatch):
    from csauth_tui.core import store as store_module

    monkeypatch.setattr(store_module, "_cut_table", lambda text, name: "")  # would empty it
    store.remove("staging")
    assert list(store.load().profiles) == ["prod", "enrich"]
    assert "# My Contentsquare credentials." in path.read_text()


def test_when_no_edit_is_faithful_nothing_is_written(store, path, monkeypatch):
    from csauth_tui.core import store as store_module

    monkeypatch.setattr(store_module, "_cut_table", lambda text, name: "")
    monkeypatch.setattr(store_module, "_edited", lambda text, change: "[profiles]\n")
    with pytest.raises(StoreError, match="without disturbing other entries; nothing was written"):
        store.remove("staging")
    assert_untouched(path)


def test_a_symlinked_profiles_file_is_edited_through_the_link(tmp_path):
    real = tmp_path / "dot" / "profiles.toml"
    real.parent.mkdir()
    real.write_text('# mine\n\n[profiles.a]\nclient_id = "cid-a"\n')
    link = tmp_path / "config" / "profiles.toml"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "dot" / "profiles.toml")

    store = ProfileStore(link)
    store.add("b", {"client_id": "cid-b"})
    store.remove("a")
    assert link.is_symlink()
    assert real.read_text().startswith("# mine\n") and "[profiles.b]" in real.read_text()
    assert "[profiles.a]" not in real.read_text()
    assert list(store.load().profiles) == ["b"]


def test_remove_keeps_the_comment_written_right_above_the_next_table(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(
        '[profiles.a]\nclient_id = "a"\n# about b: the nightly export\n'
        '[profiles.b]\nclient_id = "b"\n'
    )
    ProfileStore(path).remove("a")
    assert path.read_text() == '# about b: the nightly export\n[profiles.b]\nclient_id = "b"\n'
