"""`csauth completion bash|zsh|fish` (issue 15 §4): each script run in its own shell, as
TAB would run it, against the real `csauth` on PATH; profile names come from the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import CliEnv

BIN = str(Path(sys.executable).parent)  # where the installed `csauth` is
PROFILES = """[profiles.prod-metrics]
client_id = "a"
[profiles.prod-export]
client_id = "b"
[profiles.staging]
client_id = "c"
[profiles."bad name $(touch /tmp/pwned)"]
client_id = "d"
"""


def shell_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:/usr/bin:/bin"}


def script(cli: CliEnv, shell: str, tmp_path: Path) -> Path:
    result = cli.run("completion", shell)
    assert result.returncode == 0, result.stderr
    path = tmp_path / f"csauth.{shell}"
    path.write_text(result.stdout)
    return path


def bash_complete(path: Path, line: str) -> list[str]:
    """What bash's TAB offers at the end of `line` (a trailing space: a new word)."""
    words = line.split(" ")
    array = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    code = (
        f"source {path}\nCOMP_WORDS=({array})\nCOMP_CWORD={len(words) - 1}\n"
        "_csauth\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(
        ["bash", "--norc", "-c", code], capture_output=True, text=True, env=shell_env(), check=True
    )
    return sorted(w for w in out.stdout.splitlines() if w)


@pytest.fixture
def named(cli: CliEnv) -> CliEnv:
    cli.write_profiles(PROFILES)
    return cli


def test_bash_completes_subcommands_options_choices_and_profile_names(named: CliEnv, tmp_path):
    path = script(named, "bash", tmp_path)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    top = bash_complete(path, "csauth ")
    assert {"token", "status", "use", "secret", "completion", "audit"} <= set(top)
    assert "_names" not in top  # hidden
    assert bash_complete(path, "csauth st") == ["status"]
    assert bash_complete(path, "csauth token prod") == ["prod-export", "prod-metrics"]
    assert bash_complete(path, "csauth -v token ") == ["prod-export", "prod-metrics", "staging"]
    assert bash_complete(path, "csauth status staging ") == [
        "prod-export",
        "prod-metrics",
        "staging",
    ]
    assert bash_complete(path, "csauth secret ") == ["set"]
    assert bash_complete(path, "csauth secret set st") == ["staging"]
    assert bash_complete(path, "csauth use ") == ["prod-export", "prod-metrics", "staging"]
    assert bash_complete(path, "csauth rm s") == ["staging"]
    assert bash_complete(path, "csauth add ") == []  # a new name: nothing to offer
    assert bash_complete(path, "csauth token --format ") == [
        "curl",
        "env",
        "header",
        "json",
        "token",
    ]
    assert bash_complete(path, "csauth token prod --format env --shell p") == [
        "posix",
        "powershell",
    ]
    assert "--min-ttl" in bash_complete(path, "csauth token --")
    assert bash_complete(path, "csauth completion ") == ["bash", "fish", "zsh"]
    assert bash_complete(path, "csauth audit --profile prod-m") == ["prod-metrics"]


def test_bash_reads_names_from_the_config_given_on_the_line(named: CliEnv, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[profiles.elsewhere]\nclient_id = "e"\n')
    path = script(named, "bash", tmp_path)
    assert bash_complete(path, f"csauth --config {other} token ") == ["elsewhere"]


def test_a_name_a_command_line_cannot_hold_as_is_is_never_offered(named: CliEnv, tmp_path):
    path = script(named, "bash", tmp_path)
    offered = bash_complete(path, "csauth token ")
    assert not any("$" in name or " " in name for name in offered)
    assert not Path("/tmp/pwned").exists()


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_completes(named: CliEnv, tmp_path):
    path = script(named, "zsh", tmp_path)

    def complete(*words: str) -> list[str]:
        array = " ".join("'" + w + "'" for w in words)
        code = (
            'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }\n'
            "compdef() { : }\n_files() { print FILES }\n_command_names() { print CMDS }\n"
            f"source {path}\nwords=({array})\nCURRENT={len(words)}\n_csauth\n"
        )
        out = subprocess.run(
            ["zsh", "-f", "-c", code], capture_output=True, text=True, env=shell_env(), check=True
        )
        return sorted(w for w in out.stdout.splitlines() if w)

    assert {"token", "status", "secret"} <= set(complete("csauth", ""))
    assert complete("csauth", "token", "") == ["prod-export", "prod-metrics", "staging"]
    assert complete("csauth", "secret", "set", "") == ["prod-export", "prod-metrics", "staging"]
    assert complete("csauth", "token", "--format", "") == ["curl", "env", "header", "json", "token"]
    assert complete("csauth", "import", "") == ["FILES"]
    assert complete("csauth", "exec", "prod", "--", "") == ["CMDS"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_completes(named: CliEnv, tmp_path):
    path = script(named, "fish", tmp_path)

    def complete(line: str) -> list[str]:
        code = f"source {path}; complete -C{line!r}"
        out = subprocess.run(
            ["fish", "--no-config", "-c", code],
            capture_output=True,
            text=True,
            env={**shell_env(), "HOME": str(tmp_path)},
            check=True,
        )
        return sorted(w.split("\t")[0] for w in out.stdout.splitlines() if w)

    assert {"token", "status", "secret", "completion"} <= set(complete("csauth "))
    assert complete("csauth token prod") == ["prod-export", "prod-metrics"]
    assert complete("csauth secret ") == ["set"]
    assert "staging" in complete("csauth secret set ")
    assert complete("csauth token --format ") == ["curl", "env", "header", "json", "token"]
    assert complete("csauth completion ") == ["bash", "fish", "zsh"]


def test_help_lists_the_everyday_commands(cli: CliEnv):
    result = cli.run("--help")
    for command in ("status", "use", "secret", "completion"):
        assert f"\n    {command} " in result.stdout
    assert "_names" not in result.stdout
