"""What /v1/oauth/me said: the known fields on top, the whole JSON as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from ..text import escape
from textual.widgets import Static, Tree

if TYPE_CHECKING:  # the API client (httpx and all) is loaded on the first request, not at start
    from ...core.api import MeInfo


class MePanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("[dim]/me not loaded: press [b]m[/] to ask Contentsquare about this "
                     "credential.[/]", id="me-summary")
        yield Tree("/v1/oauth/me", id="me-tree")

    def on_mount(self) -> None:
        self.query_one("#me-tree").display = False

    def show(self, info: MeInfo | None, status: str = "") -> None:
        summary = self.query_one("#me-summary", Static)
        tree = self.query_one("#me-tree", Tree)
        if info is None:
            summary.update(status or "[dim]/me not loaded: press [b]m[/] to load it.[/]")
            tree.display = False
            return
        scopes = (escape(" ".join(info.scopes)) if info.scopes is not None
                  else "[dim](not reported)[/]")
        if info.projects is None:
            projects = "[dim](not reported)[/]"
        else:
            projects = escape(", ".join(f"{pid} {name}" for pid, name in info.projects)) or "none"
        lines = [f"scopes    {scopes}", f"projects  {projects}"]
        if info.created:
            lines.append(f"created   {escape(info.created)}")
        summary.update("\n".join(lines) + (f"\n{status}" if status else ""))
        tree.clear()
        tree.root.expand()
        tree.add_json(info.raw)
        tree.root.set_label("/v1/oauth/me")
        tree.root.expand_all()
        tree.display = True
