"""The scopes to ask for: a checklist that keeps enrichment alone (choosing it clears the
others, with a notice; choosing another clears it).

One widget drawing its lines, where Textual's SelectionList is an option list with nine
styled parts: a tenth of the start's styling work for the same look and keys (up/down,
home/end, space or enter toggles, a click toggles the line).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from ...core.scopes import EXCLUSIVE_SCOPE, KNOWN_SCOPES

BOX_LEFT, BOX_INNER, BOX_RIGHT = "▐", "X", "▌"  # as Textual's toggle buttons


class ScopePicker(Widget, can_focus=True):
    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("home", "move_to(0)", "First", show=False),
        Binding("end", "move_to(-1)", "Last", show=False),
        Binding("space,enter", "toggle", "Toggle", show=False),
    ]
    COMPONENT_CLASSES = {"scope-picker--box", "scope-picker--box-on", "scope-picker--cursor"}
    DEFAULT_CSS = """
    ScopePicker {
        height: auto;
        background: $surface;
        text-wrap: nowrap;
        & > .scope-picker--box { color: $panel-darken-2; background: $panel; }
        & > .scope-picker--box-on { color: $text-success; background: $panel; }
        & > .scope-picker--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class SelectedChanged(Message):
        """The ticked scopes changed, by the user (set_scopes posts none)."""

        ALLOW_SELECTOR_MATCH = {"control"}

        def __init__(self, picker: ScopePicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> ScopePicker:
            return self.picker

    highlighted: reactive[int] = reactive(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._options: list[str] = []
        self._chosen: set[str] = set()

    def set_scopes(self, chosen: Iterable[str], extra: Iterable[str] = ()) -> None:
        """Known scopes plus any custom one, with `chosen` ticked; posts no change."""
        chosen = list(chosen)
        options = list(KNOWN_SCOPES)
        options += [s for s in dict.fromkeys([*extra, *chosen]) if s not in options]
        self._options = options
        self._chosen = set(chosen)
        self.highlighted = min(self.highlighted, len(options) - 1)
        self.refresh(layout=True)

    @property
    def selected(self) -> list[str]:
        """The ticked scopes, in the list's order."""
        return [s for s in self._options if s in self._chosen]

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.selected)

    def deselect(self, scope: str) -> None:
        self._chosen.discard(scope)
        self.refresh()

    # --- keys and mouse -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self._options:
            self.highlighted = max(0, min(len(self._options) - 1, self.highlighted + step))

    def action_move_to(self, index: int) -> None:
        if self._options:
            self.highlighted = index % len(self._options)

    def action_toggle(self) -> None:
        if 0 <= self.highlighted < len(self._options):
            self.toggle(self._options[self.highlighted])

    def on_click(self, event: events.Click) -> None:
        line = event.y
        if 0 <= line < len(self._options):
            self.highlighted = line
            self.toggle(self._options[line])

    def toggle(self, scope: str) -> None:
        """Tick or untick `scope`, keeping enrichment alone (with a notice)."""
        if scope in self._chosen:
            self._chosen.discard(scope)
        elif scope == EXCLUSIVE_SCOPE and self._chosen:
            self._chosen = {EXCLUSIVE_SCOPE}
            self.notify("enrichment cannot be combined with other scopes: the others were "
                        "cleared", title="Scopes")
        elif scope != EXCLUSIVE_SCOPE and EXCLUSIVE_SCOPE in self._chosen:
            self._chosen = {scope}
            self.notify("enrichment cannot be combined with other scopes: it was cleared",
                        title="Scopes")
        else:
            self._chosen.add(scope)
        self.refresh()
        self.post_message(self.SelectedChanged(self))

    def watch_highlighted(self) -> None:
        self.refresh()

    # --- drawing ------------------------------------------------------------------------

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._options)

    def render(self) -> Content:
        width = self.size.width
        off = self.get_visual_style("scope-picker--box")
        on = self.get_visual_style("scope-picker--box-on")
        cursor = self.get_visual_style("scope-picker--cursor") if self.has_focus else None
        dim = Style(dim=True)
        lines = []
        for index, scope in enumerate(self._options):
            box = on if scope in self._chosen else off
            side = Style(foreground=box.background)  # half blocks: the box's edges
            line = Content.assemble((BOX_LEFT, side), (BOX_INNER, box), (BOX_RIGHT, side),
                                    f" {scope}  ",
                                    (KNOWN_SCOPES.get(scope, "custom scope"), dim))
            if index == self.highlighted and cursor is not None:
                line = line.pad_right(max(0, width - line.cell_length)).stylize_before(cursor)
            lines.append(line)
        return Content("\n").join(lines)
