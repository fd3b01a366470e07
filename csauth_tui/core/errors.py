"""Error types, each worded for a person and mapped to a CLI exit code.

No message built here may contain a client secret or an access token: callers pass
names, ids and statuses, never credentials.
"""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_REFUSED = 4
EXIT_NETWORK = 5


class CsauthError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code = EXIT_CONFIG
    title = "Error"  # how the app heads the error's notification or inline message

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


# --- configuration -------------------------------------------------------------------


class ConfigError(CsauthError):
    title = "Not sent: configuration"
    exit_code = EXIT_CONFIG


class ProfilesSyntaxError(ConfigError):
    """The profiles file is not valid TOML. Reported as path:line:col: message."""

    title = "Profiles file unreadable"

    def __init__(self, path: str, line: int, col: int, detail: str) -> None:
        self.path, self.line, self.col, self.detail = path, line, col, detail
        super().__init__(f"{path}:{line}:{col}: {detail}")


class UnsafeFileError(ProfilesSyntaxError):
    """A file or directory csauth will not read: another user owns it or may write it.

    A ProfilesSyntaxError so that every place that shows an unusable profiles file (the
    CLI's exit 3, the app's message in place of the list, doctor) shows this one too.
    """

    title = "Refused to read a file"

    def __init__(self, path: str, reason: str, fix: str) -> None:
        ConfigError.__init__(self, f"refusing to read {path}: {reason}", hint=fix)
        self.path, self.line, self.col, self.detail = path, 1, 1, reason


class UnknownProfileError(ConfigError):
    title = "No such profile"


class ProfileInvalidError(ConfigError):
    """A profile that failed validation was asked for by name."""

    title = "Profile invalid"


class StoreError(ConfigError):
    """The profiles file could not be written (permissions, disk full, lock timeout...)."""

    title = "Not saved"


class NoProfileError(ConfigError):
    """No PROFILE given and no default profile set: a usage mistake, as the missing
    argument was before defaults existed."""

    exit_code = EXIT_USAGE


class SecretError(ConfigError):
    """The client secret could not be found where the profile says it lives."""

    title = "Secret not found"


class KeyringUnavailableError(SecretError):
    title = "No keyring"


class SecretConflictError(SecretError):
    """The keyring already holds a different secret for a client_id: kept, not replaced."""

    title = "Secret kept"


# --- refused by a rule or by the API ----------------------------------------------------


class RuleError(CsauthError):
    """Refused before any request: account-level without project_id, enrichment combined..."""

    title = "Not sent"

    exit_code = EXIT_REFUSED


class ApiError(CsauthError):
    """Any failure talking to Contentsquare. `status` and `code` when the server said them."""

    title = "Contentsquare error"

    exit_code = EXIT_NETWORK

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class InvalidCredentialsError(ApiError):
    title = "Credentials rejected"
    exit_code = EXIT_REFUSED


class TokenExpiredError(ApiError):
    title = "Token expired"
    exit_code = EXIT_REFUSED


class ForbiddenError(ApiError):
    title = "Forbidden"
    exit_code = EXIT_REFUSED


class UntrustedEndpointError(ApiError):
    title = "Untrusted endpoint"
    exit_code = EXIT_REFUSED


class RefusedError(ApiError):
    """A 4xx refusal that is not about credentials, access or rate (400 INVALID_SCOPE,
    PROJECT_ID_REQUIRED, 404...): a mistake in what was asked, so retrying will not help."""

    title = "Refused"

    exit_code = EXIT_REFUSED


class RateLimitedError(ApiError):
    title = "Rate limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ApiError):
    title = "Server error"


class NetworkError(ApiError):
    title = "Network problem"


class BadResponseError(ApiError):
    title = "Unexpected answer"
