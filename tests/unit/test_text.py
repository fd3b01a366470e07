"""core.text: foreign text shown inert, never obeyed."""

from csauth_tui.core.text import control_characters, control_error, inert


def test_osc52_and_csi_become_visible_escapes():
    hostile = "Shop\x1b]52;c;ZXZpbA==\x07 \x1b[2J\x9b1m"
    shown = inert(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == "Shop\\x1b]52;c;ZXZpbA==\\x07 \\x1b[2J\\x9b1m"


def test_bidi_overrides_and_isolates_are_named():
    assert inert("abc\u202edcba\u2066x\u2069") == "abc<U+202E>dcba<U+2066>x<U+2069>"


def test_del_and_named_whitespace():
    assert inert("a\x7fb\tc\r\nd") == "a\\x7fb\\tc\\r\\nd"


def test_keep_newlines_keeps_only_newlines():
    assert inert("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"


def test_ordinary_unicode_is_untouched():
    text = "café — 東京 [FR] 🙂"
    assert inert(text) == text
    assert control_characters(text) == []


def test_control_error_names_the_field_and_the_characters():
    message = control_error("client_id", "abc\x1b\u202e\x1b")
    assert message == (
        "client_id must not contain control or bidi characters (found \\x1b, <U+202E>)"
    )
    assert control_error("name", "prod") is None


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote():
    from csauth_tui.core.text import csv_cell

    for hostile in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(hostile) == "'" + hostile
    assert csv_cell("prod-metrics") == "prod-metrics"
    assert csv_cell(1001) == "1001" and csv_cell(None) == ""
