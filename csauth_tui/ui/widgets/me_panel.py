"""What /v1/oauth/me said: the known fields on top, the whole JSON as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Static, Tree

from ..text import escape, plain

if TYPE_CHECKING:  # the API client (httpx and all) is loaded on the first request, not at start
    from ...core.answers import MeInfo


class MePanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(
            "[dim]/me not loaded: press [b]m[/] to ask Contentsquare about this credential.[/]",
            id="me-summary",
        )

    def show(self, info: MeInfo | None, status: str = "") -> None:
        summary = self.query_one("#me-summary", Static)
        if info is None:
            summary.update(status or "[dim]/me not loaded: press [b]m[/] to load it.[/]")
            for tree in self.query("#me-tree"):
                tree.display = False
            return
        scopes = (
            escape(" ".join(info.scopes)) if info.scopes is not None else "[dim](not reported)[/]"
        )
        if info.projects is None:
            projects = "[dim](not reported)[/]"
        else:
            projects = escape(", ".join(f"{pid} {name}" for pid, name in info.projects)) or "none"
        lines = [f"scopes    {scopes}", f"projects  {projects}"]
        if info.created:
            lines.append(f"created   {escape(info.created)}")
        summary.update("\n".join(lines) + (f"\n{status}" if status else ""))
        tree = self._tree()
        tree.clear()
        tree.root.expand()
        add_json(tree.root, info.raw)
        tree.root.set_label("/v1/oauth/me")
        tree.root.expand_all()
        tree.display = True

    def _tree(self) -> Tree:
        """Mounted with the first answer to show, not at start: the first frame has no use
        for it."""
        try:
            return self.query_one("#me-tree", Tree)
        except NoMatches:
            tree: Tree[None] = Tree("/v1/oauth/me", id="me-tree")
            self.mount(tree)
            return tree


def add_json(root, data: object) -> None:
    """The JSON as Tree.add_json shows it, keys and values inert: add_json itself puts each
    key into markup as it came, escape sequences and brackets included."""
    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    highlighter = ReprHighlighter()

    def add(node, name: str, value: object) -> None:
        if isinstance(value, (dict, list)):
            node.set_label(Text(plain(f"{'{}' if isinstance(value, dict) else '[]'} {name}")))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                add(node.add(""), str(key), item)
            return
        node.allow_expand = False
        shown = highlighter(plain(repr(value)))
        node.set_label(Text.assemble((plain(name), "bold"), "=", shown) if name else shown)

    add(root, "", data)
