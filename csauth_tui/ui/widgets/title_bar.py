"""The top line: the key icon (a click opens the command palette) and the title with what
the app works on. One widget where Textual's Header is four (icon, title, clock space).

It also brings its screen the "terminal too small" note (too_small.py): whatever screen
shows the title bar gets the note, with no line of its own in the screen's compose."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

from .too_small import TooSmall

ICON_WIDTH = 8  # as Textual's Header: the icon's cell and the space kept on the right
RIGHT_SPACE = 10


class TitleBar(Widget):
    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, icon: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.icon = icon

    def on_mount(self) -> None:
        if not self.screen.query(TooSmall):
            self.screen.mount(TooSmall())
        for attribute in ("title", "sub_title"):
            self.watch(self.app, attribute, self._title_changed, init=False)

    def _title_changed(self) -> None:
        self.refresh()

    def render(self) -> Content:
        width = self.size.width
        icon = Content(f" {self.icon}")
        icon = icon.pad_right(max(0, ICON_WIDTH - icon.cell_length))
        room = max(0, width - ICON_WIDTH - RIGHT_SPACE)
        title = self.app.format_title(self.app.title, self.app.sub_title)
        if title.cell_length > room:
            title = title.truncate(room, ellipsis=True)
        return icon + title.center(room) + Content(" " * RIGHT_SPACE)

    def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            self.app.action_command_palette()
