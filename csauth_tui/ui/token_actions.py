"""Copying a token (and what goes with it), revealing it, probing it and loading /me.
A mixin of CsauthApp: it works on the app's selection, live tokens and clipboard."""

from __future__ import annotations

import asyncio

from textual import work

from .live import NET, LiveToken
from .text import escape
from .widgets.me_panel import MePanel
from .widgets.token_panel import TokenPanel


class TokenActions:
    # --- copy ---------------------------------------------------------------------------

    COPY_LABELS = {"token": "token", "header": "Authorization header",
                   "curl": "curl probe command", "base_url": "base URL"}

    def _copy_request(self, what: str) -> None:
        live = self.current_live()
        if live is not None and not live.token.trusted:
            self.notify("this token's base URL is on an untrusted host; not copied",
                        severity="error")
            return
        profile = self.profile()
        if (live is None or profile is None or live.token.key != self.current_key(profile)
                or not live.token.fresh_enough(self.settings.renew_before_seconds,
                                               self.clock())):
            self.request_token(copy_what=what)  # renewed (or fetched) before it is copied
            return
        self._copy(live, what)

    def _copy(self, live: LiveToken, what: str) -> None:
        token = live.token
        if not token.trusted:
            self.notify("this token's base URL is on an untrusted host; not copied",
                        severity="error")
            return
        if what == "token":
            text = token.access_token
        elif what == "header":
            text = token.header
        elif what == "curl":
            from ..core.formats import render
            from ..core.request import TokenRequest

            profile = self.profile(token.profile)
            request = TokenRequest(profile, token.auth_url, token.scopes, token.project_id)
            text = render(token, request, "curl")
        else:
            text = token.endpoint
        self.copy_text(text, f"{self.COPY_LABELS[what]} for {token.profile}",
                       secret=what != "base_url")

    def copy_text(self, text: str, label: str, *, secret: bool = True) -> None:
        clear = self.settings.clipboard_clear_seconds
        # the wipe follows the last copy: a base URL copied over a token is kept
        used = self.clip.copy(text, secret=secret, now=self.clock(), clear_after=clear)
        tail = f", clears in {clear} s" if secret and clear > 0 else ""
        how = " + ".join(used)
        self.notify(f"{label} copied{tail}", title=f"Copied ({how})", timeout=4)
        self._tick_clipboard(self.clock())

    def action_copy_token(self) -> None:
        self._copy_request("token")

    def action_copy_header(self) -> None:
        self._copy_request("header")

    def action_copy_curl(self) -> None:
        self._copy_request("curl")

    def action_copy_base_url(self) -> None:
        self._copy_request("base_url")

    # --- reveal, probe, /me -------------------------------------------------------------

    def action_reveal(self) -> None:
        panel = self.query_one(TokenPanel)
        if panel.live is None:
            self.notify("no token to reveal yet", severity="warning", timeout=3)
            return
        panel.toggle_reveal()

    def action_test_token(self) -> None:
        live = self.current_live()
        if live is None:
            self.notify("no token to test yet: press g first", severity="warning", timeout=3)
            return
        self.query_one(TokenPanel).status("[i]testing the token (GET /v1/segments)...[/]")
        self._probe(live)

    @work(group=NET, exit_on_error=False, description="probe token")
    async def _probe(self, live: LiveToken) -> None:
        try:
            self._services()  # refuses while [settings] is invalid
            result = await self._client.probe(live.token)
        except Exception as exc:
            self.post_message(self.Failed(live.token.profile, "probe", exc))
            return
        mark = "[green]works[/]" if result.ok else "[red]failed[/]"
        live.probe = f"test: {mark}  {escape(result.summary)} ({result.elapsed * 1000:.0f} ms)"
        if live is self.query_one(TokenPanel).live:
            self.query_one(TokenPanel).show(live, self.clock())
            self.query_one(TokenPanel).status("")
        if not result.ok:
            self.notify(result.summary, title="Token test failed", severity="error", markup=False)

    def action_me(self) -> None:
        profile = self.profile()
        if profile is None:
            return
        self.query_one(MePanel).show(self.me_info.get(profile.name), "[i]asking /me...[/]")
        self._load_me(profile.name)

    @work(group=NET, exit_on_error=False, description="load /me")
    async def _load_me(self, name: str) -> None:
        profile = self.profile(name)
        if profile is None:
            return
        try:
            resolve = self._services().resolve_secret  # the one resolver the app uses
            secret = await asyncio.to_thread(resolve, profile)  # keyring/cmd may block
            info = await self._client.me(profile, secret)
        except Exception as exc:
            self.post_message(self.Failed(name, "me", exc))
            return
        self.me_info[name] = info
        if name == self.current:
            self._show_current()
            self.query_one("#me").scroll_visible()
