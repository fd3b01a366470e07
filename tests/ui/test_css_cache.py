"""Textual's parsed CSS kept between starts (ui/css_cache.py): the second start parses
nothing and looks exactly like the first, a theme change is parsed afresh, a damaged or
foreign file is ignored and replaced, CSS with a mistake is never kept."""

from __future__ import annotations

import io
import pickle

import pytest
import textual.css.parse
from rich.console import Console
from textual.css.stylesheet import Stylesheet, StylesheetParseError

from csauth_tui.ui.css_cache import NAME, CssCache

from ..files import mode
from .conftest import SIZE


def painted(app) -> str:
    """The whole screen with its colours and attributes, as ANSI text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=True)


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """Every CSS text Textual parses from here on (the cache's misses)."""
    seen: list[str] = []
    original = textual.css.parse.parse

    def counting(scope, css, *args, **kwargs):
        seen.append(css)
        return original(scope, css, *args, **kwargs)

    monkeypatch.setattr(textual.css.parse, "parse", counting)
    monkeypatch.setattr("textual.css.stylesheet.parse", counting)
    return seen


async def start(env, theme: str | None = None) -> str:
    app = env.app(cache=True)
    async with app.run_test(size=SIZE) as pilot:
        if theme:
            app.theme = theme
        await pilot.pause()
        await pilot.pause()
        return painted(app)


async def test_the_second_start_parses_no_css_and_looks_the_same(env, tmp_path, monkeypatch,
                                                                   parses):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(cache_dir))
    first = await start(env)
    assert parses  # nothing kept yet: parsed
    kept = cache_dir / NAME
    assert kept.exists() and mode(kept) == 0o600 and mode(cache_dir) == 0o700

    parses.clear()
    second = await start(env)
    assert parses == []
    assert second == first and "staging-export" in second


async def test_a_theme_change_is_parsed_for_its_own_colours(env, tmp_path, monkeypatch,
                                                            parses):
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(tmp_path / "cache"))
    await start(env)
    light_with_cache = await start(env, theme="textual-light")
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(tmp_path / "other-cache"))
    light_without = await start(env, theme="textual-light")
    assert light_with_cache == light_without


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(("old", {})),
                                     pickle.dumps([1, 2, 3])],
                         ids=["empty", "garbage", "another-version", "wrong-shape"])
async def test_a_damaged_or_foreign_file_is_ignored_and_replaced(env, tmp_path, monkeypatch,
                                                                 parses, content):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(cache_dir))
    cache_dir.mkdir(mode=0o700)
    (cache_dir / NAME).write_bytes(content)
    screen = await start(env)
    assert parses and "staging-export" in screen
    parses.clear()
    assert await start(env) == screen and parses == []  # replaced by a good one


def test_rules_are_kept_per_set_of_theme_variables(tmp_path):
    def colour_with(variables: dict[str, str]):
        sheet = Stylesheet(variables=variables)
        cache = CssCache.attach(sheet, tmp_path / NAME)
        sheet.add_source("Label { color: $accent; }", read_from=("x.tcss", ""))
        sheet.parse()
        cache.save()
        return sheet.rules[0].styles.color

    red = colour_with({"accent": "red"})
    blue = colour_with({"accent": "blue"})  # same CSS, same place: not red's rules
    assert red != blue and colour_with({"accent": "blue"}) == blue
    kept = CssCache(tmp_path / NAME).entries  # only what the last run used: no growth
    assert [key[-1] for key in kept] == [(("accent", "blue"),)]


@pytest.mark.parametrize("bits", [0o644, 0o620, 0o606], ids=["readable", "group-writable",
                                                          "world-writable"])
async def test_a_file_that_is_not_private_is_never_unpickled(env, tmp_path, monkeypatch,
                                                             parses, bits):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("CSAUTH_CACHE_DIR", str(cache_dir))
    first = await start(env)
    (cache_dir / NAME).chmod(bits)
    parses.clear()
    loads = []
    monkeypatch.setattr(pickle, "load", lambda file: loads.append(file))
    assert await start(env) == first
    assert parses and loads == []  # parsed afresh; the file was not even unpickled
    assert mode(cache_dir / NAME) == 0o600  # and written again, private


def test_css_with_a_mistake_is_reported_and_never_kept(tmp_path):
    sheet = Stylesheet()
    cache = CssCache.attach(sheet, tmp_path / NAME)
    assert cache is not None
    sheet.add_source("Label { color: red; }", read_from=("good.tcss", ""))
    sheet.add_source("Label { colour: red; }", read_from=("bad.tcss", ""))
    with pytest.raises(StylesheetParseError):
        sheet.parse()
    assert [key[1] for key in cache.entries] == [("good.tcss", "")]


def test_a_stylesheet_of_another_shape_is_left_alone(tmp_path):
    class Other:
        def _parse_rules(self, css, location):  # a Textual that changed the method
            return []

    other = Other()
    assert CssCache.attach(other, tmp_path / NAME) is None
    assert other._parse_rules.__func__ is Other._parse_rules
