"""Secret hygiene, part 1: repr() and str() of everything that can hold a client secret
or an access token, and the texts that quote what a user typed.

Every dataclass of the package is found by walking it: a new one is built (with sentinels
where its fields say a secret lives) and checked without anyone listing it here. The
classes that are not dataclasses but take a secret must be listed in held_objects(), or a
test says so.

test_secret_hygiene.py checks argv, file modes and the clipboard; tests/leakscan.py
(loaded for every run) scans everything else the suite produces.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import os
import pkgutil
import re
import sys
import types
import typing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style

import csauth_tui
from csauth_tui.core.clipboard import Clipboard
from csauth_tui.core.errors import CsauthError
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret, looks_like_a_secret
from csauth_tui.core.secrets import describe_source, resolve_secret
from csauth_tui.core.tokens import Token, TokenCache
from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests import figures
from tests.reliability.hygiene import CLIENT_ID, IN_THE_APP, PASTED, SECRET, TOKEN, clean

FIXED = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def token(value: str = TOKEN, **changes) -> Token:
    fields = dict(
        access_token=value,
        endpoint="http://127.0.0.1:1",
        issued_at=FIXED,
        expires_at=FIXED + timedelta(hours=1),
        client_id=CLIENT_ID,
        auth_url="http://127.0.0.1:1",
        scopes=("metrics",),
        project_id=1001,
        profile="prod",
    )
    return Token(**{**fields, **changes})


# --- repr() and str() ----------------------------------------------------------------------

# str fields holding a value (client_secret, access_token); a bare `secret` is a source
# ("keyring", "env:VAR") and a Secret-typed field is filled whatever its name
SECRET_FIELD = re.compile(r"_(secret|token)$|password")


def package_classes() -> list[type]:
    """Every class csauth_tui defines (nested ones too), Textual UI included."""
    found: dict[str, type] = {}

    def visit(cls: type) -> None:
        key = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__module__.startswith("csauth_tui") and key not in found:
            found[key] = cls
            for inner in vars(cls).values():
                if inspect.isclass(inner):
                    visit(inner)

    for info in pkgutil.walk_packages(csauth_tui.__path__, "csauth_tui."):
        if info.name.endswith("__main__"):
            continue
        for value in vars(importlib.import_module(info.name)).values():
            if inspect.isclass(value):
                visit(value)
    return sorted(found.values(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def field_types(cls: type) -> dict[str, Any]:
    """Each field's type, resolved where possible (Any where an annotation cannot be)."""
    namespace = {**vars(typing), **vars(sys.modules[cls.__module__])}
    out = {}
    for f in dataclasses.fields(cls):
        try:
            out[f.name] = eval(f.type, namespace) if isinstance(f.type, str) else f.type
        except Exception:  # a name only imported for type checkers
            out[f.name] = Any
    return out


def build(kind: Any, name: str, depth: int = 0) -> Any:
    """A value of type `kind` for a field called `name`: a sentinel where a field of that
    name or type holds a secret or a token, something plain elsewhere."""
    secret_named = bool(SECRET_FIELD.search(name))
    origin = typing.get_origin(kind)
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return build(args[0], name, depth)
    if kind is Secret:
        return Secret(SECRET)
    if kind in (str, Any, object):
        if secret_named:
            return TOKEN if "token" in name else SECRET
        return f"plain-{name}"
    if kind is bool:
        return False
    if kind in (int, float):
        return kind(1)
    if kind is datetime:
        return FIXED
    if kind is date:
        return FIXED.date()
    if kind is Path:
        return Path("plain.toml")
    if kind is Style:  # the profile table's looks: a colour never holds a secret
        return Style(bold=True)
    if origin is tuple:
        return tuple(build(a, name, depth + 1) for a in args if a is not Ellipsis)
    if origin in (list, set):
        return origin([build(args[0], name, depth + 1)]) if args else origin()
    if origin is dict:
        return (
            {build(args[0], "key", depth + 1): build(args[1], name, depth + 1)}
            if len(args) == 2
            else {}
        )
    if inspect.isclass(kind) and issubclass(kind, BaseException):
        return CsauthError("plain error")
    if kind is type:
        return str
    if inspect.isclass(kind) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    if origin is not None and "Callable" in str(origin):
        return lambda *args, **kwargs: None
    if dataclasses.is_dataclass(kind) and depth < 8:
        return build_dataclass(kind, depth + 1)
    if kind in (tuple, list, dict, set):
        return kind()
    raise TypeError(f"no plain value for {kind!r}")


def can_hold_a_secret(kind: Any, name: str) -> bool:
    """A field named like a secret, or typed Secret or a dataclass (directly or inside a
    container): one the factory must fill even when it has a default."""
    if SECRET_FIELD.search(name) or kind is Secret or dataclasses.is_dataclass(kind):
        return True
    return any(can_hold_a_secret(arg, "") for arg in typing.get_args(kind))


def build_dataclass(cls: type, depth: int = 0) -> Any:
    """`cls` with every field that can hold a secret filled (sentinels where one would
    live), the others left at their defaults (or plain values when they have none)."""
    kinds = field_types(cls)
    values = {}
    for f in dataclasses.fields(cls):
        has_default = not (
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
        if f.init and not (has_default and not can_hold_a_secret(kinds[f.name], f.name)):
            values[f.name] = build(kinds[f.name], f.name, depth)
    return cls(**values)


def holds_a_sentinel(value: Any, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(value, Secret):
        return value.reveal() in (SECRET, TOKEN)
    if isinstance(value, str):
        return value in (SECRET, TOKEN)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(
            holds_a_sentinel(getattr(value, f.name, None), depth + 1)
            for f in dataclasses.fields(value)
        )
    if isinstance(value, dict):
        return any(holds_a_sentinel(v, depth + 1) for v in (*value, *value.values()))
    if isinstance(value, (list, tuple, set)):
        return any(holds_a_sentinel(v, depth + 1) for v in value)
    return False


DATACLASSES = [c for c in package_classes() if dataclasses.is_dataclass(c)]
# Built from what their fields say: these must come out holding a sentinel, or the
# factory above has stopped putting secrets where they live.
MUST_HOLD = {
    "Token",
    "Profile",
    "FakeCredential",
    "ImportRow",
    "FormValues",
    "TokenRequest",
    "LiveToken",
    "LiveTokens",
    "ProfileFormResult",
    "TokenReady",
    "Fetched",
}


@pytest.mark.parametrize("cls", DATACLASSES, ids=lambda c: c.__qualname__)
def test_no_dataclass_shows_a_secret_or_token_it_holds(cls):
    obj = build_dataclass(cls)
    shown = f"{obj!r}\n{obj!s}\n{obj}"
    assert clean(shown), f"repr/str of {cls.__qualname__} shows a secret or token it holds"
    if cls.__qualname__ in MUST_HOLD:
        assert holds_a_sentinel(obj), f"the factory put no sentinel in {cls.__qualname__}"
    figures.count("secrets", "classes whose repr was checked", 1)


def test_the_dataclass_walk_finds_the_classes_that_hold_secrets():
    names = {c.__qualname__ for c in DATACLASSES}
    assert MUST_HOLD <= names, sorted(MUST_HOLD - names)


def held_objects(tmp_path: Path) -> dict[str, Any]:
    """Objects of the classes that are not dataclasses, each holding a sentinel."""
    from csauth_tui.core.api import AuthClient
    from csauth_tui.core.profiles import Settings
    from csauth_tui.core.service import TokenService
    from csauth_tui.core.store import ProfileStore

    cache = TokenCache(tmp_path / "cache" / "tokens.json")
    cache.put(token(expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    config = tmp_path / "profiles.toml"
    config.write_text(f'[profiles.p]\nclient_id = "{CLIENT_ID}"\nclient_secret = "{SECRET}"\n')
    store = ProfileStore(config)
    store.load()
    board = Clipboard(terminal_write=lambda text: None)
    board.copy(TOKEN)
    fake = FakeContentsquare([FakeCredential(CLIENT_ID, SECRET)])
    settings = Settings()
    client = AuthClient(settings=settings)
    service = TokenService(settings, client, cache=cache, resolve_secret=lambda p: Secret(SECRET))
    from csauth_tui.core.kinds import SecretsMode
    from csauth_tui.core.profiles import SecretKind

    held = {
        "SecretKind": SecretKind.ENV,
        "SecretsMode": SecretsMode.KEYRING,
        "Secret": Secret(SECRET),
        "TokenCache": cache,
        "ProfileStore": store,
        "Clipboard": board,
        "FakeContentsquare": fake,
        "AuthClient": client,
        "TokenService": service,
        "Secret of a token": Secret(TOKEN),
    }
    held.update(python_api_objects(config))
    from csauth_tui.ui.screens.confirm_secret import ConfirmReplaceSecret

    held["ConfirmReplaceSecret"] = ConfirmReplaceSecret(
        CLIENT_ID, ["p", "p2"], failure="refused by the API"
    )
    return held


def python_api_objects(config: Path) -> dict[str, Any]:
    """The Python API's TokenSource and ContentsquareAuth, a token in memory (from the
    CLI's cache, where it is found for their profile)."""
    from csauth_tui import ContentsquareAuth
    from csauth_tui.auth import TokenSource
    from csauth_tui.core import paths

    jwt_shaped = TOKEN + ".e30.sig"  # a cache only serves what looks like a JWT
    now = datetime.now(timezone.utc)
    TokenCache(paths.token_cache_path()).put(
        token(
            jwt_shaped,
            endpoint="https://api.contentsquare.com",
            auth_url="https://api.contentsquare.com",
            project_id=None,
            issued_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    source = TokenSource("p", config=config)
    auth = ContentsquareAuth("p", config=config)
    assert source.current().access_token == auth.token().access_token == jwt_shaped
    return {"TokenSource": source, "ContentsquareAuth": auth}


# Classes that are not dataclasses but can hold a secret or a token (by their name or the
# parameters they take): each must be in held_objects() above, or in IN_THE_APP (the
# app's, whose reprs test_secret_hygiene.py checks in a running app).
HOLDER_NAME = re.compile(r"secret|token|credential|clipboard|cache", re.I)


def test_every_class_that_takes_a_secret_is_checked(tmp_path):
    covered = set(held_objects(tmp_path)) | IN_THE_APP
    missing = []
    for cls in package_classes():
        if dataclasses.is_dataclass(cls) or issubclass(cls, BaseException):
            continue  # dataclasses: above; error messages: scanned by tests/leakscan.py
        try:
            params = " ".join(inspect.signature(cls.__init__).parameters)
        except (TypeError, ValueError):
            params = ""
        if HOLDER_NAME.search(cls.__name__) or HOLDER_NAME.search(params):
            if cls.__name__ not in covered:
                missing.append(cls.__qualname__)
    assert missing == [], f"add these to held_objects(): {missing}"


async def test_objects_holding_a_secret_never_show_it(tmp_path):
    objects = held_objects(tmp_path)
    try:
        for name, obj in objects.items():
            shown = (
                f"{obj!r}\n{obj!s}\n{obj}\n{obj:>10}"
                if isinstance(obj, Secret)
                else f"{obj!r}\n{obj!s}"
            )
            assert clean(shown), f"{name} shows the secret or token it holds"
        secret = objects["Secret"]
        assert clean("%s %r" % (secret, secret))  # noqa: UP031 - what logging does
        with pytest.raises(TypeError) as refused:
            json.dumps({"secret": secret})
        assert clean(str(refused.value))
        with pytest.raises(TypeError) as refused:
            import pickle

            pickle.dumps(secret)
        assert clean(str(refused.value))
    finally:
        await objects["AuthClient"].aclose()


def test_a_secret_pasted_where_a_name_belongs_is_never_quoted_back(tmp_path):
    """`secret = "env:<the secret>"` is a valid variable name; `cmd:<the secret>` a command.
    The errors and descriptions that quote names and commands must not quote it."""
    assert looks_like_a_secret(PASTED)
    for ordinary in (
        "CS_PROD_SECRET",
        "CONTENTSQUARE_CLIENT_SECRET_2026",
        "pass",
        "op",
        "/usr/local/bin/get-cs-secret",
        "aws-vault",
        "MY_TOKEN_V2",
    ):
        assert not looks_like_a_secret(ordinary), ordinary
    messages = []
    for source in (
        f"env:{PASTED}",
        f"cmd:{PASTED}",
        f"cmd:/opt/bin/{PASTED} --json",
        f"cmd:sh -c {PASTED}",
    ):
        profile = Profile(name="pasted", client_id=CLIENT_ID, secret=source)
        with pytest.raises(CsauthError) as error:
            resolve_secret(profile, environ={"PATH": os.environ.get("PATH", "")}, timeout=30)
        messages += [str(error.value), describe_source(profile)]
    assert all(clean(text) for text in messages), "a pasted secret was quoted back"
    # an ordinary name is still quoted: that is what helps
    profile = Profile(name="plain", client_id=CLIENT_ID, secret="env:CS_NOT_SET_ANYWHERE")
    with pytest.raises(CsauthError, match=r"\$CS_NOT_SET_ANYWHERE, which is not set"):
        resolve_secret(profile, environ={})
    assert describe_source(profile) == "env $CS_NOT_SET_ANYWHERE"


def test_import_rows_and_plans_never_show_a_secret(tmp_path):
    from csauth_tui.core.profiles import ProfilesFile
    from csauth_tui.core.transfer import plan_import, read_rows

    team = tmp_path / "team.csv"
    team.write_text(
        "name,level,client_id,project_id,scopes,client_secret\n"
        f"prod,project,{CLIENT_ID},1001,metrics,{SECRET}\n"
    )
    rows = read_rows(team)
    plan = plan_import(rows, ProfilesFile(path=tmp_path / "none.toml"), overwrite=False)
    assert rows[0].secret == Secret(SECRET)  # it is there...
    assert clean(f"{rows!r}\n{plan!r}\n{plan.outcomes!r}")  # ...and never shown


def test_the_credential_panel_never_shows_a_secret_pasted_as_a_variable_name():
    from csauth_tui.ui.widgets.credential_panel import secret_text

    shown = secret_text(Profile(name="p", client_id=CLIENT_ID, secret=f"env:{PASTED}"))
    assert clean(shown), "the credential panel shows a secret pasted after env:"
