"""Secret hygiene: what a user (or an attacker reading over their shoulder, their `ps`, their
files, their clipboard) could see of a client secret or an access token.

1. repr()/str() of every class that can hold one, found by walking the package: a new
   dataclass is built and checked without anyone listing it here.
2. argv: a secret or a token never goes on the command line of a process csauth starts
   (`csauth exec`, a `cmd:` secret source, the clipboard tools, tmux): `exec` hands the token
   over in the environment only, a tool gets the text on stdin.
3. The profiles file and the token cache that csauth writes are 0600 (their directories
   0700), from the CLI and from the app.
4. Quitting the app leaves no token on the clipboard: the native tool's, OSC 52's.

tests/leakscan.py (loaded for every run) scans everything else the suite produces.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
import os
import pkgutil
import re
import stat
import subprocess
import sys
import types
import typing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import csauth_tui
from csauth_tui.core import clipboard, paths
from csauth_tui.core.clipboard import Clipboard, NativeTool, forget_tmux_buffers
from csauth_tui.core.errors import CsauthError
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret, looks_like_a_secret
from csauth_tui.core.secrets import describe_source, resolve_secret
from csauth_tui.core.tokens import Token, TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests import figures
from tests.e2e.conftest import CliEnv

SECRET = "sentinel-hygiene-secret-3b7e19c2"
ADDED_SECRET = "sentinel-hygiene-added-secret-9e2d51"
TOKEN = "sentinel-hygiene-token-8d04af61"
PASTED = "SentinelKx7fG2hQ9mZ3pL5vB8nR1tW4"  # a secret pasted where a name belongs
CLIENT_ID = "hygiene-client-0001"
FIXED = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ON_LINUX = Path("/proc/self/cmdline").exists()


def clean(text: str) -> bool:
    """No sentinel secret or token in `text` (a boolean: a failing assert must not quote)."""
    return not any(value in text for value in (SECRET, TOKEN, PASTED))


def token(value: str = TOKEN, **changes) -> Token:
    fields = dict(access_token=value, endpoint="http://127.0.0.1:1", issued_at=FIXED,
                  expires_at=FIXED + timedelta(hours=1), client_id=CLIENT_ID,
                  auth_url="http://127.0.0.1:1", scopes=("metrics",), project_id=1001,
                  profile="prod")
    return Token(**{**fields, **changes})


# --- 1. repr() and str() ----------------------------------------------------------------------

# str fields holding a value (client_secret, access_token); a bare `secret` is a source
# ("keyring", "env:VAR") and a Secret-typed field is filled whatever its name
SECRET_FIELD = re.compile(r"_(secret|token)$|password")


def package_classes() -> list[type]:
    """Every class csauth_tui defines (nested ones too), Textual UI included."""
    found: dict[str, type] = {}

    def visit(cls: type) -> None:
        key = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__module__.startswith("csauth_tui") and key not in found:
            found[key] = cls
            for inner in vars(cls).values():
                if inspect.isclass(inner):
                    visit(inner)

    for info in pkgutil.walk_packages(csauth_tui.__path__, "csauth_tui."):
        if info.name.endswith("__main__"):
            continue
        for value in vars(importlib.import_module(info.name)).values():
            if inspect.isclass(value):
                visit(value)
    return sorted(found.values(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def field_types(cls: type) -> dict[str, Any]:
    """Each field's type, resolved where possible (Any where an annotation cannot be)."""
    namespace = {**vars(typing), **vars(sys.modules[cls.__module__])}
    out = {}
    for f in dataclasses.fields(cls):
        try:
            out[f.name] = eval(f.type, namespace) if isinstance(f.type, str) else f.type
        except Exception:  # a name only imported for type checkers
            out[f.name] = Any
    return out


def build(kind: Any, name: str, depth: int = 0) -> Any:
    """A value of type `kind` for a field called `name`: a sentinel where a field of that
    name or type holds a secret or a token, something plain elsewhere."""
    secret_named = bool(SECRET_FIELD.search(name))
    origin = typing.get_origin(kind)
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return build(args[0], name, depth)
    if kind is Secret:
        return Secret(SECRET)
    if kind in (str, Any, object):
        if secret_named:
            return TOKEN if "token" in name else SECRET
        return f"plain-{name}"
    if kind is bool:
        return False
    if kind in (int, float):
        return kind(1)
    if kind is datetime:
        return FIXED
    if kind is date:
        return FIXED.date()
    if kind is Path:
        return Path("plain.toml")
    if origin is tuple:
        return tuple(build(a, name, depth + 1) for a in args if a is not Ellipsis)
    if origin in (list, set):
        return origin([build(args[0], name, depth + 1)]) if args else origin()
    if origin is dict:
        return {build(args[0], "key", depth + 1): build(args[1], name, depth + 1)} \
            if len(args) == 2 else {}
    if inspect.isclass(kind) and issubclass(kind, BaseException):
        return CsauthError("plain error")
    if origin is not None and "Callable" in str(origin):
        return lambda *args, **kwargs: None
    if dataclasses.is_dataclass(kind) and depth < 8:
        return build_dataclass(kind, depth + 1)
    if kind in (tuple, list, dict, set):
        return kind()
    raise TypeError(f"no plain value for {kind!r}")


def can_hold_a_secret(kind: Any, name: str) -> bool:
    """A field named like a secret, or typed Secret or a dataclass (directly or inside a
    container): one the factory must fill even when it has a default."""
    if SECRET_FIELD.search(name) or kind is Secret or dataclasses.is_dataclass(kind):
        return True
    return any(can_hold_a_secret(arg, "") for arg in typing.get_args(kind))


def build_dataclass(cls: type, depth: int = 0) -> Any:
    """`cls` with every field that can hold a secret filled (sentinels where one would
    live), the others left at their defaults (or plain values when they have none)."""
    kinds = field_types(cls)
    values = {}
    for f in dataclasses.fields(cls):
        has_default = not (f.default is dataclasses.MISSING
                           and f.default_factory is dataclasses.MISSING)
        if f.init and not (has_default and not can_hold_a_secret(kinds[f.name], f.name)):
            values[f.name] = build(kinds[f.name], f.name, depth)
    return cls(**values)


def holds_a_sentinel(value: Any, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(value, Secret):
        return value.reveal() in (SECRET, TOKEN)
    if isinstance(value, str):
        return value in (SECRET, TOKEN)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(holds_a_sentinel(getattr(value, f.name, None), depth + 1)
                   for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return any(holds_a_sentinel(v, depth + 1) for v in (*value, *value.values()))
    if isinstance(value, (list, tuple, set)):
        return any(holds_a_sentinel(v, depth + 1) for v in value)
    return False


DATACLASSES = [c for c in package_classes() if dataclasses.is_dataclass(c)]
# Built from what their fields say: these must come out holding a sentinel, or the
# factory above has stopped putting secrets where they live.
MUST_HOLD = {"Token", "Profile", "FakeCredential", "ImportRow", "FormValues", "TokenRequest",
             "LiveToken", "LiveTokens", "ProfileFormResult", "CsauthApp.TokenReady"}


@pytest.mark.parametrize("cls", DATACLASSES, ids=lambda c: c.__qualname__)
def test_no_dataclass_shows_a_secret_or_token_it_holds(cls):
    obj = build_dataclass(cls)
    shown = f"{obj!r}\n{obj!s}\n{obj}"
    assert clean(shown), f"repr/str of {cls.__qualname__} shows a secret or token it holds"
    if cls.__qualname__ in MUST_HOLD:
        assert holds_a_sentinel(obj), f"the factory put no sentinel in {cls.__qualname__}"
    figures.count("secrets", "classes whose repr was checked", 1)


def test_the_dataclass_walk_finds_the_classes_that_hold_secrets():
    names = {c.__qualname__ for c in DATACLASSES}
    assert MUST_HOLD <= names, sorted(MUST_HOLD - names)


def held_objects(tmp_path: Path) -> dict[str, Any]:
    """Objects of the classes that are not dataclasses, each holding a sentinel."""
    from csauth_tui.core.api import AuthClient
    from csauth_tui.core.service import TokenService
    from csauth_tui.core.store import ProfileStore
    from csauth_tui.core.profiles import Settings

    cache = TokenCache(tmp_path / "cache" / "tokens.json")
    cache.put(token(expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    config = tmp_path / "profiles.toml"
    config.write_text(f'[profiles.p]\nclient_id = "{CLIENT_ID}"\nclient_secret = "{SECRET}"\n')
    store = ProfileStore(config)
    store.load()
    board = Clipboard(terminal_write=lambda text: None)
    board.copy(TOKEN)
    fake = FakeContentsquare([FakeCredential(CLIENT_ID, SECRET)])
    settings = Settings()
    client = AuthClient(settings=settings)
    service = TokenService(settings, client, cache=cache, resolve_secret=lambda p: Secret(SECRET))
    return {"Secret": Secret(SECRET), "TokenCache": cache, "ProfileStore": store,
            "Clipboard": board, "FakeContentsquare": fake, "AuthClient": client,
            "TokenService": service, "Secret of a token": Secret(TOKEN)}


# Classes that are not dataclasses but can hold a secret or a token (by their name or the
# parameters they take): each must be in held_objects() above, or in the app walk below.
HOLDER_NAME = re.compile(r"secret|token|credential|clipboard|cache", re.I)
IN_THE_APP = {"TokenPanel", "CredentialPanel", "CsauthApp", "ProfileForm"}


def test_every_class_that_takes_a_secret_is_checked(tmp_path):
    covered = set(held_objects(tmp_path)) | IN_THE_APP
    missing = []
    for cls in package_classes():
        if dataclasses.is_dataclass(cls) or issubclass(cls, BaseException):
            continue  # dataclasses: above; error messages: scanned by tests/leakscan.py
        try:
            params = " ".join(inspect.signature(cls.__init__).parameters)
        except (TypeError, ValueError):
            params = ""
        if HOLDER_NAME.search(cls.__name__) or HOLDER_NAME.search(params):
            if cls.__name__ not in covered:
                missing.append(cls.__qualname__)
    assert missing == [], f"add these to held_objects(): {missing}"


async def test_objects_holding_a_secret_never_show_it(tmp_path):
    objects = held_objects(tmp_path)
    try:
        for name, obj in objects.items():
            shown = f"{obj!r}\n{obj!s}\n{obj}\n{obj:>10}" if isinstance(obj, Secret) \
                else f"{obj!r}\n{obj!s}"
            assert clean(shown), f"{name} shows the secret or token it holds"
        secret = objects["Secret"]
        assert clean("%s %r" % (secret, secret))  # noqa: UP031 - what logging does
        with pytest.raises(TypeError) as refused:
            json.dumps({"secret": secret})
        assert clean(str(refused.value))
        with pytest.raises(TypeError) as refused:
            import pickle

            pickle.dumps(secret)
        assert clean(str(refused.value))
    finally:
        await objects["AuthClient"].aclose()


def test_a_secret_pasted_where_a_name_belongs_is_never_quoted_back(tmp_path):
    """`secret = "env:<the secret>"` is a valid variable name; `cmd:<the secret>` a command.
    The errors and descriptions that quote names and commands must not quote it."""
    assert looks_like_a_secret(PASTED)
    for ordinary in ("CS_PROD_SECRET", "CONTENTSQUARE_CLIENT_SECRET_2026", "pass", "op",
                     "/usr/local/bin/get-cs-secret", "aws-vault", "MY_TOKEN_V2"):
        assert not looks_like_a_secret(ordinary), ordinary
    messages = []
    for source in (f"env:{PASTED}", f"cmd:{PASTED}", f"cmd:/opt/bin/{PASTED} --json",
                   f"cmd:sh -c {PASTED}"):
        profile = Profile(name="pasted", client_id=CLIENT_ID, secret=source)
        with pytest.raises(CsauthError) as error:
            resolve_secret(profile, environ={"PATH": os.environ.get("PATH", "")}, timeout=30)
        messages += [str(error.value), describe_source(profile)]
    assert all(clean(text) for text in messages), "a pasted secret was quoted back"
    # an ordinary name is still quoted: that is what helps
    profile = Profile(name="plain", client_id=CLIENT_ID, secret="env:CS_NOT_SET_ANYWHERE")
    with pytest.raises(CsauthError, match=r"\$CS_NOT_SET_ANYWHERE, which is not set"):
        resolve_secret(profile, environ={})
    assert describe_source(profile) == "env $CS_NOT_SET_ANYWHERE"


def test_import_rows_and_plans_never_show_a_secret(tmp_path):
    from csauth_tui.core.profiles import ProfilesFile
    from csauth_tui.core.transfer import plan_import, read_rows

    team = tmp_path / "team.csv"
    team.write_text("name,level,client_id,project_id,scopes,client_secret\n"
                    f"prod,project,{CLIENT_ID},1001,metrics,{SECRET}\n")
    rows = read_rows(team)
    plan = plan_import(rows, ProfilesFile(path=tmp_path / "none.toml"), overwrite=False)
    assert rows[0].secret == Secret(SECRET)  # it is there...
    assert clean(f"{rows!r}\n{plan!r}\n{plan.outcomes!r}")  # ...and never shown


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
    assert all(clean(text) and issued not in text for text in shown), \
        "an audit result or report shows the secret or the token"


# --- 2. argv of the processes csauth starts ---------------------------------------------------


class Started:
    """Records every child process started in this test: argv, env, stdin, input."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[dict[str, Any]] = []
        real_popen = subprocess.Popen
        started = self

        class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
            def __init__(self, args, *rest, **kwargs):
                started.calls.append({"argv": [str(a) for a in (
                    [args] if isinstance(args, (str, bytes)) else args)],
                    "env": kwargs.get("env"), "stdin": kwargs.get("stdin")})
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
    config.write_text(f'[settings]\nauth_url = "{fake.url}"\n\n[profiles.prod]\n'
                      f'level = "project"\nclient_id = "{CLIENT_ID}"\nscopes = ["metrics"]\n'
                      f"{secret_line}\n")
    return config


@pytest.mark.skipif(os.name != "posix", reason="exec replaces the process on POSIX only")
def test_exec_hands_the_token_over_in_the_environment_never_in_argv(
        fake_api, memory_keyring, monkeypatch):
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
    profile = Profile(name="prod", client_id=CLIENT_ID,
                      secret=f"cmd:{sys.executable} {helper}")
    assert resolve_secret(profile, environ={"PATH": os.environ.get("PATH", "")},
                          timeout=60) == Secret(SECRET)
    [call] = started.calls
    assert call["argv"] == [sys.executable, str(helper)]
    assert call["stdin"] == subprocess.DEVNULL
    assert call["env"]["CSAUTH_CLIENT_ID"] == CLIENT_ID
    assert clean(started.argv_text()) and clean("\n".join(call["env"].values()))


def test_clipboard_tools_and_tmux_get_the_token_on_stdin_never_in_argv(tmp_path, monkeypatch):
    log = fake_tools(tmp_path, monkeypatch)
    store = Path(os.environ["FAKE_CLIP_STORE"])
    started = Started(monkeypatch)
    tool = NativeTool("xclip", ("xclip", "-selection", "clipboard"),
                      ("xclip", "-selection", "clipboard", "-o"))
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
        script.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                          "open(os.environ['FAKE_TOOL_LOG'], 'a').write("
                          "json.dumps(sys.argv) + '\\n')\n" + body)
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_TOOL_LOG", str(log))
    monkeypatch.setenv("FAKE_CLIP_STORE", str(tmp_path / "clipboard"))
    monkeypatch.setattr(clipboard, "TOOL_TIMEOUT", 60.0)
    return log


@pytest.fixture
def cli_env(fake_api) -> CliEnv:
    """The real `csauth` in a subprocess (tests/e2e/conftest.py), against `fake_api`."""
    return CliEnv(fake_api, Path(os.environ["CSAUTH_CONFIG"]),
                  Path(os.environ["CSAUTH_CACHE_DIR"]))


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
        f'secret = "cmd:{sys.executable} {script} {stored}"\n')
    result = cli_env.run("exec", "prod", "--", sys.executable, str(script),
                         env={"PROC_REPORT": str(reports)})
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


# --- 3. 0600 ----------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_add_and_token_write_0600_files_in_0700_dirs(cli_env, monkeypatch):
    monkeypatch.setenv("CS_HYGIENE_SECRET", SECRET)
    config, cache_dir = cli_env.config, cli_env.cache_dir
    assert not config.exists() and not config.parent.exists()
    added = cli_env.run("add", "plain", "--level", "project", "--client-id", CLIENT_ID,
                        "--secret", "plaintext", "--auth-url", cli_env.fake.url,
                        input=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    assert (mode(config), mode(config.parent)) == (0o600, 0o700)
    assert SECRET in config.read_text()  # plaintext, as asked: all the more reason for 0600

    config.chmod(0o644)  # as a hand edit or a careless copy leaves it
    added = cli_env.run("add", "env", "--level", "project", "--client-id", CLIENT_ID,
                        "--secret", "env:CS_HYGIENE_SECRET", "--auth-url", cli_env.fake.url)
    assert added.returncode == 0, added.stderr
    assert mode(config) == 0o600  # rewritten by csauth: private again

    fetched = cli_env.run("token", "env")
    assert fetched.returncode == 0, fetched.stderr
    cache = cache_dir / "tokens.json"
    assert (mode(cache), mode(cache_dir)) == (0o600, 0o700)
    assert SECRET not in cache.read_text()


async def test_the_app_writes_0600_profiles_and_cache(fake_api, memory_keyring, monkeypatch,
                                                     workers):
    from csauth_tui.ui.app import make_app
    from csauth_tui.ui.screens.profile_form import ProfileForm

    config = write_profiles(fake_api, 'secret = "env:CS_HYGIENE_SECRET"')
    monkeypatch.setenv("CS_HYGIENE_SECRET", SECRET)
    config.chmod(0o644)
    fake_api.add_credential(FakeCredential("hygiene-client-0002", ADDED_SECRET,
                                           scopes=("metrics",)))
    app = make_app(config, native_clipboard=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ProfileForm))
        for selector, text in (("#f-name", "added"), ("#f-client-id", "hygiene-client-0002"),
                               ("#f-secret", ADDED_SECRET)):
            app.screen.query_one(selector).value = text
            await pilot.pause()
        shown = app_reprs(app, workers)
        assert "ProfileForm" in shown  # the form holding the typed secret was looked at
        assert ADDED_SECRET not in shown, "a repr shows the secret typed into the form"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ProfileForm))
        await app.workers.wait_for_complete()
        assert "added" in config.read_text()
        assert mode(config) == 0o600
        await pilot.press("g")  # a token for prod, cached
        await until(pilot, lambda: (paths.token_cache_path()).exists())
        await app.workers.wait_for_complete()
    cache = paths.token_cache_path()
    assert (mode(cache), mode(cache.parent)) == (0o600, 0o700)
    assert ADDED_SECRET not in config.read_text()  # in the keyring
    assert memory_keyring.get_password("csauth-tui", "hygiene-client-0002") == \
        ADDED_SECRET


def app_reprs(app, workers: list[str]) -> str:
    """repr() of the app, every screen on its stack, every widget on them, and every
    worker started so far (its description is in its repr)."""
    shown = [repr(app), *workers]
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


async def until(pilot, predicate, timeout: float = 20.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


# --- 4. the clipboard after quitting ----------------------------------------------------------


@pytest.mark.parametrize("how", ["q", "ctrl+q", "app.exit()"])
async def test_quitting_the_app_leaves_no_token_on_any_clipboard(fake_api, tmp_path,
                                                                 monkeypatch, workers, how):
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
    assert app.clip.tool is not None and app.clip.tool.name == "xclip"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await until(pilot, lambda: app.query_one("#token").live is not None)
        copied = app.query_one("#token").live.token.access_token
        await pilot.press("c")
        await until(pilot, lambda: store.read_text() == copied)
        assert app.clipboard == copied
        shown = app_reprs(app, workers)
        # what holds the token was looked at
        assert all(name in shown for name in IN_THE_APP - {"ProfileForm"})
        assert "fetch token" in shown
        assert copied not in shown and clean(shown), \
            "a widget, screen, worker or the app shows the token in its repr"
        if how == "app.exit()":
            app.exit()
        else:
            await pilot.press(how)
        await pilot.pause()
    assert store.read_text() != copied and copied not in store.read_text()
    assert copied not in app.clipboard  # OSC 52 overwritten too
    assert copied not in log.read_text()  # the tool only ever got it on stdin


# --- 5. what the suite cannot see for itself --------------------------------------------------


async def test_a_client_secret_echoed_in_a_token_answer_never_reaches_the_cache(tmp_path):
    import httpx

    from csauth_tui.core.api import AuthClient

    def echoing(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["client_secret"]
        return httpx.Response(200, json={
            "access_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJlY2hvIn0.c2ln",
            "endpoint": "https://api.contentsquare.com", "expires_in": 3600,
            "debug": {"client_secret": sent}})

    async with AuthClient(transport=httpx.MockTransport(echoing)) as client:
        fetched = await client.fetch_token(Profile(name="p", client_id=CLIENT_ID),
                                           Secret(SECRET))
    cache = TokenCache(tmp_path / "tokens.json")
    cache.put(fetched)
    kept = SECRET in json.dumps(fetched.extra) or SECRET in cache.path.read_text()
    assert not kept, "an echoed client secret was kept with the token and cached"


def test_an_import_report_never_quotes_a_secret_from_a_shifted_csv_row(cli_env, tmp_path):
    """project_id left out of a row: every cell after it moves one column left, and the
    client secret lands in `created`."""
    team = tmp_path / "team.csv"
    team.write_text("name,level,client_id,project_id,scopes,created,client_secret\n"
                    f"prod,project,{CLIENT_ID},metrics,2026-01-15,{SECRET}\n")
    result = cli_env.run("import", str(team), "--dry-run")
    assert "line 2" in result.stderr  # the row is reported...
    assert clean(result.stderr), "the import report quotes the client secret"  # ...quietly


def test_the_credential_panel_never_shows_a_secret_pasted_as_a_variable_name():
    from csauth_tui.ui.widgets.credential_panel import secret_text

    shown = secret_text(Profile(name="p", client_id=CLIENT_ID, secret=f"env:{PASTED}"))
    assert clean(shown), "the credential panel shows a secret pasted after env:"


pytest_plugins = ("pytester",)

LEAKY_TESTS = '''
import logging, os, subprocess
import pytest
from csauth_tui.core import clipboard, secrets
from csauth_tui.core.clipboard import Clipboard, NativeTool
from csauth_tui.core.profiles import Profile
from csauth_tui.core.tokens import Token, TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from datetime import datetime, timedelta, timezone

SECRET = "Leaky_Kx7fG2hQ9mZ3pL5vB8nR1tW4"  # a valid env var name, on purpose
NOW = datetime.now(timezone.utc)

@pytest.fixture(autouse=True)
def fake():
    return FakeContentsquare([FakeCredential("c1", SECRET)])

def a_token(**extra):
    return Token(access_token="leaky-access-token-5f01", endpoint="https://x", issued_at=NOW,
                 expires_at=NOW + timedelta(hours=1), client_id="c1", auth_url="https://x",
                 extra=extra)

def test_prints_it():
    print("the secret is", SECRET)

def test_logs_it():
    logging.getLogger("csauth.leaky").debug("token %s", a_token().access_token)

def test_an_error_quotes_it(monkeypatch):
    monkeypatch.setattr(secrets, "looks_like_a_secret", lambda text: False)
    with pytest.raises(secrets.SecretError):
        secrets.resolve_secret(Profile(name="p", client_id="c1", secret="env:" + SECRET),
                               environ={})

def test_puts_it_in_argv():
    tool = NativeTool("echo", ("echo", a_token().access_token), None)
    Clipboard(tool=tool).copy("anything")

def test_caches_it(tmp_path):
    TokenCache(tmp_path / "tokens.json").put(a_token(debug=SECRET))

def test_writes_a_readable_cache(tmp_path, monkeypatch):
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        os.chmod(dst, 0o644)
    monkeypatch.setattr(os, "replace", replace)
    TokenCache(tmp_path / "tokens.json").put(a_token())

def test_fails_showing_it():
    assert SECRET == "something else"

def test_keeps_it_to_itself():
    assert len(SECRET) > 8
'''


def test_the_leak_scanner_fails_each_kind_of_leak_and_never_prints_one(pytester, monkeypatch):
    """tests/leakscan.py on a file of deliberately leaky tests, in a pytest of its own."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    result = pytester.runpytest_subprocess("-p", "tests.leakscan", "-p", "no:cacheprovider",
                                           "-rf", timeout=120)
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=7, passed=1)
    for test, where in (
            ("test_prints_it", "captured stdout call"),
            ("test_logs_it", "a DEBUG record of logger 'csauth.leaky'"),
            ("test_an_error_quotes_it", "the message of a SecretError"),
            ("test_puts_it_in_argv", "the argv of a child process csauth started (echo)"),
            ("test_caches_it", "tokens.json as csauth wrote it (cache file)"),
            ("test_writes_a_readable_cache", "mode 0644 instead of 0600"),
            ("test_fails_showing_it", "the failure report")):
        assert re.search(rf"_+ {test} _+\n(?:.*\n)*?.*{re.escape(where)}", output), test
    assert "Leaky_Kx7fG2hQ9mZ3pL5vB8nR1tW4" not in output
    assert "leaky-access-token-5f01" not in output
