"""The main screen: profiles on the left, the selected one's credential, request, token
and /me on the right, and the actions on them (ui/actions.py lists them all). Token actions
and profile edits live in two helpers (token_actions.py, manage.py) that the screen builds
with itself and the session; the data is the session's (session.py)."""

from __future__ import annotations

import asyncio

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from ..actions import MAIN, NEEDS_A_PROFILE, TYPING_KEYS_OFF, split_keys
from ..live import NET
from ..manage import ProfileEdits
from ..session import Session, gc_paused
from ..text import InertHighlighter, escape
from ..token_actions import Failed, TokenActions, TokenReady
from ..widgets.credential_panel import CredentialPanel
from ..widgets.key_bar import KeyBar
from ..widgets.me_panel import MePanel
from ..widgets.profile_table import ProfileTable
from ..widgets.request_panel import RequestPanel
from ..widgets.title_bar import TitleBar
from ..widgets.token_panel import TokenPanel
from ..wording import broken_file_banner, empty_state, settings_message


class MainScreen(Screen[None]):
    BINDINGS = [Binding(a.keys, a.id, a.short, id=a.id, show=a.key_bar) for a in MAIN]
    DEFAULT_CSS = """
    #load-error {
        height: auto;
        padding: 0 1;
        background: $error 20%;
    }
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.current: str | None = None  # the selected profile's name
        self.tokens = TokenActions(self, session)
        self.edits = ProfileEdits(self, session)
        self.notes: dict[str, Static] = {}  # see note()

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
        with gc_paused(freeze=True):  # the session read the file before (CsauthApp)
            self.show_loaded()
            self.sync_selection()  # the first frame shows the selected profile's details
        self.query_one(ProfileTable).focus()

    def note(self, note_id: str, parent: Widget, before: Widget | None = None) -> Static:
        """A line of text that most sessions never show (no profiles, the clipboard's
        countdown, a broken file), mounted the first time it is needed, not at start."""
        note = self.notes.get(note_id)
        if note is None:
            note = self.notes[note_id] = Static("", id=note_id)
            parent.mount(note, before=before)
        return note

    def reload(self) -> None:
        """Read the profiles file again and show what it holds."""
        with gc_paused():
            old_client = self.session.load()
            if old_client is not None:
                self.run_worker(
                    self._close_when_idle(old_client),
                    exit_on_error=False,
                    description="close the previous client",
                )
            self.show_loaded()

    def show_loaded(self) -> None:
        keep, warning = self.current, ""
        if keep is None:
            keep, warning = self.session.start_profile()
        if warning:
            self.notify(warning, severity="warning", markup=False, timeout=10)
        self.query_one(ProfileTable).load(self.session.pf, keep=keep)
        self._show_file_state()
        self.tick()

    async def _close_when_idle(self, client) -> None:
        """The settings changed: requests already under way finish on the old client."""
        while any(w.group == NET and w.is_running for w in self.workers):
            await asyncio.sleep(0.2)
        await client.aclose()

    def _show_file_state(self) -> None:
        session = self.session
        empty = not session.pf.order
        left = self.query_one("#left")
        left.set_class(empty, "-empty")
        self.query_one(ProfileTable).display = not empty
        self.query_one("#detail").display = not empty
        self.refresh_bindings()
        if session.load_error and not empty:  # broken since: the last good table stays
            banner = self.note("load-error", left, before=self.query_one(ProfileTable))
            banner.display = True
            banner.update(broken_file_banner(session.load_error))
        elif "load-error" in self.notes:
            self.notes["load-error"].display = False
        if "empty" in self.notes or empty:
            note = self.note("empty", left)
            note.display = empty
            if empty:
                note.update(empty_state(session.config_path, session.pf.exists, session.load_error))

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
            self.show_current()
            self.query_one("#detail").scroll_home(animate=False)

    def profile(self):
        """The selected profile (None: none selected, or an invalid one)."""
        self.sync_selection()
        return self.session.pf.profiles.get(self.current or "")

    def say_no_profile(self) -> None:
        """An action that needs a profile, and none (or an invalid one) is selected."""
        if self.current in self.session.pf.order:
            self.notify(
                f"profile {self.current} cannot be used: press e to fix it", severity="warning"
            )
        elif self.session.pf.order:
            self.notify("no profile selected", severity="warning")
        else:
            self.notify("no profile selected: press a to add one", severity="warning")

    def select_profile(self, name: str) -> None:
        table = self.query_one(ProfileTable)
        if name not in table.shown_names:
            table.set_filter("")
            for box in self.query("#filter").results(Input):
                box.value = ""
        table.select_name(name)
        table.focus()

    def show_current(self) -> None:
        session, name = self.session, self.current
        profile = session.pf.profiles.get(name or "")
        today = session.today or session.clock().astimezone().date()
        self.query_one(CredentialPanel).show_profile(
            profile,
            session.settings,
            [p for p in session.pf.problems if p.profile == name],
            today,
            name=name,
        )
        for widget_id in ("#request", "#token", "#me"):
            self.query_one(widget_id).display = profile is not None
        if profile is None:
            return
        chosen = session.choice(profile)
        me = session.me_info.get(profile.name)
        self.query_one(RequestPanel).show(
            profile,
            chosen.scopes,
            "" if chosen.project_id is None else str(chosen.project_id),
            me.projects if me is not None else None,
        )
        self.query_one(TokenPanel).show(session.live_for(profile), session.clock())
        wrong = session.pf.settings_errors()
        self.query_one(TokenPanel).status(  # in place, as a bad profile is: nothing is sent
            f"[b red]{escape(settings_message(wrong))}[/]\n[dim]Fix it in the profiles file: "
            "no token is fetched and no secret read until then.[/]"
            if wrong
            else ""
        )
        self.query_one(MePanel).show(me)

    @on(RequestPanel.Changed)
    def _request_changed(self, event: RequestPanel.Changed) -> None:
        profile = self.profile()
        if profile is None:
            return
        self.session.choose(profile.name, event.scopes, event.project_id)
        self.query_one(TokenPanel).show(self.session.live_for(profile), self.session.clock())

    @on(ProfileTable.Chosen)
    def _row_entered(self, event: ProfileTable.Chosen) -> None:
        event.stop()
        self.tokens.request()

    @on(Input.Submitted, "#project")
    def _project_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.tokens.request()

    @on(TokenReady)
    def _token_ready(self, event: TokenReady) -> None:
        self.tokens.ready(event)

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.tokens.failed(event)

    def on_switch_changed(self, event) -> None:
        """The auto-renew switch. A handler by name, not @on(Switch.Changed): Switch is
        imported with the first token, not at start."""
        if event.switch.id == "auto-renew":
            self.tokens.auto_renew(event.value)

    # --- the timer (the app's one interval calls tick) -----------------------------------

    def tick(self) -> None:
        """Countdowns, auto-renew, the clipboard's wipe, and a changed profiles file."""
        session = self.session
        if session.file_changed():
            self.reload()
            self.notify("the profiles file changed on disk: reloaded", timeout=4)
            return  # reload ticks
        try:
            table = self.query_one(ProfileTable)
        except NoMatches:
            return  # starting up or shutting down: the widgets come and go
        now = session.clock()
        names = session.live.profiles()
        names.update(table.profiles_with_a_token_state())
        table.set_token_states(session.table_states(names))
        self.query_one(TokenPanel).tick(now)
        for live in session.renewals_due(now):
            token = live.token
            self.tokens.fetch(token.profile, token.scopes, token.project_id, force=True, auto=True)
        self.tokens.tick_clipboard(now)

    # --- actions (ids, keys and words: ui/actions.py) ------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_active:
            return False  # a form, the help or the audit is on top: its own keys only
        if action in NEEDS_A_PROFILE and not self.session.pf.order:
            return False  # nothing to act on: keep the key bar to what can be done (on_key)
        # Letters typed into an input belong to the input, not to our single-key bindings;
        # Textual's own actions (tab, ctrl+p...) keep working.
        focused = self.focused
        if isinstance(focused, Input) and action in TYPING_KEYS_OFF:
            return action == "get_token" and focused.id == "filter"
        return True

    def on_screen_suspend(self) -> None:
        self.refresh_bindings()  # the key bar under a form or the help shows none of ours

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        """The key of an action that is off for lack of a profile still gets an answer."""
        if self.session.pf.order or isinstance(self.focused, Input):
            return
        keys = self.session.keys().keys  # the keys in force, after [keys]
        for action in NEEDS_A_PROFILE:
            if event.key in split_keys(keys.get(action, "")):
                event.stop()
                self.say_no_profile()
                return

    def action_get_token(self) -> None:
        if isinstance(self.focused, Input) and self.focused.id == "filter":
            self.query_one(ProfileTable).focus()
            return
        self.tokens.request()

    def action_renew(self) -> None:
        self.tokens.request(force=True)

    def action_copy_token(self) -> None:
        self.tokens.copy_request("token")

    def action_copy_header(self) -> None:
        self.tokens.copy_request("header")

    def action_copy_curl(self) -> None:
        self.tokens.copy_request("curl")

    def action_copy_base_url(self) -> None:
        self.tokens.copy_request("base_url")

    def action_reveal(self) -> None:
        self.tokens.reveal()

    def action_test_token(self) -> None:
        self.tokens.test()

    def action_me(self) -> None:
        self.tokens.me()

    def action_add_profile(self) -> None:
        self.edits.add()

    def action_edit_profile(self) -> None:
        self.edits.edit()

    def action_duplicate_profile(self) -> None:
        self.edits.duplicate()

    def action_delete_profile(self) -> None:
        self.edits.delete()

    def action_import_profiles(self) -> None:
        self.edits.import_profiles()

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
            self.session.stop_renewing()
            self.query_one(TokenPanel).status("[yellow]cancelled[/]")
            self.tick()
            self.notify("request cancelled", timeout=3)
        elif self.focused is not self.query_one(ProfileTable):
            self.query_one(ProfileTable).focus()

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
            box = Input(
                placeholder="filter profiles (esc clears)",
                id="filter",
                highlighter=InertHighlighter(),
            )
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
        self.notify(
            "in file order"
            if order is None
            else f"sorted by {order[0]} {'▼' if order[1] else '▲'}",
            timeout=2,
        )

    def action_audit(self) -> None:
        from .audit_screen import AuditScreen

        if not self.session.pf.profiles:
            self.notify("no usable profile to audit", severity="warning", timeout=3)
            return
        self.app.push_screen(AuditScreen(self.session))

    async def action_quit(self) -> None:
        await self.app.action_quit()  # the app's: the clipboard is cleared on the way out

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.session.keys()))


def _titled(section: Widget, title: str) -> Widget:
    section.border_title = f" {title} "
    section.add_class("section")
    return section
