"""Nothing csauth shows may steer the terminal: a pytest plugin on every run of the suite
(tests/conftest.py loads it), as tests/leakscan.py is for secrets.

A profile's description, a server's errorMessage, /me fields, JWT claims: any of them may
hold an escape sequence (OSC 52 fills the clipboard, `ESC [2J` clears the screen, OSC 8
hides a link) or a bidi override (U+202E turns the text around). csauth shows such text
inert (core.text.inert). This plugin fails the test that let one through raw:

- CLI runs (tests/e2e/conftest.py CliEnv.run calls `cli_run`): stdout and stderr hold no
  C0/C1 control but newline and tab, no DEL, no bidi control, no line separator. csauth
  prints no styling of its own, so any ESC there is foreign. (Not `exec`'s stdout: that is
  the child's.)
- The app: after every frame the app displays (Textual's public `post_display_hook`), the
  text of what each widget of the screen draws (`render_lines`, four times cheaper than
  `export_screenshot()`). Styling is held apart from that text, never written as ESC: a
  control character in it is one a widget was given to show.
- At the end: the snapshot SVGs and the README screenshots.

A hit says where, and shows the text around it made inert (never the raw bytes, which
would do to the terminal running pytest what the test caught).
CSAUTH_ESCSCAN_TIMING=1 prints the time the plugin's own checks took.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
SVG_DIRS = (TESTS_DIR / "snapshots" / "__snapshots__", REPO / "screenshots")
# Written out here, not taken from core.text: a character that inert() forgets must
# still be caught.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029]"  # line and paragraph separators
)
CONTEXT = 24


def _shown(text: str) -> str:
    """`text` with every character the scan looks for written as an escape."""

    def one(char: str) -> str:
        if not FORBIDDEN.match(char):
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"<U+{ord(char):04X}>"

    return "".join(one(char) for char in text)


def find(text: str) -> list[str]:
    """Each forbidden character of `text` (the first 5), with some text around it, shown
    inert."""
    hits = []
    for match in FORBIDDEN.finditer(text):
        start = max(0, match.start() - CONTEXT)
        hits.append(_shown(text[start : match.end() + CONTEXT]).replace("\n", "\\n"))
        if len(hits) == 5:
            break
    return hits


class _State:
    def __init__(self) -> None:
        self.hits: list[str] = []  # for the current test
        self.session_hits: list[str] = []
        self.seconds = 0.0
        self.scanned = 0


STATE = _State()


def scan(where: str, text: str) -> bool:
    started = time.perf_counter()
    found = find(text)
    STATE.hits += [f"{where}: ...{hit}..." for hit in found]
    STATE.scanned += 1
    STATE.seconds += time.perf_counter() - started
    return bool(found)


def cli_run(args, stdout: str, stderr: str) -> None:
    """Scan a `csauth` run's output (the args as given to the command)."""
    from tests.leakscan import subcommand

    command = subcommand(list(args)) or "(no command)"
    scan(f"stderr of `csauth {command}`", stderr)
    if command != "exec":
        scan(f"stdout of `csauth {command}`", stdout)


def screen_text(app) -> str:
    """What the widgets of the app's screen draw now, line by line (each widget whole,
    scrolled-out parts included), through Textual's public `render_lines`."""
    from textual.geometry import Region

    parts = []
    for widget in app.screen.walk_children(with_self=True):
        if widget.display and widget.outer_size.area:
            parts += [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]
    return "\n".join(parts)


def scan_app(app) -> None:
    """The app's screen as it is drawn now."""
    started = time.perf_counter()
    try:
        text = screen_text(app)
    except Exception:  # starting or shutting down: no screen to look at
        return
    finally:
        STATE.seconds += time.perf_counter() - started
    scan(f"the screen of {type(app).__name__} ({type(app.screen).__name__})", text)


def _watch_the_app() -> None:
    from csauth_tui.ui.app import CsauthApp

    def post_display_hook(self) -> None:  # Textual's hook "used in tests"
        scan_app(self)

    CsauthApp.post_display_hook = post_display_hook


def scan_svgs() -> None:
    for directory in SVG_DIRS:
        for svg in sorted(directory.rglob("*.svg")) if directory.is_dir() else []:
            try:
                text = svg.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            scan(str(svg.relative_to(REPO)), text)


# --- hooks ----------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    _watch_the_app()


def pytest_unconfigure(config: pytest.Config) -> None:
    from csauth_tui.ui.app import CsauthApp

    if "post_display_hook" in vars(CsauthApp):
        del CsauthApp.post_display_hook


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    STATE.session_hits += STATE.hits  # an app of the last test, still drawing
    STATE.hits = []
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    hits, STATE.hits = _unique(STATE.hits), []
    if not hits:
        return report
    if report.skipped and hasattr(report, "wasxfail"):
        return report  # a known hole, documented by an xfail (XPASS fails as usual)
    lines = ["escscan: csauth showed a control or bidi character raw (shown escaped here):"]
    lines += [f"  - {hit}" for hit in hits[:10]]
    message = "\n".join(lines)
    if report.failed and report.longrepr is not None:
        report.longrepr = f"{report.longreprtext}\n\n{message}"
    else:
        report.outcome = "failed"
        report.longrepr = message
    return report


def _unique(hits: list[str]) -> list[str]:
    return list(dict.fromkeys(hits))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    scan_svgs()
    STATE.session_hits = _unique(STATE.session_hits + STATE.hits)
    STATE.hits = []
    if STATE.session_hits and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if STATE.session_hits:
        terminalreporter.section("escscan: raw control characters outside any one test", red=True)
        for hit in STATE.session_hits[:20]:
            terminalreporter.write_line(f"  - {hit}")
    if os.environ.get("CSAUTH_ESCSCAN_TIMING"):
        terminalreporter.write_line(
            f"escscan: {STATE.seconds:.2f} s in its own checks, {STATE.scanned:,} outputs scanned"
        )
