"""How long a Contentsquare credential lives: one rule for the audit and the app.

Standard library only. Credentials expire one year after creation; the last
EXPIRY_WARNING_DAYS days are a warning, past the end an error.
"""

from __future__ import annotations

from datetime import date, timedelta

from .kinds import Severity

CREDENTIAL_LIFETIME = timedelta(days=365)
EXPIRY_WARNING_DAYS = 30


def credential_expiry(created: date, today: date) -> tuple[date, int, Severity | None]:
    """(expires, days_left, severity): severity ERROR once expired (days_left < 0),
    WARNING within EXPIRY_WARNING_DAYS of expiry, else None."""
    expires = created + CREDENTIAL_LIFETIME
    days_left = (expires - today).days
    if days_left < 0:
        return expires, days_left, Severity.ERROR
    if days_left <= EXPIRY_WARNING_DAYS:
        return expires, days_left, Severity.WARNING
    return expires, days_left, None
