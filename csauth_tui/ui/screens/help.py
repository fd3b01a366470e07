"""`?`: every key, as bound right now (after any [keys] remapping)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

# The footer has room for a word; the help screen says what a key really does.
LONG = {
    "get_token": "get a token for the selected profile, scopes and project",
    "renew": "renew the token now",
    "copy_token": "copy the token (cleared after clipboard_clear_seconds)",
    "copy_header": "copy the Authorization: Bearer ... header",
    "copy_curl": "copy a curl command that tests the token",
    "copy_base_url": "copy the API base URL returned with the token",
    "reveal": "reveal / mask the token",
    "me": "load /me: what Contentsquare says about the credential",
    "test_token": "test the token (GET /v1/segments)",
    "focus_scopes": "focus the scope list",
    "focus_project": "focus the project field",
    "filter": "filter the profile list",
    "sort": "sort by the next column",
    "cancel": "cancel a request / close the filter",
    "add_profile": "add a profile",
    "edit_profile": "edit (or rename) the selected profile",
    "duplicate_profile": "duplicate the selected profile",
    "delete_profile": "delete the selected profile",
    "import_profiles": "import profiles from a TOML, JSON or CSV file",
    "audit": "audit every profile: secrets, tokens, /me, age, duplicates",
    "help": "this help",
    "quit": "quit (clears the clipboard if it holds a token)",
}

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
            yield Static("[b]csauth keys[/]  [dim]remap any key by id in the \\[keys] table[/]",
                         id="help-title")
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
            what = LONG.get(binding.id or "", binding.description or binding.action)
            table.add_row(_pretty(keys), what, binding.id or "")
        for keys, what in EXTRA:
            table.add_row(keys, what, "")

    def action_dismiss(self) -> None:
        self.dismiss(None)


def _pretty(keys: str) -> str:
    names = {"slash": "/", "question_mark": "?", "escape": "esc"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
