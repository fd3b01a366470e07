"""The main flows: select, pick scopes and project, get a token, copy it, see it expire."""

from __future__ import annotations

from csauth_tui.core.tokens import decode_jwt
from csauth_tui.ui.widgets.token_panel import TokenPanel

from .conftest import (
    SIZE,
    assert_no_secret,
    current_token,
    get_token,
    notes,
    row_names,
    screen_text,
    settle,
    status,
    toasts,
    token_cell,
    wait_until,
    widget_text,
)


async def test_start_focuses_the_table_on_the_first_profile(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.query_one("#profiles")
        assert row_names(app) == ["prod", "staging-export", "agency", "enrich", "sandbox"]
        assert app.query_one("#profiles").selected_name == "prod"
        assert app.main_screen.current == "prod"
        text = screen_text(app)
        assert "prod  project-level" in text
        assert "environment variable $CS_UI_PROD_SECRET" in text
        assert "No token yet" in text


async def test_pick_scopes_get_token_and_copy_it(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")  # focus the scope list of prod (metrics is preselected)
        picker = app.query_one("#scopes")
        assert app.focused is picker
        assert picker.selected == ["metrics"]
        picker.highlighted = 1  # data-export
        await pilot.press("space")
        await pilot.pause()
        assert picker.selected == ["metrics", "data-export"]
        await pilot.press("escape")  # back to the table
        assert app.focused is app.query_one("#profiles")

        await get_token(pilot, "g")
        token = current_token(app)
        assert token is not None and token.profile == "prod"
        assert "token ready" in status(app)
        sent = env.token_requests()[-1].body
        assert sent["scope"] == "metrics data-export" and sent["project_id"] == 1001
        assert sent["client_secret"] == "REDACTED"  # the fake redacts; it did get one
        assert decode_jwt(token.access_token)[1]["scope"] == "metrics data-export"
        assert token_cell(app, "prod") == "1:00:00"

        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == token.access_token
        copied = notes(app)[-1]
        assert "token for prod copied" in copied and "clears in 30 s" in copied
        assert token.access_token not in copied
        # the toast the user sees says the same, and never shows the token
        await wait_until(
            pilot,
            lambda: "token for prod copied, clears in 30 s" in toasts(app),
            what="the copy toast",
        )
        assert token.access_token not in toasts(app) + screen_text(app)
        assert "clipboard holds a secret: clears in 30 s" in screen_text(app)

        await pilot.press("h")
        await pilot.pause()
        assert app.clipboard == f"Authorization: Bearer {token.access_token}"
        assert "Authorization header for prod copied, clears in 30 s" in notes(app)[-1]

        await pilot.press("b")
        await pilot.pause()
        assert app.clipboard == env.fake.url
        assert "base URL for prod copied" in notes(app)[-1]
        assert "clears in" not in notes(app)[-1]  # not a secret: not wiped

        await pilot.press("u")
        await pilot.pause()
        assert app.clipboard == (
            f"curl -sS -H 'Authorization: Bearer {token.access_token}' "
            f"'{env.fake.url}/v1/segments?projectId=1001'"
        )
        assert "curl probe command for prod copied, clears in 30 s" in notes(app)[-1]

        for note in notes(app):
            assert token.access_token not in note
        assert len(env.token_requests()) == 1  # every copy used the token already held
        assert_no_secret(app)


async def test_enter_gets_a_token_too(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot, "enter")
        assert current_token(app) is not None
        assert len(env.token_requests()) == 1


async def test_copy_without_a_token_fetches_one_first(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        token = current_token(app)
        assert token is not None
        assert app.clipboard == token.access_token


async def test_clipboard_is_cleared_after_the_delay(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        await pilot.press("c")
        await pilot.pause()
        token = current_token(app)
        assert app.clipboard == token.access_token
        env.clock.advance(20)
        app.main_screen.tick()
        await pilot.pause()
        assert app.clipboard == token.access_token
        assert "clears in 10 s" in screen_text(app)
        env.clock.advance(11)
        app.main_screen.tick()
        await pilot.pause()
        assert app.clipboard.strip() == ""  # overwritten (with a blank)
        assert "clipboard cleared" in notes(app)[-1]
        assert "clipboard holds a secret" not in screen_text(app)


async def test_clipboard_is_cleared_on_quit(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await get_token(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.startswith("eyJ")
        await pilot.press("q")
        await pilot.pause()
    assert app.clipboard.strip() == ""  # overwritten (with a blank)
    assert app.return_value == 0


async def test_enrichment_is_exclusive_both_ways(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        picker = app.query_one("#scopes")
        picker.highlighted = 1
        await pilot.press("space")  # metrics + data-export
        assert picker.selected == ["metrics", "data-export"]
        picker.highlighted = 2  # enrichment
        await pilot.press("space")
        await pilot.pause()
        assert picker.selected == ["enrichment"]
        assert (
            "enrichment cannot be combined with other scopes: the others were cleared"
            in notes(app)[-1]
        )
        await wait_until(
            pilot, lambda: "the others were cleared" in toasts(app), what="the enrichment notice"
        )

        picker.highlighted = 0  # metrics again
        await pilot.press("space")
        await pilot.pause()
        assert picker.selected == ["metrics"]
        assert "enrichment cannot be combined with other scopes: it was cleared" in notes(app)[-1]
        assert app.session.choices["prod"].scopes == ("metrics",)


async def test_enrichment_alone_gets_its_own_token(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.select_profile("enrich")
        await pilot.pause()
        assert app.query_one("#scopes").selected == ["enrichment"]
        await get_token(pilot)
        assert env.token_requests()[-1].body["scope"] == "enrichment"
        assert current_token(app).scopes == ("enrichment",)


async def test_account_level_without_project_is_refused_before_sending(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.main_screen.select_profile("agency")
        await pilot.pause()
        assert "account-level: a project_id is required" in screen_text(app)
        await get_token(pilot)
        assert env.token_requests() == []  # nothing reached the API
        assert current_token(app) is None
        assert "Not sent" in status(app)
        assert "account-level credential" in status(app)
        assert "Not sent: profile 'agency' is an account-level credential" in status(app)
        assert not any("account-level credential" in n for n in notes(app))  # said once
        assert "Traceback" not in screen_text(app)

        # typing a project id makes it work
        await pilot.press("p")
        assert app.focused is app.query_one("#project")
        await pilot.press("1", "0", "0", "2")
        await pilot.press("escape")
        assert app.focused is app.query_one("#profiles")
        assert "a project_id is required" not in screen_text(app)
        await get_token(pilot)
        assert env.token_requests()[-1].body["project_id"] == 1002
        token = current_token(app)
        assert token.project_id == 1002
        assert "project 1002" in screen_text(app)


async def test_a_project_that_is_not_a_positive_integer_is_refused(env):
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.main_screen.select_profile("agency")
        await pilot.pause()
        await pilot.press("p")
        await pilot.press("a", "b", "c")  # an integer field takes no letters
        assert app.query_one("#project").value == ""
        await pilot.press("minus", "3")
        assert app.query_one("#project").value == "-3"
        await pilot.press("escape")
        await get_token(pilot)
        assert env.token_requests() == []
        assert "project_id '-3' is not a positive whole number" in status(app)
        assert not any("positive whole number" in n for n in notes(app))  # said once

        await pilot.press("p")
        await pilot.press("backspace", "backspace", "0")
        await pilot.press("escape")
        await get_token(pilot)
        assert env.token_requests() == []
        assert "project_id '0' is not a positive whole number" in status(app)


async def test_reveal_toggle(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot.pause()
        assert "no token to reveal yet" in notes(app)[-1]
        await get_token(pilot)
        token = current_token(app).access_token
        panel = app.query_one(TokenPanel)
        assert token not in screen_text(app)
        assert token not in widget_text(app.query_one("#token-value"))
        assert "masked: v reveals" in screen_text(app)
        assert token[:6] + "…" + token[-6:] in screen_text(app)

        await pilot.press("v")
        await pilot.pause()
        assert panel.revealed
        assert token in widget_text(app.query_one("#token-value")).replace("\n", "")
        assert "masked: v reveals" not in screen_text(app)

        await pilot.press("v")
        await pilot.pause()
        assert token not in widget_text(app.query_one("#token-value"))
        # moving to another profile masks again
        await pilot.press("v")
        await pilot.press("j")
        await pilot.press("k")
        await pilot.pause()
        assert not panel.revealed
        assert token not in widget_text(app.query_one("#token-value"))


async def test_me_shows_known_fields_tree_and_fills_the_project_pick_list(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.select_profile("agency")
        await pilot.pause()
        assert "/me not loaded" in widget_text(app.query_one("#me-summary"))
        assert "projects from /me" not in screen_text(app)  # no pick list without /me
        await pilot.press("m")
        await settle(pilot)
        summary = widget_text(app.query_one("#me-summary"))
        assert "scopes    metrics data-export surveys" in summary
        assert "projects  1001 Demo shop, 1002 Demo shop (staging), 1003 Demo blog" in summary
        tree = app.query_one("#me-tree")
        assert tree.display
        labels = {str(node.label) for node in _walk(tree.root)}
        assert any("Agency reporting" in label for label in labels)
        assert any("permissions" in label for label in labels)
        assert "Agency reporting" in screen_text(app)
        pick = app.query_one("#project-pick")
        assert pick.display and "projects from /me" in screen_text(app)
        # the pick list offers the projects /me reported; choosing one fills project_id
        await pilot.click("#project-pick")
        await pilot.pause()
        listed = screen_text(app)
        for line in ("1001  Demo shop", "1002  Demo shop (staging)", "1003  Demo blog"):
            assert line in listed
        await pilot.press("end", "enter")  # the last one: 1003
        await pilot.pause()
        assert pick.value == 1003
        assert app.query_one("#project").value == "1003"
        await pilot.press("escape")
        await get_token(pilot)
        assert env.token_requests()[-1].body["project_id"] == 1003
        assert_no_secret(app)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_test_token_shows_the_probe_result(env):
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert "no token to test yet" in notes(app)[-1]
        await get_token(pilot)
        await pilot.press("t")
        await settle(pilot)
        probe = widget_text(app.query_one("#token-probe"))
        assert "test: works" in probe and "200 OK: 4 segments" in probe
