"""The app's import (`i`) trusts a foreign file as little as `csauth import` does: a row with
a secret source or an auth_url is refused unless its opt-in is ticked, the preview lists
what an opt-in lets in, a different keyring secret is kept unless replacing is ticked.
Driven through Pilot, against the fake API on loopback."""

from __future__ import annotations

import keyring
from textual import events

from csauth_tui.core.profiles import load
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from csauth_tui.ui.screens.import_screen import ImportScreen

from .conftest import CREDENTIALS, SIZE, get_token, notes, row_names, settle, wait_until

SERVICE = "csauth-tui"
STORED = "sentinel-ui-trust-stored-secret-0a9c4f"
FILE_SECRET = "sentinel-ui-trust-file-secret-7be213"


async def open_import(pilot, path) -> ImportScreen:
    await pilot.press("i")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ImportScreen), what="the import screen"
    )
    field = pilot.app.screen.query_one("#import-path")
    field.focus()
    await pilot.pause()
    field.post_message(events.Paste(str(path)))
    await pilot.pause()
    await pilot.click("#preview")
    await pilot.pause()
    return pilot.app.screen


def preview_rows(screen) -> dict[str, list[str]]:
    """profile -> [where, action, lets in, why], as the preview shows them."""
    table = screen.query_one("#import-preview")
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return {r[1]: [r[0], *r[2:]] for r in rows}


async def tick(pilot, selector: str) -> None:
    await pilot.click(selector)
    await pilot.pause()


async def test_rows_that_would_steer_secrets_are_refused_unless_ticked(env, tmp_path):
    marker = tmp_path / "MARKER"
    with FakeContentsquare(CREDENTIALS) as elsewhere:
        team = tmp_path / "team.csv"
        team.write_text(
            "name,level,client_id,scopes,description,secret,auth_url\n"
            f"scripted,project,prod-client-0001,metrics,,cmd:sh -c 'touch {marker}'\x1b[2J,\n"
            f"prod,project,prod-client-0001,metrics,,,{elsewhere.url}\n"
            "prod-copy,project,prod-client-0001,metrics,same credential,,\n"
        )
        app = env.app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_import(pilot, team)
            shown = preview_rows(screen)
            assert shown["scripted"][1] == "reject"
            assert (
                f"secret source cmd:sh -c 'touch {marker}'\\x1b[2J refused: an import "
                "takes one only with --allow-secret-sources"
            ) in shown["scripted"][3]
            await tick(pilot, "#import-overwrite")
            shown = preview_rows(screen)
            assert shown["prod"][1] == "reject"  # refused, not replaced
            assert f"auth_url {elsewhere.url} refused" in shown["prod"][3]
            assert shown["prod-copy"][1] == "add"  # one client_id, two profiles: fine
            assert "shares its client_id with 'prod'" in shown["prod-copy"][3]

            await tick(pilot, "#import-allow-sources")  # what it lets in, row by row
            shown = preview_rows(screen)
            assert shown["scripted"][1:3] == [
                "add",
                f"secret source: cmd:sh -c 'touch {marker}'\\x1b[2J",
            ]
            assert shown["prod"][1] == "reject"  # its auth_url needs its own opt-in
            await tick(pilot, "#import-allow-url")
            shown = preview_rows(screen)
            assert shown["prod"][1:3] == ["replace", f"auth_url: {elsewhere.url} (was the default)"]

            await tick(pilot, "#import-allow-sources")  # both off again: data only
            await tick(pilot, "#import-allow-url")
            assert [v[1] for v in preview_rows(screen).values()] == ["reject", "reject", "add"]
            await pilot.click("#import")
            await wait_until(pilot, lambda: "prod-copy" in row_names(app), what="the import")
            await settle(pilot)

            await get_token(pilot)  # prod, the first profile, as the file left it
            await settle(pilot)
        profiles = load(env.config).profiles
        assert "scripted" not in profiles and profiles["prod"].auth_url is None
        assert profiles["prod-copy"].client_id == profiles["prod"].client_id
        assert len(env.token_requests()) == 1 and elsewhere.requests == []
        assert not marker.exists()


async def test_a_different_keyring_secret_is_kept_unless_replacing_is_ticked(
    env, tmp_path, memory_keyring
):
    keyring.set_password(SERVICE, "kept-client-0077", STORED)
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,scopes,client_secret\n"
        f"kept,project,kept-client-0077,metrics,{FILE_SECRET}\n"
    )
    app = env.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_import(pilot, team)
        await pilot.click("#import")
        await wait_until(pilot, lambda: "kept" in row_names(app), what="the import")
        await settle(pilot)
        said = next(n for n in notes(app) if "imported" in n)
        assert "1 secret(s) or profile(s) refused" in said
        assert "kept: client_secret NOT imported: the keyring already holds" in said
        assert keyring.get_password(SERVICE, "kept-client-0077") == STORED

        # replacing is ticked, but Contentsquare refuses the file's secret: kept
        team.write_text(team.read_text().replace("kept,", "kept-2,"))
        app.clear_notifications()  # the toast would cover the Import button
        await open_import(pilot, team)
        await tick(pilot, "#import-replace")
        await pilot.click("#import")
        await wait_until(pilot, lambda: "kept-2" in row_names(app), what="the import")
        await settle(pilot)
        said = next(n for n in notes(app) if "imported" in n)
        assert "the API refused the new one" in said
        assert keyring.get_password(SERVICE, "kept-client-0077") == STORED

        # the credential was rotated in the console: the new secret is proved, then stored
        env.fake.add_credential(
            FakeCredential("kept-client-0077", FILE_SECRET, scopes=("metrics",))
        )
        team.write_text(team.read_text().replace("kept-2,", "kept-3,"))
        app.clear_notifications()
        await open_import(pilot, team)
        await tick(pilot, "#import-replace")
        await pilot.click("#import")
        await wait_until(pilot, lambda: "kept-3" in row_names(app), what="the import")
        await settle(pilot)
    assert keyring.get_password(SERVICE, "kept-client-0077") == FILE_SECRET
