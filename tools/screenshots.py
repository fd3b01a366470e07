"""`python -m tools.screenshots` (`make screenshots`): SVGs of the app's main states.

Each state runs the real app headless (Textual's Pilot) against the embedded fake
Contentsquare API on loopback, with the demo profiles file. Everything that would change
from one run to the next is pinned, so regenerating rewrites identical files unless the
UI changed: the app's clock and "today", the time zone (UTC), the fake's port (48080 when
free), and the fake's wall clock, signing key and token ids.

    python -m tools.screenshots [--out DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "screenshots"
TODAY = date(2026, 1, 15)
START = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
PORT = 48080  # a fixed port keeps the auth URL in the pictures stable
TOKEN_AGE = timedelta(minutes=17, seconds=23)  # how long ago the pictured token was issued


class FrozenClock:
    """The app's clock: stands still unless a shot moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@contextlib.contextmanager
def pinned_fake(epoch: float) -> Iterator[None]:
    """The fake stamps tokens with the wall clock, signs them with a random key and gives
    each a random id: all three would change every picture of a token."""
    from csauth_tui.fake import server

    ids = itertools.count(1)
    real_time = server.time
    pinned_time = SimpleNamespace(
        time=lambda: epoch, monotonic=real_time.monotonic, sleep=real_time.sleep
    )
    pinned_secrets = SimpleNamespace(
        token_bytes=lambda n=32: b"screenshots".ljust(n, b"."),
        token_hex=lambda n=16: f"{next(ids):0{2 * n}x}",
    )
    with (
        mock.patch.object(server, "time", pinned_time),
        mock.patch.object(server, "secrets", pinned_secrets),
    ):
        yield


def start_fake(credentials):
    from csauth_tui.fake.server import FakeContentsquare

    try:
        return FakeContentsquare(credentials, port=PORT).start()
    except OSError:
        print(
            f"screenshots: port {PORT} is busy; the auth URL in the pictures will differ",
            file=sys.stderr,
        )
        return FakeContentsquare(credentials).start()


# --- the states ----------------------------------------------------------------------------

Steps = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    name: str
    what: str
    steps: Steps | None = None
    size: tuple[int, int] = (120, 40)


async def settle(pilot) -> None:
    """Let workers finish and messages land before a picture is taken."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def get_token(pilot, clock: FrozenClock) -> None:
    from csauth_tui.core.tokens import format_remaining

    await pilot.press("g")
    await settle(pilot)
    clock.advance(TOKEN_AGE)
    # The app's one-second timer redraws the countdowns; under load it may take a while.
    label = pilot.app.query_one("#token-countdown")
    left = format_remaining(3600 - TOKEN_AGE.total_seconds())
    deadline = time.monotonic() + 30
    while not str(label.content).startswith(left) and time.monotonic() < deadline:
        await pilot.pause(0.1)
    if not str(label.content).startswith(left):
        raise RuntimeError(f"the countdown never showed {left}: got {label.content!s}")


async def focus_scopes(pilot, clock: FrozenClock) -> None:
    await pilot.press("s")


async def load_me(pilot, clock: FrozenClock) -> None:
    await pilot.press("m")


async def show_help(pilot, clock: FrozenClock) -> None:
    await pilot.press("question_mark")


async def project_out_of_reach(pilot, clock: FrozenClock) -> None:
    """agency-account asked for project 1004, which its credential cannot reach: g is
    answered 403 by the API."""
    app = pilot.app
    app.main_screen.select_profile("agency-account")
    await settle(pilot)
    await pilot.press("p")
    await pilot.press(*["backspace"] * len(app.query_one("#project").value), *"1004")
    await pilot.press("escape", "g")


async def add_form(pilot, clock: FrozenClock) -> None:
    await pilot.press("a")
    await settle(pilot)
    await pilot.press(*"prod-exports", "tab", "tab")
    await pilot.press(*"c3133d76-0000-4c8e-9b1a-5f2e8d7c6b4a")


async def audit(pilot, clock: FrozenClock) -> None:
    from csauth_tui.ui.screens.audit_screen import AuditScreen

    screen = AuditScreen(
        pilot.app.session, timings=False
    )  # milliseconds would change every regeneration
    await pilot.app.push_screen(screen)
    deadline = time.monotonic() + 60
    while screen.report is None and time.monotonic() < deadline:
        await pilot.pause(0.1)
    if screen.report is None:
        raise RuntimeError("the audit did not finish")


SHOTS = (
    Shot("main", "profile list, first profile selected"),
    Shot("token", "prod-metrics after g: masked token, countdown, claims", get_token),
    Shot("scopes", "the scope list focused (s)", focus_scopes),
    Shot("me", "after m: what /v1/oauth/me says, as a tree", load_me),
    Shot("help", "? : every key and its binding id", show_help),
    Shot("error", "a project the credential cannot reach: 403 from the API", project_out_of_reach),
    Shot("add", "a: the add-profile form, validated as you type", add_form),
    Shot("audit", "A: every profile audited, findings with their fixes", audit),
    Shot("main-80x24", "the main view in an 80x24 terminal", size=(80, 24)),
    Shot(
        "main-60x20", "the main view in a 60x20 terminal: each label above its value", size=(60, 20)
    ),
)


async def take(shot: Shot, config: Path, out: Path) -> Path:
    from csauth_tui.ui.app import make_app

    clock = FrozenClock(START)
    app = make_app(
        config,
        clock=clock,
        transport=None,
        demo=True,
        native_clipboard=False,
        today=TODAY,
        cache=False,
    )
    async with app.run_test(size=shot.size, notifications=True) as pilot:
        await settle(pilot)
        if shot.steps is not None:
            await shot.steps(pilot, clock)
        await settle(pilot)
        path = app.save_screenshot(filename=f"{shot.name}.svg", path=str(out))
    return Path(path)


async def take_all(shots: tuple[Shot, ...], out: Path) -> list[Path]:
    import keyring

    from csauth_tui.demo import memory_keyring
    from csauth_tui.fake.demo import demo_credentials, demo_profiles_toml

    written = []
    with tempfile.TemporaryDirectory(prefix="csauth-shots-") as tmp, pinned_fake(START.timestamp()):
        fake = start_fake(demo_credentials(TODAY))
        previous_keyring = keyring.get_keyring()
        try:
            text, secrets = demo_profiles_toml(fake.url, today=TODAY)
            config = Path(tmp) / "profiles.toml"
            config.write_text(text)
            config.chmod(0o600)  # as `csauth demo` writes it (the audit would flag 0644)
            env = {
                **secrets,
                "CSAUTH_CONFIG": str(config),
                "CSAUTH_CACHE_DIR": str(Path(tmp) / "cache"),
            }
            keyring.set_keyring(memory_keyring())
            with mock.patch.dict(os.environ, env):
                for shot in shots:
                    path = await take(shot, config, out)
                    written.append(path)
                    print(
                        f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
                        f"{shot.what}"
                    )
        finally:
            keyring.set_keyring(previous_keyring)
            fake.stop()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.screenshots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"directory (default: {OUT})")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=[s.name for s in SHOTS],
        help="just these states",
    )
    args = parser.parse_args(argv)
    os.environ["TZ"] = "UTC"  # "issued ... local" must not depend on where this runs
    if hasattr(time, "tzset"):
        time.tzset()
    os.environ.pop("NO_COLOR", None)  # Textual turns monochrome when it is set
    args.out.mkdir(parents=True, exist_ok=True)
    shots = tuple(s for s in SHOTS if not args.only or s.name in args.only)
    asyncio.run(take_all(shots, args.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
