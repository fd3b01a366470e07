"""Import profiles from a TOML, JSON or CSV file: preview every row, then import."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from ..text import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from ...core.errors import CsauthError
from ...core.profiles import ProfilesFile
from ...core.transfer import ACTION_WORDS, ImportPlan, plan_import, read_rows



class ImportScreen(ModalScreen[tuple[ImportPlan, str] | None]):
    """Dismisses with (plan, secrets mode) for the app to apply, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import_cancel")]

    def __init__(self, existing: ProfilesFile, start_dir: Path) -> None:
        super().__init__()
        self.existing = existing
        self.start_dir = start_dir
        self.plan: ImportPlan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Static("[b]Import profiles[/] from a TOML, JSON or CSV file "
                         "(name,level,client_id,project_id,scopes,created,description"
                         "[,client_secret])")
            yield Input(placeholder=f"path, e.g. {self.start_dir}/team.csv", id="import-path")
            with Horizontal(id="import-options"):
                yield Checkbox("overwrite same names", id="import-overwrite")
                yield Select([("secrets found -> keyring", "keyring"),
                              ("secrets found -> leave out", "skip"),
                              ("secrets found -> plaintext in file", "plaintext")],
                             value="keyring", allow_blank=False, id="import-secrets")
            yield Static("", id="import-summary")
            yield DataTable(id="import-preview", cursor_type="row")
            with Horizontal(id="import-buttons"):
                yield Button("Preview", id="preview")
                yield Button("Import", id="import", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("where", "profile", "action", "why")
        self.query_one("#import-path").focus()

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#preview")
    @on(Checkbox.Changed, "#import-overwrite")
    def preview(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        summary = self.query_one("#import-summary", Static)
        self.plan = None
        self.query_one("#import", Button).disabled = True
        text = self.query_one("#import-path", Input).value.strip()
        if not text:
            summary.update("[yellow]type the path of the file to import[/]")
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.start_dir / path
        try:
            rows = read_rows(path)
        except CsauthError as exc:
            summary.update(f"[red]{escape(str(exc))}[/]")
            return
        overwrite = self.query_one("#import-overwrite", Checkbox).value
        self.plan = plan_import(rows, self.existing, overwrite)
        for outcome in self.plan.outcomes:
            table.add_row(Text(outcome.where), Text(outcome.name), ACTION_WORDS[outcome.action],
                          Text(outcome.detail))
        good = len(self.plan.outcomes) - len(self.plan.failed)
        summary.update(f"{good} to import, {len(self.plan.failed)} not"
                       + (" (see why below)" if self.plan.failed else ""))
        self.query_one("#import", Button).disabled = good == 0

    @on(Button.Pressed, "#import")
    def _import(self) -> None:
        if self.plan is not None:
            self.dismiss((self.plan, str(self.query_one("#import-secrets", Select).value)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
