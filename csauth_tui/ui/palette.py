"""Command palette entries (ctrl+p), added to Textual's own (themes, quit...): every action
of the table (actions.py) that names a palette label, and a jump to each profile."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .actions import MAIN


class CsauthCommands(Provider):
    def _commands(self):
        from .screens.main import MainScreen

        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        for action in MAIN:
            if action.palette:
                yield action.palette, partial(main.run_action, action.id), action.long
        for name in main.session.pf.order:
            yield f"Switch to profile {name}", partial(main.select_profile, name), "select it"

    async def discover(self) -> Hits:
        for label, callback, help_text in self._commands():
            if not label.startswith("Switch"):
                yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, callback, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
