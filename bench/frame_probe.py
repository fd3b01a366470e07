"""Run an app headless and report the moment its first full frame is ready.

    python -m bench.frame_probe csauth   # the real `csauth` entry point (cli.main([]))
    python -m bench.frame_probe bare     # a bare Textual app showing one Label

Both run the same harness: `App.run` is made headless at a fixed size, and `App._display`
(which the headless driver skips) turns each frame into the bytes a terminal would be
sent, as a real driver does, without writing them. "First full frame": the first moment
every text in $BENCH_NEEDLES ('|'-separated) has been painted by the frames so far, e.g.
the first profile's name, a later row's name, and the detail panel of the selected profile.
Then the probe writes {"frame_at": time.monotonic(), VmHWM, VmRSS...} as JSON to
$BENCH_RESULT and exits on the spot; unless $BENCH_STAY is set (the idle-CPU figure: it
stays), or $BENCH_LINGER (seconds: the app goes on that long, as a session would, and
saves what it saves after its first frame, e.g. its parsed CSS, before the exit).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from textual.app import App

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


def install(probe: Probe) -> None:
    from textual._compositor import CompositorUpdate

    original_run = App.run

    def run(self, *args, **kwargs):
        kwargs.update(headless=True, size=SIZE)
        return original_run(self, *args, **kwargs)

    def display(self, screen, renderable) -> None:
        if renderable is None or self._batch_count or not self._running or self._closed:
            return
        if isinstance(renderable, CompositorUpdate):
            probe.frame(renderable.render_segments(self.console))

    App.run = run
    App._display = display


def bare() -> int:
    from textual.widgets import Label

    class Bare(App):
        def compose(self):
            yield Label("bench: a bare Textual app")

    Bare().run()
    return 0


def main(argv: list[str]) -> int:
    needles = [n for n in os.environ["BENCH_NEEDLES"].split("|") if n]
    install(
        Probe(
            needles,
            os.environ["BENCH_RESULT"],
            bool(os.environ.get("BENCH_STAY")),
            float(os.environ.get("BENCH_LINGER") or 0),
        )
    )
    if argv[:1] == ["bare"]:
        return bare()
    from csauth_tui.cli import main as csauth

    return csauth(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
