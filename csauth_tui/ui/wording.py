"""What the app says in words of its own: an error's title and message, the [settings]
refusal, the empty states and the broken-file banner. Hints name the app's keys
("press m"), not the CLI's commands. Plain Python (no Textual); markup is escaped here."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import CsauthError

# The core's hints speak to a shell ("`csauth me` lists them"); in the app, its own keys.
APP_HINTS = {
    "SecretError": 'press e to store the secret, or choose secret = "env:VAR"',
    "ForbiddenError": "press m to see what this credential may reach",
    "RefusedError": "press m to see what this credential may reach",
}


def describe_error(error: BaseException) -> tuple[str, str]:
    """(title, message) for showing `error` in the app: the title is the error's own
    (core/errors.py); a hint naming a csauth command is replaced by the app's key."""
    if not isinstance(error, CsauthError):
        return "Error", f"unexpected {type(error).__name__}; run `csauth -v` for details"
    hint = error.hint
    if hint and "csauth " in hint:
        hint = next(
            (APP_HINTS[cls.__name__] for cls in type(error).__mro__ if cls.__name__ in APP_HINTS),
            None,
        )
    return error.title, error.message if not hint else f"{error.message} ({hint})"


def settings_message(problems) -> str:
    """[settings] errors as one line: what is wrong, and that nothing is sent meanwhile."""
    return "[settings] is invalid: " + "; ".join(str(p) for p in problems)


def empty_state(path: Path, exists: bool, load_error: str | None) -> str:
    """The note in place of an empty profile list (content markup)."""
    from .text import escape  # Rich: only when there is something to draw

    if load_error:
        return (
            f"[b red]The profiles file cannot be read[/]\n\n{escape(load_error)}\n\n"
            "Fix the line above (nothing was changed): csauth reads it again as soon "
            "as it changes."
        )
    if not exists:
        return (
            f"[b]No profiles file yet[/]\n\ncsauth looks for it at\n  {escape(path)}\n\n"
            "Press [b]a[/] to add your first credential (the secret goes to the OS "
            "keyring), or [b]i[/] to import a team's TOML, JSON or CSV file.\n\n"
            "Press [b]?[/] for every key, [b]q[/] to quit."
        )
    return (
        f"[b]No profiles in[/] {escape(path)}\n\nPress [b]a[/] to add one, "
        "or [b]i[/] to import a TOML, JSON or CSV file."
    )


def broken_file_banner(load_error: str) -> str:
    """Above the last good table when the file broke since (content markup)."""
    from .text import escape

    return (
        f"[b red]The profiles file cannot be read now[/] {escape(load_error)}\n"
        "[dim]Showing what it held before; fix the line above and it is read again.[/]"
    )
