"""Atomic, private file writes and an inter-process lock. Standard library only."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import StoreError, UnsafeFileError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_SUFFIX = ".tmp"


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` if needed. Every directory created here, the missing parents
    (such as ~/.config or ~/.cache) included, is 0700 whatever the umask (the XDG Base
    Directory spec asks 0700 of the directories it names)."""
    directory = Path(directory)
    try:
        exists = directory.exists()
        if not exists:
            missing = []
            probe = Path(os.path.abspath(directory))
            while not os.path.lexists(probe) and probe.parent != probe:
                missing.append(probe)
                probe = probe.parent
            for step in reversed(missing):
                try:
                    os.mkdir(step, PRIVATE_DIR)
                except FileExistsError:  # another process made it: theirs to set
                    continue
                os.chmod(step, PRIVATE_DIR)  # a umask such as 0o277 takes bits off mkdir's
    except OSError as exc:  # ENAMETOOLONG, EACCES, ... from the check as well as mkdir
        raise StoreError(
            f"cannot create {directory}: {exc.strerror or exc}; nothing was written"
        ) from None
    if not directory.is_dir():
        raise StoreError(f"{directory} exists and is not a directory; nothing was written")


# --- reading back only what is ours -------------------------------------------------------

WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def unsafe_reason(
    info: os.stat_result, path: Path, *, directory: bool, file: Path | None = None
) -> UnsafeFileError | None:
    """Why a file (or a directory holding one) cannot be trusted, or None.

    A file must be ours (st_uid == geteuid) and not writable by group or others. A
    directory may also be root's (root can replace any file anyway), and writable by
    others when its sticky bit is set (/tmp: no one may rename or delete a file of ours
    there, and the file itself is checked). `file`: the file `path` is the directory of,
    named in the error."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows: ACLs, not modes
        return None
    me = os.geteuid()
    mode = stat.S_IMODE(info.st_mode)
    shown, subject = (file, f"its directory {path}") if file is not None else (path, "it")
    if info.st_uid != me and not (directory and info.st_uid == 0):
        return UnsafeFileError(
            str(shown),
            f"{subject} is owned by uid {info.st_uid}, not by you (uid {me})",
            f"fix: if you did not put it there, remove it; else `chown {me} {path}` "
            f"and `chmod go-w {path}`",
        )
    if mode & WRITABLE_BY_OTHERS and not (directory and mode & stat.S_ISVTX):
        who = {stat.S_IWGRP: "group", stat.S_IWOTH: "others"}.get(
            mode & WRITABLE_BY_OTHERS, "group and others"
        )
        return UnsafeFileError(
            str(shown),
            f"{subject} is writable by {who} (mode {mode:04o})",
            f"fix: chmod go-w {path}",
        )
    return None


def directory_problem(directory: Path, file: Path | None = None) -> UnsafeFileError | None:
    """`unsafe_reason` for an existing directory (None when it is missing)."""
    try:
        info = os.stat(directory)
    except OSError:
        return None
    return unsafe_reason(info, directory, directory=True, file=file)


def read_trusted(path: Path, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of `path`, read only when the file and its directory are ours and not
    writable by group or others (else UnsafeFileError), checked with fstat on what was
    opened, so the file checked is the file read. The directory is opened first and the
    file opened inside it (no path is looked up twice).

    follow_symlinks=False (caches): a symlink in its place is refused (O_NOFOLLOW).
    follow_symlinks=True (the profiles file, often a stow link): the link is followed and
    both the link's directory and the target's are checked.
    Missing file or directory: FileNotFoundError; a directory: IsADirectoryError.
    """
    path = Path(path)
    if os.name != "posix":  # pragma: no cover
        return path.read_bytes()
    where = Path(os.path.abspath(path))
    target = where.resolve() if follow_symlinks else where
    if target.parent != where.parent:
        problem = directory_problem(where.parent, path)
        if problem:
            raise problem
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    dir_fd = os.open(target.parent, flags | getattr(os, "O_DIRECTORY", 0))
    try:
        problem = unsafe_reason(os.fstat(dir_fd), target.parent, directory=True, file=path)
        if problem:
            raise problem
        try:  # O_NONBLOCK: a FIFO put in its place must not hang us
            fd = os.open(target.name, flags | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeFileError(
                    str(path), "it is a symbolic link", f"fix: rm {path}"
                ) from None
            raise
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(str(path), "it is not a regular file", f"fix: rm {path}")
        problem = unsafe_reason(info, path, directory=False)
        if problem:
            raise problem
        os.set_blocking(fd, True)
        return handle.read()


_warned: set[str] = set()


def warn_ignored(what: str, problem: UnsafeFileError) -> None:
    """Say once per process that a cache file was not used: in the log when one is set up
    (`csauth -v`, the tests), else one "csauth: warning:" line on stderr (the app's
    stderr is Textual's, which keeps it off the screen)."""
    text = f"warning: {what} not used: {problem}"
    if text in _warned:
        return
    _warned.add(text)
    import logging

    if logging.getLogger().handlers:
        logging.getLogger("csauth.files").warning("%s", text)
    else:
        import sys

        print(f"csauth: {text}", file=sys.stderr)


# --- writing ------------------------------------------------------------------------------


def atomic_write(
    path: Path, data: str | bytes, mode: int = PRIVATE_FILE, *, follow_symlinks: bool = True
) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never a mix.

    Temp file in the same directory (created with `mode`, so it is never world-readable,
    even for an instant), fsync, rename over the target, fsync the directory.
    follow_symlinks=True (the profiles file, dotfiles managed with stow): its target is
    replaced, the link stays. False (caches): a symlink in its place is replaced by the
    file, never written through.
    A writer killed mid-write leaves its temp file behind (readers never look at it);
    the next `file_lock` on the same target removes it.
    """
    path = Path(path).resolve() if follow_symlinks else Path(os.path.abspath(path))
    ensure_private_dir(path.parent)
    try:
        is_dir = path.is_dir() if follow_symlinks else stat.S_ISDIR(_lmode(path))
    except OSError as exc:  # a name too long for the file system
        raise StoreError(
            f"cannot write {path}: {exc.strerror or exc}; nothing was written"
        ) from None
    if is_dir:
        raise StoreError(f"{path} is a directory, not a file; nothing was written")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
        )
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
        raise StoreError(f"cannot write {path}: {reason}; the previous file is unchanged") from None
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _lmode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return 0


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
def file_lock(
    target: Path, timeout: float = 10.0, *, follow_symlinks: bool = True
) -> Iterator[None]:
    """Hold an exclusive lock on `<target>.lock` (a sidecar, so the rename keeps working).
    follow_symlinks=True: beside the file a symlink points to, so every link to one file
    shares one lock. The lock file itself is never opened through a symlink."""
    target = _target(target, follow_symlinks)
    ensure_private_dir(target.parent)
    lock_path = target.with_name(target.name + ".lock")
    try:
        fd = os.open(
            lock_path,
            os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
            PRIVATE_FILE,
        )
    except OSError as exc:
        reason = (
            "it is a symbolic link; fix: rm " + str(lock_path)
            if exc.errno == errno.ELOOP
            else exc.strerror or str(exc)
        )
        raise StoreError(
            f"cannot write {target}: {reason} (creating its lock "
            f"file {lock_path.name}); nothing was written"
        ) from None
    try:
        _acquire(fd, target, timeout)
        try:
            remove_stale_temp_files(target, follow_symlinks=follow_symlinks)
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _target(target: Path, follow_symlinks: bool) -> Path:
    return Path(target).resolve() if follow_symlinks else Path(os.path.abspath(target))


def remove_stale_temp_files(target: Path, *, follow_symlinks: bool = True) -> None:
    """Remove the temp files `atomic_write` left beside `target` when killed mid-write.

    Call it only while holding `file_lock(target)`: every writer of a locked file writes
    under the lock, so a temp file that exists while we hold it belongs to a dead writer.
    """
    target = _target(target, follow_symlinks)  # atomic_write writes beside a link's target
    # mkstemp names: ".NAME." + 8 characters from [a-z0-9_] + ".tmp"
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


if sys.platform != "win32":  # (not os.name: mypy reads sys.platform checks)
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
