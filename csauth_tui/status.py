"""`csauth status`: every profile at a glance, from the profiles file and the token cache
only (no network, no keyring). Standard library only, like the cached `csauth token`
(tests/unit/test_import_hygiene.py).

JSON schema "csauth-status/1" (fields are only ever added, never renamed or removed,
within a version):

    {
      "schema": "csauth-status/1",
      "profiles_file": str,
      "token_cache": str|null,           # null when token_cache = false
      "settings_errors": [str],          # wrong [settings]: the values shown are defaults
      "generated_at": ISO 8601 UTC,
      "default_profile": {"name": str, "from": str, "known": bool}|null,
      "profiles": [{
        "name": str, "valid": bool, "errors": [str],
        # the rest is null / [] for an invalid profile
        "default": bool,                 # the default profile
        "level": "project"|"account"|null, "client_id": str|null,
        "project_id": int|null, "scopes": [str], "auth_url": str|null,
        "secret_source": str|null,       # where the secret comes from, never the secret
        "credential": {"created": "YYYY-MM-DD"|null, "expires": "YYYY-MM-DD"|null,
                       "age_days": int|null, "days_left": int|null,
                       "state": "ok"|"expiring"|"expired"|"unknown"},
        "tokens": [{                     # cached tokens of this client_id at this auth_url
                                         # (those the cache still trusts and that have time left)
          "scopes": [str], "project_id": int|null,
          "endpoint": str, "endpoint_host": str,
          "expires_at": ISO 8601 UTC, "seconds_left": int,
          "state": "fresh"|"renew"|"expired"|"untrusted",  # renew: csauth token would fetch
          "requested": bool              # what `csauth token PROFILE` asks for
        }]
      }]
    }

No secret or token is ever part of it. Every piece of foreign text in the table goes
through core.text.inert; the JSON escapes control characters itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from .core import paths
from .core.defaults import default_of
from .core.errors import EXIT_OK
from .core.lifetime import credential_expiry
from .core.profiles import Profile, ProfilesFile, load
from .core.request import plan
from .core.secrets import describe_source
from .core.text import inert
from .core.tokens import Token, TokenCache, format_remaining, iso_utc, utcnow

SCHEMA = "csauth-status/1"
HEADERS = ("NAME", "TOKEN", "SCOPES", "PROJECT", "ENDPOINT", "SECRET", "CREDENTIAL")


def status(args: argparse.Namespace) -> int:
    pf = load(paths.config_path(args.config))
    names = list(dict.fromkeys(args.profiles)) or pf.order
    for name in names:
        if name not in pf.order:
            pf.get(name)  # the "unknown profile ... did you mean" error
    cache = TokenCache(paths.token_cache_path()) if pf.settings.token_cache else None
    tokens = by_credential(cache.all() if cache else [])
    now, today = utcnow(), date.today()
    default = default_of(pf)
    rows = [
        profile_status(pf, name, tokens, now, today, default is not None and default.name == name)
        for name in names
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "schema": SCHEMA,
                    "profiles_file": str(pf.path),
                    "token_cache": str(cache.path) if cache else None,
                    "settings_errors": [str(p) for p in pf.settings_errors()],
                    "generated_at": iso_utc(now),
                    "default_profile": None
                    if default is None
                    else {
                        "name": default.name,
                        "from": default.origin,
                        "known": default.name in pf.profiles,
                    },
                    "profiles": rows,
                },
                indent=2,
            )
        )
        return EXIT_OK
    if not pf.exists:
        print(f"No profiles file at {pf.path}. Add a profile with `csauth add`.", file=sys.stderr)
        return EXIT_OK
    if not rows:
        print(f"No profiles in {pf.path}. Add one with `csauth add`.", file=sys.stderr)
        return EXIT_OK
    sys.stdout.write(table(rows))
    notes = [
        f"warning: {inert(p)} (defaults shown; other commands refuse to run)"
        for p in pf.settings_errors()
    ]
    if default is not None:
        known = "" if default.name in pf.profiles else " (NOT a valid profile of this file)"
        notes.append(
            f"* default profile: {inert(default.name)}{known}, from {inert(default.origin)}"
        )
    if cache is None:
        notes.append("token cache off (token_cache = false): no token shown")
    for note in notes:
        print(note, file=sys.stderr)
    return EXIT_OK


def by_credential(tokens: list[Token]) -> dict[tuple[str, str], list[Token]]:
    """The cached tokens under (auth_url, client_id): what every profile of that credential
    may use."""
    found: dict[tuple[str, str], list[Token]] = {}
    for token in tokens:
        found.setdefault((token.auth_url.rstrip("/"), token.client_id), []).append(token)
    return found


def host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def token_status(
    token: Token, wanted: str | None, renew_before: int, now: datetime
) -> dict[str, Any]:
    left = token.seconds_left(now)
    state = (
        "untrusted"
        if not token.trusted
        else "expired"
        if left <= 0
        else "fresh"
        if token.fresh_enough(renew_before, now)
        else "renew"
    )
    return {
        "scopes": list(token.scopes),
        "project_id": token.project_id,
        "endpoint": token.endpoint,
        "endpoint_host": host_of(token.endpoint),
        "expires_at": iso_utc(token.expires_at),
        "seconds_left": max(0, int(left)),
        "state": state,
        "requested": token.key == wanted,
    }


def credential_status(profile: Profile, today: date) -> dict[str, Any]:
    if profile.created is None:
        return {
            "created": None,
            "expires": None,
            "age_days": None,
            "days_left": None,
            "state": "unknown",
        }
    expires, days_left, severity = credential_expiry(profile.created, today)
    state = {"error": "expired", "warning": "expiring"}.get(severity or "", "ok")
    return {
        "created": profile.created.isoformat(),
        "expires": expires.isoformat(),
        "age_days": (today - profile.created).days,
        "days_left": days_left,
        "state": state,
    }


def requested_key(pf: ProfilesFile, profile: Profile) -> str | None:
    """The cache key `csauth token PROFILE` asks for (None: it cannot ask without a
    --project-id, or its scopes break a rule)."""
    try:
        return plan(profile, pf.settings).cache_key
    except Exception:  # noqa: BLE001 - RuleError and the like: no request, no token
        return None


def profile_status(
    pf: ProfilesFile, name: str, tokens: dict, now: datetime, today: date, is_default: bool
) -> dict[str, Any]:
    profile = pf.profiles.get(name)
    if profile is None:
        return {
            "name": name,
            "valid": False,
            "errors": [str(p) for p in pf.errors_for(name)],
            "default": is_default,
            "level": None,
            "client_id": None,
            "project_id": None,
            "scopes": [],
            "auth_url": None,
            "secret_source": None,
            "credential": None,
            "tokens": [],
        }
    auth_url = profile.effective_auth_url(pf.settings)
    wanted = requested_key(pf, profile)
    found = [
        token_status(t, wanted, pf.settings.renew_before_seconds, now)
        for t in tokens.get((auth_url, profile.client_id), [])
    ]
    found.sort(key=lambda t: (not t["requested"], -t["seconds_left"]))
    return {
        "name": name,
        "valid": True,
        "errors": [],
        "default": is_default,
        "level": profile.level,
        "client_id": profile.client_id,
        "project_id": profile.project_id,
        "scopes": list(profile.scopes),
        "auth_url": auth_url,
        "secret_source": describe_source(profile),
        "credential": credential_status(profile, today),
        "tokens": found,
    }


# --- the table ---------------------------------------------------------------------------


def time_left(token: dict[str, Any]) -> str:
    state = token["state"]
    if state in ("untrusted", "expired"):
        return state
    shown = format_remaining(token["seconds_left"])
    return shown + " (renew)" if state == "renew" else shown


def credential_cell(credential: dict[str, Any]) -> str:
    if credential["state"] == "unknown":
        return "created ? (no date)"
    days = credential["days_left"]
    if days < 0:
        return f"{credential['created']}: EXPIRED {-days} d ago"
    left = f"{days} d left" if credential["state"] == "ok" else f"EXPIRES in {days} d"
    return f"{credential['created']}: {credential['age_days']} d old, {left}"


def lines_of(row: dict[str, Any]) -> list[tuple[str, ...]]:
    """The table lines of one profile: its own (with the token `csauth token` would use),
    then one per other cached token of the same credential (other scopes or project)."""
    name = inert(row["name"]) + ("*" if row["default"] else "")
    if not row["valid"]:
        return [(name, "INVALID", "", "", "", "", inert("; ".join(row["errors"])))]
    tokens = row["tokens"]
    mine = tokens[0] if tokens and tokens[0]["requested"] else None
    lines: list[tuple[str, ...]] = [
        (
            name,
            time_left(mine) if mine else "-",
            inert(" ".join(row["scopes"])) or "-",
            str(row["project_id"] or "-"),
            inert(mine["endpoint_host"]) if mine else "-",
            inert(row["secret_source"]),
            credential_cell(row["credential"]),
        )
    ]
    for token in tokens[1:] if mine else tokens:
        lines.append(
            (
                "",
                time_left(token),
                inert(" ".join(token["scopes"])) or "-",
                str(token["project_id"] or "-"),
                inert(token["endpoint_host"]),
                "",
                "",
            )
        )
    return lines


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADERS] + [line for row in rows for line in lines_of(row)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS) - 1)]
    return "".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1]).rstrip()
        + "\n"
        for line in lines
    )
