"""Clipboard: OSC 52, picking the native tool, copying on stdin, clearing only our own."""

from __future__ import annotations

import base64
import json
import sys
import types
from pathlib import Path

import pytest

from csauth_tui.core import clipboard
from csauth_tui.core.clipboard import (
    BLANK,
    Clipboard,
    NativeTool,
    describe_method,
    native_tool,
    osc52,
)

SECRET = "eyJTOKEN-sentinel.payload.sig"


def test_osc52_wraps_the_base64_text_in_the_escape_sequence():
    seq = osc52("héllo ✓")
    assert seq.startswith("\x1b]52;c;") and seq.endswith("\a")
    assert base64.b64decode(seq[len("\x1b]52;c;") : -1]).decode("utf-8") == "héllo ✓"
    assert osc52("") == "\x1b]52;c;\a"


# --- choosing the native tool ---------------------------------------------------------


@pytest.fixture
def linux(monkeypatch):
    monkeypatch.setattr(clipboard, "sys", types.SimpleNamespace(platform="linux"))


def installed(*names):
    return lambda cmd: f"/usr/bin/{cmd}" if cmd in names else None


ALL = installed("wl-copy", "xclip", "xsel", "clip.exe", "pbcopy")


@pytest.mark.parametrize(
    "ssh", [{"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}, {"SSH_TTY": "/dev/pts/1"}]
)
def test_a_remote_session_uses_no_native_tool(linux, ssh):
    env = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", **ssh}
    assert native_tool(env, ALL) is None
    assert "remote session" in describe_method(env)


def test_wayland_prefers_wl_copy(linux):
    tool = native_tool({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ALL)
    assert tool.name == "wl-copy"
    assert tool.paste == ("wl-paste", "--no-newline")


def test_x11_uses_xclip_else_xsel(linux):
    assert native_tool({"DISPLAY": ":0"}, ALL).name == "xclip"
    assert native_tool({"DISPLAY": ":0"}, installed("xsel")).name == "xsel"
    # wayland without wl-copy falls back to X11 tools through XWayland
    both = {"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}
    assert native_tool(both, installed("xclip")).name == "xclip"


def test_wsl_uses_clip_exe_which_cannot_paste(linux):
    tool = native_tool({"WSL_DISTRO_NAME": "Ubuntu"}, ALL)
    assert tool.name == "clip.exe"
    assert tool.paste is None


def test_macos_uses_pbcopy(monkeypatch):
    monkeypatch.setattr(clipboard, "sys", types.SimpleNamespace(platform="darwin"))
    assert native_tool({}, ALL).name == "pbcopy"


@pytest.mark.parametrize(
    "env", [{}, {"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "w"}, {"WSL_DISTRO_NAME": "Ubuntu"}]
)
def test_nothing_installed_or_no_display_means_no_tool(linux, env):
    assert native_tool(env, installed()) is None


def test_no_display_means_no_tool_even_when_installed(linux):
    assert native_tool({}, installed("xclip", "xsel", "wl-copy")) is None


def test_describe_method_mentions_tmux_setting_inside_tmux(linux):
    text = describe_method({"TMUX": "/tmp/tmux-0/default,1,0"})
    assert text.startswith("OSC 52")
    assert "set-clipboard on" in text
    assert "tmux" not in describe_method({})


# --- copy and clear with a real (python) native tool -------------------------------------


@pytest.fixture(autouse=True)
def generous_tool_timeout(monkeypatch):
    monkeypatch.setattr(clipboard, "TOOL_TIMEOUT", 60.0)


@pytest.fixture
def board(tmp_path):
    """A clipboard file, a tool writing stdin to it (and logging its argv), a paste tool."""
    clip = tmp_path / "clipboard.txt"
    argv_log = tmp_path / "argv.jsonl"
    copy_code = (
        "import json, sys\n"
        f"open({str(argv_log)!r}, 'a').write(json.dumps(sys.argv) + '\\n')\n"
        f"open({str(clip)!r}, 'wb').write(sys.stdin.buffer.read())\n"
    )
    paste_code = f"import sys; sys.stdout.buffer.write(open({str(clip)!r}, 'rb').read())"
    tool = NativeTool(
        "fakeclip", (sys.executable, "-c", copy_code), (sys.executable, "-c", paste_code)
    )
    return types.SimpleNamespace(clip=clip, argv_log=argv_log, tool=tool)


def argv_seen(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_copy_uses_osc52_and_the_native_tool_with_the_secret_on_stdin(board):
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append, tool=board.tool)
    assert cb.copy(SECRET) == ["OSC 52", "fakeclip"]
    assert written == [SECRET]
    assert board.clip.read_text() == SECRET
    calls = argv_seen(board.argv_log)
    assert len(calls) == 1
    assert all(SECRET not in arg for arg in calls[0])
    assert SECRET not in " ".join(board.tool.copy)


def test_copy_reports_a_failing_native_tool(tmp_path):
    broken = NativeTool("broken", (sys.executable, "-c", "import sys; sys.exit(1)"), None)
    missing = NativeTool("missing", (str(tmp_path / "no-such-tool"),), None)
    assert Clipboard(tool=broken).copy(SECRET) == []
    assert Clipboard(terminal_write=lambda text: None, tool=missing).copy(SECRET) == ["OSC 52"]


def test_clear_wipes_the_clipboard_while_it_still_holds_ours(board):
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append, tool=board.tool)
    cb.copy(SECRET)
    assert cb.still_holds_ours() is True
    assert cb.clear() is True
    assert board.clip.read_text() == ""
    assert written == [SECRET, BLANK]
    assert cb.held is None


def test_clear_leaves_what_the_user_copied_since_alone(board):
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append, tool=board.tool)
    cb.copy(SECRET)
    board.clip.write_text("the user's own text")
    assert cb.still_holds_ours() is False
    assert cb.clear() is False
    assert board.clip.read_text() == "the user's own text"
    assert written == [SECRET]  # no OSC 52 wipe either
    assert len(argv_seen(board.argv_log)) == 1  # the copy tool never ran again
    assert cb.held is None


def test_clear_wipes_when_it_cannot_tell(board):
    write_only = NativeTool("write-only", board.tool.copy, None)
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append, tool=write_only)
    cb.copy(SECRET)
    assert cb.still_holds_ours() is None
    assert cb.clear() is True
    assert board.clip.read_text() == ""
    assert written == [SECRET, BLANK]


def test_clear_with_only_osc52_wipes_the_terminal_clipboard():
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append)
    cb.copy(SECRET)
    assert cb.clear() is True
    assert written == [SECRET, BLANK]


def test_clear_with_nothing_held_does_nothing(board):
    board.clip.write_text("someone else's")
    written: list[str] = []
    cb = Clipboard(terminal_write=written.append, tool=board.tool)
    assert cb.clear() is False
    assert cb.clear(force=True) is False
    assert written == []
    assert board.clip.read_text() == "someone else's"
    assert argv_seen(board.argv_log) == []


@pytest.fixture
def tmux_server(tmp_path):
    """A private tmux server; yields the tmux command prefix and the TMUX value of a pane."""
    import os
    import shutil
    import subprocess

    if shutil.which("tmux") is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("tmux is required in CI")
        pytest.skip("tmux not installed")
    sock = tmp_path / "sock"
    tmux = ["tmux", "-S", str(sock), "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "sleep 30"], check=True)
    try:
        yield tmux, f"{sock},1,0"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def test_clear_inside_tmux_deletes_the_paste_buffers_holding_the_secret(tmux_server):
    """A real tmux server: OSC 52 copies land in its paste buffers; clearing removes the
    one holding the secret and leaves the user's own buffers alone."""
    import os
    import subprocess
    from unittest import mock

    tmux, pane = tmux_server
    subprocess.run([*tmux, "set-buffer", "-b", "mine", "the user's own text"], check=True)
    subprocess.run([*tmux, "set-buffer", "-b", "ours", SECRET], check=True)
    with mock.patch.dict(os.environ, {"TMUX": pane}):
        board = Clipboard(terminal_write=None, tool=None, tmux=True)
        board.copy(SECRET)
        assert board.clear() is True
    names = subprocess.run(
        [*tmux, "list-buffers", "-F", "#{buffer_name}"], capture_output=True, text=True
    ).stdout.split()
    assert names == ["mine"]


def test_clear_inside_tmux_forgets_every_value_copied_since_the_last_clear(tmux_server):
    """Copy A, then B, then clear: tmux keeps both in its buffer list; both must go."""
    import os
    import subprocess
    from unittest import mock

    tmux, pane = tmux_server

    def terminal_write(text):  # what tmux does with an OSC 52 copy
        subprocess.run([*tmux, "set-buffer", text or " "], check=True)

    with mock.patch.dict(os.environ, {"TMUX": pane}):
        board = Clipboard(terminal_write=terminal_write, tool=None, tmux=True)
        board.copy("token-A-" + SECRET)
        board.copy("token-B-" + SECRET)
        assert board.clear() is True
    left = subprocess.run(
        [*tmux, "list-buffers", "-F", "#{buffer_sample}"], capture_output=True, text=True
    ).stdout
    assert SECRET not in left
