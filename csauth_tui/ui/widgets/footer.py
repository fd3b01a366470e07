"""Textual's Footer, rebuilt once per burst of binding changes.

The stock Footer recomposes (a dozen keys, each styled) once per bindings signal; the
app's start sends three in a row (two focus changes, the screen stack), ~25 ms each,
before the footer first shows. One rebuild reads the bindings as they are when it runs,
so it shows what the last of the three would have shown.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False  # a change from now on needs a rebuild of its own
        await self.recompose()
