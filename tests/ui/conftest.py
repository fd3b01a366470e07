"""Pilot tests of the Textual app against the real fake Contentsquare API on loopback.

Time is a FakeClock the tests move by hand; the app's countdowns are computed from it, so
"an hour later" takes no time at all. Every secret here is a sentinel string that the
tests look for in everything a user could see.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from csauth_tui.fake.server import FakeContentsquare, FakeCredential

FIXED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
TODAY = date(2026, 3, 1)
SIZE = (120, 40)

PROD_SECRET = "sentinel-ui-prod-secret-9d41c7"
STAGING_SECRET = "sentinel-ui-staging-secret-2b8e55"
AGENCY_SECRET = "sentinel-ui-agency-secret-c03f1a"
ENRICH_SECRET = "sentinel-ui-enrich-secret-77aa02"
PLAIN_SECRET = "sentinel-ui-plaintext-secret-e5d9b0"
SECRETS = (PROD_SECRET, STAGING_SECRET, AGENCY_SECRET, ENRICH_SECRET, PLAIN_SECRET)

CREDENTIALS = (
    FakeCredential(
        "prod-client-0001",
        PROD_SECRET,
        level="project",
        project_ids=(1001,),
        scopes=("metrics", "data-export"),
        name="Prod sync",
        created="2025-06-01",
    ),
    FakeCredential(
        "staging-client-0002",
        STAGING_SECRET,
        level="project",
        project_ids=(1002,),
        scopes=("data-export",),
        name="Staging",
    ),
    FakeCredential(
        "agency-client-0003",
        AGENCY_SECRET,
        level="account",
        project_ids=(1001, 1002, 1003),
        scopes=("metrics", "data-export", "surveys"),
        name="Agency reporting",
    ),
    FakeCredential(
        "enrich-client-0004",
        ENRICH_SECRET,
        level="project",
        project_ids=(1001,),
        scopes=("enrichment", "metrics"),
        name="CRM enrichment",
    ),
    FakeCredential(
        "sandbox-client-0005",
        PLAIN_SECRET,
        level="project",
        project_ids=(1004,),
        scopes=("metrics",),
        name="Sandbox",
    ),
)

ENV_SECRETS = {
    "CS_UI_PROD_SECRET": PROD_SECRET,
    "CS_UI_STAGING_SECRET": STAGING_SECRET,
    "CS_UI_AGENCY_SECRET": AGENCY_SECRET,
    "CS_UI_ENRICH_SECRET": ENRICH_SECRET,
}


def profiles_text(
    url: str, *, extra: str = "", renew_before: int = 300, clear_seconds: int = 30
) -> str:
    """prod, staging-export, agency (account-level, no project), enrich, sandbox (plaintext)."""
    return f"""# profiles for the Pilot tests
[settings]
auth_url = "{url}"
renew_before_seconds = {renew_before}
clipboard_clear_seconds = {clear_seconds}
token_cache = false
{extra}
[profiles.prod]
level = "project"
client_id = "prod-client-0001"
scopes = ["metrics"]
project_id = 1001
secret = "env:CS_UI_PROD_SECRET"
created = 2025-06-01
description = "BI sync"

[profiles.staging-export]
level = "project"
client_id = "staging-client-0002"
scopes = ["data-export"]
secret = "env:CS_UI_STAGING_SECRET"

[profiles.agency]
level = "account"
client_id = "agency-client-0003"
scopes = ["metrics"]
secret = "env:CS_UI_AGENCY_SECRET"

[profiles.enrich]
level = "project"
client_id = "enrich-client-0004"
scopes = ["enrichment"]
secret = "env:CS_UI_ENRICH_SECRET"

[profiles.sandbox]
level = "project"
client_id = "sandbox-client-0005"
scopes = ["metrics"]
client_secret = "{PLAIN_SECRET}"
"""


class FakeClock:
    """The app's clock: frozen until a test moves it."""

    def __init__(self, start: datetime = FIXED) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def utc_local_time():
    """The token panel shows local time: make local time UTC for every test."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def fake_api() -> Iterator[FakeContentsquare]:
    with FakeContentsquare(CREDENTIALS) as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class Env:
    """What a test needs to build the app: the profiles file, the fake API, the clock."""

    config: Path
    fake: FakeContentsquare
    clock: FakeClock

    def write(self, text: str | None = None, **kwargs) -> Path:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text if text is not None else profiles_text(self.fake.url, **kwargs))
        return self.config

    def app(self, **kwargs):
        from csauth_tui.ui.app import make_app

        if not self.config.exists():
            self.write()
        options = dict(clock=self.clock, native_clipboard=False, today=TODAY, cache=False)
        options.update(kwargs)
        return make_app(self.config, **options)

    def token_requests(self) -> list:
        return [r for r in self.fake.requests if r.path == "/v1/oauth/token"]


@pytest.fixture
def env(tmp_path, monkeypatch, fake_api, clock) -> Env:
    for name, value in ENV_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TMUX", raising=False)  # never touch a developer's tmux buffers
    return Env(tmp_path / "config" / "profiles.toml", fake_api, clock)


# --- what the user sees ------------------------------------------------------------------


def screen_text(app) -> str:
    """The screen as plain text, as a terminal would show it (modal screens over the
    screens under them), put together from public API: where each widget is on the screen
    and what of it is visible (`Screen.find_widget`), and what it draws there
    (`render_lines`), in the compositor's painting order."""
    from rich.cells import cell_len
    from textual.errors import NoWidget

    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    shown = []
    for screen in reversed(app.screen_stack):
        shown.insert(0, screen)
        if not screen.is_modal:
            break
    for screen in shown:
        placed = []
        for widget in screen.walk_children(with_self=False):
            try:
                geometry = screen.find_widget(widget)
            except NoWidget:  # not displayed
                continue
            placed.append((geometry.order, widget, geometry))
        placed.sort(key=lambda item: item[0])
        for _, widget, geometry in placed:
            visible = geometry.visible_region.intersection(app.screen.region)
            if not visible.area:
                continue
            crop = visible.translate((-geometry.region.x, -geometry.region.y))
            for y, strip in enumerate(widget.render_lines(crop), start=visible.y):
                row, x = grid[y], visible.x
                for char in strip.text:
                    size = cell_len(char)
                    if size == 0 and x > visible.x:  # combining: joins the cell before
                        row[x - 1] += char
                        continue
                    if x + size > visible.right:
                        break
                    row[x] = char
                    if size == 2:
                        row[x + 1] = ""
                    x += size
    return "".join("".join(row) + "\n" for row in grid)


def widget_text(widget) -> str:
    """A widget's content as plain text, whether markup, Content or a Rich renderable
    (a Rich table would otherwise show up as its repr and hide what it holds)."""
    import io

    from rich.console import Console
    from textual.content import Content

    if widget.children:  # a container: the text of what it holds
        return "\n".join(widget_text(child) for child in widget.children)
    rendered = widget.render()
    renderable = getattr(rendered, "_renderable", rendered)
    if isinstance(renderable, (str, Content)):
        return str(renderable)
    console = Console(width=500, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def all_widget_text(app) -> str:
    """What every widget of every screen renders, including what is scrolled out of view."""
    parts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=False):
            try:
                parts.append(widget_text(widget))
            except Exception:  # containers without content of their own
                continue
    return "\n".join(parts)


def notes(app) -> list[str]:
    """Every notification shown so far this run, as 'title: message'."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


def toasts(app) -> str:
    """The text of the toasts on screen now, whitespace collapsed (toasts wrap)."""
    return " ".join(" ".join(widget_text(t).split()) for t in app.screen.query("Toast"))


def assert_no_secret(app, extra: tuple[str, ...] = ()) -> None:
    """No client secret on the screen, in any widget, in any notification or in the
    rendered SVG."""
    seen = "\n".join(
        (screen_text(app), all_widget_text(app), "\n".join(notes(app)), app.export_screenshot())
    )
    for secret in SECRETS + tuple(extra):
        assert secret not in seen, "a client secret is visible"


def status(app) -> str:
    return widget_text(app.query_one("#token-status"))


def token_cell(app, name: str) -> str:
    return str(app.query_one("#profiles").get_cell(name, "token"))


def row_names(app) -> list[str]:
    return app.query_one("#profiles").shown_names


async def wait_until(
    pilot, predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
) -> None:
    """Poll (with pauses that let the app work) until `predicate()` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def settle(pilot) -> None:
    """Wait for every worker (network calls) to finish, then for the messages they posted."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def get_token(pilot, key: str = "g") -> None:
    await pilot.press(key)
    await settle(pilot)


def current_token(app):
    live = app.query_one("#token").live
    return None if live is None else live.token


@pytest.fixture
def no_traceback(capsys):
    """Nothing printed by the app: no traceback on stdout or stderr."""
    yield
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
