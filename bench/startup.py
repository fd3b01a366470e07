"""App start to first full frame (1,000 and 10,000 profiles) and resident memory.

Each run is a fresh process (`python -m bench.frame_probe`, see there for what "first full
frame" means) timed from just before spawn to the moment the frame is ready, on the
monotonic clock both processes share. The csauth runs go through the real entry point
(`csauth` with no command: cli -> commands -> ui.app), the baseline is a bare Textual app
with one Label. Memory: the process's peak resident set (VmHWM) at that moment.
A first session per profiles file (the app left running a second after its first frame,
as a user's session is) leaves the app's cache in place, the parse of the profiles file
(ui/profiles_cache.py), as any start after the first finds it; a start with an empty cache
directory (the first ever, or the first after the file changed) is measured too, as
"10k-cold" in the JSON detail.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from .harness import (
    PYTHON,
    ROOT,
    Plan,
    Result,
    base_env,
    interleave,
    median,
    mib,
    ms,
    paired_ratio,
    read_json,
    workdir,
)
from .world import name_of, write_profiles

BARE_NEEDLES = ("bench: a bare Textual app",)


def csauth_needles() -> tuple[str, ...]:
    """The table's first and 21st rows, the selected profile's detail panel, the footer."""
    return (name_of(0), name_of(20), "Team 0 export job number 0", "Quit")


def probe(
    mode: str, env: dict[str, str], needles: tuple[str, ...], result: Path, linger: float = 0.0
) -> dict:
    result.unlink(missing_ok=True)
    env = {
        **env,
        "BENCH_NEEDLES": "|".join(needles),
        "BENCH_RESULT": str(result),
        "BENCH_LINGER": str(linger) if linger else "",
    }
    started = time.monotonic()
    proc = subprocess.run(
        [PYTHON, "-m", "bench.frame_probe", mode],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if not result.exists():
        raise RuntimeError(
            f"frame_probe {mode} exited {proc.returncode} before a full frame: "
            f"{proc.stderr.strip()[-800:]}"
        )
    data = read_json(result)
    data["start"] = data["frame_at"] - started
    return data


def run(plan: Plan) -> list[Result]:
    runs, warmup = plan.runs(7, 3), 1
    with workdir("start") as tmp:
        envs = {}
        for n in (1000, 10000):
            config = tmp / f"profiles-{n}.toml"
            write_profiles(config, n)
            envs[n] = base_env(CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(tmp / f"cache-{n}"))
        bare_env = base_env()
        plan.say(
            f"start to first frame: bare / 1,000 / 10,000 profiles (cache warm, cold), "
            f"{runs} rounds"
        )
        cold_env = {**envs[10000], "CSAUTH_CACHE_DIR": str(tmp / "cache-cold")}
        for n, env in envs.items():
            probe("csauth", env, csauth_needles(), tmp / f"session-{n}.json", linger=1.0)

        def cold() -> dict:
            shutil.rmtree(tmp / "cache-cold", ignore_errors=True)
            return probe("csauth", cold_env, csauth_needles(), tmp / "cold.json")

        samples = interleave(
            {
                "bare": lambda: probe("bare", bare_env, BARE_NEEDLES, tmp / "bare.json"),
                "1k": lambda: probe("csauth", envs[1000], csauth_needles(), tmp / "1k.json"),
                "10k": lambda: probe("csauth", envs[10000], csauth_needles(), tmp / "10k.json"),
                "10k-cold": cold,
            },
            runs,
            warmup,
            plan,
        )

    def series(name: str, key: str) -> list[float]:
        return [s[key] for s in samples[name]]

    bare, one_k, ten_k = series("bare", "start"), series("1k", "start"), series("10k", "start")
    hwm_bare, hwm_10k = series("bare", "VmHWM"), series("10k", "VmHWM")
    detail = {
        "runs": runs,
        "warmup": warmup,
        "start_s": {
            "bare": bare,
            "1k": one_k,
            "10k": ten_k,
            "10k-cold": series("10k-cold", "start"),
        },
        "cpu_s": {k: [s["cpu"] for s in v] for k, v in samples.items()},
        "vmhwm_kib": {"bare": hwm_bare, "1k": series("1k", "VmHWM"), "10k": hwm_10k},
        "frames": {k: [s["frames"] for s in v] for k, v in samples.items()},
    }
    return [
        Result(
            "start-1k",
            "app start to first full frame, 1,000 profiles",
            ms(median(one_k)),
            f"{ms(median(bare))} (bare App + Label)",
            paired_ratio(one_k, bare),
            1.5,
            detail,
        ),
        Result(
            "start-10k",
            "app start to first full frame, 10,000 profiles",
            ms(median(ten_k)),
            f"{ms(median(one_k))} (1,000 profiles)",
            paired_ratio(ten_k, one_k),
            1.5,
            detail,
        ),
        Result(
            "rss-10k",
            "peak resident memory at first frame, 10,000 profiles",
            mib(median(hwm_10k)),
            f"{mib(median(hwm_bare))} (bare App + Label)",
            paired_ratio(hwm_10k, hwm_bare),
            2.0,
            detail,
        ),
    ]
