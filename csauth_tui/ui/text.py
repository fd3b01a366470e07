"""Putting text we did not write (server answers, file values, error messages) on screen.

`escape`: for Textual markup. It makes the text inert first (core.text: an escape sequence
is shown as `\\x1b`, never obeyed by the terminal), then escapes every opening bracket:
textual.markup.escape only escapes lower-case tags, so "[FR] Shop" would still lose its
"[FR]". `plain`: the same for a Rich Text / Content / label that is not markup."""

from ..core.text import inert


def escape(text: object) -> str:
    return inert(text, keep_newlines=True).replace("[", "\\[")


def plain(text: object) -> str:
    return inert(text, keep_newlines=True)
