"""Import profiles from a TOML, JSON or CSV file: preview every row, then import.

As on the command line, a row carrying a secret source or an auth_url is refused unless
the matching opt-in is ticked, and the preview lists, row by row, what an opt-in lets in.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from ...core.errors import CsauthError
from ...core.profiles import ProfilesFile
from ...core.text import inert
from ...core.transfer import ACTION_WORDS, ImportPlan, plan_import, read_rows
from ..text import escape


class ImportScreen(ModalScreen[tuple[ImportPlan, str, bool] | None]):
    """Dismisses with (plan, secrets mode, replace a different keyring secret) for the app
    to apply, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import_cancel")]
    DEFAULT_CSS = """
    #import-trust { height: auto; align-horizontal: right; }
    #import-trust Checkbox { width: auto; }
    """

    def __init__(self, existing: ProfilesFile, start_dir: Path) -> None:
        super().__init__()
        self.existing = existing
        self.start_dir = start_dir
        self.plan: ImportPlan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Static(
                "[b]Import profiles[/] from a TOML, JSON or CSV file "
                "(name,level,client_id,project_id,scopes,created,description"
                "[,client_secret])"
            )
            yield Input(placeholder=f"path, e.g. {self.start_dir}/team.csv", id="import-path")
            with Horizontal(id="import-options"):
                yield Checkbox("overwrite same names", id="import-overwrite")
                yield Select(
                    [
                        ("secrets found -> keyring", "keyring"),
                        ("secrets found -> leave out", "skip"),
                        ("secrets found -> plaintext in file", "plaintext"),
                    ],
                    value="keyring",
                    allow_blank=False,
                    id="import-secrets",
                )
            with Horizontal(id="import-trust"):  # off by default: what the file may steer
                yield Checkbox("allow env:/cmd: sources", id="import-allow-sources")
                yield Checkbox("allow auth_url", id="import-allow-url")
                yield Checkbox("replace keyring secret", id="import-replace")
            yield Static("", id="import-summary")
            yield DataTable(id="import-preview", cursor_type="row")
            with Horizontal(id="import-buttons"):
                yield Button("Preview", id="preview")
                yield Button("Import", id="import", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("where", "profile", "action", "lets in", "why")
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
        self.plan = plan_import(
            rows,
            self.existing,
            overwrite,
            secrets=str(self.query_one("#import-secrets", Select).value),
            allow_secret_sources=self.query_one("#import-allow-sources", Checkbox).value,
            allow_auth_url=self.query_one("#import-allow-url", Checkbox).value,
        )
        for outcome in self.plan.outcomes:
            why = [outcome.detail, *outcome.notes, outcome.secret_refused]
            table.add_row(
                Text(inert(outcome.where)),
                Text(inert(outcome.name)),
                ACTION_WORDS[outcome.action],
                Text(inert("; ".join(outcome.admitted))),
                Text(inert("; ".join(w for w in why if w))),
            )
        good = len(self.plan.outcomes) - len(self.plan.failed)
        summary.update(
            f"{good} to import, {len(self.plan.failed)} not"
            + (" (see why below)" if self.plan.failed else "")
        )
        self.query_one("#import", Button).disabled = good == 0

    @on(Checkbox.Changed, "#import-allow-sources, #import-allow-url")
    @on(Select.Changed, "#import-secrets")
    def preview_again(self) -> None:
        """What a row lets in, and its notes, depend on these: show them again."""
        if self.query_one("#import-path", Input).value.strip():
            self.preview()

    @on(Button.Pressed, "#import")
    def _import(self) -> None:
        if self.plan is not None:
            self.dismiss(
                (
                    self.plan,
                    str(self.query_one("#import-secrets", Select).value),
                    self.query_one("#import-replace", Checkbox).value,
                )
            )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
