"""The csauth Textual app: profiles on the left, the selected one's credential, request,
token and /me on the right; one timer drives every countdown."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import math
import signal
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from ..core import paths
from ..core.clipboard import Clipboard, inside_tmux, native_tool
from ..core.errors import ConfigError, CsauthError, ProfilesSyntaxError, RuleError
from ..core.profiles import Profile, ProfilesFile
from ..core.request import TokenRequest, plan
from ..core.tokens import Clock, TokenCache, cache_key, utcnow
from .live import NET, LiveToken, LiveTokens, RequestChoice
from .manage import BINDINGS as MANAGE_BINDINGS
from .manage import ManageProfiles
from .palette import CsauthCommands
from .profiles_cache import load_profiles
from .text import InertHighlighter, escape, plain
from .token_actions import TokenActions
from .widgets.credential_panel import CredentialPanel
from .widgets.key_bar import KeyBar
from .widgets.me_panel import MePanel
from .widgets.profile_table import ProfileTable
from .widgets.request_panel import RequestPanel
from .widgets.title_bar import TitleBar
from .widgets.token_panel import TokenPanel


def settings_message(problems) -> str:
    """[settings] errors as one line: what is wrong, and that nothing is sent meanwhile."""
    return "[settings] is invalid: " + "; ".join(str(p) for p in problems)


def error_title(exc: BaseException) -> str:
    names = {
        "InvalidCredentialsError": "Credentials rejected",
        "TokenExpiredError": "Token expired",
        "ForbiddenError": "Forbidden",
        "RateLimitedError": "Rate limited",
        "ServerError": "Server error",
        "NetworkError": "Network problem",
        "BadResponseError": "Unexpected answer",
        "UntrustedEndpointError": "Untrusted endpoint",
        "RuleError": "Not sent",
        "ConfigError": "Not sent: configuration",
        "SecretError": "Secret not found",
        "KeyringUnavailableError": "No keyring",
    }
    return names.get(type(exc).__name__, "Error")


class CsauthApp(ManageProfiles, TokenActions, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "csauth"
    COMMANDS = App.COMMANDS | {CsauthCommands}
    BINDINGS = [
        Binding("enter,g", "get_token", "Get token", id="get_token", priority=False),
        Binding("r", "renew", "Renew", id="renew"),
        Binding("c", "copy_token", "Copy", id="copy_token"),
        Binding("h", "copy_header", "Copy header", id="copy_header", show=False),
        Binding("u", "copy_curl", "Copy curl", id="copy_curl", show=False),
        Binding("b", "copy_base_url", "Copy base URL", id="copy_base_url", show=False),
        Binding("v", "reveal", "Reveal", id="reveal"),
        Binding("m", "me", "/me", id="me"),
        Binding("t", "test_token", "Test", id="test_token"),
        Binding("s", "focus_scopes", "Focus scopes", id="focus_scopes", show=False),
        Binding("p", "focus_project", "Focus project", id="focus_project", show=False),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("o", "sort", "Sort (next column)", id="sort", show=False),
        Binding("escape", "cancel", "Cancel request / close filter", id="cancel", show=False),
        *MANAGE_BINDINGS,
        Binding("A", "audit", "Audit all", id="audit", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    @dataclass
    class TokenReady(Message):
        name: str
        live: LiveToken
        copy_what: str | None

    @dataclass
    class Failed(Message):
        name: str | None
        what: str
        error: BaseException
        note: str = ""  # said after the error, e.g. when auto-renew tries again

    def __init__(self, config_path: Path, *, clock: Clock = utcnow, transport: Any = None,
                 demo: bool = False, native_clipboard: bool = True,
                 today: date | None = None, cache: TokenCache | None | bool = True,
                 resume_gc: bool = False) -> None:
        super().__init__()
        self._resume_gc = resume_gc
        self.config_path = Path(config_path)
        self.clock = clock
        self.transport = transport
        self.demo = demo
        self.today = today
        self.pf = ProfilesFile(path=self.config_path)
        self.load_error: str | None = None
        self.live = LiveTokens()
        self.choices: dict[str, RequestChoice] = {}
        self._current_keys: dict[str, tuple] = {}  # see current_key
        self.me_info: dict[str, Any] = {}
        self.current: str | None = None
        self.clip = Clipboard(self.copy_to_clipboard,
                              native_tool() if native_clipboard else None,
                              tmux=native_clipboard and inside_tmux())
        self._cache_option = cache
        self._client = None
        self._service = None
        self._notes: dict[str, Static] = {}  # see _note

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="🔑")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ProfileTable(id="profiles")  # the filter box goes above it on first use
            with VerticalScroll(id="detail"):
                # each section's title is on its top border: no widget of its own
                yield _titled(CredentialPanel(id="credential"), "Credential")
                yield _titled(RequestPanel(id="request"), "Request")
                yield _titled(TokenPanel(id="token"), "Token")
                yield _titled(MePanel(id="me"), "/me")
        yield KeyBar()  # the clipboard's status line goes above it when there is one

    def on_mount(self) -> None:
        self.sub_title = ("DEMO: fake Contentsquare API, nothing is saved" if self.demo
                          else plain(self.config_path))
        with gc_paused(freeze=True):
            self.reload()
            self.sync_selection()  # the first frame shows the selected profile's details
        self._apply_keymap()
        self._handle_signals()
        self.set_interval(1, self._tick)
        self.query_one(ProfileTable).focus()
        self.call_after_refresh(self._first_frame_painted)

    def _first_frame_painted(self) -> None:
        if self._resume_gc:
            gc.freeze()  # what the start built stays out of the collector's sight, as in reload
            gc.enable()

    def _apply_keymap(self) -> None:
        """[keys] in the profiles file: binding id = "key" (or "key1,key2")."""
        keys = dict(self.pf.settings.keys)
        known = {b.id for b in self.BINDINGS if isinstance(b, Binding) and b.id}
        known |= {"cursor_down", "cursor_up"}
        unknown = sorted(set(keys) - known)
        for binding_id in unknown:
            del keys[binding_id]
        if unknown:
            self.notify(f"[keys] has unknown binding ids: {', '.join(unknown)} (see ? for ids)",
                        severity="warning", markup=False, timeout=8)
        from ..core.text import control_characters

        garbled = sorted(b for b, key in keys.items() if control_characters(key))
        for binding_id in garbled:  # shown in the key bar and the help: never a raw escape
            del keys[binding_id]
        if garbled:
            self.notify(f"[keys] {', '.join(garbled)}: a key holds control characters; "
                        "the default key is kept", severity="warning", markup=False, timeout=8)
        self.set_keymap(keys)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification of the app and its screens: error messages quote names and
        servers, so message and title are made inert here (markup still needs escape)."""
        super().notify(plain(message), title=plain(title), severity=severity,
                       timeout=timeout, markup=markup)

    @property
    def settings(self):
        return self.pf.settings

    @property
    def clip_clear_at(self) -> datetime | None:
        """When the clipboard's secret is wiped (the core's clock: core/clipboard.py)."""
        return self.clip.clear_at

    @clip_clear_at.setter
    def clip_clear_at(self, moment: datetime | None) -> None:
        self.clip.clear_at = moment

    def reload(self) -> None:
        with gc_paused():
            self._reload()

    def _reload(self) -> None:
        self.remember_file()
        self._current_keys.clear()
        previous = self.pf.settings
        try:
            self.pf = load_profiles(self.config_path, self._parse_cache_dir())
            self.load_error = None
        except ProfilesSyntaxError as exc:
            self.pf = ProfilesFile(path=self.config_path, exists=True)
            self.load_error = str(exc)
        if self._service is not None and _without_keys(self.pf.settings) != _without_keys(previous):
            old, self._client, self._service = self._client, None, None
            self.run_worker(self._close_when_idle(old), exit_on_error=False,
                            description="close the previous client")
        self._restore_cached_tokens()
        table = self.query_one(ProfileTable)
        table.load(self.pf, keep=self.current or self._start_profile())
        self._show_empty_state()
        self._tick()

    def _start_profile(self) -> str | None:
        """The default profile ($CSAUTH_PROFILE, else default_profile) when it is one of the
        file, else the first; an unknown default is said, not silently replaced. The demo
        has profiles of its own: no default there."""
        from ..core.defaults import check, default_of
        from ..core.errors import ConfigError

        first = self.pf.order[0] if self.pf.order else None
        default = None if self.demo else default_of(self.pf)
        if default is None:
            return first
        try:
            return check(self.pf, default).name
        except ConfigError as exc:
            if default.name in self.pf.order:
                return default.name  # an invalid profile: selected, its errors shown
            self.notify(str(exc), severity="warning", markup=False, timeout=10)
            return first

    def _note(self, note_id: str, parent: Widget, before: Widget | None = None) -> Static:
        """A line of text that most sessions never show (no profiles, the clipboard's
        countdown), mounted the first time it is needed rather than at start."""
        note = self._notes.get(note_id)
        if note is None:
            note = self._notes[note_id] = Static("", id=note_id)
            parent.mount(note, before=before)
        return note

    def _parse_cache_dir(self) -> Path | None:
        """Where the parse of a big profiles file is kept (never when the tests say no
        cache)."""
        return None if self._cache_option is False else paths.cache_dir()

    async def _close_when_idle(self, client) -> None:
        """The settings changed: requests already under way finish on the old client."""
        while any(w.group == NET and w.is_running for w in self.workers):
            await asyncio.sleep(0.2)
        await client.aclose()

    def _show_empty_state(self) -> None:
        empty = not self.pf.order
        self.query_one("#left").set_class(empty, "-empty")
        self.query_one(ProfileTable).display = not empty
        self.query_one("#detail").display = not empty
        self.refresh_bindings()
        if not empty:
            if "empty" in self._notes:
                self._notes["empty"].display = False
            return
        note = self._note("empty", self.query_one("#left"))
        note.display = True
        path = self.config_path
        if self.load_error:
            text = (f"[b red]The profiles file cannot be read[/]\n\n{escape(self.load_error)}\n\n"
                    "Fix the line above (nothing was changed), then restart csauth.")
        elif not self.pf.exists:
            text = (f"[b]No profiles file yet[/]\n\ncsauth looks for it at\n  {escape(path)}\n\n"
                    "Press [b]a[/] to add your first credential (the secret goes to the OS "
                    "keyring), or [b]i[/] to import a team's TOML, JSON or CSV file.\n\n"
                    "From the shell:\n"
                    "  csauth add prod --level project --client-id ID --scope metrics\n\n"
                    "Or point csauth at another file with --config PATH or $CSAUTH_CONFIG.\n"
                    "To look around first: csauth demo")
        else:
            text = (f"[b]No profiles in[/] {escape(path)}\n\nPress [b]a[/] to add one, "
                    "[b]i[/] to import, or from the shell:\n"
                    "  csauth add NAME --level project --client-id ID --scope metrics")
        note.update(text)

    # --- selection ----------------------------------------------------------------------

    @on(ProfileTable.Selected)
    def _selected(self, event: ProfileTable.Selected) -> None:
        self.sync_selection()

    def sync_selection(self) -> None:
        """Catch up with the table's cursor: a key can arrive before the highlight message
        it follows, and an action must act on the row the user sees selected."""
        table = self.query_one(ProfileTable)
        name = table.selected_name if table.display else None
        if name != self.current:
            self.current = name
            self.query_one(TokenPanel).revealed = False
            self._show_current()
            self.query_one("#detail").scroll_home(animate=False)

    def profile(self, name: str | None = None) -> Profile | None:
        if name is None:
            self.sync_selection()
        return self.pf.profiles.get(name or self.current or "")

    def choice(self, profile: Profile) -> RequestChoice:
        if profile.name not in self.choices:
            self.choices[profile.name] = RequestChoice(profile.scopes, profile.project_id)
        return self.choices[profile.name]

    def request_for(self, profile: Profile) -> TokenRequest:
        """The token request the panel describes now, or RuleError saying what is missing.
        An emptied project field means no project (never the profile's default)."""
        chosen = self.choice(profile)
        if profile.is_account and chosen.project_id is None:
            raise RuleError(f"profile '{profile.name}' is an account-level credential: type "
                            "the project_id the token is for (p focuses it)")
        return plan(profile, self.settings, chosen.scopes, chosen.project_id)

    def current_key(self, profile: Profile) -> str:
        chosen = self.choice(profile)
        # asked for every live profile every second: worked out again only when the
        # profile, the user's choice or the settings changed
        known = self._current_keys.get(profile.name)
        if (known is not None and known[0] is profile and known[1] is self.settings
                and known[2] == (chosen.scopes, chosen.project_id)):
            return known[3]
        try:
            key = self.request_for(profile).cache_key
        except CsauthError:
            key = cache_key(profile.effective_auth_url(self.settings), profile.client_id,
                            chosen.scopes, chosen.project_id)
        self._current_keys[profile.name] = (profile, self.settings,
                                            (chosen.scopes, chosen.project_id), key)
        return key

    def current_live(self) -> LiveToken | None:
        profile = self.profile()
        if profile is None:
            return None
        live = self.live.get(self.current_key(profile))
        if live is None:
            tokens = self.live.for_profile(profile.name)
            live = max(tokens, key=lambda lv: lv.token.issued_at) if tokens else None
        return live

    def _show_current(self) -> None:
        name = self.current
        profile = self.profile()
        today = self.today or self.clock().astimezone().date()
        self.query_one(CredentialPanel).show_profile(
            profile, self.settings, [p for p in self.pf.problems if p.profile == name], today,
            name=name)
        for widget_id in ("#request", "#token", "#me"):
            self.query_one(widget_id).display = profile is not None
        if profile is None:
            return
        chosen = self.choice(profile)
        me = self.me_info.get(profile.name)
        self.query_one(RequestPanel).show(
            profile, chosen.scopes,
            "" if chosen.project_id is None else str(chosen.project_id),
            me.projects if me is not None else None)
        self.query_one(TokenPanel).show(self.current_live(), self.clock())
        wrong = self.pf.settings_errors()
        self.query_one(TokenPanel).status(  # in place, as a bad profile is: nothing is sent
            f"[b red]{escape(settings_message(wrong))}[/]\n[dim]Fix it in the profiles file: "
            "no token is fetched and no secret read until then.[/]" if wrong else "")
        self.query_one(MePanel).show(me)

    @on(RequestPanel.Changed)
    def _request_changed(self, event: RequestPanel.Changed) -> None:
        profile = self.profile()
        if profile is None:
            return
        self.choices[profile.name] = RequestChoice(event.scopes, event.project_id)
        self.query_one(TokenPanel).show(self.current_live(), self.clock())

    @on(ProfileTable.Chosen)
    def _row_entered(self, event: ProfileTable.Chosen) -> None:
        event.stop()
        self.request_token()

    @on(Input.Submitted, "#project")
    def _project_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.request_token()

    def select_profile(self, name: str) -> None:
        table = self.query_one(ProfileTable)
        if name not in table.shown_names:
            table.set_filter("")
            for box in self.query("#filter").results(Input):
                box.value = ""
        table.select_name(name)
        table.focus()

    # --- the timer ----------------------------------------------------------------------

    def _tick(self) -> None:
        try:
            self._tick_now()
        except NoMatches:
            pass  # starting up or shutting down: the widgets come and go

    def _tick_now(self) -> None:
        self.check_file()
        now = self.clock()
        table = self.query_one(ProfileTable)
        names = self.live.profiles()
        names.update(table.profiles_with_a_token_state())
        states = {}
        for name in names:
            profile = self.pf.profiles.get(name or "")
            if profile is None:
                continue
            states[name] = self.live.table_state(name, self.current_key(profile), now)
        table.set_token_states(states)
        self.query_one(TokenPanel).tick(now)
        renew_before = self.settings.renew_before_seconds
        for live in list(self.live.by_key.values()):
            # once per renewal window at most, with a back-off after a failure (live.py)
            if live.due_for_renewal(renew_before, now) and not self.pf.settings_errors():
                live.renewing = True
                token = live.token
                self._fetch(token.profile, token.scopes, token.project_id, force=True,
                            auto=True)
        self._tick_clipboard(now)

    def _tick_clipboard(self, now: datetime) -> None:
        if self.clip_clear_at is None:  # every second: no DOM query, no restyle
            status = self._notes.get("clip-status")
            if status is not None and status.display:
                status.display = False
            return
        footer = self.screen_stack[0].query_one(KeyBar)  # the main screen's, under any form
        status = self._note("clip-status", footer.parent, before=footer)
        left = self.clip.seconds_left(now)
        if left <= 0:
            cleared = self.clip.tick(now)
            status.display = False
            if cleared:
                self.notify("clipboard cleared", timeout=3)
            return
        status.display = True
        status.update(f"clipboard holds a secret: clears in {math.ceil(left)} s", layout=False)

    # --- tokens -------------------------------------------------------------------------

    def _services(self):
        wrong = self.pf.settings_errors()
        if wrong:  # a dropped setting must never fall back to a default that sends a secret
            raise ConfigError(settings_message(wrong),
                              hint="fix [settings] in the profiles file; nothing was sent")
        if self._service is None:
            from ..core.api import AuthClient
            from ..core.service import TokenService

            self._client = AuthClient(settings=self.settings, clock=self.clock,
                                      transport=self.transport)
            self._service = TokenService(self.settings, self._client, cache=self._token_cache())
        return self._service

    def _token_cache(self) -> TokenCache | None:
        if self._cache_option is False or not self.settings.token_cache:
            return None
        if isinstance(self._cache_option, TokenCache):
            return self._cache_option
        return TokenCache(paths.token_cache_path(), clock=self.clock)

    def _restore_cached_tokens(self) -> None:
        """Tokens cached by earlier runs (or the CLI) show up with their countdowns."""
        cache = self._token_cache()
        if cache is None:
            return
        now = self.clock()
        owner: dict[tuple[str, str], str] = {}  # the first profile of a credential owns it
        for profile in self.pf.profiles.values():
            owner.setdefault((profile.client_id, profile.effective_auth_url(self.settings)),
                             profile.name)
        for token in cache.all():
            if token.seconds_left(now) <= 0 or not token.trusted:
                continue
            name = owner.get((token.client_id, token.auth_url))
            if name is not None and self.live.get(token.key) is None:
                self.live.put(dataclasses.replace(token, profile=name))

    def request_token(self, *, force: bool = False, copy_what: str | None = None) -> None:
        profile = self.profile()
        if profile is None:
            self.notify("select a usable profile first", severity="warning")
            return
        chosen = self.choice(profile)
        panel = self.query_one(RequestPanel)
        if panel.project_text and chosen.project_id is None:
            self._fail(profile.name, "token", CsauthError(
                f"project_id '{panel.project_text}' is not a positive whole number"))
            return
        try:
            request = self.request_for(profile)
        except CsauthError as exc:
            self._fail(profile.name, "token", exc)
            return
        if not force:
            live = self.live.get(request.cache_key)
            if live is not None and live.token.trusted and live.token.fresh_enough(
                    self.settings.renew_before_seconds, self.clock()):
                self.query_one(TokenPanel).show(live, self.clock())
                if copy_what:
                    self._copy(live, copy_what)
                return
        self.query_one(TokenPanel).status(
            f"[i]getting a token for {escape(profile.name)}... (esc cancels)[/]")
        self.query_one(ProfileTable).set_token_state(profile.name, "fetching")
        self._fetch(profile.name, request.scopes, request.project_id, force=force,
                    copy_what=copy_what)

    @work(group=NET, exit_on_error=False, description="fetch token")
    async def _fetch(self, name: str | None, scopes, project_id, *, force: bool,
                     copy_what: str | None = None, auto: bool = False) -> None:
        profile = self.profile(name)
        if profile is None:
            return
        try:
            token = await self._services().token(profile, scopes, project_id, force=force)
        except Exception as exc:  # worded by the core; never re-raised into Textual
            old = self.live.get(cache_key(profile.effective_auth_url(self.settings),
                                          profile.client_id, scopes, project_id))
            note = ""
            if old is not None and auto:  # auto-renew stays on and tries again later
                delay = old.renewal_failed(self.clock())
                note = f" (auto-renew tries again in {delay:.0f} s)"
            elif old is not None:
                old.renewing = False
                old.auto_renew = False
            self.post_message(self.Failed(profile.name, "token", exc, note))
            return
        if token.profile != profile.name:
            token = dataclasses.replace(token, profile=profile.name)
        live = self.live.put(token)
        if auto:
            now = self.clock()
            if live.token.fresh_enough(self.settings.renew_before_seconds, now):
                live.renewed(now)
            else:  # a token already due for renewal: renewing at once would loop
                delay = live.renewal_failed(now)
                self.notify(f"auto-renew for {profile.name}: the new token lives only "
                            f"{live.token.lifetime:.0f} s; next try in {delay:.0f} s",
                            severity="warning", timeout=6, markup=False)
        self.post_message(self.TokenReady(profile.name, live, copy_what))

    @on(TokenReady)
    def _token_ready(self, event: TokenReady) -> None:
        live = event.live
        if event.name == self.current:
            panel = self.query_one(TokenPanel)
            panel.show(self.current_live(), self.clock())
            untrusted = "" if live.token.trusted else (
                " [b red]but its base URL is on an untrusted host: it will not be used[/]")
            panel.ready(live, untrusted, self.clock())
        if not live.token.trusted:
            from ..core.service import untrusted_error

            error = untrusted_error(live.token)
            self.notify(str(error), title=error_title(error), severity="error", timeout=8,
                        markup=False)
        self._tick()
        if event.copy_what and live.token.trusted:  # an untrusted token is never copied
            self._copy(live, event.copy_what)

    def _fail(self, name: str | None, what: str, error: BaseException) -> None:
        self.post_message(self.Failed(name, what, error))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        error = event.error
        message = str(error) if isinstance(error, CsauthError) else (
            f"unexpected {type(error).__name__}; run `csauth -v` for details")
        message += event.note
        self.notify(message, title=error_title(error), severity="error", timeout=8,
                    markup=False)
        if event.name == self.current:
            target = self.query_one(MePanel) if event.what == "me" else None
            if target is not None:
                target.show(self.me_info.get(event.name), f"[red]{escape(message)}[/]")
            else:
                self.query_one(TokenPanel).status(
                    f"[red]{error_title(error)}: {escape(message)}[/]")
        if event.name:
            table = self.query_one(ProfileTable)
            profile = self.profile(event.name)
            if profile is not None:
                table.set_token_state(event.name, self.live.table_state(
                    event.name, self.current_key(profile), self.clock()))

    def action_get_token(self) -> None:
        if isinstance(self.focused, Input) and self.focused.id == "filter":
            self.query_one(ProfileTable).focus()
            return
        self.request_token()

    def action_renew(self) -> None:
        self.request_token(force=True)

    def action_cancel(self) -> None:
        filter_input = next(self.query("#filter").results(Input), None)  # None: never opened
        if filter_input is not None and filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self.query_one(ProfileTable).set_filter("")
            self.query_one(ProfileTable).focus()
            return
        running = [w for w in self.workers if w.group == NET and w.is_running]
        if running:
            self.workers.cancel_group(self, NET)
            for live in self.live.by_key.values():
                live.renewing = False
            self.query_one(TokenPanel).status("[yellow]cancelled[/]")
            self._tick()
            self.notify("request cancelled", timeout=3)
        elif self.focused is not self.query_one(ProfileTable):
            self.query_one(ProfileTable).focus()

    def on_switch_changed(self, event) -> None:
        """The auto-renew switch. A handler by name, not @on(Switch.Changed): Switch is
        imported with the first token, not at start."""
        if event.switch.id != "auto-renew":
            return
        live = self.query_one(TokenPanel).live
        if live is not None:
            live.auto_renew = event.value
            state = "on" if event.value else "off"
            self.notify(f"auto-renew {state} for {live.token.profile}", timeout=3)
            self._tick()

    # --- focus, filter, sort, help ------------------------------------------------------

    def action_focus_scopes(self) -> None:
        if self.profile() is not None:
            self.query_one("#scopes").focus()

    def action_focus_project(self) -> None:
        if self.profile() is not None:
            self.query_one("#project").focus()

    def action_filter(self) -> None:
        try:
            box = self.query_one("#filter", Input)
        except NoMatches:  # first use: not mounted at start, the first frame has no use for it
            box = Input(placeholder="filter profiles (esc clears)", id="filter",
                        highlighter=InertHighlighter())
            self.query_one("#left").mount(box, before=self.query_one(ProfileTable))
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(ProfileTable).set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one(ProfileTable).focus()

    def action_sort(self) -> None:
        order = self.query_one(ProfileTable).cycle_sort()
        self.notify("in file order" if order is None else
                    f"sorted by {order[0]} {'▼' if order[1] else '▲'}", timeout=2)

    def action_audit(self) -> None:
        from .screens.audit_screen import AuditScreen

        if not self.pf.profiles:
            self.notify("no usable profile to audit", severity="warning", timeout=3)
            return
        self.push_screen(AuditScreen())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())

    MAIN_SCREEN_ACTIONS = {b.action for b in BINDINGS if isinstance(b, Binding)}
    SINGLE_KEY_ACTIONS = MAIN_SCREEN_ACTIONS - {"cancel", "quit", "help"}
    NEEDS_A_PROFILE = {
        "get_token", "renew", "copy_token", "copy_header", "copy_curl", "copy_base_url",
        "reveal", "me", "test_token", "focus_scopes", "focus_project", "filter", "sort",
        "edit_profile", "duplicate_profile", "delete_profile",
    }

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if len(self.screen_stack) > 1 and action in self.MAIN_SCREEN_ACTIONS:
            return False  # a form, the help or the audit is on top: its own keys only
        if action in self.NEEDS_A_PROFILE and not self.pf.order:
            return False  # nothing to act on: keep the footer to what can be done
        # Letters typed into an input belong to the input, not to our single-key bindings;
        # Textual's own actions (tab, ctrl+p...) keep working.
        if (isinstance(self.focused, Input) and action in self.SINGLE_KEY_ACTIONS):
            return action == "get_token" and self.focused.id == "filter"
        return True

    async def action_quit(self) -> None:
        self.clip.clear()
        self.exit(0)

    # SIGHUP (the terminal closed, the SSH connection dropped) and SIGTERM end the app as
    # q does: the clipboard (and tmux's buffers) cleared, the terminal restored.
    QUIT_SIGNALS = ("SIGHUP", "SIGTERM")

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        self._signals_handled: list[int] = []
        for name in self.QUIT_SIGNALS:
            number = getattr(signal, name, None)
            if number is None:  # pragma: no cover - Windows has no SIGHUP
                continue
            try:
                loop.add_signal_handler(number, self._quit_on_signal, number)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals here (Windows)
            self._signals_handled.append(number)

    def _quit_on_signal(self, number: int) -> None:
        self.clip.clear()
        self.exit(128 + number, return_code=128 + number)

    def _stop_handling_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number in getattr(self, "_signals_handled", ()):
            loop.remove_signal_handler(number)
        self._signals_handled = []

    async def on_unmount(self) -> None:
        self._stop_handling_signals()
        self.clip.clear()
        gc.unfreeze()  # what the start froze (gc_paused) is the collector's again
        if self._client is not None:
            await self._client.aclose()


def _titled(section: Widget, title: str) -> Widget:
    section.border_title = f" {title} "
    section.add_class("section")
    return section


@contextlib.contextmanager
def gc_paused(freeze: bool = False):
    """Python's cyclic GC off while a profiles file becomes profiles and table rows: tens of
    thousands of objects, all kept, that full collections would walk two or three times
    over to free nothing (~90 ms of a 10,000-profile start). Textual pauses it the same way
    while scrolling. `freeze` (once, at start): what exists then (the app, its widgets, the
    profiles) moves out of the collector's sight until the app ends, so it is not walked
    afterwards either; it is still freed as usual when no longer referenced."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _without_keys(settings):
    return dataclasses.replace(settings, keys={})


def make_app(config_path: Path | str | None = None, **kwargs: Any) -> CsauthApp:
    """The one way to build the app, for the CLI and the tests alike."""
    return CsauthApp(paths.config_path(config_path), **kwargs)


def run_app(config_path: Path, demo: bool = False, resume_gc: bool = False) -> int:
    """`resume_gc`: the launcher paused the collector for the start (commands.pause_collector);
    the app turns it back on once its first frame is painted, or here if it never was."""
    try:
        app = make_app(config_path, demo=demo, resume_gc=resume_gc)
        result = app.run()
    finally:
        if resume_gc:
            gc.enable()
    return result or 0
