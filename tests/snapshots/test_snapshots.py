"""SVG snapshots of the app's main states (pytest-textual-snapshot).

Deterministic by construction: a frozen clock, a fixed `today`, local time = UTC, a fixed
JWT from an httpx.MockTransport (no network, no random token), a profiles file at a
relative path (no tmp dir name in the header), and no focused text input (no cursor blink).
Regenerate with `pytest tests/snapshots --snapshot-update`, then read the SVGs.
"""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from csauth_tui.ui.app import make_app

FIXED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
TODAY = date(2026, 3, 1)
BIG = (120, 40)
SMALL = (80, 24)
CONFIG = Path("profiles.toml")  # relative: the same text in every run's header

PROD_SECRET = "sentinel-snap-prod-secret-4f0e21"
AGENCY_SECRET = "sentinel-snap-agency-secret-a19c3d"
PLAIN_SECRET = "sentinel-snap-plain-secret-77d2b8"
SECRETS = {"CS_SNAP_PROD_SECRET": PROD_SECRET, "CS_SNAP_AGENCY_SECRET": AGENCY_SECRET}
KNOWN = {
    "prod-client-7e41": PROD_SECRET,
    "agency-client-02c9": AGENCY_SECRET,
    "sandbox-client-5a10": PLAIN_SECRET,
}

PROFILES = f"""[settings]
renew_before_seconds = 300
clipboard_clear_seconds = 30
token_cache = false

[profiles.prod-metrics]
level = "project"
client_id = "prod-client-7e41"
scopes = ["metrics", "data-export"]
project_id = 1001
secret = "env:CS_SNAP_PROD_SECRET"
created = 2025-06-01
description = "Nightly BI sync"

[profiles.agency-account]
level = "account"
client_id = "agency-client-02c9"
scopes = ["metrics"]
project_id = 1002
secret = "env:CS_SNAP_AGENCY_SECRET"
created = 2026-01-15

[profiles.enrichment-eu]
level = "project"
client_id = "enrich-client-33b0"
scopes = ["enrichment"]
project_id = 1001
created = 2025-03-20

[profiles.sandbox]
level = "project"
client_id = "sandbox-client-5a10"
scopes = ["metrics"]
client_secret = "{PLAIN_SECRET}"
"""


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fixed_jwt(scope: str, project_id: int) -> str:
    iat = int(FIXED.timestamp())
    claims = {
        "iss": "contentsquare",
        "sub": "prod-client-7e41",
        "iat": iat,
        "exp": iat + 3600,
        "scope": scope,
        "project_id": project_id,
        "account_id": 7,
    }
    return f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.c25hcHNob3Qtc2lnbmF0dXJl"


def handler(request: httpx.Request) -> httpx.Response:
    """Contentsquare as the snapshots need it: fixed answers, secrets checked."""
    body = json.loads(request.content or b"{}")
    if KNOWN.get(body.get("client_id")) != body.get("client_secret"):
        return httpx.Response(
            401,
            json={"error": "invalid_client", "error_description": "Client authentication failed"},
        )
    if request.url.path == "/v1/oauth/token":
        return httpx.Response(
            200,
            json={
                "access_token": fixed_jwt(body["scope"], body.get("project_id") or 1001),
                "token_type": "Bearer",
                "expires_in": 3600,
                "endpoint": "https://api.eu-west-1.production.contentsquare.com",
            },
        )
    if request.url.path == "/v1/oauth/me":
        return httpx.Response(
            200,
            json={
                "client_id": body["client_id"],
                "name": "Agency reporting (account)",
                "level": "account",
                "account_id": 7,
                "scopes": "metrics data-export surveys",
                "created_at": "2026-01-15",
                "permissions": {
                    "projects": [
                        {"id": 1001, "name": "Demo shop"},
                        {"id": 1002, "name": "Demo shop (staging)"},
                        {"id": 1003, "name": "Demo blog"},
                    ]
                },
            },
        )
    return httpx.Response(404, json={"success": False, "errorCode": "NOT_FOUND"})


class FrozenClock:
    def __init__(self) -> None:
        self.now = FIXED

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def snapshot_world(tmp_path, monkeypatch):
    """UTC local time, the profiles file in the cwd, the env secrets set."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    monkeypatch.chdir(tmp_path)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    yield tmp_path
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def build(text: str | None = PROFILES, clock: FrozenClock | None = None):
    if text is not None:
        CONFIG.write_text(text)
    return make_app(
        CONFIG,
        clock=clock or FrozenClock(),
        transport=httpx.MockTransport(handler),
        native_clipboard=False,
        today=TODAY,
        cache=False,
    )


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def no_secret_in(app) -> None:
    svg = app.export_screenshot()
    for secret in (PROD_SECRET, AGENCY_SECRET, PLAIN_SECRET):
        assert secret not in svg


def test_empty_state(snap_compare):
    """No profiles file: where it is expected, and `csauth add` to start."""
    app = build(text=None)
    assert snap_compare(app, terminal_size=BIG)


def test_profile_list(snap_compare):
    """Start: the table focused on the first profile, its credential in the detail pane."""

    async def check(pilot):
        no_secret_in(pilot.app)

    assert snap_compare(build(), terminal_size=BIG, run_before=check)


def test_profile_list_small_terminal(snap_compare):
    """The same at 80x24."""
    assert snap_compare(build(), terminal_size=SMALL)


def test_token_with_countdown(snap_compare):
    """A token for prod-metrics, masked, with 41:07 left on the bar and in the table."""
    clock = FrozenClock()

    async def get_token(pilot):
        await pilot.press("g")
        await settle(pilot)
        clock.now = FIXED + timedelta(seconds=3600 - 2467)
        pilot.app.main_screen.tick()
        await pilot.pause()
        no_secret_in(pilot.app)

    assert snap_compare(build(clock=clock), terminal_size=BIG, run_before=get_token)


def test_scope_picker(snap_compare):
    """Scopes focused; picking enrichment cleared the others, with the notice."""

    async def pick(pilot):
        await pilot.press("s")
        pilot.app.query_one("#scopes").highlighted = 2
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(build(), terminal_size=BIG, run_before=pick)


def test_me_tree(snap_compare):
    """/me for the account-level profile: known fields, the JSON tree, projects to pick."""

    async def load_me(pilot):
        await pilot.press("j", "m")
        await settle(pilot)
        no_secret_in(pilot.app)

    assert snap_compare(build(), terminal_size=BIG, run_before=load_me)


def test_error(snap_compare, monkeypatch):
    """A rejected secret: the inline status says so, worded for a person, once (no toast)."""
    monkeypatch.setenv("CS_SNAP_PROD_SECRET", "sentinel-snap-wrong-secret")

    async def fail(pilot):
        await pilot.press("g")
        await settle(pilot)
        svg = pilot.app.export_screenshot()
        assert "sentinel-snap-wrong-secret" not in svg
        no_secret_in(pilot.app)

    assert snap_compare(build(), terminal_size=BIG, run_before=fail)


def test_help(snap_compare):
    """? lists every binding with its id."""
    assert snap_compare(build(), terminal_size=BIG, press=["question_mark"])


def test_no_secret_or_temp_path_in_any_snapshot():
    """What the SVGs on disk show: never a secret, never this run's temp directory."""
    folder = Path(__file__).parent / "__snapshots__" / "test_snapshots"
    svgs = sorted(folder.glob("*.svg"))
    assert len(svgs) >= 8
    for svg in svgs:
        text = svg.read_text()
        for secret in (PROD_SECRET, AGENCY_SECRET, PLAIN_SECRET, "sentinel-snap-wrong-secret"):
            assert secret not in text, svg.name
        assert "pytest-of-" not in text and "/tmp/" not in text, svg.name
