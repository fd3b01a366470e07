"""The benchmarks and the tests watch the app through Textual's public hooks only (issue 14
§2): `post_display_hook`, `run_test(message_hook=...)`, `export_screenshot`, a widget's
`render_lines`. No import of a private module of Textual (or Rich, httpx, tomlkit,
keyring), and no `_display` or `_compositor`, read, set or patched: those are what the
bench and the UI tests used to reach into, and a Textual release may change them.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ("textual", "rich", "tomlkit", "httpx", "keyring")
FORBIDDEN_ATTRIBUTES = {"_display", "_compositor"}


def private_module(name: str | None) -> bool:
    parts = (name or "").split(".")
    return parts[0] in LIBRARIES and any(part.startswith("_") for part in parts[1:])


def reaches_in(source: str) -> list[str]:
    """Each line of `source` that imports a library's private module or touches
    `_display` / `_compositor`, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {a.name}" for a in node.names if private_module(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if private_module(node.module):
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module in LIBRARIES + tuple(f"{lib}.widgets" for lib in LIBRARIES):
                found += [
                    f"{node.lineno}: from {node.module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"{node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "getattr", "hasattr", "delattr")
            or isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("setattr", "delattr")  # monkeypatch.setattr(App, "_display")
        ):
            names = [a.value for a in node.args if isinstance(a, ast.Constant)]
            found += [f"{node.lineno}: {n!r}" for n in names if n in FORBIDDEN_ATTRIBUTES]
    return sorted(set(found), key=lambda line: int(line.split(":")[0]))


def test_the_check_catches_what_the_bench_and_the_tests_did():
    """Lines of the code this replaced (bench/frame_probe.py, bench/keystroke.py,
    tests/ui/conftest.py, tests/ui/test_app_shape.py, tests/ui/test_light_work.py)."""
    old = """
from textual._compositor import CompositorUpdate
from textual.widgets._toast import Toast
import textual._compositor

def install(probe):
    App._display = display
    app._display = display
    original = type(app)._display
    monkeypatch.setattr(type(app), "_display", spy)
    console.print(app.screen._compositor.render_update(full=True))
"""
    found = "\n".join(reaches_in(old))
    for what in (
        "2: from textual._compositor",
        "3: from textual.widgets._toast",
        "4: import textual._compositor",
        "7: ._display",
        "8: ._display",
        "9: ._display",
        "10: '_display'",
        "11: ._compositor",
    ):
        assert what in found, what
    public = """
from textual.widgets import Label
from textual.app import App

class Probe(App):
    def post_display_hook(self):
        self.export_screenshot()
"""
    assert reaches_in(public) == []


def test_the_bench_and_the_tests_watch_the_app_through_public_hooks_only():
    found = []
    for folder in ("bench", "tests"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # the old code above, quoted
            source = path.read_text(encoding="utf-8")
            where = path.relative_to(REPO).as_posix()
            found += [f"{where}:{line}" for line in reaches_in(source)]
    assert found == [], "private Textual hooks in use:\n" + "\n".join(found)
