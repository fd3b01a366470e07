"""CPU while idle: the app showing 50 profiles, each with a live token counting down.

The real app (`csauth` through bench.frame_probe, on a pseudo-terminal, frames turned into terminal
bytes) starts on a token cache holding a one-hour token for each of the 50 profiles, so
every row's countdown changes every second. After its first full frame and one more second
to settle, the app's utime + stime are read from /proc/<pid>/stat at the start and end of
the window (30 s; 5 s with --quick): CPU seconds per wall second, against one core.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from .harness import PYTHON, ROOT, Plan, Result, base_env, workdir
from .startup import csauth_needles
from .world import write_profiles, write_token_cache

PROFILES = 50


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def run(plan: Plan) -> list[Result]:
    window = 5.0 if plan.quick else 30.0
    with workdir("idle") as tmp:
        config, cache, result = tmp / "profiles.toml", tmp / "cache", tmp / "frame.json"
        profiles = write_profiles(config, PROFILES)
        write_token_cache(cache, profiles)
        env = base_env(
            CSAUTH_CONFIG=str(config),
            CSAUTH_CACHE_DIR=str(cache),
            BENCH_NEEDLES="|".join(csauth_needles()),
            BENCH_RESULT=str(result),
            BENCH_STAY="1",
        )
        plan.say(f"idle CPU: {PROFILES} live countdowns for {window:g} s")
        proc = subprocess.Popen(
            [PYTHON, "-m", "bench.frame_probe", "csauth"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 120
            while not result.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the app did not paint its first frame: "
                        + (
                            proc.stderr.read().decode()[-800:]
                            if proc.poll() is not None
                            else "timed out"
                        )
                    )
                time.sleep(0.05)
            time.sleep(1.0)
            cpu_before, wall_before = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(window)
            cpu_after, wall_after = cpu_seconds(proc.pid), time.monotonic()
            if proc.poll() is not None:
                raise RuntimeError("the app exited during the idle window")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    share = (cpu_after - cpu_before) / (wall_after - wall_before)
    detail = {
        "window_s": wall_after - wall_before,
        "cpu_s": cpu_after - cpu_before,
        "profiles": PROFILES,
    }
    return [
        Result(
            "idle-cpu",
            f"CPU while idle, {PROFILES} live countdowns, {window:g} s",
            f"{share * 100:.2f}% of a core",
            "one core",
            share,
            0.02,
            detail,
            percent=True,
        )
    ]
