"""The profile list: a DataTable (line-rendered, fine with thousands of rows), with
type-to-filter, sort by column, and token countdown cells updated one by one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ...core.profiles import ProfilesFile

TOKEN_WIDTH = 8
COLUMNS = (("Profile", "name"), ("Token", "token"), ("Level", "level"),
           ("Project", "project"), ("Scopes", "scopes"))


@dataclass(frozen=True)
class ProfileRow:
    name: str
    level: str
    project: str
    scopes: str
    valid: bool
    haystack: str  # what the filter searches, lower-cased

    def cells(self, token_state: str) -> tuple:
        if not self.valid:
            return (Text(self.name), "", Text("invalid", style="bold red"), "", Text(self.scopes))
        return (self.name, token_state, self.level, self.project, Text(self.scopes))


def rows_from(pf: ProfilesFile) -> list[ProfileRow]:
    rows = []
    for name in pf.order:
        profile = pf.profiles.get(name)
        if profile is None:
            why = "; ".join(p.message for p in pf.errors_for(name))
            rows.append(ProfileRow(name, "", "", why, False, f"{name} {why}".lower()))
            continue
        scopes = " ".join(profile.scopes)
        project = str(profile.project_id) if profile.project_id is not None else "-"
        haystack = " ".join((name, profile.level, project, scopes, profile.client_id,
                             profile.description)).lower()
        rows.append(ProfileRow(name, profile.level, project, scopes, True, haystack))
    return rows


class ProfileTable(DataTable):
    """Rows keyed by profile name."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
    ]

    @dataclass
    class Selected(Message):
        name: str | None

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._rows: list[ProfileRow] = []
        self._states: dict[str, str] = {}
        self._filter = ""
        self._sort: tuple[str, bool] | None = None

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            # the token column is sized for its usual widest state ("fetching", "59:59 +1")
            # so per-second updates never re-measure the table
            self.add_column(label, key=key, width=TOKEN_WIDTH if key == "token" else None)

    # --- content ------------------------------------------------------------------------

    def load(self, pf: ProfilesFile, keep: str | None = None) -> None:
        self._rows = rows_from(pf)
        names = {row.name for row in self._rows}
        self._states = {k: v for k, v in self._states.items() if k in names}
        self._rebuild(keep)

    @property
    def shown_names(self) -> list[str]:
        return [str(key.value) for key in self.rows]

    @property
    def selected_name(self) -> str | None:
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value)

    def set_filter(self, text: str) -> None:
        text = text.strip().lower()
        if text != self._filter:
            self._filter = text
            self._rebuild(self.selected_name)

    def sort_by(self, column: str) -> None:
        reverse = bool(self._sort and self._sort[0] == column and not self._sort[1])
        self._sort = (column, reverse)
        self._rebuild(self.selected_name)

    def _visible(self) -> list[ProfileRow]:
        words = self._filter.split()
        rows = [r for r in self._rows if all(w in r.haystack for w in words)]
        if self._sort:
            column, reverse = self._sort
            if column == "token":
                rows.sort(key=lambda r: self._states.get(r.name, "--"), reverse=reverse)
            else:
                rows.sort(key=lambda r: str(getattr(r, column)).lower(), reverse=reverse)
        return rows

    def _rebuild(self, keep: str | None) -> None:
        self.clear()
        for row in self._visible():
            self.add_row(*row.cells(self._states.get(row.name, "--")), key=row.name)
        self.select_name(keep)
        self.post_message(self.Selected(self.selected_name))

    def select_name(self, name: str | None) -> None:
        if self.row_count == 0:
            return
        index = self.get_row_index(name) if name and name in self.rows else 0
        self.move_cursor(row=index, animate=False)

    # --- countdowns ---------------------------------------------------------------------

    def set_token_state(self, name: str, state: str) -> None:
        """Update one cell, and only when its text changed."""
        if self._states.get(name, "--") == state:
            return
        self._states[name] = state
        if name in self.rows:
            self.update_cell(name, "token", _styled(state))

    # --- events -------------------------------------------------------------------------

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Selected(str(event.row_key.value)))

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))


def _styled(state: str) -> Text | str:
    if state.startswith("expired"):
        return Text(state, style="red")
    if state.startswith(("renewing", "fetching")):
        return Text(state, style="italic")
    return state
