"""The profile list: a DataTable (line-rendered, fine with thousands of rows), with
type-to-filter, sort by column, and token countdown cells updated one by one.

Where it departs from DataTable's own path, for 10,000 profiles and 50 live countdowns
(tests/ui/test_profile_table.py holds it to what that path shows):
- filling and filtering replace every row at once (`_fill`) instead of `add_row` per row,
  with column widths from widths worked out once per distinct value (add_row and the
  measuring of every new cell, markup parsing included, took seconds per keystroke);
- a cell's rendering is kept while its text and style stay the same, and the countdowns
  of one tick are set together with one repaint (DataTable re-rendered every visible
  cell per update_cell);
- cells are Text, not str, where they can be: DataTable parses a str as markup each time
  it renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets._data_table import Row, RowKey

from ...core.profiles import ProfilesFile

TOKEN_WIDTH = 8
COLUMNS = (("Profile", "name"), ("Token", "token"), ("Level", "level"),
           ("Project", "project"), ("Scopes", "scopes"))
TOKEN = 1  # index of the token column


class ProfileRow(NamedTuple):
    """One profile as the table shows it. Kept small: a file can hold 10,000 of them."""

    name: str
    level: str
    project: str
    scopes: str
    valid: bool
    haystack: str  # what the filter searches, lower-cased
    name_width: int  # what DataTable would measure for the name cell


def cell_width(value: str | Text) -> int:
    """What DataTable measures for a cell of a one-line row: the widest line of the text
    it shows (a str goes through markup, and only its first line is kept)."""
    if isinstance(value, str):
        if value.isascii() and value.isprintable() and "[" not in value and ":" not in value:
            return len(value)
        cut = value.find("\n")
        if cut != -1 and cut != len(value) - 1:
            value = value[:cut]
        plain = Text.from_markup(value).plain
    else:
        plain = value.plain
        if plain.isascii() and plain.isprintable():
            return len(plain)
    lines = plain.splitlines()
    return max(map(cell_len, lines)) if lines else 0


class Cells:
    """The cells rows share: one Text per distinct level, project or scopes (a Text is not
    parsed as markup on every repaint, as a str is), each with its width; and the cells
    of the invalid rows, which are all different."""

    def __init__(self) -> None:
        self.texts: dict[str, Text] = {}
        self.widths: dict[str, int] = {}  # of each Text in `texts`
        self.invalid: dict[str, tuple[tuple, tuple[int, ...]]] = {}

    def text(self, value: str) -> Text:
        text = self.texts.get(value)
        if text is None:
            text = self.texts[value] = Text(value)
            self.widths[value] = cell_width(text)
        return text

    def of(self, row: ProfileRow, token: Text | None) -> tuple:
        if not row.valid:
            return self.invalid[row.name][0]
        return (row.name, token, self.text(row.level), self.text(row.project),
                self.text(row.scopes))

    def widths_of(self, rows: list[ProfileRow]) -> list[int]:
        """What DataTable would measure for each column (the token's left at 0)."""
        valid = [r for r in rows if r.valid]
        widths = [max((r.name_width for r in valid), default=0), 0,
                  max((self.widths[v] for v in {r.level for r in valid}), default=0),
                  max((self.widths[v] for v in {r.project for r in valid}), default=0),
                  max((self.widths[v] for v in {r.scopes for r in valid}), default=0)]
        for row in rows:
            if not row.valid:
                widths = [max(pair) for pair in zip(widths, self.invalid[row.name][1])]
        return widths


def rows_from(pf: ProfilesFile, cells: Cells | None = None) -> list[ProfileRow]:
    cells = cells if cells is not None else Cells()
    errors: dict[str | None, list[str]] = {}  # pf.errors_for(name) per row is O(n^2)
    for problem in pf.problems:
        if problem.severity == "error":
            errors.setdefault(problem.profile, []).append(problem.message)
    rows = []
    shared: dict[str, str] = {}  # each distinct level, project, scopes: one str, one Text

    def share(value: str) -> str:
        shared[value] = cells.text(value).plain
        return shared[value]

    for name in pf.order:
        profile = pf.profiles.get(name)
        if profile is None:
            why = "; ".join(errors.get(name, ()))
            shown = (Text(name), "", Text("invalid", style="bold red"), "", Text(why))
            cells.invalid[name] = (shown, tuple(cell_width(cell) for cell in shown))
            rows.append(ProfileRow(name, "", "", why, False, f"{name} {why}".lower(), 0))
            continue
        level = profile.level
        scopes = " ".join(profile.scopes)
        project = str(profile.project_id) if profile.project_id is not None else "-"
        haystack = " ".join((name, level, project, scopes, profile.client_id,
                             profile.description)).lower()
        # the shared Texts' plain strings, not one copy per row
        level = shared.get(level) or share(level)
        project = shared.get(project) or share(project)
        scopes = shared.get(scopes) or share(scopes)
        rows.append(ProfileRow(name, level, project, scopes, True, haystack, cell_width(name)))
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
        # DataTable's init clears these: they must exist before it runs
        self._kept_cells: LRUCache[tuple, list] = LRUCache(4096)
        self._row_styles: dict[tuple, Style] = {}
        self._painting: dict[str, object] | None = None  # see render_lines
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._rows: list[ProfileRow] = []
        self._cells = Cells()
        self._meta: dict[str, Row] = {}  # one Row per profile, reused by every fill
        self._states: dict[str, str] = {}
        self._filter = ""
        self._sort: tuple[str, bool] | None = None
        self._fill_widths: list[int] | None = None

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            # the token column is sized for its usual widest state ("fetching", "59:59 +1")
            # so per-second updates never re-measure the table
            # Text, not str: a str label is read as markup, which loads Rich's emoji table
            self.add_column(Text(label), key=key,
                            width=TOKEN_WIDTH if key == "token" else None)

    # --- content ------------------------------------------------------------------------

    def load(self, pf: ProfilesFile, keep: str | None = None) -> None:
        self._cells = Cells()
        self._rows = rows_from(pf, self._cells)
        names = {row.name for row in self._rows}
        self._states = {k: v for k, v in self._states.items() if k in names}
        self._meta = {name: Row(RowKey(name), 1) for name in names}
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
                rows.sort(key=lambda r: state_order(self._states.get(r.name, "--")),
                          reverse=reverse)
            else:
                rows.sort(key=lambda r: natural_order(str(getattr(r, column))),
                          reverse=reverse)
        return rows

    def _rebuild(self, keep: str | None) -> None:
        self._fill(self._visible())
        self.select_name(keep)
        self.post_message(self.Selected(self.selected_name))

    def _fill(self, rows: list[ProfileRow]) -> None:
        """Replace every row, as clear() then add_row() per row would, in one pass."""
        self.clear()
        keys = [column.key for column in self.ordered_columns]
        states, made = self._states, self._meta
        data, meta, locations = self._data, self.rows, {}
        token_cells: dict[str, Text] = {}  # one Text per distinct state, shared by its rows
        shared = self._cells
        ordered: list[Row] = []
        for index, row in enumerate(rows):
            token = None
            if row.valid:
                state = states.get(row.name, "--")
                token = token_cells.get(state)
                if token is None:
                    token = token_cells[state] = _styled(state)
            info = made.get(row.name) or Row(RowKey(row.name), 1)
            key = info.key
            data[key] = dict(zip(keys, shared.of(row, token)))
            meta[key] = info
            locations[key] = index
            ordered.append(info)
        self._row_locations = TwoWayDict(locations)
        widths = shared.widths_of(rows)
        widths[TOKEN] = max(map(cell_width, token_cells.values()), default=0)
        self._fill_widths = widths
        self._update_count += 1
        # what DataTable would work out next, row by row, from the maps just made: the rows
        # in order and the line offsets (every row one line high)
        self._ordered_row_cache[(len(ordered), self._update_count)] = ordered
        self._offset_cache[self._update_count] = [(info.key, 0) for info in ordered]
        if rows and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()  # as add_row does when the first row arrives
        if self.is_mounted:  # sized now, not on idle: the next layout is already right
            self._update_dimensions(())
        else:
            self._require_update_dimensions = True
            self.check_idle()

    def _update_dimensions(self, new_rows) -> None:
        widths, self._fill_widths = self._fill_widths, None
        if widths is not None:  # the widths of the last fill, instead of measuring each row
            for column, width in zip(self.ordered_columns, widths):
                column.content_width = max(column.content_width, width)
        super()._update_dimensions(new_rows)

    def select_name(self, name: str | None) -> None:
        if self.row_count == 0:
            return
        index = self.get_row_index(name) if name and name in self.rows else 0
        self.move_cursor(row=index, animate=False)

    # --- rendering --------------------------------------------------------------------

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        """A cell's rendering, kept while what it shows and how it is styled stay the same.

        DataTable keys its caches by a counter that every update_cell bumps, so one
        countdown changing re-renders every visible cell; with 50 live tokens that is the
        whole table, every second. Here only the cells whose text changed are rendered again.
        """
        row_key = self._row_locations.get_key(row_index) if row_index >= 0 else None
        column_key = self._column_locations.get_key(column_index) if column_index >= 0 else None
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or column_key is None or row.auto_height:  # header, labels
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        value = self._data[row_key].get(column_key)
        key = (row_index, column_index, _content_key(value), base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state, row.height)
        lines = self._kept_cells.get(key)
        if lines is None:
            lines = (self._draw_plain(value, row_index, column_index, base_style, width,
                                      cursor, hover) if row.height == 1 else None)
            if lines is None:
                lines = super()._render_cell(row_index, column_index, base_style, width,
                                             cursor, hover)
            self._kept_cells.set(key, lines)
        return lines

    def _draw_plain(self, value: object, row_index: int, column_index: int,
                    base_style: Style, width: int, cursor: bool, hover: bool) -> list | None:
        """A one-line cell of plain ASCII text that fits, drawn as DataTable draws it (pad,
        text, fill, pad; its styles, its meta) without Rich's layout machinery, which costs
        ~100 us a cell: most of the first frame's table. None for anything else (markup,
        spans, wide or control characters, too long): DataTable draws those itself.
        tests/ui/test_profile_table.py holds the two to the same segments."""
        if isinstance(value, Text):
            if value.spans or value.justify not in (None, "default", "left"):
                return None
            text, text_style = value.plain, value.style
        elif isinstance(value, str) and "[" not in value:  # a str is read as markup
            text, text_style = value, ""
        else:
            return None
        pad = self.cell_padding
        room = width - 2 * pad
        if not (text.isascii() and text.isprintable()) or len(text) > room:
            return None
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
        pre = pre + component_style
        blank = pre + post_style
        try:
            own = self.app.console.get_style(text_style) if text_style else None
        except Exception:  # a style Rich cannot read: Rich's own fallback, through DataTable
            return None
        line = [Segment(" " * pad, blank)] if pad else []
        line.append(Segment(text, (pre + own) + post_style if own else blank))
        if room > len(text):
            line.append(Segment(" " * (room - len(text)), blank))
        if pad:
            line.append(Segment(" " * pad, blank))
        return [line]

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """DataTable works this out from the CSS for every row of every repaint (~30 us);
        it only depends on the row's kind (header, fixed, odd, even) and the table's state."""
        kind = -1 if row_index == -1 else -2 if row_index < self.fixed_rows else row_index % 2
        key = (kind, base_style, self.zebra_stripes, self._pseudo_class_state)
        style = self._row_styles.get(key)
        if style is None:
            style = self._row_styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._kept_cells.clear()
        self._row_styles.clear()

    def render_lines(self, crop):
        """One repaint: the table's own style and background, which DataTable works out
        again for every line (a walk up every ancestor's styles each time), are worked out
        once for the whole repaint; nothing can restyle the table in the middle of one."""
        self._painting = {}
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    @property
    def rich_style(self) -> Style:
        return self._once_per_paint("rich_style", lambda: super(ProfileTable, self).rich_style)

    @property
    def background_colors(self):
        return self._once_per_paint("background_colors",
                                    lambda: super(ProfileTable, self).background_colors)

    def _once_per_paint(self, name: str, work):
        if self._painting is None:  # outside a repaint: as DataTable does, every time
            return work()
        if name not in self._painting:
            self._painting[name] = work()
        return self._painting[name]

    def notify_style_update(self) -> None:
        self._kept_cells.clear()  # a theme or CSS change: every cell looks different
        self._row_styles.clear()
        super().notify_style_update()

    # --- countdowns ---------------------------------------------------------------------

    def set_token_state(self, name: str, state: str) -> None:
        """Update one cell, and only when its text changed."""
        self.set_token_states({name: state})

    def profiles_with_a_token_state(self) -> set[str]:
        """Profiles whose token cell shows more than "--" (a countdown, expired, fetching)."""
        return {name for name, state in self._states.items() if state != "--"}

    def set_token_states(self, states: dict[str, str]) -> None:
        """Update the cells whose text changed, with one repaint for all of them (what
        update_cell does per cell: new value, cache counter bumped, repaint)."""
        changed = False
        column = self._column_locations.get_key(TOKEN)
        for name, state in states.items():
            if self._states.get(name, "--") == state:
                continue
            self._states[name] = state
            cells = self._data.get(name)  # keyed by RowKey, which hashes and compares as str
            if cells is not None:
                cells[column] = _styled(state)
                changed = True
        if changed:
            self._update_count += 1
            self.refresh()

    # --- events -------------------------------------------------------------------------

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Selected(str(event.row_key.value)))

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))


def _content_key(value: object) -> object:
    """What a cell shows, as a cache key: its text and styles."""
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return (value.plain, value.style, tuple(value.spans), value.justify, value.overflow,
                value.no_wrap, value.end)
    return (type(value), id(value))


def _styled(state: str) -> Text:
    """A countdown cell. Text, not str: DataTable parses a str as markup on every render,
    and these never hold any."""
    if state.startswith("expired"):
        return Text(state, style="red")
    if state.startswith(("renewing", "fetching")):
        return Text(state, style="italic")
    return Text(state)


def state_order(state: str) -> tuple[int, float]:
    """Token cells in time order: expired, then the least time left first, then those
    being fetched, then none. "1:02:03 +1" sorts by its countdown."""
    if state.startswith("expired"):
        return (0, 0.0)
    parts = state.split()[0].split(":") if state else []
    if parts and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return (1, float(seconds))
    return (2, 0.0) if state.startswith(("fetching", "renewing")) else (3, 0.0)


def natural_order(text: str) -> tuple[int, int, str]:
    """Numbers by value (project 9 before 10), then text without case."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text.lower())
