"""The main screen's token actions: get and renew, copy (the token and what goes with it),
reveal, test and /me. A helper the screen builds with itself and the session: it uses the
screen's public methods and the session's, nothing it does not declare here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from ..core.errors import CsauthError
from .live import NET, LiveToken
from .text import escape
from .widgets.key_bar import KeyBar
from .widgets.me_panel import MePanel
from .widgets.profile_table import ProfileTable
from .widgets.request_panel import RequestPanel
from .widgets.token_panel import TokenPanel
from .wording import describe_error

if TYPE_CHECKING:
    from .screens.main import MainScreen
    from .session import Session

UNTRUSTED = "this token's base URL is on an untrusted host; not copied"


@dataclass
class TokenReady(Message):
    name: str
    live: LiveToken
    copy_what: str | None


@dataclass
class Failed(Message):
    name: str | None
    what: str  # "token", "me", "probe"
    error: BaseException
    note: str = ""  # said after the error, e.g. when auto-renew tries again


class TokenActions:
    COPY_LABELS = {
        "token": "token",
        "header": "Authorization header",
        "curl": "curl probe command",
        "base_url": "base URL",
    }

    def __init__(self, screen: MainScreen, session: Session) -> None:
        self.screen = screen
        self.session = session

    # --- get, renew ---------------------------------------------------------------------

    def request(self, *, force: bool = False, copy_what: str | None = None) -> None:
        screen, session = self.screen, self.session
        profile = screen.profile()
        if profile is None:
            screen.say_no_profile()
            return
        chosen = session.choice(profile)
        panel = screen.query_one(RequestPanel)
        if panel.project_text and chosen.project_id is None:
            self.fail(
                profile.name,
                "token",
                CsauthError(f"project_id '{panel.project_text}' is not a positive whole number"),
            )
            return
        try:
            request = session.request_for(profile)
        except CsauthError as exc:
            self.fail(profile.name, "token", exc)
            return
        if not force:
            live = session.live.get(request.cache_key)
            if (
                live is not None
                and live.token.trusted
                and live.token.fresh_enough(session.settings.renew_before_seconds, session.clock())
            ):
                screen.query_one(TokenPanel).show(live, session.clock())
                if copy_what:
                    self.copy(live, copy_what)
                return
        screen.query_one(TokenPanel).status(
            f"[i]getting a token for {escape(profile.name)}... (esc cancels)[/]"
        )
        screen.query_one(ProfileTable).set_token_state(profile.name, "fetching")
        self.fetch(
            profile.name, request.scopes, request.project_id, force=force, copy_what=copy_what
        )

    def fetch(
        self,
        name: str | None,
        scopes,
        project_id,
        *,
        force: bool,
        copy_what: str | None = None,
        auto: bool = False,
    ) -> None:
        self.screen.run_worker(
            self._fetch(name, scopes, project_id, force=force, copy_what=copy_what, auto=auto),
            group=NET,
            exit_on_error=False,
            description="fetch token",
        )

    async def _fetch(self, name, scopes, project_id, *, force, copy_what, auto) -> None:
        profile = self.session.pf.profiles.get(name or "")
        if profile is None:
            return
        fetched = await self.session.fetch(profile, scopes, project_id, force=force, auto=auto)
        if fetched.warning:
            self.screen.notify(fetched.warning, severity="warning", timeout=6, markup=False)
        if fetched.live is None:
            error = fetched.error or CsauthError("no token came back")
            self.screen.post_message(Failed(profile.name, "token", error, fetched.note))
        else:
            self.screen.post_message(TokenReady(profile.name, fetched.live, copy_what))

    def ready(self, event: TokenReady) -> None:
        screen, live, now = self.screen, event.live, self.session.clock()
        shown_here = event.name == screen.current and screen.is_active
        untrusted = None
        if not live.token.trusted:
            from ..core.service import untrusted_error

            untrusted = describe_error(untrusted_error(live.token))
        if event.name == screen.current:
            panel = screen.query_one(TokenPanel)
            panel.show(self.session.live_for(screen.profile()), now)
            note = (
                ""
                if untrusted is None
                else (
                    " [b red]but its base URL is on an untrusted host: it will not be used[/]\n"
                    f"[red]{escape(untrusted[0])}: {escape(untrusted[1])}[/]"
                )
            )
            panel.ready(live, note, now)
        if untrusted is not None and not shown_here:
            screen.notify(
                f"{event.name}: {untrusted[1]}",
                title=untrusted[0],
                severity="error",
                timeout=8,
                markup=False,
            )
        screen.tick()
        if event.copy_what and live.token.trusted:  # an untrusted token is never copied
            self.copy(live, event.copy_what)

    def fail(self, name: str | None, what: str, error: BaseException) -> None:
        self.screen.post_message(Failed(name, what, error))

    def failed(self, event: Failed) -> None:
        """An error is said once: in place when the selected profile's panel shows it,
        else as a notification."""
        screen, session = self.screen, self.session
        title, message = describe_error(event.error)
        message += event.note
        if event.name is not None and event.name == screen.current and screen.is_active:
            if event.what == "me":
                screen.query_one(MePanel).show(
                    session.me_info.get(event.name), f"[red]{escape(title)}: {escape(message)}[/]"
                )
            else:
                screen.query_one(TokenPanel).status(f"[red]{escape(title)}: {escape(message)}[/]")
        else:
            where = f"{event.name}: " if event.name else ""
            screen.notify(where + message, title=title, severity="error", timeout=8, markup=False)
        profile = session.pf.profiles.get(event.name or "")
        if profile is not None:
            screen.query_one(ProfileTable).set_token_state(
                profile.name,
                session.live.table_state(
                    profile.name, session.current_key(profile), session.clock()
                ),
            )

    # --- copy ---------------------------------------------------------------------------

    def copy_request(self, what: str) -> None:
        screen, session = self.screen, self.session
        profile = screen.profile()
        live = session.live_for(profile)
        if live is not None and not live.token.trusted:
            screen.notify(UNTRUSTED, severity="error")
            return
        if (
            live is None
            or profile is None
            or live.token.key != session.current_key(profile)
            or not live.token.fresh_enough(session.settings.renew_before_seconds, session.clock())
        ):
            self.request(copy_what=what)  # renewed (or fetched) before it is copied
            return
        self.copy(live, what)

    def copy(self, live: LiveToken, what: str) -> None:
        token = live.token
        if not token.trusted:
            self.screen.notify(UNTRUSTED, severity="error")
            return
        if what == "token":
            text = token.access_token
        elif what == "header":
            text = token.header
        elif what == "curl":
            from ..core.formats import render
            from ..core.request import TokenRequest

            profile = self.session.pf.profiles.get(token.profile or "")
            if profile is None:  # deleted meanwhile: nothing to build the command from
                return
            request = TokenRequest(profile, token.auth_url, token.scopes, token.project_id)
            text = render(token, request, "curl")
        else:
            text = token.endpoint
        self.copy_text(
            text, f"{self.COPY_LABELS[what]} for {token.profile}", secret=what != "base_url"
        )

    def copy_text(self, text: str, label: str, *, secret: bool = True) -> None:
        clear = self.session.settings.clipboard_clear_seconds
        # the wipe follows the last copy: a base URL copied over a token is kept
        used = self.session.copy(text, secret=secret)
        tail = f", clears in {clear} s" if secret and clear > 0 else ""
        self.screen.notify(f"{label} copied{tail}", title=f"Copied ({' + '.join(used)})", timeout=4)
        self.tick_clipboard(self.session.clock())

    def tick_clipboard(self, now: datetime) -> None:
        """The line above the key bar while the clipboard holds a secret, and its wipe."""
        clip = self.session.clip
        status = self.screen.notes.get("clip-status")
        if clip.clear_at is None:  # every second: no DOM query, no restyle
            if status is not None and status.display:
                status.display = False
            return
        footer = self.screen.query_one(KeyBar)
        status = self.screen.note("clip-status", self.screen, before=footer)
        left = clip.seconds_left(now) or 0.0
        if left <= 0:
            cleared = clip.tick(now)
            status.display = False
            if cleared:
                self.screen.notify("clipboard cleared", timeout=3)
            return
        status.display = True
        status.update(f"clipboard holds a secret: clears in {math.ceil(left)} s", layout=False)

    # --- reveal, probe, /me -------------------------------------------------------------

    def auto_renew(self, on: bool) -> None:
        live = self.screen.query_one(TokenPanel).live
        if live is not None:
            live.auto_renew = on
            self.screen.notify(
                f"auto-renew {'on' if on else 'off'} for {live.token.profile}", timeout=3
            )
            self.screen.tick()

    def reveal(self) -> None:
        panel = self.screen.query_one(TokenPanel)
        if panel.live is None:
            self.screen.notify(
                "no token to reveal yet: press g first", severity="warning", timeout=3
            )
            return
        panel.toggle_reveal()

    def test(self) -> None:
        live = self.session.live_for(self.screen.profile())
        if live is None:
            self.screen.notify("no token to test yet: press g first", severity="warning", timeout=3)
            return
        self.screen.query_one(TokenPanel).status("[i]testing the token (GET /v1/segments)...[/]")
        self.screen.run_worker(
            self._probe(live), group=NET, exit_on_error=False, description="probe token"
        )

    async def _probe(self, live: LiveToken) -> None:
        screen = self.screen
        try:
            result = await self.session.probe(live)
        except Exception as exc:
            screen.post_message(Failed(live.token.profile, "probe", exc))
            return
        mark = "[green]works[/]" if result.ok else "[red]failed[/]"
        live.probe = f"test: {mark}  {escape(result.summary)} ({result.elapsed * 1000:.0f} ms)"
        panel = screen.query_one(TokenPanel)
        if live is panel.live and screen.is_active:
            panel.show(live, self.session.clock())  # the result, in place
            panel.status("")
        elif not result.ok:
            screen.notify(
                f"{live.token.profile}: {result.summary}",
                title="Token test failed",
                severity="error",
                markup=False,
            )

    def me(self) -> None:
        profile = self.screen.profile()
        if profile is None:
            self.screen.say_no_profile()
            return
        self.screen.query_one(MePanel).show(
            self.session.me_info.get(profile.name), "[i]asking /me...[/]"
        )
        self.screen.run_worker(
            self._load_me(profile.name), group=NET, exit_on_error=False, description="load /me"
        )

    async def _load_me(self, name: str) -> None:
        profile = self.session.pf.profiles.get(name)
        if profile is None:
            return
        try:
            await self.session.me(profile)
        except Exception as exc:
            self.screen.post_message(Failed(name, "me", exc))
            return
        if name == self.screen.current:
            self.screen.show_current()
            self.screen.query_one("#me").scroll_visible()
