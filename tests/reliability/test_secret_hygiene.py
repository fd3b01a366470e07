"""Secret hygiene, part 2: what a user (or an attacker reading over their shoulder, their
`ps`, their files, their clipboard) could see of a client secret or an access token.

1. argv: a secret or a token never goes on the command line of a process csauth starts
   (`csauth exec`, a `cmd:` secret source, the clipboard tools, tmux): `exec` hands the token
   over in the environment only, a tool gets the text on stdin.
2. The profiles file and the token cache that csauth writes are 0600 (their directories
   0700), from the CLI and from the app.
3. Quitting the app leaves no token on the clipboard: the native tool's, OSC 52's.
4. What the suite cannot see for itself: audit reports, an echoed secret, a shifted CSV row.

test_secret_reprs.py checks repr() and str(); tests/leakscan.py (loaded for every run)
scans everything else the suite produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from csauth_tui.core import clipboard, paths
from csauth_tui.core.clipboard import Clipboard, NativeTool, forget_tmux_buffers
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret
from csauth_tui.core.secrets import resolve_secret
from csauth_tui.core.tokens import TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests.e2e.conftest import CliEnv
from tests.files import mode
from tests.reliability.hygiene import CLIENT_ID, IN_THE_APP, SECRET, TOKEN, clean
from tests.ui.conftest import wait_until

ADDED_SECRET = "sentinel-hygiene-added-secret-9e2d51"
ON_LINUX = Path("/proc/self/cmdline").exists()


# --- 1. argv of the processes csauth starts ---------------------------------------------------


class Started:
    """Records every child process started in this test: argv, env, stdin, input."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[dict[str, Any]] = []
        real_popen = subprocess.Popen
        started = self

        class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
            def __init__(self, args, *rest, **kwargs):
                started.calls.append(
                    {
                        "argv": [
                            str(a) for a in ([args] if isinstance(args, (str, bytes)) else args)
                        ],
                        "env": kwargs.get("env"),
                        "stdin": kwargs.get("stdin"),
                    }
                )
                super().__init__(args, *rest, **kwargs)

        real_run = subprocess.run

        def recording_run(*args, **kwargs):
            result = real_run(*args, **kwargs)
            if "input" in kwargs and started.calls:
                started.calls[-1]["input"] = kwargs["input"]
            return result

        monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
        monkeypatch.setattr(subprocess, "run", recording_run)

    def argv_text(self) -> str:
        return "\n".join("\0".join(call["argv"]) for call in self.calls)


@pytest.fixture
def fake_api():
    with FakeContentsquare([FakeCredential(CLIENT_ID, SECRET, scopes=("metrics",))]) as fake:
        yield fake


def write_profiles(fake: FakeContentsquare, secret_line: str) -> Path:
    config = Path(os.environ["CSAUTH_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[settings]\nauth_url = "{fake.url}"\n\n[profiles.prod]\n'
        f'level = "project"\nclient_id = "{CLIENT_ID}"\nscopes = ["metrics"]\n'
        f"{secret_line}\n"
    )
    return config


@pytest.mark.skipif(os.name != "posix", reason="exec replaces the process on POSIX only")
def test_exec_hands_the_token_over_in_the_environment_never_in_argv(
    fake_api, memory_keyring, monkeypatch
):
    from csauth_tui import cli

    memory_keyring.set_password("csauth-tui", CLIENT_ID, SECRET)
    write_profiles(fake_api, 'secret = "keyring"')
    execed: dict[str, Any] = {}

    class Execed(Exception):
        pass

    def fake_execvpe(file, argv, env):
        execed.update(file=file, argv=list(argv), env=dict(env))
        raise Execed

    monkeypatch.setattr(os, "execvpe", fake_execvpe)
    with pytest.raises(Execed):
        cli.main(["exec", "prod", "--", "report-tool", "--since", "yesterday"])

    issued = TokenCache(paths.token_cache_path()).all()[0].access_token
    assert execed["argv"] == ["report-tool", "--since", "yesterday"]
    assert execed["file"] == "report-tool"
    assert execed["env"]["CS_ACCESS_TOKEN"] == issued  # the one way in
    assert not any(issued in arg or SECRET in arg for arg in execed["argv"])
    assert not any(SECRET in value for value in execed["env"].values())


def test_a_cmd_source_runs_exactly_the_users_command_with_nothing_added(tmp_path, monkeypatch):
    helper = tmp_path / "print-secret.py"
    (tmp_path / "stored").write_text(SECRET)
    helper.write_text(f"print(open({str(tmp_path / 'stored')!r}).read())\n")
    started = Started(monkeypatch)
    profile = Profile(name="prod", client_id=CLIENT_ID, secret=f"cmd:{sys.executable} {helper}")
    assert resolve_secret(
        profile, environ={"PATH": os.environ.get("PATH", "")}, timeout=60
    ) == Secret(SECRET)
    [call] = started.calls
    assert call["argv"] == [sys.executable, str(helper)]
    assert call["stdin"] == subprocess.DEVNULL
    assert call["env"]["CSAUTH_CLIENT_ID"] == CLIENT_ID
    assert clean(started.argv_text()) and clean("\n".join(call["env"].values()))


def test_clipboard_tools_and_tmux_get_the_token_on_stdin_never_in_argv(tmp_path, monkeypatch):
    log = fake_tools(tmp_path, monkeypatch)
    store = Path(os.environ["FAKE_CLIP_STORE"])
    started = Started(monkeypatch)
    tool = NativeTool(
        "xclip", ("xclip", "-selection", "clipboard"), ("xclip", "-selection", "clipboard", "-o")
    )
    board = Clipboard(terminal_write=lambda text: None, tool=tool, tmux=True)
    assert board.copy(TOKEN) == ["OSC 52", "xclip"]
    assert store.read_text() == TOKEN  # it got there, on stdin
    assert started.calls[0]["input"] == TOKEN.encode()
    monkeypatch.setenv("FAKE_TMUX_BUFFER", TOKEN)
    assert board.clear() is True
    assert store.read_text() == ""
    assert forget_tmux_buffers({TOKEN}) == 1  # the fake tmux still shows it: deleted again
    logged = log.read_text()
    assert '"delete-buffer"' in logged and '"show-buffer"' in logged
    assert clean(started.argv_text()) and clean(logged), "a token reached a tool's argv"


def fake_tools(tmp_path: Path, monkeypatch) -> Path:
    """`xclip` and `tmux` on PATH that log their argv (in the file returned); xclip keeps
    the clipboard in $FAKE_CLIP_STORE, tmux has one buffer holding $FAKE_TMUX_BUFFER."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "argv.jsonl"
    (tmp_path / "clipboard").write_text("")
    scripts = {
        "xclip": """
if "-o" in sys.argv:
    sys.stdout.write(open(os.environ["FAKE_CLIP_STORE"]).read())
else:
    open(os.environ["FAKE_CLIP_STORE"], "w").write(sys.stdin.read())
""",
        "tmux": """
if sys.argv[1] == "list-buffers":
    print("buffer0")
elif sys.argv[1] == "show-buffer":
    sys.stdout.write(os.environ.get("FAKE_TMUX_BUFFER", ""))
""",
    }
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(
            f"#!{sys.executable}\nimport json, os, sys\n"
            "open(os.environ['FAKE_TOOL_LOG'], 'a').write("
            "json.dumps(sys.argv) + '\\n')\n" + body
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_TOOL_LOG", str(log))
    monkeypatch.setenv("FAKE_CLIP_STORE", str(tmp_path / "clipboard"))
    monkeypatch.setattr(clipboard, "TOOL_TIMEOUT", 60.0)
    return log


@pytest.fixture
def cli_env(fake_api) -> CliEnv:
    """The real `csauth` in a subprocess (tests/e2e/conftest.py), against `fake_api`."""
    return CliEnv(fake_api, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))


PROC_SCRIPT = """
import hashlib, json, os, sys
def proc(pid, what):
    return open(f"/proc/{pid}/{what}", "rb").read().decode("utf-8", "replace")
token = os.environ.get("CS_ACCESS_TOKEN", "")
report = {"self": proc("self", "cmdline"), "parent": proc(os.getppid(), "cmdline"),
          "environ": proc("self", "environ"),
          "token_sha": hashlib.sha256(token.encode()).hexdigest()}
if len(sys.argv) > 1:  # as a cmd: secret source: the secret on stdout, the report aside
    print(open(sys.argv[1]).read())
    open(os.environ["PROC_REPORT"], "a").write(json.dumps(report) + "\\n")
else:  # as the program `csauth exec` runs
    print(json.dumps(report))
"""


@pytest.mark.skipif(not ON_LINUX, reason="reads /proc/PID/cmdline")
def test_real_cli_children_never_see_a_secret_or_token_in_any_argv(cli_env, tmp_path):
    """`csauth exec` with a `cmd:` secret source: the command that prints the secret and the
    program exec runs each read their own /proc/PID/cmdline and their parent's (csauth for
    the first), and their environment."""
    script = tmp_path / "proc_report.py"
    script.write_text(PROC_SCRIPT)
    stored = tmp_path / "stored-secret"
    stored.write_text(SECRET)
    reports = tmp_path / "cmd-reports.jsonl"
    cli_env.write_profiles(
        f'[settings]\nauth_url = "{cli_env.fake.url}"\n\n[profiles.prod]\nlevel = "project"\n'
        f'client_id = "{CLIENT_ID}"\nscopes = ["metrics"]\n'
        f'secret = "cmd:{sys.executable} {script} {stored}"\n'
    )
    result = cli_env.run(
        "exec", "prod", "--", sys.executable, str(script), env={"PROC_REPORT": str(reports)}
    )
    assert result.returncode == 0, result.stderr
    exec_child = json.loads(result.stdout)
    cmd_child = json.loads(reports.read_text())

    issued = TokenCache(cli_env.cache_dir / "tokens.json").all()[0].access_token
    argvs = [exec_child["self"], exec_child["parent"], cmd_child["self"], cmd_child["parent"]]
    assert all(clean(a) and issued not in a for a in argvs), "a secret or token in an argv"
    assert "csauth_tui.cli" in cmd_child["parent"]  # csauth itself was looked at
    # the token reached the program through its environment; a cmd: secret never does
    assert exec_child["token_sha"] == hashlib.sha256(issued.encode()).hexdigest()
    assert clean(exec_child["environ"]) and clean(cmd_child["environ"])
    assert issued not in cmd_child["environ"]


# --- 2. 0600 ----------------------------------------------------------------------------------


def test_cli_add_and_token_write_0600_files_in_0700_dirs(cli_env, monkeypatch):
    monkeypatch.setenv("CS_HYGIENE_SECRET", SECRET)
    config, cache_dir = cli_env.config, cli_env.cache_dir
    assert not config.exists() and not config.parent.exists()
    added = cli_env.run(
        "add",
        "plain",
        "--level",
        "project",
        "--client-id",
        CLIENT_ID,
        "--secret",
        "plaintext",
        "--auth-url",
        cli_env.fake.url,
        input=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert (mode(config), mode(config.parent)) == (0o600, 0o700)
    assert SECRET in config.read_text()  # plaintext, as asked: all the more reason for 0600

    config.chmod(0o644)  # as a hand edit or a careless copy leaves it
    added = cli_env.run(
        "add",
        "env",
        "--level",
        "project",
        "--client-id",
        CLIENT_ID,
        "--secret",
        "env:CS_HYGIENE_SECRET",
        "--auth-url",
        cli_env.fake.url,
    )
    assert added.returncode == 0, added.stderr
    assert mode(config) == 0o600  # rewritten by csauth: private again

    fetched = cli_env.run("token", "env")
    assert fetched.returncode == 0, fetched.stderr
    cache = cache_dir / "tokens.json"
    assert (mode(cache), mode(cache_dir)) == (0o600, 0o700)
    assert SECRET not in cache.read_text()


async def test_the_app_writes_0600_profiles_and_cache(
    fake_api, memory_keyring, monkeypatch, workers
):
    from csauth_tui.ui.app import make_app
    from csauth_tui.ui.screens.profile_form import ProfileForm

    config = write_profiles(fake_api, 'secret = "env:CS_HYGIENE_SECRET"')
    monkeypatch.setenv("CS_HYGIENE_SECRET", SECRET)
    config.chmod(0o644)
    fake_api.add_credential(
        FakeCredential("hygiene-client-0002", ADDED_SECRET, scopes=("metrics",))
    )
    app = make_app(config, native_clipboard=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileForm), what="the form")
        for selector, text in (
            ("#f-name", "added"),
            ("#f-client-id", "hygiene-client-0002"),
            ("#f-secret", ADDED_SECRET),
        ):
            app.screen.query_one(selector).value = text
            await pilot.pause()
        shown = app_reprs(app, workers)
        assert "ProfileForm" in shown  # the form holding the typed secret was looked at
        assert ADDED_SECRET not in shown, "a repr shows the secret typed into the form"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, ProfileForm), what="the form to close"
        )
        await app.workers.wait_for_complete()
        assert "added" in config.read_text()
        assert mode(config) == 0o600
        await pilot.press("g")  # a token for prod, cached
        await wait_until(pilot, lambda: paths.token_cache_path().exists(), what="the token cache")
        await app.workers.wait_for_complete()
    cache = paths.token_cache_path()
    assert (mode(cache), mode(cache.parent)) == (0o600, 0o700)
    assert ADDED_SECRET not in config.read_text()  # in the keyring
    assert memory_keyring.get_password("csauth-tui", "hygiene-client-0002") == ADDED_SECRET


def app_reprs(app, workers: list[str]) -> str:
    """repr() of the app, its session, every screen on its stack (and the main screen's
    token actions), every widget on them, and every worker started so far (its
    description is in its repr)."""
    shown = [repr(app), repr(app.session), repr(app.main_screen.tokens), *workers]
    for screen in app.screen_stack:
        shown += [repr(screen), *(repr(w) for w in screen.walk_children())]
    return "\n".join(shown)


@pytest.fixture
def workers(monkeypatch) -> list[str]:
    from textual.worker import Worker

    seen: list[str] = []
    real_init = Worker.__init__

    def noting_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen.append(f"{self!r} {self.description}")

    monkeypatch.setattr(Worker, "__init__", noting_init)
    return seen


# --- 3. the clipboard after quitting ----------------------------------------------------------


@pytest.mark.parametrize("how", ["q", "ctrl+q", "app.exit()"])
async def test_quitting_the_app_leaves_no_token_on_any_clipboard(
    fake_api, tmp_path, monkeypatch, workers, how
):
    """With a native tool (a fake xclip on PATH) and OSC 52: c copies the token to both,
    and however the app ends, neither holds it afterwards."""
    from csauth_tui.ui.app import make_app

    log = fake_tools(tmp_path, monkeypatch)
    store = Path(os.environ["FAKE_CLIP_STORE"])
    for name in ("WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY", "TMUX", "WSL_DISTRO_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("CS_HYGIENE_SECRET", SECRET)
    config = write_profiles(fake_api, 'secret = "env:CS_HYGIENE_SECRET"')
    app = make_app(config, cache=False)
    assert app.session.clip.tool is not None and app.session.clip.tool.name == "xclip"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_until(pilot, lambda: app.query_one("#token").live is not None, what="a token")
        copied = app.query_one("#token").live.token.access_token
        await pilot.press("c")
        await wait_until(pilot, lambda: store.read_text() == copied, what="the copy")
        assert app.clipboard == copied
        shown = app_reprs(app, workers)
        # what holds the token was looked at
        # (ProfileForm is not open)
        assert all(name in shown for name in IN_THE_APP - {"ProfileForm"})
        assert "fetch token" in shown
        assert copied not in shown and clean(shown), (
            "a widget, screen, worker or the app shows the token in its repr"
        )
        if how == "app.exit()":
            app.exit()
        else:
            await pilot.press(how)
        await pilot.pause()
    assert store.read_text() != copied and copied not in store.read_text()
    assert copied not in app.clipboard  # OSC 52 overwritten too
    assert copied not in log.read_text()  # the tool only ever got it on stdin


# --- 4. what the suite cannot see for itself --------------------------------------------------


async def test_audit_results_and_reports_never_show_a_secret_or_token(fake_api, tmp_path):
    """An audit fetches a token for each profile; its results and every report format
    (the ones shared with a team) show neither the secret nor the token."""
    from csauth_tui.core.api import AuthClient
    from csauth_tui.core.audit import run_audit
    from csauth_tui.core.audit_report import FORMATS, render
    from csauth_tui.core.profiles import load
    from csauth_tui.core.service import TokenService

    config = write_profiles(fake_api, f'client_secret = "{SECRET}"')
    pf = load(config)
    cache = TokenCache(tmp_path / "tokens.json")
    async with AuthClient(settings=pf.settings) as client:
        service = TokenService(pf.settings, client, cache=cache)
        report = await run_audit(pf, service=service, client=client, cache_path=cache.path)
    issued = cache.all()[0].access_token
    assert report.results[0].token_ok  # the audit did hold a token
    shown = [repr(report), *(render(report, fmt) for fmt in FORMATS)]
    assert all(clean(text) and issued not in text for text in shown), (
        "an audit result or report shows the secret or the token"
    )


async def test_a_client_secret_echoed_in_a_token_answer_never_reaches_the_cache(tmp_path):
    import httpx

    from csauth_tui.core.api import AuthClient

    def echoing(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["client_secret"]
        return httpx.Response(
            200,
            json={
                "access_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJlY2hvIn0.c2ln",
                "endpoint": "https://api.contentsquare.com",
                "expires_in": 3600,
                "debug": {"client_secret": sent},
            },
        )

    async with AuthClient(transport=httpx.MockTransport(echoing)) as client:
        fetched = await client.fetch_token(Profile(name="p", client_id=CLIENT_ID), Secret(SECRET))
    cache = TokenCache(tmp_path / "tokens.json")
    cache.put(fetched)
    kept = SECRET in json.dumps(fetched.extra) or SECRET in cache.path.read_text()
    assert not kept, "an echoed client secret was kept with the token and cached"


def test_an_import_report_never_quotes_a_secret_from_a_shifted_csv_row(cli_env, tmp_path):
    """project_id left out of a row: every cell after it moves one column left, and the
    client secret lands in `created`."""
    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,project_id,scopes,created,client_secret\n"
        f"prod,project,{CLIENT_ID},metrics,2026-01-15,{SECRET}\n"
    )
    result = cli_env.run("import", str(team), "--dry-run")
    assert "line 2" in result.stderr  # the row is reported...
    assert clean(result.stderr), "the import report quotes the client secret"  # ...quietly
