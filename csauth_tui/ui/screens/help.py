"""`?`: every key, as bound right now (after any [keys] remapping)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

EXTRA = (
    ("j / k", "down / up in the profile list"),
    ("ctrl+p", "command palette: switch profile, copy, themes..."),
    ("space", "toggle a scope (in the scope list)"),
    ("ctrl+q", "quit (also q)"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="close_help"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("[b]csauth keys[/]  [dim](remap any of them in the \\[keys] table "
                         "of the profiles file, by id)[/]", id="help-title")
            yield DataTable(id="help-table", cursor_type="none", zebra_stripes=True)
            yield Static("[dim]esc closes[/]", id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "id")
        app = self.app
        keymap = getattr(app, "_keymap", {})
        for binding in app.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            table.add_row(_pretty(keys), binding.description or binding.action, binding.id or "")
        for keys, what in EXTRA:
            table.add_row(keys, what, "")

    def action_dismiss(self) -> None:
        self.dismiss(None)


def _pretty(keys: str) -> str:
    names = {"slash": "/", "question_mark": "?", "escape": "esc"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
