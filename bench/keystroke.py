"""Filter keystroke to repaint, 10,000 profiles vs 10, in one process with Pilot.

The app runs under Pilot on a pseudo-terminal (bench/terminal.py, as frame_probe's does),
so Textual's own driver turns each frame into terminal bytes and writes them; Textual's
public `post_display_hook` notes the time of each. A keystroke's time runs
from the moment before the key is sent to the last frame it caused (the filter box, the
rebuilt table, the detail panel of the newly selected row, any re-layout), once the app is
idle again. Textual's 60 fps refresh timer is part of that, as it is for a user.
The keys: '/' opens the filter (not timed), then "team 1" typed and erased again: 12
keystrokes, each a new filter and so a rebuilt table; "t" to "team " match every profile
(the whole table refilled), "team 1" a few. Each session types them once to warm up, then
once timed; sessions of 10k and 10 profiles alternate.
"""

from __future__ import annotations

import asyncio
import time

from .harness import Plan, Result, interleave, median, ms, paired_ratio, workdir
from .terminal import attached
from .world import write_profiles

KEYS = ["t", "e", "a", "m", "space", "1"] + ["backspace"] * 6


def typed(keys: list[str]) -> str:
    text = ""
    for key in keys:
        text = text[:-1] if key == "backspace" else text + (" " if key == "space" else key)
    return text


async def session(config, keys: list[str]) -> list[float]:
    from csauth_tui.ui.app import make_app

    app = make_app(config, cache=False, native_clipboard=False)
    frames: list[float] = []

    def post_display_hook(self) -> None:
        frames.append(time.perf_counter())

    type(app).post_display_hook = post_display_hook  # our own app class, not Textual's
    latencies: list[float] = []
    try:
        async with app.run_test(size=(120, 40), headless=False) as pilot:
            await typing(app, pilot, keys, frames, latencies)
    finally:
        del type(app).post_display_hook
    return latencies


async def typing(app, pilot, keys: list[str], frames: list[float], latencies: list[float]):
    from csauth_tui.ui.widgets.profile_table import ProfileTable

    await pilot.pause()
    await pilot.press("slash")
    box = app.query_one("#filter")
    box.cursor_blink = False  # a blinking cursor would paint frames of its own
    table = app.query_one(ProfileTable)
    for timed in (False, True):
        for i, key in enumerate(keys):
            want = typed(keys[: i + 1]).strip().lower()
            started = time.perf_counter()
            await pilot.press(key)
            await settled(pilot, table, want, frames, started, key)
            painted = [t for t in frames if t > started]
            if not painted:
                raise RuntimeError(f"no frame painted after key {key!r}")
            if timed:
                latencies.append(painted[-1] - started)
    await pilot.press("escape")


async def settled(pilot, table, want: str, frames: list[float], started: float, key: str) -> None:
    """Wait until the key's filter is applied and two pauses in a row painted nothing."""
    quiet = 0
    while quiet < 2:
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"the app never settled after key {key!r}")
        count = len(frames)
        await pilot.pause()
        quiet = quiet + 1 if table.filter_text == want and len(frames) == count else 0


def attached_session(config, keys: list[str]) -> list[float]:
    with attached((120, 40)):
        return asyncio.run(session(config, keys))


def run(plan: Plan) -> list[Result]:
    runs, warmup = plan.runs(4, 1), 0
    with workdir("filter") as tmp:
        configs = {}
        for n in (10, 10000):
            configs[n] = tmp / f"profiles-{n}.toml"
            write_profiles(configs[n], n)
        plan.say(f"filter keystroke to repaint: 10,000 vs 10 profiles, {runs} sessions each")
        samples = interleave(
            {
                "10k": lambda: attached_session(configs[10000], KEYS),
                "10": lambda: attached_session(configs[10], KEYS),
            },
            runs,
            warmup,
            plan,
        )
    big = [median(s) for s in samples["10k"]]
    small = [median(s) for s in samples["10"]]
    detail = {"sessions": runs, "keys": KEYS, "latency_s": samples}
    return [
        Result(
            "filter",
            "filter keystroke to repaint, 10,000 profiles",
            ms(median([x for s in samples["10k"] for x in s])),
            f"{ms(median([x for s in samples['10'] for x in s]))} (10 profiles)",
            paired_ratio(big, small),
            3.0,
            detail,
        )
    ]
