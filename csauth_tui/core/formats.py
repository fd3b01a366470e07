"""A token as the CLI and the app print it: bare, header, curl, env exports or JSON.

Standard library only: `csauth token` with a cached token prints through this module.
"""

from __future__ import annotations

import json
import shlex

from .request import TokenRequest
from .tokens import Token, iso_utc, utcnow

FORMATS = ("token", "header", "json", "curl", "env")


def probe_url(token: Token, project_id: int | None) -> str:
    """The first real call to try the token with: {endpoint}/v1/segments[?projectId=N]."""
    url = f"{token.endpoint.rstrip('/')}/v1/segments"
    return f"{url}?projectId={project_id}" if project_id is not None else url


def token_env(token: Token) -> dict[str, str]:
    """What `csauth exec` (and `--format env`) puts in the environment."""
    return {
        "CS_ACCESS_TOKEN": token.access_token,
        "CS_API_BASE_URL": token.endpoint,
        "CS_TOKEN_EXPIRES_AT": iso_utc(token.expires_at),
    }


def render(token: Token, request: TokenRequest, fmt: str, *, shell: str | None = None) -> str:
    """The token in one of FORMATS (anything else: JSON); `shell`: the syntax of `env`
    (core/shells.py; default posix)."""
    if fmt == "token":
        return token.access_token
    if fmt == "header":
        return token.header
    if fmt == "curl":
        url = probe_url(token, request.project_id)
        return f"curl -sS -H {shlex.quote(token.header)} {shlex.quote(url)}"
    if fmt == "env":
        from .shells import env_lines

        return env_lines(token_env(token), shell or "posix")
    return json.dumps(
        {
            "profile": request.profile.name,
            "access_token": token.access_token,
            "token_type": "Bearer",
            "endpoint": token.endpoint,
            "expires_at": iso_utc(token.expires_at),
            "expires_in": max(0, int(token.seconds_left(utcnow()))),
            "scopes": list(token.scopes),
            "project_id": token.project_id,
        },
        indent=2,
    )
