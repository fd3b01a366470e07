"""Run an app on a pseudo-terminal and report the moment its first full frame is ready.

    python -m bench.frame_probe csauth   # the real `csauth` entry point (cli.main([]))
    python -m bench.frame_probe bare     # a bare Textual app showing one Label

Both run the same harness: the app draws on a pseudo-terminal of a fixed size
(bench/terminal.py) with Textual's own driver, which turns each frame into the bytes a
terminal is sent and writes them. After each frame, Textual's public `post_display_hook`
reads what the screen's widgets draw (`render_lines`). "First full frame": the first
moment every text in $BENCH_NEEDLES ('|'-separated) has been painted by the frames so far,
e.g. the first profile's name, a later row's name, and the detail panel of the selected
profile.
Then the probe writes {"frame_at": time.monotonic(), VmHWM, VmRSS...} as JSON to
$BENCH_RESULT and exits on the spot; unless $BENCH_STAY is set (the idle-CPU figure: it
stays), or $BENCH_LINGER (seconds: the app goes on that long, as a session would, and
saves what it saves after its first frame, e.g. its parsed CSS, before the exit).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time

from textual.app import App

from .terminal import attached

SIZE = (120, 40)


def memory_kib() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


class Probe:
    def __init__(
        self, needles: list[str], result_path: str, stay: bool, linger: float = 0.0
    ) -> None:
        self.missing = set(needles)
        self.result_path = result_path
        self.stay = stay
        self.linger = linger
        self.frames = 0
        self.done = False

    def frame(self, text: str) -> None:
        self.frames += 1
        if self.done:
            return
        self.missing = {n for n in self.missing if n not in text}
        if self.missing:
            return
        self.done = True
        report = {
            "frame_at": time.monotonic(),
            "cpu": time.process_time(),
            "frames": self.frames,
            **memory_kib(),
            "pid": os.getpid(),
        }
        tmp = self.result_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(report, out)
        os.replace(tmp, self.result_path)
        if self.linger:
            threading.Timer(self.linger, os._exit, (0,)).start()
        elif not self.stay:
            os._exit(0)


def screen_text(app: App) -> str:
    """What the widgets of the app's screen draw now, through Textual's public
    `render_lines` (as tests/escscan.py reads it)."""
    from textual.geometry import Region

    parts = []
    for widget in app.screen.walk_children(with_self=True):
        if widget.display and widget.outer_size.area:
            parts += [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]
    return "\n".join(parts)


def watch(app_class: type[App], probe: Probe) -> None:
    """Set the hook on our own app class (a subclass of App: Textual's is left alone)."""

    def post_display_hook(self: App) -> None:
        if not probe.done:
            try:
                text = screen_text(self)
            except Exception:  # no screen yet, or it is being replaced
                return
            probe.frame(text)

    app_class.post_display_hook = post_display_hook


class _WatchOnImport(importlib.abc.MetaPathFinder):
    """Sets the hook on csauth's app class the moment its module is imported, so the
    probe imports nothing of csauth's before the CLI does (it times that import)."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def find_spec(self, name, path, target=None):
        if name != "csauth_tui.ui.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader, probe = spec.loader, self.probe

        class Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                watch(module.CsauthApp, probe)

        spec.loader = Loader()
        return spec


def bare(probe: Probe) -> int:
    from textual.widgets import Label

    class Bare(App):
        def compose(self):
            yield Label("bench: a bare Textual app")

    watch(Bare, probe)
    Bare().run()
    return 0


def main(argv: list[str]) -> int:
    needles = [n for n in os.environ["BENCH_NEEDLES"].split("|") if n]
    probe = Probe(
        needles,
        os.environ["BENCH_RESULT"],
        bool(os.environ.get("BENCH_STAY")),
        float(os.environ.get("BENCH_LINGER") or 0),
    )
    with attached(SIZE):
        if argv[:1] == ["bare"]:
            return bare(probe)
        sys.meta_path.insert(0, _WatchOnImport(probe))
        from csauth_tui.cli import main as csauth

        return csauth(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
