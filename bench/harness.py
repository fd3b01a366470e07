"""What every figure shares: timing processes, interleaving runs, medians, the result rows."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Plan:
    """How hard to measure: `quick` is a smoke check, the default is the real run."""

    quick: bool
    progress: Callable[[str], None] = lambda text: None

    def runs(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def say(self, text: str) -> None:
        self.progress(text)


@dataclass
class Result:
    key: str  # what --only picks, e.g. "start-1k"
    figure: str
    subject: str  # the measured value, worded
    baseline: str
    ratio: float
    target: float  # the ratio must be <= target
    detail: dict[str, Any] = field(default_factory=dict)
    percent: bool = False  # show ratio and target as percentages (a share of one core)

    @property
    def passed(self) -> bool:
        return self.ratio <= self.target

    def row(self) -> tuple[str, ...]:
        if self.percent:
            ratio, target = f"{self.ratio * 100:.2f}%", f"<= {self.target * 100:g}%"
        else:
            ratio, target = f"{self.ratio:.2f}x", f"<= {self.target:g}x"
        return (
            self.figure,
            self.subject,
            self.baseline,
            ratio,
            target,
            "pass" if self.passed else "FAIL",
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "figure": self.figure,
            "subject": self.subject,
            "baseline": self.baseline,
            "ratio": round(self.ratio, 4),
            "target": self.target,
            "passed": self.passed,
            "detail": self.detail,
        }


# --- numbers ---------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(subject: list[float], baseline: list[float]) -> float:
    """Median of the per-round ratios: a round's subject and baseline ran back to back, so a
    burst of load from elsewhere hits both and cancels out in their ratio."""
    return median([s / b for s, b in zip(subject, baseline)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


def interleave(
    runners: dict[str, Callable[[], Any]], runs: int, warmup: int, plan: Plan | None = None
) -> dict[str, list[Any]]:
    """Call each runner `warmup` times (discarded), then `runs` rounds of all of them, the
    order rotating each round (A,B,C / B,C,A / ...) so none always goes first."""
    names = list(runners)
    for _ in range(warmup):
        for name in names:
            runners[name]()
    samples: dict[str, list[Any]] = {name: [] for name in names}
    for i in range(runs):
        if plan is not None:
            plan.say(f"  round {i + 1}/{runs}")
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(runners[name]())
    return samples


# --- processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessSample:
    wall: float  # seconds, spawn to exit
    cpu: float  # user + system seconds of the child (and its children)
    stdout: str


def base_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus anything that would change what a child does, plus a
    terminal description so Textual renders in full colour (as in a real terminal)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CSAUTH_", "TEXTUAL_", "PYTHON")) and k not in ("NO_COLOR", "TMUX")
    }
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )  # never a real keyring
    env.update(extra)
    return env


def run_process(
    argv: list[str], env: dict[str, str], *, cwd: Path = ROOT, check: bool = True
) -> ProcessSample:
    """Time one whole process: wall clock around spawn..exit, CPU from RUSAGE_CHILDREN."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:3])}... exited {proc.returncode}: {proc.stderr.strip()[-800:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessSample(wall, cpu, proc.stdout)


@contextmanager
def workdir(prefix: str):
    with tempfile.TemporaryDirectory(prefix=f"csauth-bench-{prefix}-") as tmp:
        yield Path(tmp)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
