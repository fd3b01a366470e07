"""Figures the reliability suite reports; `make reliability` prints them as one table.

A test records what it tried and what held, e.g.::

    from tests import figures
    figures.outcome("faults", "CLI: fault kinds handled", handled=True)
    figures.count("fuzz", "profiles loader: examples tried", 1)
    figures.count("fuzz", "crashes", 0)   # a row that says 0 is still shown

Quick mode (the default, what `make test` and CI run) keeps the loops short;
CSAUTH_RELIABILITY=full (`make reliability`) runs them at full size.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

FULL = os.environ.get("CSAUTH_RELIABILITY", "").lower() == "full"


def scale(quick: int, full: int) -> int:
    """How many rounds a loop runs: `quick` for every submission, `full` for make reliability."""
    return full if FULL else quick


@dataclass
class _Row:
    value: int = 0
    out_of: int | None = None

    def text(self) -> str:
        if self.out_of is None:
            return f"{self.value:,}"
        return f"{self.value:,} / {self.out_of:,}"


_ROWS: dict[tuple[str, str], _Row] = {}


def count(area: str, figure: str, n: int = 1) -> None:
    """Add n to a plain counter (n=0 makes sure the row is shown)."""
    _ROWS.setdefault((area, figure), _Row()).value += n


def outcome(area: str, figure: str, handled: bool) -> None:
    """One more try of something that must hold: shown as handled / tried."""
    row = _ROWS.setdefault((area, figure), _Row(out_of=0))
    row.out_of = (row.out_of or 0) + 1
    row.value += 1 if handled else 0


def rows() -> list[tuple[str, str, str]]:
    return [(area, figure, row.text()) for (area, figure), row in _ROWS.items()]


def table() -> str:
    found = rows()
    if not found:
        return ""
    mode = "full" if FULL else "quick"
    header = ("area", "figure", "value")
    widths = [max(len(r[i]) for r in [header, *found]) for i in range(3)]
    lines = [f"reliability figures ({mode} mode)"]
    for r in [header, tuple("-" * w for w in widths), *found]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def write_json(path: str) -> None:
    data = {
        "mode": "full" if FULL else "quick",
        "rows": [{"area": a, "figure": f, "value": v} for a, f, v in rows()],
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
