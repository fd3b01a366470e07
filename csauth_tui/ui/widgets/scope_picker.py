"""The scopes to ask for: a checklist that keeps enrichment alone (choosing it clears the
others, with a notice; choosing another clears it).

One widget drawing its lines, where Textual's SelectionList is an option list with nine
styled parts: a tenth of the start's styling work for the same look and keys (up/down,
home/end, page up/down, space or enter toggles, a click toggles the line). When there are
more scopes than its max-height lets it show, it shows a window that follows the cursor.
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
from ..text import plain

BOX_LEFT, BOX_RIGHT = "▐", "▌"  # as Textual's toggle buttons
# Ticked or not is said by the glyph, not only by its colour: a monochrome terminal or
# NO_COLOR shows "▐X▌" and "▐ ▌" (Textual's toggles draw an X in both and colour it).
TICKED, UNTICKED = "X", " "


class ScopePicker(Widget, can_focus=True):
    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("home", "move_to(0)", "First", show=False),
        Binding("end", "move_to(-1)", "Last", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("space,enter", "toggle_scope", "Toggle", show=False),
    ]
    COMPONENT_CLASSES = {"scope-picker--box", "scope-picker--box-on", "scope-picker--cursor"}
    DEFAULT_CSS = """
    ScopePicker {
        height: auto;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;  /* a line too long for the pane ends in "…", never folds */
        & > .scope-picker--box { color: $panel-darken-2; background: $panel; }
        & > .scope-picker--box-on { color: $text-success; background: $panel; }
        & > .scope-picker--cursor {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .scope-picker--cursor {
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
        self._top = 0  # the first line shown, when not all of them fit
        self._cursor_shown = False  # as SelectionList: once focused, until the list changes

    def set_scopes(self, chosen: Iterable[str], extra: Iterable[str] = ()) -> None:
        """Known scopes plus any custom one, with `chosen` ticked; posts no change."""
        chosen = list(chosen)
        options = list(KNOWN_SCOPES)
        options += [s for s in dict.fromkeys([*extra, *chosen]) if s not in options]
        self._options = options
        self._chosen = set(chosen)
        self._top = 0
        self._cursor_shown = self.has_focus
        self.highlighted = 0  # a new list: the cursor back on its first line
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

    def action_page(self, pages: int) -> None:
        self.action_move(pages * max(1, self._shown_lines()))

    def action_toggle_scope(self) -> None:
        if 0 <= self.highlighted < len(self._options):
            self.toggle(self._options[self.highlighted])

    def on_click(self, event: events.Click) -> None:
        line = self._top + event.y
        if 0 <= event.y < self._shown_lines() and line < len(self._options):
            self.highlighted = line
            self.toggle(self._options[line])

    def toggle(self, scope: str) -> None:
        """Tick or untick `scope`, keeping enrichment alone (with a notice)."""
        if scope in self._chosen:
            self._chosen.discard(scope)
        elif scope == EXCLUSIVE_SCOPE and self._chosen:
            self._chosen = {EXCLUSIVE_SCOPE}
            self.notify(
                "enrichment cannot be combined with other scopes: the others were cleared",
                title="Scopes",
            )
        elif scope != EXCLUSIVE_SCOPE and EXCLUSIVE_SCOPE in self._chosen:
            self._chosen = {scope}
            self.notify(
                "enrichment cannot be combined with other scopes: it was cleared", title="Scopes"
            )
        else:
            self._chosen.add(scope)
        self.refresh()
        self.post_message(self.SelectedChanged(self))

    def on_focus(self) -> None:
        self._cursor_shown = True
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(1, event)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(-1, event)

    def _scroll(self, step: int, event: events.MouseEvent) -> None:
        top = max(0, min(len(self._options) - self._shown_lines(), self._top + step))
        if top != self._top:  # only then is the wheel ours, not the panel's
            event.stop()
            self._top = top
            self.refresh()

    def validate_highlighted(self, index: int) -> int:
        return max(0, min(index, len(self._options) - 1))

    def watch_highlighted(self, index: int) -> None:
        shown = self._shown_lines()
        if index < self._top:
            self._top = index
        elif index >= self._top + shown:
            self._top = index - shown + 1
        self.refresh()

    def _shown_lines(self) -> int:
        return self.size.height or len(self._options)

    # --- drawing ------------------------------------------------------------------------

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._options)

    def render(self) -> Content:
        width = self.size.width
        off = self.get_visual_style("scope-picker--box")
        on = self.get_visual_style("scope-picker--box-on")
        cursor = self.get_visual_style("scope-picker--cursor")
        dim = Style(dim=True)
        lines = []
        shown = self._options[self._top : self._top + self._shown_lines()]
        for index, scope in enumerate(shown, start=self._top):
            ticked = scope in self._chosen
            box = on if ticked else off
            side = Style(foreground=box.background)  # half blocks: the box's edges
            line = Content.assemble(
                (BOX_LEFT, side),
                (TICKED if ticked else UNTICKED, box),
                (BOX_RIGHT, side),
                f" {plain(scope)}  ",  # a profile's own scope
                (KNOWN_SCOPES.get(scope, "custom scope"), dim),
            )
            if index == self.highlighted and self._cursor_shown:
                line = line.pad_right(max(0, width - line.cell_length)).stylize_before(cursor)
            lines.append(line)
        return Content("\n").join(lines)
