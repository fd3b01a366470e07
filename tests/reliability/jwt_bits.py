"""Hand-made JWTs for the tests: unsigned, with whatever claims a test needs."""

from __future__ import annotations

import base64
import json


def b64(raw: bytes) -> str:
    """base64url without padding, as JWT parts are written."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_jwt(claims: dict) -> str:
    def part(obj) -> str:
        return b64(json.dumps(obj).encode())

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"
