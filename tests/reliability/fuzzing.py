"""What the fuzz tests share: hypothesis settings, the crash counter, and generators of
profiles files that start valid and are then bent out of shape.

A crash is any exception that is not one of the project's own (CsauthError): it is
counted in the "crashes" figure, then re-raised so the test fails with the example.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from csauth_tui.core.errors import CsauthError
from tests import figures

T = TypeVar("T")
SECRET_PREFIX = "fuzz-secret-"  # every client secret the generators make starts with it


def fuzz_settings(quick: int = 150, full: int = 3000) -> settings:
    return settings(
        max_examples=figures.scale(quick, full),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )


def attempt(
    target: str, call: Callable[..., T], *args: Any, **kw: Any
) -> tuple[T | None, CsauthError | None]:
    """(result, None) or (None, the CsauthError raised). Anything else is a crash."""
    return _attempt("crashes", target, call, args, kw)


def _attempt(
    row: str, target: str, call: Callable[..., T], args: tuple, kw: dict
) -> tuple[T | None, CsauthError | None]:
    figures.count("fuzz", f"{target}: examples tried")
    figures.count("fuzz", "crashes", 0)
    try:
        return call(*args, **kw), None
    except CsauthError as exc:
        return None, exc
    except Exception:
        figures.count("fuzz", row)
        raise


async def no_sleep(_seconds: float) -> None:
    """AuthClient's wait between retries, made instant: no example waits out a backoff."""
    return None


# --- values --------------------------------------------------------------------------

KNOWN_SCOPES = ["metrics", "data-export", "enrichment", "surveys", "speed-analysis"]
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
good_names = st.text(NAME_CHARS, min_size=1, max_size=16)
# odd names: dots, spaces, unicode, control characters, empty, very long
odd_names = st.one_of(
    st.text(max_size=20),
    st.just(""),
    st.just("a.b"),
    st.just("x" * 300),
    st.sampled_from(["prod\n", "é", "名前", "a b", "\x00", "-", "settings"]),
)
control_text = st.text(
    st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\ufeff"), min_size=1, max_size=8
)
huge_text = st.integers(10_000, 200_000).map(lambda n: "x" * n)
any_text = st.one_of(st.text(max_size=40), control_text, huge_text)
secrets = st.text(NAME_CHARS, min_size=6, max_size=24).map(lambda s: SECRET_PREFIX + s)
# a secret pasted where its source goes (`secret = "..."`): never equal to a client_secret
pasted = st.text(NAME_CHARS, min_size=6, max_size=24).map(lambda s: f"{SECRET_PREFIX}pasted-{s}")


def unique_secrets(raw: bytes, found: list[str]) -> tuple[bytes, list[str]]:
    """`raw` and `found` with every generated secret made unique to this example.

    tests/leakscan.py tracks each Secret a test builds until the test ends, and hypothesis
    reuses values between examples: a secret of one example showing up, legitimately, in
    the next one's file would look like a leak.
    """
    tag = f"{SECRET_PREFIX}{uuid.uuid4().hex[:8]}-"
    return (
        raw.replace(SECRET_PREFIX.encode(), tag.encode()),
        [s.replace(SECRET_PREFIX, tag, 1) for s in found],
    )


# what json.loads may hand a parser
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=8,
)

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.dates(),
    st.datetimes(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(good_names, kids, max_size=3),
    max_leaves=6,
)
# A client_secret that is a string is a secret, whatever it says: fuzzed text there would
# be tracked by tests/leakscan.py as a secret and found in innocent output. Strings in
# that field are `secrets`; a wrong value is any other type, or empty.
not_a_secret = st.just("") | toml_values.filter(lambda v: not isinstance(v, str))


def good_fields(secret_sources: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of a profile that loads without an error."""
    return st.fixed_dictionaries(
        {"client_id": st.text(NAME_CHARS, min_size=1, max_size=20)},
        optional={
            "level": st.just("project"),
            "scopes": st.lists(
                st.sampled_from(KNOWN_SCOPES[:2] + KNOWN_SCOPES[3:] + ["new-api"]),
                min_size=1,
                max_size=3,
            ),
            "project_id": st.integers(1, 2**31),
            "secret": st.sampled_from(secret_sources),
            "client_secret": secrets,
            "created": st.dates(),
            "description": st.text(max_size=30),
            "auth_url": st.sampled_from(
                ["https://api.contentsquare.com", "http://127.0.0.1:8123/", "https://eu.example"]
            ),
        },
    )


FIELDS = [
    "level",
    "client_id",
    "scopes",
    "project_id",
    "secret",
    "client_secret",
    "created",
    "description",
    "auth_url",
]
SETTING_VALUES = {
    "auth_url": st.sampled_from(["https://api.contentsquare.com", "http://localhost:9"]),
    "renew_before_seconds": st.integers(0, 10**6),
    "clipboard_clear_seconds": st.integers(0, 600),
    "token_cache": st.booleans(),
    "ca_bundle": st.text(max_size=20),
}


@dataclass
class Document:
    """A profiles file as data, plus the client secrets written in it."""

    data: dict[str, Any]
    secrets: list[str]


@st.composite
def documents(
    draw,
    secret_sources: tuple[str, ...] = ("keyring", "env:CS_SECRET", "cmd:pass x"),
    bend: bool = True,
) -> Document:
    """A valid profiles document; with `bend`, keys dropped, added or given wrong values."""
    names = draw(st.lists(good_names | odd_names if bend else good_names, max_size=4, unique=True))
    profiles_table: dict[str, Any] = {}
    found: list[str] = []
    for name in names:
        fields = draw(good_fields(list(secret_sources)))
        if bend:
            for _ in range(draw(st.integers(0, 3))):
                key = draw(st.sampled_from(FIELDS + ["unknown_key"]))
                action = draw(st.sampled_from(["drop", "wrong", "pasted-secret"]))
                if action == "drop":
                    fields.pop(key, None)
                elif action == "wrong":
                    fields[key] = draw(not_a_secret if key == "client_secret" else toml_values)
                else:  # a user pasting the secret itself where the source goes
                    fields["secret"] = draw(pasted)
        found += [
            v
            for k, v in fields.items()
            if k in ("secret", "client_secret")
            and isinstance(v, str)
            and v.startswith(SECRET_PREFIX)
        ]
        profiles_table[name] = fields
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["settings"] = draw(st.fixed_dictionaries({}, optional=SETTING_VALUES))
        if bend and draw(st.booleans()):
            data["settings"][draw(st.sampled_from([*SETTING_VALUES, "colour"]))] = draw(toml_values)
    if draw(st.booleans()):
        data["keys"] = draw(
            st.dictionaries(good_names, st.text(max_size=5) | toml_values, max_size=3)
        )
    data["profiles"] = profiles_table
    if bend and draw(st.integers(0, 9)) == 0:  # a whole section of the wrong type
        data[draw(st.sampled_from(["settings", "profiles", "keys"]))] = draw(toml_scalars)
    return Document(data, found)


# --- rendering TOML by hand (so the fuzz controls every byte) ---------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+\Z")


def toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE.match(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def render(data: dict[str, Any], layout: str) -> str:
    """As [profiles.NAME] tables, inline tables under [profiles], or dotted keys."""
    lines: list[str] = []
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    profiles_table = tables.pop("profiles", None)
    if profiles_table is not None and layout == "dotted":
        for name, fields in profiles_table.items():
            if not isinstance(fields, dict) or not fields:
                lines.append(f"profiles.{toml_key(name)} = {toml_value(fields)}")
            for key, value in fields.items() if isinstance(fields, dict) else ():
                lines.append(f"profiles.{toml_key(name)}.{toml_key(key)} = {toml_value(value)}")
        profiles_table = None
    for key, table in tables.items():
        lines += ["", f"[{toml_key(key)}]"]
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    if profiles_table is not None and layout == "inline":
        lines += ["", "[profiles]"]
        lines += [f"{toml_key(n)} = {toml_value(f)}" for n, f in profiles_table.items()]
    elif profiles_table is not None:
        for name, fields in profiles_table.items():
            if isinstance(fields, dict):
                lines += ["", f"# {name!r}", f"[profiles.{toml_key(name)}]"]
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in fields.items()]
            else:
                lines += ["", "[profiles]", f"{toml_key(name)} = {toml_value(fields)}"]
    return "\n".join(lines) + "\n"


# --- bending the text ----------------------------------------------------------------

JUNK = [
    '"\\q"',
    '"\\u12"',
    '"\\UFFFFFFFF"',
    '"\\ud800"',
    "'unterminated",
    '"""',
    "\\",
    "[",
    "]]",
    "[profiles",
    "=",
    "\x00",
    "\r",
    "\x0b",
    "\x7f",
    "\ufeff",
    "#",
    "\n[[profiles]]\n",
    "\nprofiles = 1\n",
    '\nlevel = "account"\n',
    "a = " + "[" * 50 + "]" * 50,
]


@st.composite
def bent_text(draw, text: str) -> bytes:
    """`text` with a few edits: lines duplicated, dropped or swapped, junk or bytes inserted,
    CRLF, a BOM, and perhaps cut at a random byte (maybe mid-character)."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 3))):
        lines = lines or [""]
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["duplicate", "drop", "swap", "junk", "replace"]))
        if edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "drop":
            del lines[at]
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            piece = draw(st.sampled_from(JUNK) | st.text(max_size=4))
            end = cut + (1 if edit == "replace" else 0)
            lines[at] = line[:cut] + piece + line[end:]
    newline = "\r\n" if draw(st.integers(0, 7)) == 0 else "\n"
    raw = newline.join(lines).encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    if draw(st.integers(0, 5)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@st.composite
def near_valid_profiles(
    draw, secret_sources: tuple[str, ...] = ("keyring", "env:CS_SECRET", "cmd:pass x")
) -> tuple[bytes, Document]:
    """Bytes of a profiles file that is valid, or nearly so, and what it was made from."""
    doc = draw(documents(secret_sources))
    text = render(doc.data, draw(st.sampled_from(["tables", "inline", "dotted"])))
    raw = draw(bent_text(text)) if draw(st.integers(0, 2)) else text.encode("utf-8")
    return raw, doc
