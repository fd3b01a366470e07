"""Moving around: filter, sort, j/k, help, the command palette, remapped keys."""

from __future__ import annotations

from textual.command import CommandPalette

from csauth_tui.ui.screens.help import HelpScreen

from .conftest import (
    SIZE,
    current_token,
    get_token,
    notes,
    profiles_text,
    row_names,
    screen_text,
    settle,
    status,
    wait_until,
)

ALL = ["prod", "staging-export", "agency", "enrich", "sandbox"]


async def test_filter_narrows_rows_and_escape_clears_it(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        assert "filter profiles" not in screen_text(app)  # no box until / asks for one
        await pilot.press("slash")
        box = app.query_one("#filter")
        assert box.display and app.focused is box
        await pilot.press(*"stag")
        await pilot.pause()
        assert row_names(app) == ["staging-export"]
        assert app.main_screen.current == "staging-export"
        text = screen_text(app)
        assert "staging-export" in text and " agency " not in text
        # letters typed in the filter are not commands: no token was asked for
        assert env.token_requests() == []

        await pilot.press("escape")
        await pilot.pause()
        assert row_names(app) == ALL
        assert not box.display and box.value == ""
        assert "filter profiles" not in screen_text(app)
        assert app.focused is app.query_one("#profiles")
        assert app.main_screen.current == "staging-export"  # the selection is kept

        await pilot.press("slash", *"agen")  # the same box again, empty
        await pilot.pause()
        assert len(app.query("#filter")) == 1
        assert box.display and app.focused is box and row_names(app) == ["agency"]


async def test_filter_matches_level_and_several_words(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"account")
        await pilot.pause()
        assert row_names(app) == ["agency"]
        await pilot.press(*["backspace"] * 7, *"project metrics")
        await pilot.pause()
        assert row_names(app) == ["prod", "sandbox"]
        await pilot.press(*"zzz")
        await pilot.pause()
        assert row_names(app) == []
        await pilot.press("q", "question_mark", "g")  # typed into the box: no quit, no help
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, HelpScreen)
        assert app.query_one("#filter").value.endswith("zzzq?g")
        await pilot.press("escape")
        await pilot.pause()
        assert row_names(app) == ALL


async def test_enter_in_the_filter_returns_to_the_table_then_gets_a_token(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"sand", "enter")
        await pilot.pause()
        assert app.focused is app.query_one("#profiles")
        assert row_names(app) == ["sandbox"]
        assert env.token_requests() == []
        await get_token(pilot, "enter")
        assert current_token(app).profile == "sandbox"


async def test_sort_cycles_columns_with_o(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert row_names(app) == ["agency", "enrich", "prod", "sandbox", "staging-export"]
        assert "sorted by name" in notes(app)[-1]
        assert app.main_screen.current == "prod"  # the selected profile stays selected
        await pilot.press("o")  # the same column, descending
        await pilot.pause()
        assert "sorted by name ▼" in notes(app)[-1]
        assert row_names(app) == ["staging-export", "sandbox", "prod", "enrich", "agency"]
        await pilot.press("o", "o", "o")  # then the next column in the order shown
        await pilot.pause()
        assert "sorted by level ▲" in notes(app)[-1]
        assert row_names(app)[0] == "agency"
        assert row_names(app)[1:] == ["prod", "staging-export", "enrich", "sandbox"]
        await pilot.press(*"o" * 6)  # past the last column's descending: the file's order
        await pilot.pause()
        assert "in file order" in notes(app)[-1]
        assert row_names(app) == ALL


async def test_clicking_a_header_sorts_by_it_and_again_reverses(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#profiles", offset=(2, 0))  # "Profile"
        await pilot.pause()
        assert row_names(app) == ["agency", "enrich", "prod", "sandbox", "staging-export"]
        await pilot.click("#profiles", offset=(2, 0))
        await pilot.pause()
        assert row_names(app) == ["staging-export", "sandbox", "prod", "enrich", "agency"]
        assert screen_text(app).index("staging-export") < screen_text(app).index("agency")


async def test_j_and_k_move_the_selection(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert app.main_screen.current == "staging-export"
        assert "staging-export  project-level" in screen_text(app)
        await pilot.press("j", "j")
        await pilot.pause()
        assert app.main_screen.current == "enrich"
        await pilot.press("k")
        await pilot.pause()
        assert app.main_screen.current == "agency"
        await pilot.press("down")
        await pilot.pause()
        assert app.main_screen.current == "enrich"


async def test_help_lists_the_bindings(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = [" ".join(line.split()) for line in screen_text(app).splitlines()]
        for key, what in (
            ("enter / g", "get a token"),
            ("c", "copy the token"),
            ("h", "copy the Authorization"),
            ("u", "copy a curl command"),
            ("b", "copy the API base URL"),
            ("v", "reveal / mask"),
            ("m", "load /me"),
            ("t", "test the token"),
            ("/", "filter the"),
            ("a", "add a profile"),
            ("e", "edit"),
            ("delete / x", "delete the"),
            ("i", "import profiles"),
            ("?", "this help"),
            ("q", "quit"),
            ("j / k", "down / up"),
            ("ctrl+p", "command palette"),
        ):
            assert any(f" {key} {what}" in f" {line.strip(' █▌▐')}" for line in lines), key
        await pilot.press("g")  # keys of the main screen do nothing under the help
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert env.token_requests() == []


async def palette_prompts(app, pilot, query: str) -> list[str]:
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*query)
    from textual.command import CommandList

    results = app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: results.option_count > 0, what="palette results")
    await pilot.pause(0.3)  # every provider has answered
    return [
        str(results.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(results.option_count)
    ]


async def test_command_palette_has_our_commands_and_textuals(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        prompts = await palette_prompts(app, pilot, "switch to profile")
        for name in ALL:
            assert f"Switch to profile {name}" in prompts
        await pilot.press("escape")
        await pilot.pause()

        prompts = await palette_prompts(app, pilot, "theme")
        assert any("theme" in p.lower() for p in prompts)  # Textual's own, kept
        await pilot.press("escape")
        await pilot.pause()

        prompts = await palette_prompts(app, pilot, "agency")
        assert prompts[0] == "Switch to profile agency"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main_screen.current == "agency", what="the switch")
        assert app.focused is app.query_one("#profiles")

        prompts = await palette_prompts(app, pilot, "get token")
        assert prompts[0] == "Get token"
        await pilot.press("enter")
        await settle(pilot)
        # agency has no project: refused, and nothing was sent
        assert "account-level" in status(app)
        assert env.token_requests() == []


async def test_keys_table_remaps_a_binding(env):
    env.write(profiles_text(env.fake.url, extra='\n[keys]\ncopy_token = "y"\n'))
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]  # the footer follows
        assert " y Copy " in f"{footer} " and " c Copy " not in f"{footer} "
        await get_token(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == ""
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == current_token(app).access_token
        await pilot.press("question_mark")
        await pilot.pause()
        assert any(
            " ".join(line.split()).startswith("y copy the token")
            for line in (ln.strip(" █▌▐") for ln in screen_text(app).splitlines())
        )


async def test_unknown_key_ids_are_reported(env):
    env.write(profiles_text(env.fake.url, extra='\n[keys]\ncopy_tokens = "y"\n'))
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert '[keys] copy_tokens = "y": no such action' in notes(app)[0]
        await pilot.press("c")  # the default still works
        await settle(pilot)
        assert app.clipboard == current_token(app).access_token
