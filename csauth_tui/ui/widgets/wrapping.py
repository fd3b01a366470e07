"""Lines for a narrow column that never split a word: break at spaces; a word too long for
the column (a URL, an environment variable's name) breaks after its own punctuation
(`https://api.` / `contentsquare.com`), and only a run with none is cut at the edge.

Rich and Textual fold a long word at the column's edge (`https://api.contentsqu` /
`are.com`). Cutting it short with "…" instead would hide its end, and the end of a URL is
where a look-alike host hides: a value here is shown whole.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

ELLIPSIS = "…"
STACK_BELOW = 24  # a value column narrower than this: each label on its own line, above
WORD = re.compile(r"\S+")
PIECE = re.compile(r"[^/.\-_:?&=,;@]*[/.\-_:?&=,;@]+|[^/.\-_:?&=,;@]+")


def _cut(text: str, start: int, end: int, width: int) -> int:
    """Where text[start:end] must be cut to hold `width` cells (at least one character)."""
    cells = 0
    for index in range(start, end):
        cells += cell_len(text[index])
        if cells > width:
            return max(index, start + 1)
    return end


def _units(line: str, width: int):
    """(start, end) of what may not be broken: words, or a long word's pieces."""
    for word in WORD.finditer(line):
        if cell_len(word.group()) <= width:
            yield word.span()
            continue
        for piece in PIECE.finditer(word.group()):
            start, end = word.start() + piece.start(), word.start() + piece.end()
            while cell_len(line[start:end]) > width:
                cut = _cut(line, start, end, width)
                yield start, cut
                start = cut
            yield start, end


def line_spans(line: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each line `line` (no newline in it) takes at `width` cells."""
    width = max(1, width)
    spans: list[tuple[int, int]] = []
    start = end = -1
    for unit_start, unit_end in _units(line, width):
        if start < 0:  # a line's indent is kept, when there is room for it
            start = 0 if cell_len(line[:unit_end]) <= width else unit_start
            end = unit_end
        elif cell_len(line[start:unit_end]) <= width:
            end = unit_end
        else:
            spans.append((start, end))
            start, end = unit_start, unit_end
    if start >= 0:
        spans.append((start, end))
    return spans or [(0, 0)]


def wrap(text: Text, width: int, max_lines: int | None = None) -> Text:
    """`text` broken into lines of at most `width` cells, styles kept; past `max_lines`
    the last line kept ends in "…"."""
    width = max(1, width)
    lines: list[Text] = []
    for part in text.split("\n", allow_blank=True):
        lines += [part[start:end] for start, end in line_spans(part.plain, width)]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        last.truncate(width - 1)
        last.rstrip()
        last.append(ELLIPSIS)
    return Text("\n").join(lines)


class Wrapped:
    """`text` broken for the width Rich gives it (Textual measures the height at a new
    width before the widget's size changes, so the width is not taken from the widget)."""

    def __init__(self, text: Text, max_lines: int | None = None) -> None:
        self.text = text
        self.max_lines = max_lines

    def __rich_console__(self, console, options):
        yield wrap(self.text, options.max_width, self.max_lines)


class Rows:
    """Label / value rows: a value wraps under itself, not under its label, broken
    between words; each label goes above its value when the value column is narrow.
    `short`: the rows cut to a number of lines, ending in "…"."""

    def __init__(
        self,
        rows: list[tuple[str, Text]],
        label_style,
        label_width: int,
        short: dict[str, int] | None = None,
    ) -> None:
        self.rows = rows
        self.label_style = label_style
        self.label_width = label_width
        self.short = short or {}

    def __rich_console__(self, console, options):
        width = options.max_width
        if width - self.label_width < STACK_BELOW:
            stacked = []
            for label, value in self.rows:
                shown = wrap(value, width - 2, self.short.get(label))
                stacked += [
                    Text(label, style=self.label_style),
                    *(Text("  ") + line for line in shown.split("\n")),
                ]
            yield Text("\n").join(stacked)
            return
        grid = Table.grid(padding=0, expand=True)
        grid.add_column(width=self.label_width, no_wrap=True, style=self.label_style)
        grid.add_column(ratio=1, overflow="fold")
        for label, value in self.rows:
            grid.add_row(label, wrap(value, width - self.label_width, self.short.get(label)))
        yield grid
