"""Atomic, private file writes and an inter-process lock. Standard library only."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import StoreError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_SUFFIX = ".tmp"


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` (and parents) if needed; a directory we create is 0700."""
    try:
        exists = directory.exists()
        if not exists:
            directory.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
            os.chmod(directory, PRIVATE_DIR)
    except OSError as exc:  # ENAMETOOLONG, EACCES, ... from the check as well as mkdir
        raise StoreError(f"cannot create {directory}: {exc.strerror or exc}; "
                         "nothing was written") from None
    if exists and not directory.is_dir():
        raise StoreError(f"{directory} exists and is not a directory; nothing was written")


def atomic_write(path: Path, data: str | bytes, mode: int = PRIVATE_FILE) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never a mix.

    Temp file in the same directory (created with `mode`, so it is never world-readable,
    even for an instant), fsync, rename over the target, fsync the directory. A symlink
    (dotfiles managed with stow) is followed: its target is replaced, the link stays.
    A writer killed mid-write leaves its temp file behind (readers never look at it);
    the next `file_lock` on the same target removes it.
    """
    path = Path(path).resolve()
    ensure_private_dir(path.parent)
    try:
        is_dir = path.is_dir()
    except OSError as exc:  # a name too long for the file system
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}; "
                         "nothing was written") from None
    if is_dir:
        raise StoreError(f"{path} is a directory, not a file; nothing was written")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX,
                                        dir=path.parent)
        try:
            os.fchmod(fd, mode) if hasattr(os, "fchmod") else None
            handle = os.fdopen(fd, "wb")
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        with handle:  # owns fd from here: closing it again could close another file
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(path.parent)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            reason += " (disk full)"
        raise StoreError(
            f"cannot write {path}: {reason}; the previous file is unchanged"
        ) from None
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def file_lock(target: Path, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on `<target>.lock` (a sidecar, so the rename keeps working),
    beside the file a symlink points to, so every link to one file shares one lock."""
    target = Path(target).resolve()
    ensure_private_dir(target.parent)
    lock_path = target.with_name(target.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc} (creating its lock "
                         f"file {lock_path.name}); nothing was written") from None
    try:
        _acquire(fd, target, timeout)
        try:
            remove_stale_temp_files(target)
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(target: Path) -> None:
    """Remove the temp files `atomic_write` left beside `target` when killed mid-write.

    Call it only while holding `file_lock(target)`: every writer of a locked file writes
    under the lock, so a temp file that exists while we hold it belongs to a dead writer.
    """
    target = Path(target).resolve()  # atomic_write writes beside a symlink's target
    # mkstemp names: ".NAME." + 8 characters from [a-z0-9_] + ".tmp"
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


if os.name == "posix":
    import fcntl

    def _acquire(fd: int, target: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{target} is locked by another csauth process; try again"
                    ) from None
                time.sleep(0.02)

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - Windows
    import msvcrt

    def _acquire(fd: int, target: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise StoreError(f"{target} is locked by another csauth process") from None
                time.sleep(0.02)

    def _release(fd: int) -> None:
        os.lseek(fd, 0, 0)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
