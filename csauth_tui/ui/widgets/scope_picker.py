"""A SelectionList of scopes that keeps enrichment alone: choosing it clears the others
(with a notice), choosing another clears it."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.widgets import SelectionList

from ...core.scopes import EXCLUSIVE_SCOPE, KNOWN_SCOPES


class ScopePicker(SelectionList[str]):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._previous: set[str] = set()
        self._quiet = False

    def set_scopes(self, chosen: Iterable[str], extra: Iterable[str] = ()) -> None:
        """Known scopes plus any custom one, with `chosen` ticked; posts no change."""
        chosen = list(chosen)
        options = list(KNOWN_SCOPES)
        options += [s for s in [*extra, *chosen] if s not in options]
        self._quiet = True
        try:
            self.clear_options()
            self.add_options([(f"{s}  [dim]{KNOWN_SCOPES.get(s, 'custom scope')}[/]", s,
                               s in chosen) for s in options])
        finally:
            self._quiet = False
        self._previous = set(chosen)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.selected)

    @on(SelectionList.SelectedChanged)
    def _keep_enrichment_alone(self, event: SelectionList.SelectedChanged) -> None:
        if self._quiet:
            event.stop()
            return
        now = set(self.selected)
        added = now - self._previous
        if EXCLUSIVE_SCOPE in added and len(now) > 1:
            self._previous = {EXCLUSIVE_SCOPE}
            for scope in now - {EXCLUSIVE_SCOPE}:
                self.deselect(scope)
            self.notify("enrichment cannot be combined with other scopes: the others were "
                        "cleared", title="Scopes")
        elif EXCLUSIVE_SCOPE in now and added - {EXCLUSIVE_SCOPE}:
            self._previous = now - {EXCLUSIVE_SCOPE}
            self.deselect(EXCLUSIVE_SCOPE)
            self.notify("enrichment cannot be combined with other scopes: it was cleared",
                        title="Scopes")
        else:
            self._previous = now
