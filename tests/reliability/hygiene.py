"""The sentinel values the secret-hygiene tests hide in csauth, and the one check they
all make of what is shown (test_secret_hygiene.py, test_secret_reprs.py)."""

from __future__ import annotations

SECRET = "sentinel-hygiene-secret-3b7e19c2"
TOKEN = "sentinel-hygiene-token-8d04af61"
PASTED = "SentinelKx7fG2hQ9mZ3pL5vB8nR1tW4"  # a secret pasted where a name belongs
CLIENT_ID = "hygiene-client-0001"
# the app's classes that hold a secret or a token: their repr is checked in a running app
IN_THE_APP = {
    "TokenPanel",
    "CredentialPanel",
    "CsauthApp",
    "Session",
    "TokenActions",
    "ProfileForm",
}


def clean(text: str) -> bool:
    """No sentinel secret or token in `text` (a boolean: a failing assert must not quote)."""
    return not any(value in text for value in (SECRET, TOKEN, PASTED))
