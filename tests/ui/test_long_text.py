"""Long foreign text keeps the layout: a 500-character description, a 64-character name in
the dialogs' questions and titles, a name the rule refused (any length) in the "Fix" form.
Names are cut with "…" (32 cells in a title); a description ends in "…" after 3 lines."""

from __future__ import annotations

from csauth_tui.ui.screens.confirm_delete import ConfirmDelete
from csauth_tui.ui.screens.confirm_secret import ConfirmReplaceSecret
from csauth_tui.ui.screens.profile_form import ProfileForm

from .conftest import profiles_text, screen_text, wait_until, widget_text
from .test_small_terminals import detail_lines

LONG_NAME = "team-analytics-" + "north-emea-" * 3 + "nightly-exports1"  # 64 characters
SHOWN = "team-analytics-north-emea-north…"  # 32 cells
LONG_DESCRIPTION = " ".join(f"word{i:03d}" for i in range(70))[:500]
REFUSED_NAME = "z" * 300  # longer than the name rule allows: the profile cannot be used


def with_long_texts(url: str) -> str:
    text = (
        profiles_text(url)
        .replace("[profiles.prod]", f"[profiles.{LONG_NAME}]")
        .replace('description = "BI sync"', f'description = "{LONG_DESCRIPTION}"')
    )
    return (
        text
        + f"""
[profiles.{REFUSED_NAME}]
level = "project"
client_id = "refused-client-0009"
scopes = ["metrics"]
"""
    )


def index_of(lines: list[str], label: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(label))


def test_the_long_name_is_64_characters():
    assert len(LONG_NAME) == 64 and len(LONG_DESCRIPTION) == 500


async def test_a_500_character_description_takes_three_lines(env):
    env.write(with_long_texts(env.fake.url))
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = detail_lines(app)
        about = lines[index_of(lines, "about") : index_of(lines, "client_id")]
        assert len(about) == 3 and about[-1].endswith("…"), about
        assert about[0].startswith("about     word000 word001")
        shown = "\n".join(lines)
        assert "client_id" in shown and "auth URL" in shown  # the rows after it still show


async def test_a_500_character_description_without_spaces_keeps_the_layout(env):
    env.write(with_long_texts(env.fake.url).replace(LONG_DESCRIPTION, "x" * 500))
    app = env.app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = detail_lines(app)
        about = lines[index_of(lines, "about") : index_of(lines, "client_id")]
        assert about[0] == "about"  # 60x20: each label above its value
        assert len(about) == 4 and about[-1].endswith("x…"), about
        assert "client_id" in lines  # the row after it still shows


async def test_the_delete_question_cuts_a_long_name(env):
    env.write(with_long_texts(env.fake.url))
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("x")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmDelete), what="the delete confirmation"
        )
        question = widget_text(app.screen.query_one("#delete-question"))
        assert f"Delete profile '{SHOWN}'?" in question
        lines = screen_text(app).splitlines()
        assert len([line for line in lines if f"Delete profile '{SHOWN}'?" in line]) == 1
        assert not any("exports1" in line for line in lines)  # no end of the name wrapped below


async def test_the_edit_and_duplicate_titles_cut_a_long_name(env):
    env.write(with_long_texts(env.fake.url))
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key, verb in (("e", "Edit"), ("d", "Duplicate")):
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ProfileForm), what="the form")
            title = widget_text(app.screen.query_one("#form-title"))
            assert title == f"{verb} {SHOWN}"
            await pilot.press("escape")
            await wait_until(
                pilot, lambda: not isinstance(app.screen, ProfileForm), what="the form closed"
            )


async def test_a_refused_name_of_any_length_is_cut_in_the_panel_and_the_fix_form(env):
    env.write(with_long_texts(env.fake.url))
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.main_screen.select_profile(REFUSED_NAME)
        await pilot.pause()
        panel = widget_text(app.query_one("#credential"))
        first = panel.splitlines()[0]
        assert first.startswith("z" * 47 + "…: this profile cannot be used"), first
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileForm), what="the form")
        title = widget_text(app.screen.query_one("#form-title"))
        assert title == "Fix " + "z" * 31 + "…"


async def test_the_replace_secret_question_cuts_long_names(env):
    app = env.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.push_screen(ConfirmReplaceSecret("shared-client-0001", [LONG_NAME, "prod"]))
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmReplaceSecret), what="the question"
        )
        text = widget_text(app.screen.query_one("#replace-secret-text"))
        assert f"Used by: {SHOWN}, prod." in text
        assert "exports1" not in text
