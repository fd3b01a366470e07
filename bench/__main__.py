"""`python -m bench` (make bench): what users feel, as ratios measured side by side.

Every figure is a ratio to a baseline measured in the same run, subject and baseline runs
interleaved, medians after a warm-up: these machines are noisy, so an absolute time alone
says little. Prints one table; exits 0 even when a target is missed (it is a report)
unless --strict.

    python -m bench                  # everything (about 2 minutes)
    python -m bench --quick          # fewer runs, a 5 s idle window: a smoke check (~30 s)
    python -m bench --only filter    # one group or figure (repeatable)
    python -m bench --json out.json  # the table and every sample, for the record
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone

from . import audit, cli_token, everyday, idle, keystroke, past_the_hour, startup
from .harness import Plan, Result

# group -> (module, the figure keys it produces), in the order the table shows them
GROUPS = {
    "startup": (startup, ("start-1k", "start-10k", "rss-10k")),
    "token": (cli_token, ("token-cached", "token-fetch")),
    "audit": (audit, ("audit",)),
    "everyday": (everyday, ("status-1k", "complete-1k")),
    "filter": (keystroke, ("filter",)),
    "idle": (idle, ("idle-cpu",)),
    "long-running": (past_the_hour, ("proxy", "auth")),
}
ORDER = (
    "start-1k",
    "start-10k",
    "token-cached",
    "token-fetch",
    "status-1k",
    "complete-1k",
    "audit",
    "filter",
    "idle-cpu",
    "rss-10k",
    "proxy",
    "auth",
)


def table(results: list[Result]) -> str:
    header = ("figure", "subject", "baseline", "ratio", "target", "result")
    rows = [header] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer runs and a 5 s idle window (a smoke check, not a record)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"a group ({', '.join(GROUPS)}) or figure ({', '.join(ORDER)}); repeatable",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    known = set(GROUPS) | set(ORDER)
    for name in args.only or ():
        if name not in known:
            parser.error(f"unknown figure '{name}'; known: {', '.join(sorted(known))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.only or ORDER)
    chosen = {
        k
        for k in ORDER
        for g, (_, keys) in GROUPS.items()
        if k in keys and (k in wanted or g in wanted)
    }
    plan = Plan(quick=args.quick, progress=lambda text: print(text, file=sys.stderr, flush=True))
    started = time.monotonic()
    results: dict[str, Result] = {}
    for module, keys in GROUPS.values():
        if chosen & set(keys):
            for result in module.run(plan):
                results[result.key] = result
    shown = [results[k] for k in ORDER if k in chosen and k in results]
    took = time.monotonic() - started
    mode = "quick" if args.quick else "full"
    print(
        f"\ncsauth-tui benchmarks ({mode} run, {took:.0f} s; ratio = median of paired "
        f"ratios, subject and baseline interleaved)"
    )
    print(table(shown))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "mode": mode,
                    "seconds": round(took, 1),
                    "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "results": [r.as_dict() for r in shown],
                },
                out,
                indent=2,
            )
    missed = [r.key for r in shown if not r.passed]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
