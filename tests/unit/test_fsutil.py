"""Atomic private writes and the inter-process lock."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from csauth_tui.core import fsutil
from csauth_tui.core.errors import StoreError
from csauth_tui.core.fsutil import atomic_write, file_lock
from tests.files import HandleStandIn, mode

REPO = Path(__file__).resolve().parents[2]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_a_private_file_in_a_private_directory(tmp_path):
    target = tmp_path / "new" / "nested" / "profiles.toml"
    atomic_write(target, "a = 1\n")
    assert target.read_text() == "a = 1\n"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700


def test_atomic_write_is_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        atomic_write(tmp_path / "d" / "f", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "d" / "f") == 0o600
    assert mode(tmp_path / "d") == 0o700


def test_atomic_write_replaces_the_content_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "f.json"
    atomic_write(target, "old")
    atomic_write(target, "new, longer content")
    atomic_write(target, b"bytes \xe2\x9c\x93")
    assert target.read_bytes() == b"bytes \xe2\x9c\x93"
    assert leftovers(tmp_path) == []


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write(target, "old")

    def refuse(src, dst):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fsutil.os, "replace", refuse)
    with pytest.raises(StoreError, match="Permission denied") as info:
        atomic_write(target, "new")
    assert "previous file is unchanged" in str(info.value)
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_writing_over_a_directory_is_refused(tmp_path):
    target = tmp_path / "profiles.toml"
    target.mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        atomic_write(target, "x")
    assert target.is_dir() and list(target.iterdir()) == []


def test_a_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "blocker").write_text("i am a file")
    for attempt in (
        lambda: atomic_write(tmp_path / "blocker" / "f", "x"),
        lambda: file_lock(tmp_path / "blocker" / "f").__enter__(),
    ):
        with pytest.raises(StoreError) as info:
            attempt()
        blocker = (tmp_path / "blocker").resolve()
        assert str(info.value) == f"{blocker} exists and is not a directory; nothing was written"
    assert (tmp_path / "blocker").read_text() == "i am a file"


class _FullDisk(HandleStandIn):
    """A file object whose write fails like a full disk; closing closes the real file."""

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_says_so_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write(target, "old")
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        fsutil.os, "fdopen", lambda fd, *a, **k: _FullDisk(real_fdopen(fd, *a, **k))
    )
    with pytest.raises(StoreError) as info:
        atomic_write(target, "new")
    assert str(info.value) == (
        f"cannot write {target.resolve()}: No space left on device "
        "(disk full); the previous file is unchanged"
    )
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_a_failed_write_closes_only_its_own_file_descriptor(tmp_path, monkeypatch):
    # Another thread may open a file and get the temp file's descriptor number the moment
    # it is closed: a failed write must not close that descriptor a second time.
    target = tmp_path / "f.json"
    real_fdopen = os.fdopen
    reused: list[int] = []

    class GrabFdOnClose(_FullDisk):
        def __exit__(self, *exc) -> None:
            self.handle.close()
            reused.append(os.open(tmp_path / "other", os.O_RDWR | os.O_CREAT, 0o600))

    monkeypatch.setattr(
        fsutil.os, "fdopen", lambda fd, *a, **k: GrabFdOnClose(real_fdopen(fd, *a, **k))
    )
    with pytest.raises(StoreError, match="disk full"):
        atomic_write(target, "new")
    try:
        os.fstat(reused[0])  # still open: nobody closed it behind our back
    finally:
        os.close(reused[0])


def _lock_script(timeout: float) -> str:
    return textwrap.dedent(
        f"""
        import sys
        from csauth_tui.core.errors import StoreError
        from csauth_tui.core.fsutil import file_lock
        try:
            with file_lock(sys.argv[1], timeout={timeout}):
                print("acquired")
        except StoreError as exc:
            print("refused:", exc)
        """
    )


def _try_lock_in_child(target: Path, timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _lock_script(timeout), str(target)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_file_lock_keeps_a_second_process_out_until_released(tmp_path):
    target = tmp_path / "state" / "tokens.json"
    with file_lock(target):
        out = _try_lock_in_child(target, timeout=0.3)
        assert out.startswith("refused:")
        assert "locked" in out
        assert str(target) in out
    assert _try_lock_in_child(target, timeout=30) == "acquired"
    # the sidecar lock file lives next to the target, private, and the target is untouched
    assert mode(target.with_name("tokens.json.lock")) == 0o600
    assert not target.exists()


def test_file_lock_is_released_when_the_block_raises(tmp_path):
    target = tmp_path / "f"
    with pytest.raises(RuntimeError), file_lock(target):
        raise RuntimeError("boom")
    with file_lock(target, timeout=0.5):
        pass


def test_a_symlinked_file_stays_a_symlink_and_its_target_is_written(tmp_path):
    """Dotfiles managed with stow: profiles.toml -> ../dot/profiles.toml."""
    real = tmp_path / "dot" / "profiles.toml"
    real.parent.mkdir()
    real.write_text("old = 1\n")
    link = tmp_path / "config" / "profiles.toml"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "dot" / "profiles.toml")

    with file_lock(link):
        atomic_write(link, "new = 2\n")
    assert link.is_symlink()
    assert real.read_text() == "new = 2\n" and link.read_text() == "new = 2\n"
    assert leftovers(link.parent) == [] and leftovers(real.parent) == []
    # the lock sits beside the real file, so two links to it share one lock
    assert (real.parent / "profiles.toml.lock").exists()
    assert not (link.parent / "profiles.toml.lock").exists()


def test_the_next_lock_removes_temp_files_a_killed_writer_left(tmp_path):
    """kill -9 between creating the temp file and renaming it leaves the temp file; the next
    writer (which holds the lock, so no live writer can own it) removes it."""
    target = tmp_path / "profiles.toml"
    atomic_write(target, "old = 1\n")
    stale = [tmp_path / ".profiles.toml.k1ll_d00.tmp", tmp_path / ".profiles.toml.zzzzzzzz.tmp"]
    for path in stale:
        path.write_text("new = 2\n[half")
    keep = [
        tmp_path / ".tokens.json.k1ll_d00.tmp",  # another file's temp: its own lock cleans it
        tmp_path / ".profiles.toml.notes.tmp",  # not a name mkstemp makes
        tmp_path / "profiles.toml.bak",
    ]
    for path in keep:
        path.write_text("mine")
    (tmp_path / ".profiles.toml.dirdirdi.tmp").mkdir()  # not a file: not ours

    with file_lock(target):
        assert not any(path.exists() for path in stale)
    assert all(path.read_text() == "mine" for path in keep)
    assert (tmp_path / ".profiles.toml.dirdirdi.tmp").is_dir()
    assert target.read_text() == "old = 1\n"


def test_a_read_only_directory_names_the_file_and_the_reason(tmp_path, monkeypatch):
    target = tmp_path / "profiles.toml"
    real_open = os.open

    def refuse_lock_file(path, flags, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(fsutil.os, "open", refuse_lock_file)
    with pytest.raises(StoreError) as info, file_lock(target):
        pass
    assert str(info.value) == (
        f"cannot write {target.resolve()}: Permission denied "
        "(creating its lock file profiles.toml.lock); nothing was written"
    )
