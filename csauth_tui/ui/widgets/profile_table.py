"""The profile list: a widget of our own on Textual's Line API (ScrollView + render_line),
fine with 10,000 profiles and 50 live countdowns.

It owns its rows, filter, sort, column widths, cursor and hover, and draws each visible
line from them; a line once drawn is kept (per row, keyed by what it shows and how it is
styled) so a countdown tick redraws only the rows whose token cell changed. It looks like
Textual's DataTable (same component styles, zebra stripes, row cursor, one cell of padding)
but uses no private Textual or Rich API: a Textual release cannot break it.

Every cell that comes from the profiles file goes through core.text.inert: a name or a
scope holding ESC shows as `\\x1b`, never reaches the terminal as a control character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.profiles import ProfilesFile
from ...core.text import inert

TOKEN_WIDTH = 8
NAME_CAP = 32  # the Profile column never grows past this; longer names end in "…"
COLUMNS = (
    ("Profile", "name"),
    ("Token", "token"),
    ("Level", "level"),
    ("Project", "project"),
    ("Scopes", "scopes"),
)
KEYS = tuple(key for _, key in COLUMNS)
TOKEN = 1  # index of the token column
PAD = 1  # cells of padding each side of a cell, as DataTable draws them
UP, DOWN = " ▲", " ▼"

# the states a token cell can show, and how (a Text style string, as Rich reads it)
EXPIRED_STYLE = Style.parse("red")
BUSY_STYLE = Style.parse("italic")
INVALID_STYLE = Style.parse("bold red")


class ProfileRow(NamedTuple):
    """One profile as the table shows it. Kept small: a file can hold 10,000 of them."""

    name: str  # the profile's name as in the file: the row's key
    shown: str  # the name as drawn: inert, capped at NAME_CAP cells
    level: str  # "project" / "account", or "invalid"
    project: str
    scopes: str  # inert; for an invalid row, why it is invalid
    valid: bool
    haystack: str  # what the filter searches, lower-cased


def capped(text: str, cap: int = NAME_CAP) -> str:
    """`text` cut to `cap` cells, its last cell an ellipsis when something was cut."""
    if text.isascii():
        return text if len(text) <= cap else text[: cap - 1] + "…"
    if cell_len(text) <= cap:
        return text
    return set_cell_size(text, cap - 1) + "…"


def shown_safe(text: str) -> str:
    """`text` as inert() shows it; printable ASCII (nearly every cell) has nothing to
    escape, and skipping the translation saves ~10 ms per 10,000 profiles a start."""
    return text if text.isascii() and text.isprintable() else inert(text)


def width_of(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def rows_from(pf: ProfilesFile) -> list[ProfileRow]:
    errors: dict[str | None, list[str]] = {}  # pf.errors_for(name) per row is O(n^2)
    for problem in pf.problems:
        if problem.severity == "error":
            errors.setdefault(problem.profile, []).append(problem.message)
    shared: dict[str, str] = {}  # each distinct level, project, scopes: made safe once

    def share(value: str) -> str:
        safe = shared.get(value)
        if safe is None:
            safe = shared[value] = shown_safe(value)
        return safe

    rows = []
    for name in pf.order:
        shown = capped(shown_safe(name))
        profile = pf.profiles.get(name)
        if profile is None:
            why = shown_safe("; ".join(errors.get(name, ())))
            rows.append(ProfileRow(name, shown, "invalid", "", why, False, f"{name} {why}".lower()))
            continue
        scopes = " ".join(profile.scopes)
        project = str(profile.project_id) if profile.project_id is not None else "-"
        haystack = " ".join(
            (name, profile.level, project, scopes, profile.client_id, profile.description)
        ).lower()
        rows.append(
            ProfileRow(
                name, shown, share(profile.level), share(project), share(scopes), True, haystack
            )
        )
    return rows


@dataclass(frozen=True)
class Looks:
    """The table's styles for one repaint (theme, focus and hover state)."""

    header: Style
    rows: tuple[Style, Style]  # even, odd
    cursor: Style
    hover: Style
    header_hover: Style
    empty: Style


class ProfileTable(ScrollView, can_focus=True):
    """Rows keyed by profile name; a header line on top that stays when the rows scroll."""

    DEFAULT_CSS = """
    ProfileTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .profile-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .profile-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .profile-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .profile-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .profile-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .profile-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .profile-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .profile-table--header-hover {
            background: $accent 30%;
        }
        & > .profile-table--hover {
            background: $block-hover-background;
        }
        & > .profile-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    COMPONENT_CLASSES = {
        "profile-table--cursor",
        "profile-table--hover",
        "profile-table--header",
        "profile-table--header-hover",
        "profile-table--odd-row",
        "profile-table--even-row",
        "profile-table--empty",
    }

    BINDINGS = [
        Binding("enter", "choose", "Choose", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    @dataclass
    class Selected(Message):
        """The cursor is on another profile (None: no row shown)."""

        name: str | None

    @dataclass
    class Chosen(Message):
        """Enter, or a click on the row already selected: the user wants this profile."""

        name: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rows: list[ProfileRow] = []  # every profile, in file order
        self._shown: list[ProfileRow] = []  # what the filter and sort leave, in order
        self._where: dict[str, int] = {}  # name -> index in _shown
        self._states: dict[str, str] = {}  # name -> token cell text
        self._filter = ""
        self._sort: tuple[str, bool] | None = None  # (column key, descending)
        self._widths = [width_of(label) for label, _ in COLUMNS]  # without padding
        self._widths[TOKEN] = TOKEN_WIDTH
        self._cursor = 0
        self._hover: int | None = None  # row under the mouse (-1: the header)
        self._lines: LRUCache[tuple, Strip] = LRUCache(1024)  # drawn lines, see _row_line
        self._looks: Looks | None = None  # styles of this repaint, see _style
        self._looks_key: object = None

    # --- content ------------------------------------------------------------------------

    def load(self, pf: ProfilesFile, keep: str | None = None) -> None:
        """Show the profiles of `pf`, the cursor on `keep` when it is shown. The column
        widths are worked out again from these rows: a long name deleted gives its room
        back."""
        self._rows = rows_from(pf)
        names = {row.name for row in self._rows}
        self._states = {k: v for k, v in self._states.items() if k in names}
        self._measure()
        self._rebuild(keep)

    @property
    def shown_names(self) -> list[str]:
        return [row.name for row in self._shown]

    @property
    def row_count(self) -> int:
        return len(self._shown)

    @property
    def selected_name(self) -> str | None:
        return self._shown[self._cursor].name if self._shown else None

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def sorting(self) -> tuple[str, bool] | None:
        """(column key, descending), or None for the file's order."""
        return self._sort

    def get_cell(self, name: str, column: str) -> str:
        """The text the cell of profile `name` in `column` shows (KeyError: no such row)."""
        index = self._where.get(name)
        row = (
            self._shown[index]
            if index is not None
            else next((r for r in self._rows if r.name == name), None)
        )
        if row is None:
            raise KeyError(name)
        return self._cells(row)[KEYS.index(column)][0]

    def set_filter(self, text: str) -> None:
        text = text.strip().lower()
        if text != self._filter:
            self._filter = text
            self._rebuild(self.selected_name)

    def sort_by(self, column: str) -> None:
        """A click on a header: by that column; again, descending; a third time, the
        file's order."""
        if self._sort is None or self._sort[0] != column:
            self._set_sort((column, False))
        elif not self._sort[1]:
            self._set_sort((column, True))
        else:
            self._set_sort(None)

    def cycle_sort(self) -> tuple[str, bool] | None:
        """The next sort of `o`: each column in the order shown, ascending then
        descending, then the file's order again. Returns the new order."""
        states: list[tuple[str, bool] | None] = [(k, d) for k in KEYS for d in (False, True)]
        states.append(None)
        self._set_sort(states[(states.index(self._sort) + 1) % len(states)])
        return self._sort

    def _set_sort(self, order: tuple[str, bool] | None) -> None:
        self._sort = order
        self._measure()  # the arrow may widen its column's header
        self._rebuild(self.selected_name)

    def _visible(self) -> list[ProfileRow]:
        words = self._filter.split()
        rows = [r for r in self._rows if all(w in r.haystack for w in words)]
        if self._sort:
            column, descending = self._sort
            if column == "token":
                states = self._states
                rows.sort(
                    key=lambda r: state_order(states.get(r.name, "--") if r.valid else ""),
                    reverse=descending,
                )
            else:
                field = "name" if column == "name" else column
                rows.sort(key=lambda r: natural_order(getattr(r, field)), reverse=descending)
        return rows

    def _measure(self) -> None:
        """Each column as wide as its widest cell (every row, not only the shown ones: a
        filter does not make the columns jump), or its header, with the sort arrow."""
        valid = [r for r in self._rows if r.valid]
        invalid = [r for r in self._rows if not r.valid]
        widths = [
            max(map(width_of, {r.shown for r in self._rows}), default=0),
            TOKEN_WIDTH,
            max(map(width_of, {r.level for r in self._rows}), default=0),
            max(map(width_of, {r.project for r in valid}), default=0),
            max(map(width_of, {r.scopes for r in valid} | {r.scopes for r in invalid}), default=0),
        ]
        for index, (label, key) in enumerate(COLUMNS):
            if key != "token":
                widths[index] = max(widths[index], width_of(self._label(label, key)))
        self._widths = widths

    def _label(self, label: str, key: str) -> str:
        if self._sort and self._sort[0] == key:
            return label + (DOWN if self._sort[1] else UP)
        return label

    def _rebuild(self, keep: str | None) -> None:
        self._shown = self._visible()
        self._where = {row.name: i for i, row in enumerate(self._shown)}
        self._cursor = self._where.get(keep, 0) if keep is not None else 0
        self._hover = None
        self._lines.clear()
        height = len(self._shown) or (1 if self._filter else 0)
        self.virtual_size = Size(self._table_width(), height + 1)
        self.refresh()
        self._scroll_to_cursor()
        self.post_message(self.Selected(self.selected_name))

    def select_name(self, name: str | None) -> None:
        if name is not None and name in self._where:
            self._move(self._where[name])
        elif self._shown:
            self._move(0)

    # --- countdowns ---------------------------------------------------------------------

    def set_token_state(self, name: str, state: str) -> None:
        """Update one cell, and only when its text changed."""
        self.set_token_states({name: state})

    def profiles_with_a_token_state(self) -> set[str]:
        """Profiles whose token cell shows more than "--" (a countdown, expired, fetching)."""
        return {name for name, state in self._states.items() if state != "--"}

    def set_token_states(self, states: dict[str, str]) -> None:
        """Update the cells whose text changed; only their lines are drawn again."""
        for name, state in states.items():
            if self._states.get(name, "--") == state:
                continue
            self._states[name] = state
            index = self._where.get(name)
            if index is not None:
                self.refresh_line(index + 1)

    # --- cursor, keys, mouse ------------------------------------------------------------

    def _move(self, index: int) -> None:
        if not self._shown:
            return
        index = max(0, min(index, len(self._shown) - 1))
        if index != self._cursor:
            old, self._cursor = self._cursor, index
            self.refresh_line(old + 1)
            self.refresh_line(index + 1)
            self.post_message(self.Selected(self.selected_name))
        self._scroll_to_cursor()

    def _page(self) -> int:
        """Rows under the header that fit in the widget."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, force=True)
        elif self._cursor >= top + self._page():
            self.scroll_to(y=self._cursor - self._page() + 1, animate=False, force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._lines.clear()
        self._scroll_to_cursor()

    def _keyboard(self) -> None:
        self._set_hover(None)  # as DataTable: keys hide the mouse's row highlight

    def action_cursor_down(self) -> None:
        self._keyboard()
        self._move(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._keyboard()
        self._move(self._cursor - 1)

    def action_page_down(self) -> None:
        self._keyboard()
        self._move(self._cursor + self._page())

    def action_page_up(self) -> None:
        self._keyboard()
        self._move(self._cursor - self._page())

    def action_first(self) -> None:
        self._keyboard()
        self._move(0)

    def action_last(self) -> None:
        self._keyboard()
        self._move(len(self._shown) - 1)

    def action_choose(self) -> None:
        self._keyboard()
        if self._shown:
            self.post_message(self.Chosen(self._shown[self._cursor].name))

    def _at(self, event: events.MouseEvent) -> tuple[int, int] | None:
        """(row, x in the table) under the mouse: row -1 is the header; None: neither."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        x = offset.x + round(self.scroll_x)
        if offset.y == 0:
            return -1, x
        row = offset.y - 1 + round(self.scroll_y)
        return (row, x) if 0 <= row < len(self._shown) else None

    def _column_at(self, x: int) -> str | None:
        for key, width in zip(KEYS, self._widths):
            if x < width + 2 * PAD:
                return key
            x -= width + 2 * PAD
        return None

    def _set_hover(self, row: int | None) -> None:
        if row != self._hover:
            for line in (self._hover, row):
                if line == -1:  # the header, which does not scroll
                    self.refresh(Region(0, 0, self.size.width, 1))
                elif line is not None:
                    self.refresh_line(line + 1)
            self._hover = row

    def on_mouse_move(self, event: events.MouseMove) -> None:
        at = self._at(event)
        self._set_hover(at[0] if at else None)

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def on_click(self, event: events.Click) -> None:
        at = self._at(event)
        if at is None:
            return
        event.stop()
        row, x = at
        if row == -1:
            column = self._column_at(x)
            if column is not None:
                self.sort_by(column)
        elif row == self._cursor:
            self.post_message(self.Chosen(self._shown[row].name))
        else:
            self._move(row)

    # --- drawing ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._looks = None  # a theme or CSS change: every line looks different
        self._lines.clear()
        super().notify_style_update()

    def _style(self) -> Looks:
        """The styles of this repaint, worked out from the CSS once per theme, focus and
        hover state, not per line."""
        key = self.get_pseudo_class_state()
        if self._looks is None or self._looks_key != key:
            component = self.get_component_rich_style
            row = {
                name: self.get_component_styles(f"profile-table--{name}").rich_style
                for name in ("header", "even-row", "odd-row")
            }
            self._looks = Looks(
                header=row["header"],
                rows=(row["even-row"], row["odd-row"]),
                cursor=component("profile-table--cursor"),
                hover=component("profile-table--hover"),
                header_hover=component("profile-table--hover")
                + component("profile-table--header-hover"),
                empty=self.rich_style + component("profile-table--empty"),
            )
            self._looks_key = key
            self._lines.clear()
        return self._looks

    def _table_width(self) -> int:
        return sum(width + 2 * PAD for width in self._widths)

    def _cells(self, row: ProfileRow) -> list[tuple[str, Style | None]]:
        """What each cell of `row` shows, and its own style."""
        if not row.valid:
            return [
                (row.shown, None),
                ("", None),
                ("invalid", INVALID_STYLE),
                ("", None),
                (row.scopes, None),
            ]
        state = self._states.get(row.name, "--")
        return [
            (row.shown, None),
            (state, _state_style(state)),
            (row.level, None),
            (row.project, None),
            (row.scopes, None),
        ]

    def _line(
        self, cells: list[tuple[str, Style | None]], row_style: Style, look: Style, width: int
    ) -> Strip:
        """One line: every cell padded to its column (cut if too long), then the row's
        colour to the right edge; `look` is the cursor's and/or the hover's. As in
        DataTable, the cursor's colour wins over a cell's own (red "expired")."""
        pre = row_style + look
        text_over = Style(color=look.color) if look.color else None
        segments = []
        for (text, own), room in zip(cells, self._widths):
            used = width_of(text)
            if used > room:
                text, used = set_cell_size(text, room), room
            if own and text_over:
                own = own + text_over
            segments.append(Segment(" " * PAD, pre))
            segments.append(Segment(text, pre + own if own else pre))
            segments.append(Segment(" " * (room - used + PAD), pre))
        table = self._table_width()
        if width > table:
            segments.append(Segment(" " * (width - table), pre))
        return Strip(segments, max(width, table)).simplify()

    def _row_line(self, index: int, width: int) -> Strip:
        """Row `index`, as drawn for it last time when nothing it shows has changed."""
        looks = self._style()
        row = self._shown[index]
        cursor = index == self._cursor
        hover = self._hover == index
        state = self._states.get(row.name) if row.valid else None
        key = (row, state, index % 2, cursor, hover, width)
        line = self._lines.get(key)
        if line is None:
            look = (looks.hover if hover else Style.null()) + (
                looks.cursor if cursor else Style.null()
            )
            line = self._line(self._cells(row), looks.rows[index % 2], look, width)
            self._lines.set(key, line)
        return line

    def _header_line(self, width: int) -> Strip:
        looks = self._style()
        hover = self._hover == -1
        key = ("header", self._sort, hover, width)
        line = self._lines.get(key)
        if line is None:
            labels: list[tuple[str, Style | None]] = [
                (self._label(label, key), None) for label, key in COLUMNS
            ]
            line = self._line(
                labels, looks.header, looks.header_hover if hover else Style.null(), width
            )
            self._lines.set(key, line)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            line = self._header_line(width)
        else:
            index = y - 1 + scroll_y
            if 0 <= index < len(self._shown):
                line = self._row_line(index, width)
            elif index == 0 and self._filter:
                message = f" no profile matches '{inert(self._filter)}'"
                return Strip([Segment(message, self._style().empty)]).adjust_cell_length(
                    width, self.rich_style
                )
            else:
                return Strip.blank(width, self.rich_style)
        if scroll_x or line.cell_length != width:
            line = line.crop(scroll_x, scroll_x + width).adjust_cell_length(width, self.rich_style)
        return line


def _state_style(state: str) -> Style | None:
    if state.startswith("expired"):
        return EXPIRED_STYLE
    if state.startswith(("renewing", "fetching")):
        return BUSY_STYLE
    return None


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
