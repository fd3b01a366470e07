"""Environment variable assignments for a shell to evaluate (`csauth token --format env
--shell ...`). Standard library only: the cached `csauth token` prints through it.

Every value is single-quoted by the rules of the shell that reads it, so that `'`, `"`,
`$`, a backquote or a backslash in a value stay text:

- posix      `export NAME='value'` (sh, bash, zsh: shlex.quote, `'` as `'"'"'`)
- fish       `set -gx NAME 'value'` (in fish's single quotes `\\'` and `\\\\` are escapes)
- powershell `$env:NAME = 'value'` (a quote is doubled; PowerShell also ends a single-
             quoted string at the typographic quotes U+2018..U+201B, doubled the same way)
- dotenv     `NAME='value'` (python-dotenv's rules: single quotes, no `${VAR}` expansion,
             `\\'` and `\\\\` are escapes; docker compose and others read it too)

A value holding a control character (a newline, ESC...) is refused rather than quoted:
no real token, URL or date holds one, and each shell treats them differently.
"""

from __future__ import annotations

import shlex

from .errors import CsauthError
from .text import control_characters

SHELLS = ("posix", "fish", "powershell", "dotenv")
POWERSHELL_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


def quote(value: str, shell: str) -> str:
    """`value` as one single-quoted word of `shell`."""
    if shell == "posix":
        return shlex.quote(value)
    if shell in ("fish", "dotenv"):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "powershell":
        for mark in POWERSHELL_QUOTES:
            value = value.replace(mark, mark * 2)
        return "'" + value + "'"
    raise ValueError(f"unknown shell '{shell}' (known: {', '.join(SHELLS)})")


def assignment(name: str, value: str, shell: str) -> str:
    quoted = quote(value, shell)
    if shell == "posix":
        return f"export {name}={quoted}"
    if shell == "fish":
        return f"set -gx {name} {quoted}"
    if shell == "powershell":
        return f"$env:{name} = {quoted}"
    return f"{name}={quoted}"


def env_lines(values: dict[str, str], shell: str = "posix") -> str:
    """One assignment per line, in the order of `values`."""
    for name, value in values.items():
        found = control_characters(value)
        if found:
            raise CsauthError(
                f"{name} holds control characters ({', '.join(found)}): not "
                f"printed as {shell} env lines",
                hint="`csauth forget` drops the cached token; fetch a new one",
            )
    return "\n".join(assignment(name, value, shell) for name, value in values.items())
