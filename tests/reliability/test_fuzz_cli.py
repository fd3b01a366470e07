"""Fuzz: every `csauth` argument parser, then main(argv) itself, with argv drawn from the
real subcommands and options plus junk. argparse's exit (0 for --help / --version, 2 for
a usage error) and the project's own errors are answers; anything else is a crash.

main() runs for real against a scratch directory, with three things kept out of reach:
the network (an httpx.MockTransport answers, and the real transport refuses), programs
(`exec` and `cmd:` secrets never start anything) and the real keyring (in-memory one).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from csauth_tui import cli, commands
from csauth_tui.core import api
from csauth_tui.core.redact import Secret
from csauth_tui.core.secrets import store_secret
from tests.reliability.cli_argv import (
    COMMANDS,
    HARMLESS,
    argvs,
    junk,
    near_good_lines,
)
from tests.reliability.fuzzing import (
    SECRET_PREFIX,
    attempt,
    bent_text,
    fuzz_settings,
    no_sleep,
    unique_secrets,
)

ENV_SECRET, STDIN_SECRET, KEYRING_SECRET = (SECRET_PREFIX + w for w in ("env1", "stdin1", "ring1"))
BASE = f"""\
[profiles.prod]
level = "project"
client_id = "fuzz-prod"
project_id = 7
secret = "env:CSAUTH_FUZZ_SECRET"

[profiles.acct]
level = "account"
client_id = "fuzz-acct"
scopes = ["data-export"]
client_secret = "{SECRET_PREFIX}acct1"

[profiles.shop]
client_id = "fuzz-shop"
"""
IMPORTS = {
    "team.json": f'[{{"name": "new", "level": "project", "client_id": "fuzz-new", '
    f'"client_secret": "{SECRET_PREFIX}json1"}}, {{"name": "prod"}}]',
    "team.csv": "name,level,client_id,scopes\nnew2,project,fuzz-new2,metrics\nbad,galaxy,c,x\n",
    "team.toml": '[profiles.new3]\nclient_id = "fuzz-new3"\n',
}


def parse(argv: list[str]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return cli.build_parser().parse_args(argv)
        except SystemExit as exc:
            return exc


def well_typed(value) -> bool:
    """What the commands expect of a parsed option: a plain value, or a list of strings."""
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return value is None or isinstance(value, (str, int, bool, date))


@fuzz_settings(quick=300, full=3000)
@given(argv=argvs(wild=2) | st.lists(junk, max_size=6))
@example(argv=["token", "prod", "--project-id", "9" * 5000])
@example(argv=["add", "\udcff", "--level", "project", "--client-id", "c"])  # fixed: exit 2
@example(argv=["export", "--profile=--"])  # fixed: argparse gave profiles=[[]]
def test_the_argument_parser_on_fuzzed_argv(argv):
    parsed, _ = attempt("CLI parser", parse, argv)
    if isinstance(parsed, SystemExit):
        assert parsed.code in (0, 2), f"argparse exit {parsed.code!r}"
    elif cli.option_without_value(parsed, argv) is None:  # else main() refuses it
        odd = {k: v for k, v in vars(parsed).items() if k != "cmd" and not well_typed(v)}
        assert not odd, f"options parsed to unexpected values: {odd}"


# --- main(argv) for real, out of reach of the network, programs and the real keyring ----


class Replaced(BaseException):
    """`csauth exec` got as far as replacing itself with the command."""


class Offline:
    """The only 'network' main() reaches, told per example how to answer (`mode`) and which
    access token to hand out; `keyring` is the in-memory one the example seeds."""

    def __init__(self, keyring) -> None:
        self.mode, self.access, self.keyring = "offline", "", keyring

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.mode == "offline":
            raise httpx.ConnectError("fuzz: offline", request=request)
        if self.mode == "refused":
            return httpx.Response(401, json={"error": "invalid_client"})
        if self.mode == "garbage":
            return httpx.Response(
                200, text="<html>oops</html>", headers={"content-type": "text/html"}
            )
        if path.endswith("/oauth/token"):
            endpoint = (
                "https://evil.example"
                if self.mode == "untrusted"
                else "https://api.contentsquare.com"
            )
            return httpx.Response(
                200,
                json={
                    "access_token": self.access,
                    "endpoint": endpoint,
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        if path.endswith("/oauth/me"):
            return httpx.Response(
                200,
                json={
                    "scopes": ["metrics"],
                    "permissions": {"projects": [{"id": 7, "name": "Shop"}]},
                },
            )
        return httpx.Response(200, json={"payload": []})


@pytest.fixture
def sealed(monkeypatch, memory_keyring):
    """main() with no way out: returns the fake network to steer per example."""
    network = Offline(memory_keyring)
    original_init = api.AuthClient.__init__

    def offline_client(self, **kw):
        kw.update(transport=httpx.MockTransport(network), max_retries=0, sleep=no_sleep)
        original_init(self, **kw)

    def no_real_network(self, request):
        raise AssertionError(f"the fuzz test reached the real network: {request.url.host}")

    def no_programs(*args, **kw):
        raise FileNotFoundError("fuzz: no programs run here")

    def fake_exec(program, argv, env):
        assert list(argv) in [list(c) for c in HARMLESS], "exec was asked to run junk"
        raise Replaced  # where the real one never returns

    monkeypatch.setattr(api.AuthClient, "__init__", offline_client)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", no_real_network)
    monkeypatch.setattr(subprocess, "Popen", no_programs)
    monkeypatch.setattr(os, "execvpe", fake_exec)
    monkeypatch.setattr(commands, "open_app", lambda args: 0)
    monkeypatch.setattr(commands, "demo", lambda args: 0)
    monkeypatch.setenv("CSAUTH_FUZZ_SECRET", ENV_SECRET)
    for name in (
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    # CSAUTH_CONFIG / CSAUTH_CACHE_DIR: set per example; the autouse fixture restores them
    return network


def run_main(argv: list[str], stdin: str) -> tuple[object, str, str]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, like a UTF-8 terminal
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = ("exit", exc.code)
            except Replaced:
                code = 0
            out.flush()
            err.flush()
    finally:
        sys.stdin = saved_stdin
    # the bytes a terminal would get; a path that is not UTF-8 comes through as it was given
    return (
        code,
        out.buffer.getvalue().decode("utf-8", "surrogateescape"),
        err.buffer.getvalue().decode("utf-8", "surrogateescape"),
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "cache" not in p.parts and not p.name.endswith(".lock")
    }


@fuzz_settings(quick=150, full=2500)
@given(
    argv=argvs(wild=12, odd_paths=False) | near_good_lines(),
    seed=st.sampled_from(["base", "base", "none", "bent", "garbage"]),
    data=st.data(),
    mode=st.sampled_from(["ok", "ok", "offline", "refused", "garbage", "untrusted"]),
    stdin=st.sampled_from([STDIN_SECRET + "\n", "", "  \n"]),
)
@example(
    argv=["add", "n", "--level", "project", "--client-id", "\udcff", "--secret", "env:X"],
    seed="none",
    data=None,
    mode="offline",
    stdin="",
)
@example(argv=["exec", "prod", "--", "true"], seed="base", data=None, mode="ok", stdin="")
@example(argv=["audit", "--concurrency=--"], seed="base", data=None, mode="ok", stdin="")
def test_main_on_fuzzed_argv(tmp_path, sealed, argv, seed, data, mode, stdin):
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / "subdir").mkdir()
    for name, content in IMPORTS.items():
        (root / name).write_bytes(unique_secrets(content.encode(), [])[0])
    if seed == "base":
        (root / "profiles.toml").write_bytes(unique_secrets(BASE.encode(), [])[0])
    elif seed == "bent":
        (root / "profiles.toml").write_bytes(unique_secrets(data.draw(bent_text(BASE)), [])[0])
    elif seed == "garbage":
        (root / "profiles.toml").write_bytes(data.draw(st.binary(max_size=60)))
    os.environ.update(
        CSAUTH_CONFIG=str(root / "profiles.toml"), CSAUTH_CACHE_DIR=str(root / "cache")
    )
    sealed.mode, sealed.access = mode, f"fuzz-token-{uuid.uuid4().hex[:12]}"
    sealed.keyring.store.clear()
    store_secret("fuzz-shop", Secret(KEYRING_SECRET))
    before = snapshot(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        (code, out, err), _ = attempt("CLI main", run_main, argv, stdin)
    finally:
        os.chdir(cwd)
    if isinstance(code, tuple):
        assert code[1] in (0, 2), f"argparse exit {code[1]!r}"
        code = 2
    assert code in (0, 1, 2, 3, 4, 5), f"exit status {code!r}"
    event(f"{next((w for w in argv if w in COMMANDS), 'no command')}: exit {code}")
    shown = out + err
    printed = SECRET_PREFIX in shown  # every client secret here starts with it
    assert not printed, "a client secret was printed"
    token_shown = sealed.access in err or (sealed.access in out and "token" not in argv)
    assert not token_shown, "the access token was printed outside `csauth token`"
    if isinstance(code, int) and code >= 2 and "import" not in argv:
        assert snapshot(root) == before, "a command that failed changed files"
    shutil.rmtree(root, ignore_errors=True)


def test_a_path_that_is_not_utf8_is_printed_as_given(tmp_path, sealed):
    """`--config` with a byte that is not UTF-8 (Python holds it as a surrogate): doctor
    shows the path with that byte, as the shell passed it."""
    os.environ.update(
        CSAUTH_CONFIG=str(tmp_path / "profiles.toml"), CSAUTH_CACHE_DIR=str(tmp_path / "cache")
    )
    (code, out, err), _ = attempt("CLI main", run_main, ["--config", "\udcff.toml", "doctor"], "")
    assert code == 0, err
    assert b"\xff.toml" in out.encode("utf-8", "surrogateescape")


def test_an_output_name_too_long_for_the_disk_is_refused(tmp_path, sealed):
    os.environ.update(
        CSAUTH_CONFIG=str(tmp_path / "profiles.toml"), CSAUTH_CACHE_DIR=str(tmp_path / "cache")
    )
    name = "x" * 300  # most file systems stop at 255 bytes
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        (code, out, err), _ = attempt("CLI main", run_main, ["export", "--output", name], "")
    finally:
        os.chdir(cwd)
    assert code == 3, err
    assert err.startswith("csauth: error: cannot write ") and name in err, err
    assert "File name too long" in err and "nothing was written" in err, err
    assert out == "" and list(tmp_path.iterdir()) == [], "something was written"
