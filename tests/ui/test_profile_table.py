"""The profile table: a Line API widget of our own. It must look like the DataTable it
replaced (character for character, colour for colour), and do what users check: sort with
arrows and back to the file's order, cap long names, say when a filter matches nothing,
show hostile text inert, move with keys and mouse, repaint only changed countdowns."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.containers import Horizontal
from textual.geometry import Region
from textual.widgets import DataTable, Static

from csauth_tui.core.profiles import load
from csauth_tui.ui.widgets.profile_table import COLUMNS, NAME_CAP, TOKEN_WIDTH, ProfileTable

from .conftest import SIZE, profiles_text, row_names, screen_text, settle

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

    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[str] = []

    def compose(self):
        with Horizontal():
            yield ProfileTable(id="fast")
            yield DataTable(id="stock", cursor_type="row", zebra_stripes=True)
        yield Static("focus sink", id="sink")

    def on_mount(self) -> None:
        stock = self.query_one("#stock", DataTable)
        for label, key in COLUMNS:
            stock.add_column(label, key=key, width=TOKEN_WIDTH if key == "token" else None)

    def on_profile_table_chosen(self, event: ProfileTable.Chosen) -> None:
        self.chosen.append(event.name)


def stock_fill(stock: DataTable, table: ProfileTable) -> None:
    """What the table showed when it was a DataTable: add_row per shown row, the cursor
    on the same profile."""

    def cell(name: str, key: str) -> Text:  # Text: a str would be read as markup
        value = table.get_cell(name, key)
        style = {"invalid": "bold red", "expired": "red", "fetching": "italic"}.get(value, "")
        return Text(value, style=style)

    stock.clear()
    for name in table.shown_names:
        stock.add_row(*(cell(name, key) for _, key in COLUMNS), key=name)
    if table.selected_name in stock.rows:
        stock.move_cursor(row=stock.get_row_index(table.selected_name), animate=False)


def looks(widget) -> list[list[tuple]]:
    """Every visible line, character by character: (char, colour, background, bold,
    italic), as the terminal shows it, whatever the segments."""
    width, height = widget.size
    lines = []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        line = []
        for seg in strip:
            style = seg.style
            for char in seg.text:
                line.append(
                    (char, style.color, style.bgcolor, bool(style.bold), bool(style.italic))
                    if style
                    else (char,)
                )
        lines.append(line)
    return lines


def text_of(widget) -> list[str]:
    return ["".join(c[0] for c in line) for line in looks(widget)]


def write(tmp_path: Path, text: str = PROFILES) -> Path:
    config = tmp_path / "profiles.toml"
    config.write_text(text)
    return config


async def test_the_table_looks_like_the_datatable_it_replaced(tmp_path: Path):
    """Same characters, colours and backgrounds on every line, focused or not, hovered or
    not, in a dark and a light theme, with red "expired" and italic "fetching" cells."""
    pf = load(write(tmp_path))
    assert len(pf.order) == 6 and len(pf.profiles) == 4  # two invalid rows among them
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast, stock = app.query_one(ProfileTable), app.query_one("#stock", DataTable)
        fast.load(pf, keep="agency")
        fast.set_token_states({"agency": "expired", "enrich": "fetching", "prod-metrics": "12:00"})
        stock_fill(stock, fast)
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            for focused in (True, False):
                for table in (fast, stock):
                    table.focus() if focused else app.set_focus(None)
                    await pilot.pause()
                    await pilot.pause()
                    table.looked = looks(table)
                assert fast.looked == stock.looked, (theme, focused)
            for table in (fast, stock):  # the mouse over the second row
                table.focus()
                await pilot.hover(table, offset=(3, 2))
                await pilot.pause()
                await pilot.pause()
                table.looked = looks(table)
            assert fast.looked == stock.looked, (theme, "hover")
            await pilot.hover("#sink")
        fast.select_name("prod-metrics")  # the cursor's colour wins over a cell's own
        await pilot.pause()
        lines = looks(fast)
        expired = next(line for line in lines if "expired" in "".join(c[0] for c in line))
        at = "".join(c[0] for c in expired).index("expired")
        red, green, blue = expired[at][1].get_truecolor()
        assert red > 2 * max(green, blue)  # "expired" is red, the row's text is not


async def test_sorting_shows_arrows_goes_descending_and_back_to_file_order(tmp_path: Path):
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast = app.query_one(ProfileTable)
        fast.load(load(write(tmp_path)), keep="agency")
        await pilot.pause()
        file_order = fast.shown_names
        header = text_of(fast)[0]
        assert "▲" not in header and "▼" not in header

        order = []
        for _ in range(11):
            order.append(fast.cycle_sort())
        assert order == [
            ("name", False),
            ("name", True),
            ("token", False),
            ("token", True),
            ("level", False),
            ("level", True),
            ("project", False),
            ("project", True),
            ("scopes", False),
            ("scopes", True),
            None,
        ]
        assert fast.shown_names == file_order

        fast.cycle_sort()
        await pilot.pause()
        assert " Profile ▲ " in text_of(fast)[0]
        assert fast.shown_names == sorted(file_order, key=str.lower)
        assert fast.selected_name == "agency"  # the cursor stays on its profile
        fast.cycle_sort()
        await pilot.pause()
        assert " Profile ▼ " in text_of(fast)[0]
        assert fast.shown_names == sorted(file_order, key=str.lower, reverse=True)

        # a click on a header: by that column, again descending, a third time file order
        x = text_of(fast)[0].index("Project")
        await pilot.click(fast, offset=(x, 0))
        await pilot.pause()
        header = text_of(fast)[0]
        assert "Project ▲" in header and "Profile ▼" not in header and "Profile ▲" not in header
        projects = [fast.get_cell(name, "project") for name in fast.shown_names]
        assert projects[:3] == ["1001", "1002", "1003"]
        await pilot.click(fast, offset=(x, 0))
        await pilot.pause()
        assert "Project ▼" in text_of(fast)[0]
        assert [fast.get_cell(n, "project") for n in fast.shown_names][-3:] == [
            "1003",
            "1002",
            "1001",
        ]
        await pilot.click(fast, offset=(x, 0))
        await pilot.pause()
        assert "▲" not in text_of(fast)[0] and "▼" not in text_of(fast)[0]
        assert fast.shown_names == file_order


async def test_o_in_the_app_cycles_with_arrows_on_screen(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert "Profile ▲" in screen_text(app)
        await pilot.press("o", "o")
        await pilot.pause()
        assert "Token ▲" in screen_text(app) and "Profile ▲" not in screen_text(app)


async def test_long_names_are_capped_with_an_ellipsis_and_give_their_room_back(tmp_path):
    long = "team-" + "x" * 60 + "-end"
    text = PROFILES + f'\n[profiles.{long}]\nclient_id = "c-9"\nscopes = ["metrics"]\n'
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast = app.query_one(ProfileTable)
        fast.load(load(write(tmp_path, text)), keep=long)
        await pilot.pause()
        lines = text_of(fast)
        shown = fast.get_cell(long, "name")
        assert len(shown) == NAME_CAP and shown.endswith("…") and shown.startswith("team-xxx")
        assert any(f" {shown} " in line for line in lines)
        assert lines[0].index("Token") == NAME_CAP + 2 + 1  # the column stops at the cap
        assert fast.selected_name == long  # the row is still the whole name's

        fast.load(load(write(tmp_path, PROFILES)))  # deleted: its width goes too
        await pilot.pause()
        assert text_of(fast)[0].index("Token") == len(" bad [b]name[/b] ") + 1


async def test_a_filter_that_matches_nothing_says_so(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"xyz")
        await pilot.pause()
        assert row_names(app) == []
        assert "no profile matches 'xyz'" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "no profile matches" not in screen_text(app)


async def test_cells_from_the_file_are_shown_inert(env):
    """A name and a scope holding escape sequences (a screen clear, an OSC 52 clipboard
    write) show as text, `\\x1b`, never as an escape the terminal obeys; so does the
    reason a row is invalid."""
    evil = profiles_text(env.fake.url) + (
        '\n[profiles."evil\\u001b[2Jname"]\nclient_id = "evil-client"\n'
        '\n[profiles.odd-scope]\nclient_id = "odd-client"\n'
        'scopes = ["metrics\\u001b]52;c;aGk=\\u0007"]\n'
    )
    env.write(evil)
    app = env.app()
    async with app.run_test(size=(240, 40)) as pilot:
        await pilot.pause()
        table = app.query_one(ProfileTable)
        name = "evil\x1b[2Jname"
        assert name in table.shown_names and "odd-scope" in table.shown_names
        assert table.get_cell(name, "name") == "evil\\x1b[2Jname"
        assert table.get_cell("odd-scope", "scopes") == "metrics\\x1b]52;c;aGk=\\x07"
        drawn = "\n".join(text_of(table))
        assert "\x1b" not in drawn and "\x07" not in drawn
        assert " evil\\x1b[2Jname " in drawn
        assert "metrics\\x1b]52;c;aGk=\\x07" in drawn
        shown = screen_text(app)
        assert "\x1b" not in shown and "evil\\x1b[2Jname" in shown


async def test_keys_and_mouse_move_the_cursor_and_keep_it_in_view(env):
    many = "".join(
        f'\n[profiles.p{i:03d}]\nclient_id = "c-{i}"\nscopes = ["metrics"]\n' for i in range(100)
    )
    env.write(profiles_text(env.fake.url) + many)
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(ProfileTable)
        names = table.shown_names
        await pilot.press("end")
        await pilot.pause()
        assert app.main_screen.current == names[-1] and names[-1] in screen_text(app)
        await pilot.press("home")
        await pilot.pause()
        assert app.main_screen.current == names[0] and table.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        page = table.scrollable_content_region.height - 1
        assert app.main_screen.current == names[page]
        assert f" {names[page]} " in screen_text(app)
        await pilot.press("pageup", "j", "j", "k")
        await pilot.pause()
        assert app.main_screen.current == names[1]

        # a click on another row selects it; a click on the selected row gets its token
        await pilot.click(table, offset=(3, 1))  # the first row under the header
        await pilot.pause()
        assert app.main_screen.current == names[0] == "prod"
        assert env.token_requests() == []
        await pilot.click(table, offset=(3, 1))
        await settle(pilot)
        assert len(env.token_requests()) == 1


async def test_a_countdown_tick_draws_only_the_rows_that_changed(tmp_path: Path, monkeypatch):
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        fast = app.query_one(ProfileTable)
        fast.load(load(write(tmp_path)), keep="prod-metrics")
        await pilot.pause()
        drawn: list[int] = []
        original = ProfileTable.render_line

        def spy(self, y):
            drawn.append(y)
            return original(self, y)

        monkeypatch.setattr(ProfileTable, "render_line", spy)
        fast.set_token_states({"prod-metrics": "59:59", "agency": "59:59"})
        await pilot.pause()
        assert sorted(set(drawn)) == [1, 2]  # rows 0 and 1, under the header
        assert "59:59" in text_of(fast)[1] and "59:59" in text_of(fast)[2]
        drawn.clear()
        fast.set_token_states({"prod-metrics": "59:59", "agency": "59:59"})
        await pilot.pause()
        assert drawn == []  # nothing changed: nothing drawn
        fast.set_token_states({"agency": "59:58"})
        await pilot.pause()
        assert sorted(set(drawn)) == [2]
        assert fast.get_cell("agency", "token") == "59:58"


async def test_a_theme_change_repaints_the_kept_lines(tmp_path: Path):
    app = Tables()
    async with app.run_test(size=(160, 20)) as pilot:
        app.theme = "textual-dark"
        fast = app.query_one(ProfileTable)
        fast.load(load(write(tmp_path)), keep="prod-metrics")
        await pilot.pause()
        dark = looks(fast)
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = looks(fast)
        assert [[c[0] for c in line] for line in light] == [[c[0] for c in line] for line in dark]
        assert light[2] != dark[2]  # same text, other colours: nothing stale was reused


def test_sorting_puts_numbers_and_countdowns_in_their_real_order():
    from csauth_tui.ui.widgets.profile_table import natural_order, state_order

    projects = ["10", "9", "", "1002", "abc"]
    assert sorted(projects, key=natural_order) == ["9", "10", "1002", "", "abc"]
    states = ["--", "1:02:03", "09:59", "expired", "fetching", "59:58", "10:00 +1"]
    assert sorted(states, key=state_order) == [
        "expired",
        "09:59",
        "10:00 +1",
        "59:58",
        "1:02:03",
        "fetching",
        "--",
    ]
