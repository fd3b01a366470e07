"""The token for the current request: masked value, base URL, expiry, a countdown bar,
decoded claims, auto-renew and the last probe. Updated per second by the app's timer,
touching only the countdown widgets."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from ...core.redact import mask_token
from ...core.urls import host_of
from ..live import LiveToken
from ..text import escape
from .wrapping import Rows, Wrapped

if TYPE_CHECKING:  # mounted with the first token, not at start (see _body)
    from textual.widgets import ProgressBar, Switch


def when(moment: datetime) -> str:
    local = moment.astimezone()
    utc = moment.astimezone(timezone.utc)
    return f"{local:%Y-%m-%d %H:%M:%S} local ({utc:%H:%M:%S} UTC)"


class TokenPanel(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.live: LiveToken | None = None
        self.revealed = False
        self._countdown = ""
        self._shown = ""  # the countdown label's text
        self._urgency = ""
        self._ready: LiveToken | None = None  # the token the status line calls ready

    def compose(self) -> ComposeResult:
        yield Static("", id="token-status")
        yield Static("[dim]No token yet: press [b]g[/] (or enter) to get one.[/]", id="token-empty")
        yield Vertical(id="token-body")  # filled with the first token (_body)

    def on_mount(self) -> None:
        self.query_one("#token-body").display = False
        self.query_one("#token-status").display = False

    def _body(self) -> Vertical:
        """The token's widgets, mounted when the first token is shown rather than at start:
        a dozen widgets (bar, switch, their parts) the first frame has no use for. Mounted
        leaf by leaf, so each is in the DOM (and can be updated) on return."""
        body = self.query_one("#token-body", Vertical)
        if body.children:
            return body
        from textual.widgets import ProgressBar, Switch  # imported with the first token too

        life, renew = Horizontal(id="token-life"), Horizontal(id="renew-row")
        body.mount(
            Static("", id="token-value"),
            Static("", id="token-meta"),
            life,
            renew,
            Static("", id="token-probe"),
            Static("", id="token-claims"),
        )
        life.mount(
            ProgressBar(total=3600, show_eta=False, show_percentage=False, id="token-bar"),
            Label("", id="token-countdown"),
        )
        renew.mount(
            Switch(value=False, id="auto-renew"),
            Label("auto-renew before expiry", id="auto-renew-label"),
        )
        return body

    def status(self, text: str) -> None:
        self._ready = None
        status = self.query_one("#token-status", Static)
        status.update(text)
        status.display = bool(text)

    def ready(self, live: LiveToken, note: str, now: datetime) -> None:
        """Say the token is ready, while it is: an expired one is called expired (tick
        rewords the line when the countdown runs out)."""
        if live.token.seconds_left(now) <= 0:
            self.status(f"[b red]token expired[/]{note}: r gets a new one")
            return
        self.status(f"[green]token ready[/]{note}")
        self._ready = live

    def show(self, live: LiveToken | None, now: datetime) -> None:
        self.live = live
        self.query_one("#token-empty").display = live is None
        if live is None:
            self.query_one("#token-body").display = False
            return
        self._body().display = True
        token = live.token
        self._render_value()
        if token.trusted:
            base = escape(token.endpoint)
        else:  # only the host: the URL itself may carry anything, the token included
            base = f"{escape(host_of(token.endpoint))}  [b red]UNTRUSTED HOST: never sent there[/]"
        scope = escape(" ".join(token.scopes))
        project = f"  project {token.project_id}" if token.project_id is not None else ""
        rows = (
            ("base URL", base),
            ("scopes", f"{scope}{project}"),
            ("issued", when(token.issued_at)),
            ("expires", when(token.expires_at)),
        )
        self.query_one("#token-meta", Static).update(
            Rows([(label, Text.from_markup(value, emoji=False)) for label, value in rows], "", 10)
        )
        header, claims = token.jwt()
        self.query_one("#token-claims", Static).update(
            Wrapped(
                Text.from_markup(
                    "[b]JWT claims[/] (decoded, not verified)\n"
                    + escape(_pretty(claims))
                    + (f"\n[dim]header {escape(json.dumps(header))}[/]" if header else "")
                    if claims
                    else "[dim]the token is not a JWT we can decode[/]",
                    emoji=False,
                )
            )
        )
        switch = cast("Switch", self.query_one("#auto-renew"))  # imported on first use
        with switch.prevent(type(switch).Changed):
            switch.value = live.auto_renew
        bar = cast("ProgressBar", self.query_one("#token-bar"))
        bar.update(total=max(token.lifetime, 1))
        self.query_one("#token-probe", Static).update(live.probe)
        self._countdown = ""
        self.tick(now)

    def _render_value(self) -> None:
        if self.live is None:
            return
        value = self.live.token.access_token
        shown = (
            escape(value)
            if self.revealed
            else f"{escape(mask_token(value))}  [dim](masked: v reveals)[/]"
        )
        self.query_one("#token-value", Static).update(f"[b]token[/]  {shown}", layout=True)

    def toggle_reveal(self) -> bool:
        self.revealed = not self.revealed
        self._render_value()
        return self.revealed

    def tick(self, now: datetime) -> None:
        """Per-second update: only the bar and the countdown label, only on change."""
        if self.live is None:
            return
        left = max(0.0, self.live.token.seconds_left(now))
        if self._ready is not None and left <= 0:  # "token ready" no longer is
            self.status("[b red]token expired[/]: r gets a new one")
        text = "renewing..." if self.live.renewing else self.live.state(now)
        urgency = self.live.urgency(now)
        if text == self._countdown and urgency == self._urgency:
            return
        shown = f"{text} left" if text[0].isdigit() else text
        label = self.query_one("#token-countdown", Label)
        # same length, same width (width: auto): a new layout only when the length changes
        label.update(shown, layout=len(shown) != len(self._shown))
        self._countdown, self._shown = text, shown
        cast("ProgressBar", self.query_one("#token-bar")).update(progress=left)
        if urgency != self._urgency:
            for name in ("ok", "warn", "critical", "expired"):
                self.query_one("#token-life").set_class(name == urgency, f"-{name}")
            self._urgency = urgency


def _pretty(claims: dict) -> str:
    lines = []
    for key, value in claims.items():
        if key in ("exp", "iat", "nbf") and isinstance(value, (int, float)):
            try:
                stamp = datetime.fromtimestamp(value, timezone.utc).strftime(
                    "%Y-%m-%d %H:%M:%S UTC"
                )
                value = f"{value}  ({stamp})"
            except (OverflowError, OSError, ValueError):
                pass  # not a time in seconds (milliseconds?): shown as it came
        lines.append(f"  {key}: {value}")
    return "\n".join(lines)
