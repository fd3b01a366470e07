"""`?`: every key, as bound right now (after any [keys] remapping), and what [keys] asked
for that was refused. Built from the action table (actions.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ..actions import MAIN, KeyPlan, pretty
from ..text import escape

EXTRA = (
    ("ctrl+p", "command palette: switch profile, copy, themes..."),
    ("space", "toggle a scope (in the scope list)"),
    ("ctrl+q", "quit (also q)"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="close_help"),
    ]

    def __init__(self, keys: KeyPlan) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(
                "[b]csauth keys[/]  [dim]remap any key by id in the \\[keys] table[/]",
                id="help-title",
            )
            if self.keys.problems:
                yield Static(
                    "[b yellow]Not applied from \\[keys]:[/]\n"
                    + "\n".join(escape(p) for p in self.keys.problems),
                    id="help-problems",
                )
            yield DataTable(id="help-table", cursor_type="none", zebra_stripes=True)
            yield Static("[dim]esc closes[/]", id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "id")
        keys = self.keys.keys
        for action in MAIN:
            table.add_row(pretty(keys[action.id]), action.long, action.id)
        table.add_row(
            f"{pretty(keys['cursor_down'])} / {pretty(keys['cursor_up'])}",
            "down / up in the profile list",
            "",
        )  # ids cursor_down, cursor_up
        for key, what in EXTRA:
            table.add_row(key, what, "")

    def action_close(self) -> None:
        self.dismiss(None)
