"""Copying to the clipboard and clearing it again, without Textual.

Two ways out: OSC 52 (an escape sequence the terminal turns into a clipboard write; works
over SSH, does nothing in some terminals, can never be read back) and, when the session
is local, the platform's own tool. The secret goes to a tool on stdin, never in argv.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

TOOL_TIMEOUT = 3.0


@dataclass(frozen=True)
class NativeTool:
    name: str
    copy: tuple[str, ...]
    paste: tuple[str, ...] | None


def is_remote_session(environ: Mapping[str, str] = os.environ) -> bool:
    return bool(environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))


def native_tool(
    environ: Mapping[str, str] = os.environ, which: Callable[[str], str | None] = shutil.which
) -> NativeTool | None:
    """The platform clipboard tool to use, or None (remote session, or none installed)."""
    if is_remote_session(environ):
        return None
    candidates: list[NativeTool] = []
    if sys.platform == "darwin":
        candidates.append(NativeTool("pbcopy", ("pbcopy",), ("pbpaste",)))
    if sys.platform == "win32" or environ.get("WSL_DISTRO_NAME"):
        candidates.append(NativeTool("clip.exe", ("clip.exe",), None))
    if environ.get("WAYLAND_DISPLAY"):
        candidates.append(NativeTool("wl-copy", ("wl-copy",), ("wl-paste", "--no-newline")))
    if environ.get("DISPLAY"):
        candidates.append(
            NativeTool(
                "xclip",
                ("xclip", "-selection", "clipboard"),
                ("xclip", "-selection", "clipboard", "-o"),
            )
        )
        candidates.append(
            NativeTool(
                "xsel", ("xsel", "--clipboard", "--input"), ("xsel", "--clipboard", "--output")
            )
        )
    for tool in candidates:
        if which(tool.copy[0]):
            return tool
    return None


def osc52(text: str) -> str:
    """The escape sequence that asks the terminal to put `text` on the clipboard."""
    return "\x1b]52;c;" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "\a"


def describe_method(environ: Mapping[str, str] = os.environ) -> str:
    tool = native_tool(environ)
    remote = " (remote session: native tools skipped)" if is_remote_session(environ) else ""
    tmux = " (inside tmux: needs `set -g set-clipboard on`)" if environ.get("TMUX") else ""
    native = f" + {tool.name}" if tool else ""
    return f"OSC 52 via the terminal{native}{remote}{tmux}"


def native_copy(tool: NativeTool, text: str) -> bool:
    try:
        result = subprocess.run(
            tool.copy,
            input=text.encode("utf-8"),
            timeout=TOOL_TIMEOUT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def native_paste(tool: NativeTool) -> str | None:
    if tool.paste is None:
        return None
    try:
        result = subprocess.run(
            tool.paste, timeout=TOOL_TIMEOUT, capture_output=True, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.decode("utf-8", "replace") if result.returncode == 0 else None


def inside_tmux(environ: Mapping[str, str] = os.environ) -> bool:
    return bool(environ.get("TMUX")) and shutil.which("tmux") is not None


def forget_tmux_buffers(texts: Iterable[str]) -> int:
    """Delete tmux paste buffers holding any of `texts` (OSC 52 copies land there in tmux;
    an empty OSC 52 cannot clear them). Buffers are read back and compared here, so the
    secret never goes into a command line. Returns how many were deleted."""
    try:
        names = subprocess.run(
            ["tmux", "list-buffers", "-F", "#{buffer_name}"],
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return 0
    deleted = 0
    for name in names.stdout.decode("utf-8", "replace").split():
        try:
            shown = subprocess.run(
                ["tmux", "show-buffer", "-b", name],
                capture_output=True,
                timeout=TOOL_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            if shown.returncode == 0 and shown.stdout.decode("utf-8", "replace") in texts:
                subprocess.run(
                    ["tmux", "delete-buffer", "-b", name],
                    capture_output=True,
                    timeout=TOOL_TIMEOUT,
                    stdin=subprocess.DEVNULL,
                )
                deleted += 1
        except (OSError, subprocess.SubprocessError):
            continue
    return deleted


# What a clear writes over OSC 52: terminals differ on an empty payload (tmux ignores it),
# a single space replaces the clipboard everywhere.
BLANK = " "


class Clipboard:
    """Copy and clear. `terminal_write` sends text over OSC 52 (the app passes its own
    copy_to_clipboard); the native tool is used too when there is one; inside tmux the
    paste buffers that received a secret are deleted on clear.

    The wipe follows the last copy: a secret copied with `clear_after` is wiped at
    `clear_at`; copying something that is not a secret cancels the wipe of what it
    replaced (the user wants it kept) and forgets the earlier secret's tmux buffers."""

    def __init__(
        self,
        terminal_write: Callable[[str], object] | None = None,
        tool: NativeTool | None = None,
        tmux: bool = False,
    ) -> None:
        self.terminal_write = terminal_write
        self.tool = tool
        self.tmux = tmux
        self.held: str | None = None  # the secret we last put there (None: not a secret)
        self.clear_at: datetime | None = None  # when `held` is wiped (None: never)
        self._copied: set[str] = set()  # every secret copied since the last clear (tmux keeps all)

    def copy(
        self, text: str, *, secret: bool = True, now: datetime | None = None, clear_after: float = 0
    ) -> list[str]:
        """Copy `text`; returns the names of the methods that took it. A `secret` is wiped
        `clear_after` seconds after `now` (0: never); anything else is left alone."""
        used = []
        if self.terminal_write is not None:
            self.terminal_write(text)
            used.append("OSC 52")
        if self.tool is not None and native_copy(self.tool, text):
            used.append(self.tool.name)
        if secret:
            self.held = text
            self._copied.add(text)
            self.clear_at = (
                None if clear_after <= 0 or now is None else now + timedelta(seconds=clear_after)
            )
        else:
            self.held = None
            self.clear_at = None
            if self.tmux and self._copied:  # the earlier secrets' buffers go all the same
                forget_tmux_buffers(self._copied)
            self._copied.clear()
        return used

    def seconds_left(self, now: datetime) -> float | None:
        """Seconds until the pending wipe (None: none pending)."""
        return None if self.clear_at is None else (self.clear_at - now).total_seconds()

    def tick(self, now: datetime) -> bool:
        """Wipe when the time has come; True when something was cleared just now."""
        if self.clear_at is None or now < self.clear_at:
            return False
        self.clear_at = None
        return self.clear()

    def still_holds_ours(self) -> bool | None:
        """True/False when the native tool can read the clipboard back, else None."""
        if self.held is None:
            return False
        if self.tool is None:
            return None
        current = native_paste(self.tool)
        return None if current is None else current == self.held

    def clear(self, force: bool = False) -> bool:
        """Overwrite the clipboard if it still holds the secret we put there (or cannot
        tell). Returns True when something was cleared."""
        self.clear_at = None
        if self.held is None:
            return False
        holds = self.still_holds_ours()
        if holds is False and not force:
            self.held = None  # the user copied something else since: leave it alone
            if self.tmux:  # but tmux's own buffer list still holds what we copied
                forget_tmux_buffers(self._copied)
            self._copied.clear()
            return False
        if self.terminal_write is not None:
            self.terminal_write(BLANK)
        if self.tool is not None and holds is not False:
            native_copy(self.tool, "")
        if self.tmux:
            forget_tmux_buffers(self._copied)
        self._copied.clear()
        self.held = None
        return True
