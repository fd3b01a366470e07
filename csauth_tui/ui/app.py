"""The csauth Textual app: start-up and shutdown only. The data is the session's
(session.py), the layout and its actions the main screen's (screens/main.py), the keys
the action table's (actions.py); the app loads the session, applies [keys], runs the one
timer, and on the way out clears the clipboard and closes the client."""

from __future__ import annotations

import asyncio
import gc
import signal
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen

from ..core import paths
from ..core.clipboard import Clipboard, inside_tmux, native_tool
from ..core.tokens import Clock, TokenCache, utcnow
from .palette import CsauthCommands
from .screens.main import MainScreen
from .session import Session, gc_paused
from .text import plain


class CsauthApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "csauth"
    COMMANDS = App.COMMANDS | {CsauthCommands}

    def __init__(
        self,
        config_path: Path,
        *,
        clock: Clock = utcnow,
        transport: Any = None,
        demo: bool = False,
        native_clipboard: bool = True,
        today: date | None = None,
        cache: TokenCache | None | bool = True,
        resume_gc: bool = False,
    ) -> None:
        super().__init__()
        self._resume_gc = resume_gc
        self.demo = demo
        clipboard = Clipboard(
            self.copy_to_clipboard,
            native_tool() if native_clipboard else None,
            tmux=native_clipboard and inside_tmux(),
        )
        self.session = Session(
            Path(config_path),
            clock=clock,
            transport=transport,
            today=today,
            cache=cache,
            clipboard=clipboard,
            demo=demo,
        )
        self.main_screen: MainScreen | None = None
        # per kind (severity:title): what was said, and until when (see notify)
        self._shown: dict[str, tuple[tuple[str, str, SeverityLevel, bool], float]] = {}

    def get_default_screen(self) -> Screen:
        with gc_paused():
            self.session.load()
        self.main_screen = MainScreen(self.session)
        return self.main_screen

    def on_mount(self) -> None:
        self.sub_title = (
            "DEMO: fake Contentsquare API, nothing is saved"
            if self.demo
            else plain(self.session.config_path)
        )
        self._apply_keymap()
        self._handle_signals()
        self.set_interval(1, self._tick)
        self.call_after_refresh(self._first_frame_painted)

    def _tick(self) -> None:
        if self.main_screen is not None and self.main_screen.is_mounted:
            self.main_screen.tick()

    def _first_frame_painted(self) -> None:
        if self._resume_gc:
            gc.freeze()  # what the start built stays out of the collector's sight
            gc.enable()

    def _apply_keymap(self) -> None:
        """[keys] in the profiles file, checked against the action table (actions.py): a
        remapping that clashes or names no key is refused, said here and on the help."""
        plan = self.session.keys()
        if plan.problems:
            self.notify(
                "; ".join(plan.problems) + " (? shows the keys in force)",
                title="[keys]",
                severity="warning",
                markup=False,
                timeout=10,
            )
        self.set_keymap(plan.remapped)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification of the app and its screens. Message and title are made inert
        (error messages quote names and servers; markup still needs escape). One at a time
        per kind (its title and severity): a new one replaces the last rather than piling
        up (ten `o` presses are one toast), on Textual's public notify and clear."""
        import time

        message, title = plain(message), plain(title)
        timeout = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        now = time.monotonic()
        kind = f"{severity}:{title}"
        live = {k: v for k, v in self._shown.items() if v[1] > now}
        if kind in live:
            self.clear_notifications()
            for other, ((m, t, s, mk), until) in live.items():
                if other != kind:
                    super().notify(m, title=t, severity=s, timeout=until - now, markup=mk)
            del live[kind]
        live[kind] = ((message, title, severity, markup), now + timeout)
        self._shown = live
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    async def action_quit(self) -> None:
        self.session.clip.clear()
        self.exit(0)

    # SIGHUP (the terminal closed, the SSH connection dropped) and SIGTERM end the app as
    # q does: the clipboard (and tmux's buffers) cleared, the terminal restored.
    QUIT_SIGNALS = ("SIGHUP", "SIGTERM")

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        self._signals_handled: list[int] = []
        for name in self.QUIT_SIGNALS:
            number = getattr(signal, name, None)
            if number is None:  # pragma: no cover - Windows has no SIGHUP
                continue
            try:
                loop.add_signal_handler(number, self._quit_on_signal, number)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals here (Windows)
            self._signals_handled.append(number)

    def _quit_on_signal(self, number: int) -> None:
        self.session.clip.clear()
        self.exit(128 + number, return_code=128 + number)

    def _stop_handling_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number in getattr(self, "_signals_handled", ()):
            loop.remove_signal_handler(number)
        self._signals_handled = []

    async def on_unmount(self) -> None:
        self._stop_handling_signals()
        self.session.clip.clear()
        gc.unfreeze()  # what the start froze (gc_paused) is the collector's again
        await self.session.close()


def make_app(config_path: Path | str | None = None, **kwargs: Any) -> CsauthApp:
    """The one way to build the app, for the CLI and the tests alike."""
    return CsauthApp(paths.config_path(config_path), **kwargs)


def run_app(config_path: Path, demo: bool = False, resume_gc: bool = False) -> int:
    """`resume_gc`: the launcher paused the collector for the start (commands.pause_collector);
    the app turns it back on once its first frame is painted, or here if it never was."""
    try:
        app = make_app(config_path, demo=demo, resume_gc=resume_gc)
        result = app.run()
    finally:
        if resume_gc:
            gc.enable()
    return result or 0
