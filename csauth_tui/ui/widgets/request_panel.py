"""What to ask for: scopes (enrichment alone) and the target project."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import Integer
from textual.widgets import Input, Label, Select, Static

from ...core.profiles import Profile
from ..text import plain
from .scope_picker import ScopePicker


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

    def compose(self) -> ComposeResult:
        yield ScopePicker(id="scopes")
        with Horizontal(id="project-row"):
            yield Label("project_id", id="project-label")
            yield Input(
                placeholder="project id",
                id="project",
                type="integer",
                validators=[Integer(minimum=1)],
                valid_empty=True,
                compact=True,
            )
            # the pick list of /me's projects is mounted when there are some (_show_projects)
        yield Static("", id="request-note")

    def show(
        self,
        profile: Profile,
        scopes: tuple[str, ...],
        project_text: str,
        projects: tuple[tuple[object, str], ...] | None,
    ) -> None:
        self._profile = profile
        self._loading = True
        try:
            self.query_one(ScopePicker).set_scopes(scopes, extra=profile.scopes)
            self.query_one("#project", Input).value = project_text
            self._show_projects(
                [
                    (Text(plain(f"{pid}  {name}")), int(str(pid)))
                    for pid, name in projects or ()
                    if str(pid).isdigit()
                ]
            )
            self._note(profile)
        finally:
            self._loading = False

    def _show_projects(self, usable: list[tuple[Text, int]]) -> None:
        picks = self.query("#project-pick").results(Select)
        pick = next(picks, None)
        if pick is None:
            if usable:  # the first /me answer with projects: the list is made with them
                self.query_one("#project-row").mount(
                    Select[int](
                        usable,
                        prompt="projects from /me",
                        id="project-pick",
                        allow_blank=True,
                        compact=True,
                    )
                )
            return
        if pick.is_mounted:
            pick.set_options(usable)
        else:  # mounted a moment ago: its options are set once it has composed its list
            pick.call_later(pick.set_options, usable)
        pick.display = bool(usable)

    def _note(self, profile: Profile) -> None:
        text = self.query_one("#project", Input).value.strip()
        note = ""
        if profile.is_account and not text:
            note = "[yellow]account-level: a project_id is required[/]"
        self.query_one("#request-note", Static).update(note)

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.query_one(ScopePicker).scopes

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

    @on(ScopePicker.SelectedChanged, "#scopes")
    def _scopes_changed(self, event: ScopePicker.SelectedChanged) -> None:
        event.stop()
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
