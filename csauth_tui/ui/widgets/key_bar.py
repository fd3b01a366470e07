"""The key bar (the footer): every key the screen offers now, as one line of one widget.
Not named Footer, so that Textual's Footer CSS and this one never style each other.

Textual's Footer is a container with a widget per key, rebuilt (each key composed, styled
and laid out again) whenever the bindings change; at start that cost ~50 ms and a frame of
its own, after everything else was already on screen. This one reads the screen's active
bindings when it paints, so a change of bindings is a repaint. A key is still clickable:
a click on its cells presses the key, as Textual's footer keys do, and the mouse over it
lights it up.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget

PALETTE_WIDTH_MIN = 12  # below this many free cells the palette key is left out
ALWAYS_SHOWN = ("help", "quit")  # actions whose keys a narrow bar keeps to the last


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--palette", "keybar--hover"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keybar--palette {
            color: $foreground 20%;
        }
        .keybar--hover {
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._places: list[tuple[int, int, str]] = []  # (first cell, end, key), as painted
        self._hovered: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        self.refresh()  # several changes in a row are one repaint

    def shown_keys(self) -> Iterator[tuple[Binding, bool]]:
        """(binding, enabled) per action with a key to show, in the screen's order: the
        first key bound to an action speaks for it, as in Textual's footer."""
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                yield binding, enabled

    def _palette_key(self) -> Binding | None:
        app = self.app
        if not app.ENABLE_COMMAND_PALETTE:
            return None
        found = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        return found.binding if found is not None else None

    def _key(
        self,
        binding: Binding,
        enabled: bool,
        description: str,
        styles: tuple[Style, Style],
        pad: str = " ",
    ) -> list[tuple[str, Style]]:
        key_style, text_style = styles
        if not enabled:
            key_style, text_style = key_style + Style(dim=True), text_style + Style(dim=True)
        if binding.key == self._hovered:
            hover = self.get_visual_style("keybar--hover")
            key_style, text_style = key_style + hover, text_style + hover
        return [
            (f"{pad}{self.app.get_key_display(binding)} ", key_style),
            (f"{description} " if description else "", text_style),
        ]

    def render(self) -> Content:
        """As many whole keys as the width holds: `? Help` and `q Quit` first, then the
        palette key on the right, then the others in the screen's order (the help screen
        lists them all)."""
        width = self.size.width
        styles = (
            self.get_visual_style("keybar--key"),
            self.get_visual_style("keybar--description"),
        )
        palette = self._palette_key()
        keys = [
            (binding, self._key(binding, enabled, binding.description, styles))
            for binding, enabled in self.shown_keys()
            if binding.action != "app.command_palette" and binding is not palette
        ]
        kept = {id(b) for b, key in keys if b.action in ALWAYS_SHOWN}
        room = width - sum(_cells(key) for b, key in keys if id(b) in kept)
        right: list[tuple[str, Style]] = []
        if palette is not None and width >= PALETTE_WIDTH_MIN:
            key = self._key(palette, True, palette.description, styles, pad="")
            right = [("▏", self.get_visual_style("keybar--palette")), *key]
            if _cells(right) <= room:
                room -= _cells(right)
            else:
                right = []
        for binding, key in keys:
            if id(binding) in kept:
                continue
            if _cells(key) > room:
                break  # only whole keys, and none after one left out
            kept.add(id(binding))
            room -= _cells(key)
        places: list[tuple[int, int, str]] = []
        left: list[tuple[str, Style]] = []
        used = 0
        for binding, key in keys:
            cells = _cells(key)
            if id(binding) not in kept or used + cells > width - _cells(right):
                continue  # the kept keys of a very narrow bar: those that fit
            places.append((used, used + cells, binding.key))
            left += key
            used += cells
        if right and palette is not None:
            places.append((width - _cells(right) + 1, width, palette.key))
        self._places = places
        gap = max(0, width - _cells(right) - used)
        return Content.assemble(*left, " " * gap, *right)

    def key_at(self, x: int) -> str | None:
        """The key painted at cell `x`, if any."""
        return next((key for start, end, key in self._places if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is not None:
            self.app.simulate_key(key)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self.key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover(None)

    def _hover(self, key: str | None) -> None:
        if key != self._hovered:
            self._hovered = key
            self.refresh()


def _cells(parts: list[tuple[str, Style]]) -> int:
    return sum(cell_len(text) for text, _ in parts)
