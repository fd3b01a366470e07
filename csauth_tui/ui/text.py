"""Putting text we did not write (server answers, file values, error messages) on screen.

`escape`: for Textual markup. It makes the text inert first (core.text: an escape sequence
is shown as `\\x1b`, never obeyed by the terminal), then escapes every opening bracket:
textual.markup.escape only escapes lower-case tags, so "[FR] Shop" would still lose its
"[FR]". `plain`: the same for a Rich Text / Content / label that is not markup.
`InertHighlighter`: for an Input, whose value may be anything pasted."""

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.text import Text

from ..core.text import inert


def escape(text: object) -> str:
    return inert(text, keep_newlines=True).replace("[", "\\[")


def plain(text: object) -> str:
    return inert(text, keep_newlines=True)


NAME_CELLS = 32  # a name in a dialog's title or question


def clip(text: object, cells: int = NAME_CELLS) -> str:
    """Text we did not write, inert and on one line, cut to `cells` terminal cells with
    "…" at the end when longer: a name in a title, a question or a toast."""
    shown = inert(text)
    if cell_len(shown) <= cells:
        return shown
    cut = Text(shown)
    cut.truncate(max(1, cells - 1))
    return cut.plain.rstrip() + "…"


class InertHighlighter(Highlighter):
    """An Input's highlighter that draws its value inert: Textual's Input draws what it
    holds as it is, so a pasted escape sequence (or a profile's hostile description in
    the edit form) would reach the terminal. Only the drawing changes: the value is kept
    as typed, so saving loses nothing (the cursor may sit off by the escapes' width)."""

    def __call__(self, text: str | Text) -> Text:
        plain_text = text if isinstance(text, str) else text.plain
        shown = inert(plain_text)
        if shown == plain_text and isinstance(text, Text):
            return text
        return Text(shown, no_wrap=True, overflow="ignore", end="")

    def highlight(self, text: Text) -> None:
        pass
