"""The note shown instead of the layout when the terminal is too small to use it.

Below MIN_WIDTH x MIN_HEIGHT the detail pane has no room left for a word, so rather than
a garbled screen the user reads what is wrong and how big the terminal must be. The keys
still work (q quits); the layout comes back as it was once the terminal is big enough.

The note puts the class `-too-small` on its screen; the screen's CSS (app.tcss) hides
every other child of the screen then. It listens to the screen's public
`screen_layout_refresh_signal`, published after every layout (a resize is one).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 56, 16
TOO_SMALL = "-too-small"


def too_small_text(width: int, height: int) -> str:
    return (
        f"terminal too small: {width}x{height}, needs at least {MIN_WIDTH}x{MIN_HEIGHT}"
        "\n\nmake the terminal bigger; q quits"
    )


class TooSmall(Static):
    DEFAULT_CSS = """
    TooSmall {
        display: none;
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-align: center;
        padding: 0 1;
        color: $warning;
        text-style: bold;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="too-small", markup=False)
        self._shown_for: tuple[int, int] | None = None
        self._focused: Widget | None = None  # given back when the layout comes back

    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._check)
        self.call_after_refresh(self._check, self.screen)

    def on_unmount(self) -> None:
        self.screen.screen_layout_refresh_signal.unsubscribe(self)

    def _check(self, screen: Screen) -> None:
        width, height = screen.size
        if not width or not height:
            return
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small:
            if self._shown_for != (width, height):
                self.update(too_small_text(width, height))
                self._shown_for = (width, height)
            if not screen.has_class(TOO_SMALL):
                self._focused = screen.focused
                screen.add_class(TOO_SMALL)
        elif screen.has_class(TOO_SMALL):
            self._shown_for = None
            screen.remove_class(TOO_SMALL)
            if screen.focused is None and self._focused is not None and self._focused.is_attached:
                self._focused.focus()
            self._focused = None
