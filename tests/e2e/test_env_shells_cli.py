"""`csauth token --format env --shell ...` end to end: the lines a shell evaluates give it
the token `csauth token` prints (issue 15 §5)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.e2e.conftest import CliEnv

SHOW = {"posix": ["sh", "-c"], "fish": ["fish", "--no-config", "-c"]}


@pytest.mark.parametrize("shell", ["posix", "fish"])
def test_the_env_lines_evaluated_give_the_token(cli: CliEnv, shell):
    if shutil.which(SHOW[shell][0]) is None:
        pytest.skip(f"{SHOW[shell][0]} is not installed")
    token = cli.run("token", "prod")
    lines = cli.run("token", "prod", "--format", "env", "--shell", shell)
    assert lines.returncode == 0, lines.stderr
    out = subprocess.run(
        [*SHOW[shell], lines.stdout + 'printf "%s\\n%s\\n" "$CS_ACCESS_TOKEN" "$CS_API_BASE_URL"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == token.stdout + cli.fake.url + "\n"
    assert cli.token_requests() == 1  # the second came from the cache


def test_powershell_and_dotenv_lines(cli: CliEnv):
    ps = cli.run("token", "prod", "--format", "env", "--shell", "powershell")
    assert ps.stdout.startswith("$env:CS_ACCESS_TOKEN = '")
    dotenv = cli.run("token", "prod", "--format", "env", "--shell", "dotenv")
    assert dotenv.stdout.startswith("CS_ACCESS_TOKEN='")
    assert len(dotenv.stdout.splitlines()) == 3


def test_shell_goes_with_the_env_format_only(cli: CliEnv):
    result = cli.run("token", "prod", "--shell", "fish")
    assert result.returncode == 2
    assert "--shell goes with --format env" in result.stderr
