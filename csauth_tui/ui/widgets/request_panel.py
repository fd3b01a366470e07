"""What to ask for: scopes (enrichment alone) and the target project."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import Integer
from textual.widgets import Input, Label, Select, SelectionList, Static

from ...core.profiles import Profile
from ...core.scopes import EXCLUSIVE_SCOPE, KNOWN_SCOPES


class RequestPanel(Vertical):
    @dataclass
    class Changed(Message):
        scopes: tuple[str, ...]
        project_id: int | None
        project_text: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._profile: Profile | None = None
        self._loading = False
        self._previous: set[str] = set()

    def compose(self) -> ComposeResult:
        yield SelectionList[str](id="scopes")
        with Horizontal(id="project-row"):
            yield Label("project_id", id="project-label")
            yield Input(placeholder="project id", id="project", type="integer",
                        validators=[Integer(minimum=1)], valid_empty=True, compact=True)
            yield Select[int]([], prompt="projects from /me", id="project-pick",
                              allow_blank=True, compact=True)
        yield Static("", id="request-note")

    def show(self, profile: Profile, scopes: tuple[str, ...], project_text: str,
             projects: tuple[tuple[object, str], ...] | None) -> None:
        self._profile = profile
        self._loading = True
        try:
            options = list(KNOWN_SCOPES) + [s for s in profile.scopes if s not in KNOWN_SCOPES]
            options += [s for s in scopes if s not in options]
            picker = self.query_one("#scopes", SelectionList)
            picker.clear_options()
            picker.add_options([(f"{s}  [dim]{KNOWN_SCOPES.get(s, 'custom scope')}[/]", s,
                                 s in scopes) for s in options])
            self._previous = set(scopes)
            self.query_one("#project", Input).value = project_text
            pick = self.query_one("#project-pick", Select)
            usable = [(f"{pid}  {name}", int(pid)) for pid, name in projects or ()
                      if str(pid).isdigit()]
            pick.set_options(usable)
            pick.display = bool(usable)
            self._note(profile)
        finally:
            self._loading = False

    def _note(self, profile: Profile) -> None:
        text = self.query_one("#project", Input).value.strip()
        note = ""
        if profile.is_account and not text:
            note = "[yellow]account-level: a project_id is required[/]"
        self.query_one("#request-note", Static).update(note)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.query_one("#scopes", SelectionList).selected)

    @property
    def project_text(self) -> str:
        return self.query_one("#project", Input).value.strip()

    def _emit(self) -> None:
        if self._loading or self._profile is None:
            return
        text = self.project_text
        project_id = int(text) if text.isdigit() and int(text) > 0 else None
        self._note(self._profile)
        self.post_message(self.Changed(self.scopes, project_id, text))

    @on(SelectionList.SelectedChanged, "#scopes")
    def _scopes_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        if self._loading:
            return
        picker = self.query_one("#scopes", SelectionList)
        now = set(picker.selected)
        added = now - self._previous
        if EXCLUSIVE_SCOPE in added and len(now) > 1:
            self._loading = True
            for scope in now - {EXCLUSIVE_SCOPE}:
                picker.deselect(scope)
            self._loading = False
            self.notify("enrichment cannot be combined with other scopes: the others were "
                        "cleared", title="Scopes")
        elif EXCLUSIVE_SCOPE in now and added - {EXCLUSIVE_SCOPE}:
            self._loading = True
            picker.deselect(EXCLUSIVE_SCOPE)
            self._loading = False
            self.notify("enrichment cannot be combined with other scopes: it was cleared",
                        title="Scopes")
        self._previous = set(picker.selected)
        self._emit()

    @on(Input.Changed, "#project")
    def _project_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._emit()

    @on(Select.Changed, "#project-pick")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and not self._loading:
            self.query_one("#project", Input).value = str(event.value)
