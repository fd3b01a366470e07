"""A pseudo-terminal for the app to draw on, so that the bench needs no private hook.

`App.run` and `App.run_test(headless=False)` then use Textual's own Linux driver, which
turns every frame into the bytes a terminal is sent and writes them, as in a user's
terminal. A forked child reads the other end and throws the bytes away (a terminal
emulator reads them; left unread, the driver's writes would block once the buffer fills).
The driver writes to fd 2 and reads fd 0: both are the pty's while `attached` lasts, and
`sys.stderr` (tracebacks, warnings) keeps writing to where fd 2 went before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import sys
import termios


def _drain(master: int) -> None:
    try:
        while os.read(master, 65536):
            pass
    except OSError:  # EIO: every end of the slave closed, the app has gone
        pass
    os._exit(0)


@contextlib.contextmanager
def attached(size: tuple[int, int]):
    width, height = size
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    reader = os.fork()
    if reader == 0:
        os.close(slave)
        _drain(master)
    os.close(master)
    saved = {fd: os.dup(fd) for fd in (0, 2)}
    old_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved[2]), "w", buffering=1, encoding="utf-8")
    old_size = {k: os.environ.get(k) for k in ("COLUMNS", "LINES")}
    os.environ.update(COLUMNS=str(width), LINES=str(height))
    for fd in (0, 2):
        os.dup2(slave, fd)
    os.close(slave)
    try:
        yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        sys.stderr.close()
        sys.stderr = old_stderr
        for key, value in old_size.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.waitpid(reader, 0)
