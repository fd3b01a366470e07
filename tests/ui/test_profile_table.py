"""The profile table fills, filters and counts down without DataTable's per-row path
(add_row, measuring every cell, re-rendering every cell per update): these tests hold it
to what that path shows, cell for cell and style for style, so a Textual upgrade that
changes DataTable's insides fails here rather than on screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.render import measure
from textual.widgets import DataTable, Static
from textual.widgets._data_table import default_cell_formatter

from csauth_tui.core.profiles import load
from csauth_tui.ui.widgets.profile_table import (
    COLUMNS,
    TOKEN_WIDTH,
    ProfileTable,
    _styled,
    cell_width,
)

PROFILES = """
[profiles.prod-metrics]
client_id = "c-1"
scopes = ["metrics", "data-export"]
project_id = 1001

[profiles.agency]
level = "account"
client_id = "c-2"
scopes = ["metrics", "surveys"]
project_id = 1002

[profiles.wide]
client_id = "c-3"
scopes = ["métriques", "数据导出"]

[profiles."bad [b]name[/b]"]
client_id = "c-4"

[profiles.no-client]
scopes = ["metrics"]

[profiles.enrich]
client_id = "c-5"
scopes = ["enrichment"]
project_id = 1003
"""


class Tables(App):
    """The profile table beside a stock DataTable filled the way the table used to be."""

    def compose(self):
        with Horizontal():
            yield ProfileTable(id="fast")
            yield DataTable(id="stock", cursor_type="row", zebra_stripes=True)
        yield Static("focus sink", id="sink")

    def on_mount(self) -> None:
        stock = self.query_one("#stock", DataTable)
        for label, key in COLUMNS:
            stock.add_column(label, key=key, width=TOKEN_WIDTH if key == "token" else None)


def stock_fill(stock: DataTable, table: ProfileTable, states: dict[str, str]) -> None:
    """What ProfileTable._rebuild did before: clear, add_row per visible row, cursor back
    on the profile it was on."""
    keep = table.selected_name
    stock.clear()
    for row in table._visible():
        if row.valid:
            cells = (row.name, _styled(states.get(row.name, "--")), row.level, row.project,
                     Text(row.scopes))
        else:
            cells = (Text(row.name), "", Text("invalid", style="bold red"), "",
                     Text(row.scopes))
        stock.add_row(*cells, key=row.name)
    if keep in stock.rows:
        stock.move_cursor(row=stock.get_row_index(keep), animate=False)


def screen_lines(table: DataTable) -> list[list[tuple[str, object]]]:
    """Every visible line as (text, style) segments: what the terminal is sent, painted
    as the compositor paints it (render_lines: one repaint of the whole table)."""
    width, height = table.size
    return [[(seg.text, seg.style) for seg in strip]
            for strip in table.render_lines(Region(0, 0, width, height))]


async def assert_same(pilot, fast: ProfileTable, stock: DataTable) -> None:
    await pilot.pause()
    await pilot.pause()
    assert [str(k.value) for k in fast.rows] == [str(k.value) for k in stock.rows]
    assert [c.content_width for c in fast.ordered_columns] == \
        [c.content_width for c in stock.ordered_columns]
    assert fast.virtual_size == stock.virtual_size
    assert fast.cursor_coordinate == stock.cursor_coordinate
    assert screen_lines(fast) == screen_lines(stock)


async def test_a_bulk_fill_shows_what_add_row_showed(tmp_path: Path):
    config = tmp_path / "profiles.toml"
    config.write_text(PROFILES)
    pf = load(config)
    assert len(pf.order) == 6 and len(pf.profiles) == 4  # two invalid rows among them
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        app.query_one("#sink").can_focus = True
        app.set_focus(None)
        fast, stock = app.query_one(ProfileTable), app.query_one("#stock", DataTable)
        fast.load(pf, keep="prod-metrics")
        stock_fill(stock, fast, {})
        await assert_same(pilot, fast, stock)

        fast.set_filter("metrics")  # fewer rows: the column widths stay as they were
        stock_fill(stock, fast, {})
        await assert_same(pilot, fast, stock)
        assert [str(k.value) for k in fast.rows] == ["prod-metrics", "agency"]

        fast.set_filter("")
        fast.sort_by("name")
        stock_fill(stock, fast, {})
        await assert_same(pilot, fast, stock)

        fast.set_token_states({"agency": "41:07", "enrich": "1:02:03 +1"})
        stock.update_cell("agency", "token", "41:07")
        stock.update_cell("enrich", "token", "1:02:03 +1")
        await assert_same(pilot, fast, stock)

        # styled states (red "expired", italic "fetching") keep their style through a
        # filter, which rebuilds every row from the states it holds
        states = {"agency": "expired", "enrich": "fetching", "prod-metrics": "12:00"}
        fast.set_token_states(states)
        fast.set_filter("e")
        stock_fill(stock, fast, states)
        await assert_same(pilot, fast, stock)
        colours = {text.strip(): style.color for line in screen_lines(fast)
                   for text, style in line if text.strip() in ("expired", "12:00")}
        assert colours["expired"] != colours["12:00"]  # red, not the row's colour
        red, green, blue = colours["expired"].get_truecolor()
        assert red > 2 * max(green, blue)


async def test_cells_drawn_without_rich_match_datatable_focused_hovered_and_themed(
        tmp_path: Path, monkeypatch):
    """The plain cells (most of them) skip Rich: each must still be DataTable's drawing,
    segment for segment, with the cursor on it, the mouse over it, in a light theme."""
    config = tmp_path / "profiles.toml"
    config.write_text(PROFILES)
    pf = load(config)
    drawn = []
    original = ProfileTable._draw_plain

    def counting(self, *args):
        lines = original(self, *args)
        drawn.append(lines is not None)
        return lines

    monkeypatch.setattr(ProfileTable, "_draw_plain", counting)
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast, stock = app.query_one(ProfileTable), app.query_one("#stock", DataTable)
        states = {"agency": "expired", "enrich": "fetching", "prod-metrics": "12:00"}
        fast.load(pf, keep="agency")
        fast.set_token_states(states)
        stock_fill(stock, fast, states)
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            for hover in ((), (0, 3)):  # no mouse; the mouse over row 2
                looks = []
                for table in (fast, stock):
                    table.focus()
                    table.hover_coordinate = Coordinate(*hover) if hover else Coordinate(0, 0)
                    table._show_hover_cursor = bool(hover)
                    await pilot.pause()
                    await pilot.pause()
                    looks.append(screen_lines(table))
                assert looks[0] == looks[1], (theme, hover)
    assert sum(drawn) >= 20 and not all(drawn)  # the fast path drew most, not the odd ones


def test_cell_width_is_what_datatable_measures():
    from rich.console import Console

    console = Console(width=200)
    values = ["prod-metrics", "", "--", "59:58", "1:02:03 +1", "数据导出 métriques",
              "[b]bold[/b] name", "a\nlonger second line", "ends with newline\n",
              "emoji :smile: code", "tab\there", Text("plain"), Text("two\nlines here"),
              Text("invalid", style="bold red"), Text("数据 [not markup]")]
    for value in values:
        expected = measure(console, default_cell_formatter(value, wrap=False, height=1), 1)
        assert cell_width(value) == expected, repr(value)


async def test_countdowns_repaint_the_cells_that_changed_and_only_once(tmp_path: Path):
    config = tmp_path / "profiles.toml"
    config.write_text(PROFILES)
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast = app.query_one(ProfileTable)
        fast.load(load(config), keep="prod-metrics")
        await pilot.pause()
        before = fast._update_count
        fast.set_token_states({"prod-metrics": "59:59", "agency": "59:59"})
        assert fast._update_count == before + 1  # one repaint for both cells
        await pilot.pause()
        assert "59:59" in fast.render_line(1).text  # row 0, under the header
        fast.set_token_states({"prod-metrics": "59:59", "agency": "59:59"})
        assert fast._update_count == before + 1  # nothing changed: nothing repainted
        fast.set_token_states({"prod-metrics": "59:58"})
        await pilot.pause()
        assert "59:58" in fast.render_line(1).text and "59:59" not in fast.render_line(1).text
        assert str(fast.get_cell("agency", "token")) == "59:59"


async def test_a_theme_change_repaints_the_kept_cells(tmp_path: Path):
    config = tmp_path / "profiles.toml"
    config.write_text(PROFILES)
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        app.theme = "textual-dark"
        fast = app.query_one(ProfileTable)
        fast.load(load(config), keep="prod-metrics")
        await pilot.pause()
        dark = screen_lines(fast)
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = screen_lines(fast)
        assert [[t for t, _ in line] for line in light] == [[t for t, _ in line] for line in dark]
        assert light[2] != dark[2]  # same text, other colours: nothing stale was reused


def test_sorting_puts_numbers_and_countdowns_in_their_real_order():
    from csauth_tui.ui.widgets.profile_table import natural_order, state_order

    projects = ["10", "9", "", "1002", "abc"]
    assert sorted(projects, key=natural_order) == ["9", "10", "1002", "", "abc"]
    states = ["--", "1:02:03", "09:59", "expired", "fetching", "59:58", "10:00 +1"]
    assert sorted(states, key=state_order) == [
        "expired", "09:59", "10:00 +1", "59:58", "1:02:03", "fetching", "--"]
