"""`csauth token --format env --shell posix|fish|powershell|dotenv` (issue 15 §5): values
quoted for the shell that reads them, checked by evaluating them where the shell exists
(sh, fish) and by each syntax's own rules (python-dotenv's, PowerShell's)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from csauth_tui.core.errors import CsauthError
from csauth_tui.core.shells import POWERSHELL_QUOTES, assignment, env_lines, quote

HOSTILE = [
    "plain.jwt.value",
    "it's",
    'say "hi"',
    "$HOME ${HOME} $(id) `id`",
    "back\\slash \\' \\\\ end\\",
    "semi; rm -rf /tmp/x & echo pwned | cat",
    "'",
    "''",
    '"',
    "\\",
    "",
    "smart \u2018quotes\u2019 \u201a \u201b",
    "https://api.eu-west-1.production.contentsquare.com/path?q=1&r=$x#frag",
]
VALUES = {f"CS_VAR_{i}": value for i, value in enumerate(HOSTILE)}


def test_posix_lines_evaluated_by_sh_give_back_every_value():
    script = (
        env_lines(VALUES, "posix")
        + "\n"
        + "".join(f'printf "%s\\0" "${name}"\n' for name in VALUES)
    )
    out = subprocess.run(
        ["sh", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    assert out.stdout.split("\0")[:-1] == HOSTILE


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_lines_evaluated_by_fish_give_back_every_value(tmp_path):
    script = (
        env_lines(VALUES, "fish") + "\n" + "".join(f'printf "%s\\0" "${name}"\n' for name in VALUES)
    )
    path = tmp_path / "env.fish"
    path.write_text(script)
    out = subprocess.run(
        ["fish", "--no-config", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.stdout.split("\0")[:-1] == HOSTILE


def dotenv_value(line: str) -> tuple[str, str]:
    """A `NAME='value'` line read by python-dotenv's rules for single-quoted values: the
    value runs to the first `'` not escaped by a backslash; `\\'` and `\\\\` are the only
    escapes; nothing is expanded."""
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)='((?:\\'|[^'])*)'", line)
    assert match, line
    return match[1], re.sub(r"\\([\\'])", r"\1", match[2])


def test_dotenv_lines_read_back_by_python_dotenv_rules():
    lines = env_lines(VALUES, "dotenv").splitlines()
    assert dict(dotenv_value(line) for line in lines) == VALUES


def powershell_value(line: str) -> tuple[str, str]:
    """`$env:NAME = '...'` read by PowerShell's rules for a single-quoted string: any of
    the single-quote characters (' and U+2018..U+201B) ends it, except when doubled,
    which stands for one; nothing else is special ($ and ` are text)."""
    match = re.fullmatch(r"\$env:([A-Za-z_][A-Za-z0-9_]*) = '(.*)", line, re.S)
    assert match, line
    name, rest = match[1], match[2]
    value, i = "", 0
    while i < len(rest):
        char = rest[i]
        if char in POWERSHELL_QUOTES:
            if i + 1 < len(rest) and rest[i + 1] in POWERSHELL_QUOTES:
                value += rest[i + 1]
                i += 2
                continue
            assert i == len(rest) - 1, f"the string ends early: {line!r}"
            return name, value
        value += char
        i += 1
    raise AssertionError(f"unterminated: {line!r}")


def test_powershell_lines_read_back_by_powershell_quoting_rules():
    lines = env_lines(VALUES, "powershell").splitlines()
    assert dict(powershell_value(line) for line in lines) == VALUES


def test_the_syntax_of_each_shell():
    assert assignment("A", "x.y", "posix") == "export A=x.y"
    assert assignment("A", "it's", "posix") == "export A='it'\"'\"'s'"
    assert assignment("A", "it's", "fish") == "set -gx A 'it\\'s'"
    assert assignment("A", "it's", "powershell") == "$env:A = 'it''s'"
    assert assignment("A", "it's", "dotenv") == "A='it\\'s'"


@pytest.mark.parametrize("shell", ["posix", "fish", "powershell", "dotenv"])
@pytest.mark.parametrize("value", ["two\nlines", "esc\x1b[2J", "bidi\u202e", "cr\r"])
def test_a_value_with_control_characters_is_refused_not_quoted(shell, value):
    with pytest.raises(CsauthError) as caught:
        env_lines({"CS_ACCESS_TOKEN": value}, shell)
    assert "CS_ACCESS_TOKEN holds control characters" in str(caught.value)
    assert value not in str(caught.value)


def test_an_unknown_shell_is_a_programming_error():
    with pytest.raises(ValueError):
        quote("x", "tcsh")
