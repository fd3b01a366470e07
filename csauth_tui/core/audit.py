"""Checking every credential at once: secrets, tokens, /me, age, duplicates, limits.

Each profile is audited independently (one failure never stops the rest), at most
`concurrency` at a time and never more than 10 requests in flight for one project (the
documented Contentsquare limit). Results arrive through `on_result` as they finish, so a
screen or a progress bar can fill in row by row.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import CsauthError, ForbiddenError, InvalidCredentialsError, RefusedError
from .kinds import Severity
from .lifetime import credential_expiry
from .profiles import DEFAULT_AUTH_URL, Profile, ProfilesFile, SecretKind
from .redact import Secret, looks_like_a_secret
from .secrets import describe_source
from .text import inert

SEVERITIES = tuple(Severity)  # worst first
MAX_CREDENTIALS = 10  # documented: per project and per account
MAX_CONCURRENT_PER_PROJECT = 10


@dataclass(frozen=True)
class Finding:
    check: str  # stable id, e.g. "secret.missing" (part of the JSON schema)
    severity: Severity
    message: str
    fix: str
    profile: str | None = None  # None for findings about the file or several profiles

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))  # "error" reads too


@dataclass
class ProfileResult:
    profile: str
    level: str = ""
    client_id: str = ""
    project_id: int | None = None
    secret_source: str = ""
    token_ok: bool | None = None  # None: not tried
    token_ms: float | None = None
    endpoint: str | None = None
    endpoint_trusted: bool | None = None
    me_ok: bool | None = None
    me_scopes: tuple[str, ...] | None = None
    me_projects: tuple[tuple[Any, str], ...] | None = None
    account_id: Any = None
    findings: list[Finding] = field(default_factory=list)
    auth_url: str = ""  # where the secret is sent
    secret_command: str | None = None  # a cmd: source's command, inert; None: none or hidden
    token_cached: bool | None = None  # True: reused from the cache (--cached), not proven now

    def add(self, check: str, severity: Severity, message: str, fix: str) -> None:
        self.findings.append(Finding(check, severity, message, fix, self.profile))

    @property
    def worst(self) -> str:
        """The worst severity's word, or "ok"."""
        for severity in SEVERITIES:
            if any(f.severity is severity for f in self.findings):
                return severity.value
        return "ok"


@dataclass
class AuditReport:
    profiles_file: str
    started_at: datetime
    finished_at: datetime | None = None
    results: list[ProfileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # file-level and cross-profile

    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for result in self.results:
            out.extend(result.findings)
        return out

    def counts(self) -> dict[str, int]:
        found = self.all_findings()
        return {
            severity.value: sum(1 for f in found if f.severity is severity)
            for severity in SEVERITIES
        }

    @property
    def exit_code(self) -> int:
        return 1 if self.counts()[Severity.ERROR.value] else 0


# --- checks that need no network ---------------------------------------------------------


def file_findings(path: Path, what: str, holds_secrets: bool) -> list[Finding]:
    """A file readable by group or others."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return []
    if not mode & 0o077:
        return []
    severity = Severity.ERROR if holds_secrets else Severity.WARNING
    return [
        Finding(
            f"file.{what}.permissions",
            severity,
            f"the {what} file {path} is readable by group or others (mode {mode:04o})",
            f"chmod 600 {path}",
        )
    ]


def age_finding(result: ProfileResult, created: date | None, today: date, source: str) -> None:
    if created is None:
        result.add(
            "age.unknown",
            Severity.INFO,
            "creation date unknown: the one-year expiry cannot be tracked",
            "add created = YYYY-MM-DD to the profile",
        )
        return
    expires, left, severity = credential_expiry(created, today)
    if severity is Severity.ERROR:
        result.add(
            "age.expired",
            Severity.ERROR,
            f"credential expired {-left} days ago (created {created.isoformat()}, from {source})",
            "create a new credential in the Contentsquare console and update the profile",
        )
    elif severity is Severity.WARNING:
        result.add(
            "age.expiring",
            Severity.WARNING,
            f"credential expires in {left} days "
            f"({expires.isoformat()}, created {created.isoformat()}, from {source})",
            "create its replacement now and switch the profile before it expires",
        )


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def cross_findings(results: list[ProfileResult]) -> list[Finding]:
    """Findings about several profiles together: duplicates and the 10-credential limit."""
    out: list[Finding] = []
    by_client: dict[str, list[str]] = defaultdict(list)
    for result in results:
        by_client[result.client_id].append(result.profile)
    for client_id, names in by_client.items():
        if len(names) > 1:
            out.append(
                Finding(
                    "duplicate.client_id",
                    Severity.WARNING,
                    f"client_id {client_id} is used by {len(names)} profiles: {', '.join(names)}",
                    "keep one profile per credential (scopes and project can be "
                    "chosen per request)",
                )
            )
    per_project: dict[Any, set[str]] = defaultdict(set)
    per_account: dict[Any, set[str]] = defaultdict(set)
    for result in results:
        if result.level == "project" and result.project_id is not None:
            per_project[result.project_id].add(result.client_id)
        if result.level == "account" and result.account_id is not None:
            per_account[result.account_id].add(result.client_id)
    for where, groups in (("project", per_project), ("account", per_account)):
        for key, clients in groups.items():
            if len(clients) > MAX_CREDENTIALS:
                out.append(
                    Finding(
                        f"limit.{where}",
                        Severity.WARNING,
                        f"{len(clients)} credentials on {where} {key}: "
                        f"Contentsquare allows at most {MAX_CREDENTIALS}",
                        "delete the credentials no longer used in the console",
                    )
                )
    return out


# --- the audit ---------------------------------------------------------------------------


class Limits:
    """At most `concurrency` profiles at once, and never more than 10 requests in flight for
    one project."""

    def __init__(self, concurrency: int) -> None:
        self.profiles = asyncio.Semaphore(max(1, concurrency))
        self._projects: dict[Any, asyncio.Semaphore] = {}

    def project(self, key: Any) -> asyncio.Semaphore:
        if key not in self._projects:
            self._projects[key] = asyncio.Semaphore(MAX_CONCURRENT_PER_PROJECT)
        return self._projects[key]


def project_key(profile: Profile) -> Any:
    """Which project's request budget a profile's requests count against."""
    if profile.project_id is not None:
        return profile.project_id
    return ("client", profile.client_id)  # unknown project: at least bound per credential


def shown_command(profile: Profile) -> str | None:
    """A cmd: source's command as it may be shown (inert), or None when it looks like a
    secret was pasted there (or the source is not a command)."""
    if profile.secret.kind is not SecretKind.COMMAND:
        return None
    command = profile.secret.argument
    return None if looks_like_a_secret(command) else inert(command)


def source_findings(result: ProfileResult, profile: Profile, pf: ProfilesFile) -> None:
    """What will run and where the secret goes: every cmd: source, a profile's own auth_url
    (a different one in [settings] is one file-level finding, see run_audit)."""
    if profile.secret.kind is SecretKind.COMMAND:
        command = result.secret_command
        what = (
            f"`{command}`"
            if command is not None
            else "a command (not shown: it looks like it holds a secret)"
        )
        result.add(
            "secret.command",
            Severity.WARNING,
            f"the secret comes from running {what}",
            "check that this command is the one you expect; csauth runs it (no "
            "shell) whenever this profile needs its secret",
        )
    if profile.auth_url and profile.auth_url.rstrip("/") != DEFAULT_AUTH_URL:
        result.add(
            "auth_url.custom",
            Severity.WARNING,
            f"the secret is sent to {inert(profile.auth_url)}"
            f" (this profile's auth_url), not to {DEFAULT_AUTH_URL}",
            "remove auth_url from the profile unless this host is meant to get it",
        )


async def audit_profile(
    profile: Profile,
    pf: ProfilesFile,
    service: Any,
    client: Any,
    limits: Limits,
    today: date,
    resolve_secret: Callable[[Profile], Secret],
    fresh: bool = True,
) -> ProfileResult:
    """`fresh`: prove the credential with a new token request (a cached token says nothing
    about a secret revoked since); False reuses a cached token (`csauth audit --cached`)."""
    result = ProfileResult(
        profile.name,
        profile.level,
        profile.client_id,
        profile.project_id,
        describe_source(profile),
        auth_url=profile.effective_auth_url(pf.settings),
        secret_command=shown_command(profile),
    )
    source_findings(result, profile, pf)
    if profile.secret.kind is SecretKind.PLAINTEXT:
        result.add(
            "secret.plaintext",
            Severity.WARNING,
            "the client secret is stored in plaintext in the profiles file",
            f"csauth rm {profile.name}, then csauth add it again with the secret in the keyring",
        )
    try:
        secret = await asyncio.to_thread(resolve_secret, profile)
    except CsauthError as exc:
        result.add(
            "secret.missing",
            Severity.ERROR,
            f"secret not found: {exc.message}",
            exc.hint or "store it with csauth add, or use env:/cmd:",
        )
        age_finding(result, profile.created, today, "the profile")
        return result

    slot = limits.project(project_key(profile))
    token_error: CsauthError | None = None
    if profile.is_account and profile.project_id is None:
        result.add(
            "project.missing",
            Severity.WARNING,
            "account-level profile without a project_id: every token request needs --project-id",
            "set project_id in the profile (csauth me lists the projects)",
        )
    else:
        started = time.perf_counter()
        try:
            async with slot:  # the secret resolved above: a cmd: prompt runs only once
                hit = None if fresh else service.cached(service.plan(profile))
                result.token_cached = hit is not None
                token = hit or await service.token(profile, secret=secret, force=fresh)
            result.token_ok = token.trusted
            # an untrusted endpoint may carry the token in its query: only its host is shown
            result.endpoint = token.endpoint if token.trusted else None
            result.endpoint_trusted = token.trusted
            if not token.trusted:
                from .answers import _host

                result.add(
                    "token.untrusted_endpoint",
                    Severity.ERROR,
                    f"the token came with an API URL on an untrusted host: {_host(token.endpoint)}",
                    "check auth_url and any proxy between you and Contentsquare",
                )
        except CsauthError as exc:
            token_error = exc
            result.token_ok = False
            result.add(
                "token.failed",
                Severity.ERROR,
                f"no token for scopes {' '.join(profile.scopes)}: {exc.message}",
                exc.hint or "check the credential, its scopes and project",
            )
        if not result.token_cached:
            result.token_ms = (time.perf_counter() - started) * 1000

    created = profile.created
    created_from = "the profile"
    if isinstance(token_error, InvalidCredentialsError):
        # one cause, one finding: /me would only be refused the same way
        age_finding(result, created, today, created_from)
        return result
    try:
        async with slot:
            info = await client.me(profile, secret)
        result.me_ok = True
        result.me_scopes = info.scopes
        result.me_projects = info.projects
        raw = info.raw if isinstance(info.raw, dict) else {}
        result.account_id = raw.get("account_id", raw.get("accountId"))
        if created is None and parse_date(info.created):
            created, created_from = parse_date(info.created), "/me"
        me_checks(result, profile, info)
    except InvalidCredentialsError as exc:
        # an error even when a token came from the cache: the secret is wrong or revoked,
        # and the next token request will fail the same way
        result.me_ok = False
        result.add(
            "me.failed",
            Severity.ERROR,
            f"the credentials are rejected: {exc.message}",
            exc.hint or "check the profile's client_id and secret",
        )
    except CsauthError as exc:
        result.me_ok = False
        if token_error is None:  # a failed token request already says what is wrong
            result.add(
                "me.failed",
                Severity.WARNING if result.token_ok else Severity.ERROR,
                f"/me did not answer: {exc.message}",
                exc.hint or "try again later",
            )
    if isinstance(token_error, (ForbiddenError, RefusedError)) and any(
        f.check in EXPLAINS_A_REFUSAL for f in result.findings
    ):
        # /me named the cause of the refusal (a scope not granted, a project out of
        # reach): that finding alone, not a second one for its effect
        result.findings = [f for f in result.findings if f.check != "token.failed"]
    age_finding(result, created, today, created_from)
    return result


EXPLAINS_A_REFUSAL = ("scopes.not_granted", "project.unreachable")


def me_checks(result: ProfileResult, profile: Profile, info: Any) -> None:
    if info.scopes is not None:
        missing = [s for s in profile.scopes if s not in info.scopes]
        if missing:
            result.add(
                "scopes.not_granted",
                Severity.ERROR,
                f"default scope(s) {' '.join(missing)} not granted to this credential "
                f"(it has: {' '.join(info.scopes) or 'none'})",
                f"set scopes to what it has, or grant {' '.join(missing)} in the console",
            )
    if info.projects is not None and profile.project_id is not None:
        reachable = {str(pid) for pid, _ in info.projects}
        if str(profile.project_id) not in reachable:
            result.add(
                "project.unreachable",
                Severity.ERROR,
                f"project_id {profile.project_id} is not among the credential's "
                f"projects ({', '.join(sorted(reachable)) or 'none'})",
                "set project_id to one it can reach (csauth me lists them)",
            )


async def run_audit(
    pf: ProfilesFile,
    *,
    service: Any,
    client: Any,
    names: list[str] | None = None,
    concurrency: int = 8,
    today: date | None = None,
    cache_path: Path | None = None,
    resolve_secret: Callable[[Profile], Secret] | None = None,
    on_result: Callable[[ProfileResult], None] | None = None,
    clock: Callable[[], datetime] | None = None,
    fresh: bool = True,
) -> AuditReport:
    """`fresh` (the default): every credential is proven by a new token request; False
    reuses cached tokens (`csauth audit --cached`): faster, but proves less."""
    from .secrets import resolve_secret as default_resolver
    from .tokens import utcnow

    clock = clock or utcnow
    today = today or clock().astimezone().date()
    resolver = resolve_secret or default_resolver
    report = AuditReport(str(pf.path), clock())
    plaintext = any(p.secret.kind is SecretKind.PLAINTEXT for p in pf.profiles.values())
    report.findings += file_findings(pf.path, "profiles", plaintext)
    if pf.settings.auth_url.rstrip("/") != DEFAULT_AUTH_URL:
        report.findings.append(
            Finding(
                "auth_url.custom",
                Severity.WARNING,
                f"[settings] auth_url sends the secret of every "
                f"profile without its own auth_url to {inert(pf.settings.auth_url)}, not to {DEFAULT_AUTH_URL}",
                "remove auth_url from [settings] unless this host is meant to get them",
            )
        )
    if cache_path is not None:
        report.findings += file_findings(cache_path, "token cache", True)
    chosen = [
        pf.profiles[n]
        for n in (names if names is not None else list(pf.profiles))
        if n in pf.profiles
    ]
    for name in names if names is not None else pf.order:
        if name not in pf.profiles:
            for problem in pf.errors_for(name):
                report.findings.append(
                    Finding(
                        "profile.invalid",
                        Severity.ERROR,
                        str(problem),
                        "fix it in the profiles file",
                        name,
                    )
                )
    limits = Limits(concurrency)

    async def one(profile: Profile) -> ProfileResult:
        async with limits.profiles:
            try:
                result = await audit_profile(
                    profile, pf, service, client, limits, today, resolver, fresh
                )
            except Exception as exc:  # one profile's surprise never stops the audit
                result = ProfileResult(
                    profile.name,
                    profile.level,
                    profile.client_id,
                    profile.project_id,
                    describe_source(profile),
                )
                result.add(
                    "audit.crashed",
                    Severity.ERROR,
                    f"could not be audited: unexpected {type(exc).__name__}",
                    "run csauth -v token for this profile",
                )
        if on_result is not None:
            on_result(result)
        return result

    report.results = list(await asyncio.gather(*(one(p) for p in chosen)))
    report.findings += cross_findings(report.results)
    report.finished_at = clock()
    return report
