"""Text csauth did not write, made safe to show in a terminal. Standard library only.

Anything from outside (a profile's description, a server's errorMessage, /me fields, JWT
claims, import rows) may carry escape sequences: an OSC 52 sequence fills the clipboard,
`ESC [2J` clears the screen, an OSC 8 link hides where it points, U+202E turns the text
that follows around. `inert()` turns every such character into a visible escape, so the
text is shown and never obeyed. `control_characters()` says whether a value that must not
hold any (a profile name, a client_id) does.
"""

from __future__ import annotations

import re

# Python-style escapes for the usual three, \xNN for every other C0/C1 control and DEL.
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# Bidi overrides and isolates (and the marks that steer them): <U+XXXX>.
BIDI = [0x061C, 0x200E, 0x200F] + list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))
# Line and paragraph separators: some terminals and editors break lines on them.
SEPARATORS = [0x2028, 0x2029]

_TABLE: dict[int, str] = {}
for _code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
    _TABLE[_code] = _NAMED.get(chr(_code), f"\\x{_code:02x}")
for _code in BIDI + SEPARATORS:
    _TABLE[_code] = f"<U+{_code:04X}>"
_MULTILINE = {**_TABLE}
# any character of _TABLE, for a quick "is there one at all?"
_ANY = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TABLE)) + "]")
del _MULTILINE[ord("\n")]


def inert(text: object, *, keep_newlines: bool = False) -> str:
    """`text` as a string in which no character can steer a terminal: C0 and C1 controls
    and DEL become `\\x1b`-style escapes (`\\t`, `\\n`, `\\r` for those three), bidi
    overrides, isolates and marks and the Unicode line separators become `<U+202E>`.
    `keep_newlines`: "\\n" stays a line break (for multi-line text shown as lines)."""
    return str(text).translate(_MULTILINE if keep_newlines else _TABLE)


def control_characters(text: str) -> list[str]:
    """The characters of `text` that `inert` would escape, as shown by it ("\\x1b",
    "<U+202E>"), in order of first appearance; [] when there are none."""
    if not _ANY.search(text):  # the usual case, once per profile at every start: no loop
        return []
    found: list[str] = []
    for char in text:
        shown = _TABLE.get(ord(char))
        if shown is not None and shown not in found:
            found.append(shown)
    return found


def control_error(field: str, text: str) -> str | None:
    """Why `text` cannot be the value of `field` (a name, a client_id): it holds control
    or bidi characters, named as escapes. None when it holds none."""
    found = control_characters(text)
    if not found:
        return None
    return f"{field} must not contain control or bidi characters (found {', '.join(found)})"


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV
# injection); tab and CR are in the list because some strip them and then read the rest.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """`value` as a CSV cell a spreadsheet will never run: a leading `'` before a cell
    that starts with =, +, -, @, tab or CR. Every CSV csauth writes goes through it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
