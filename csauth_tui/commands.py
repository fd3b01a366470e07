"""What each `csauth` subcommand does. Heavy imports happen inside the functions that
need them, so the cached-token path of `csauth token` stays on the standard library."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .core import paths
from .core.errors import EXIT_OK, ConfigError, SecretError
from .core.formats import render, token_env
from .core.profiles import ProfilesFile, SecretKind, load
from .core.request import TokenRequest, plan
from .core.text import inert
from .core.tokens import Token, TokenCache


def load_profiles(args: argparse.Namespace, *, settings: bool = True) -> ProfilesFile:
    """The profiles file. `settings`: the command uses [settings] (it sends something, or
    reads the cache), so a wrong setting is a configuration error (exit 3), never a silent
    default: a dropped auth_url would send the secret to the default host."""
    pf = load(paths.config_path(args.config))
    if settings:
        check_settings(pf)
    return pf


def check_settings(pf: ProfilesFile) -> None:
    wrong = pf.settings_errors()
    if wrong:
        raise ConfigError(
            f"{pf.path}: " + "; ".join(str(p) for p in wrong),
            hint="fix [settings], or remove the key to use its default",
        )


def pick(args: argparse.Namespace, pf: ProfilesFile):
    """The profile `args.profile` names, else the default one (named on stderr with -v)."""
    from .core.defaults import choose

    profile, default = choose(pf, args.profile)
    if default is not None and args.verbose:
        print(
            f"csauth: using the default profile '{profile.name}' (from {default.origin})",
            file=sys.stderr,
        )
    return profile


def name_the_default(args: argparse.Namespace) -> None:
    """For the commands that look the profile up by name themselves (proxy, exec --proxy):
    PROFILE left out becomes the default's name."""
    if args.profile is None:
        args.profile = pick(args, load_profiles(args)).name


def token_cache(pf: ProfilesFile, no_cache: bool = False) -> TokenCache | None:
    if no_cache or not pf.settings.token_cache:
        return None
    return TokenCache(paths.token_cache_path())


# --- tokens ----------------------------------------------------------------------------


def obtain(
    args: argparse.Namespace, *, min_ttl: int | None = None, no_cache: bool = False
) -> tuple[Token, TokenRequest]:
    """The token `args` ask for: from the cache when it has time left, else fetched."""
    pf = load_profiles(args)
    profile = pick(args, pf)
    request = plan(profile, pf.settings, args.scopes, args.project_id)
    cache = token_cache(pf, no_cache)
    token = None
    if cache is not None and min_ttl is None:  # the setting, capped per token's lifetime
        token = cache.get(request.cache_key, renew_before=pf.settings.renew_before_seconds)
    elif cache is not None and min_ttl is not None:
        token = cache.get(request.cache_key, min_ttl)
    if token is None:
        token = fetch(pf, request, cache)
    if not token.trusted:
        from .core.service import untrusted_error

        raise untrusted_error(token)
    if min_ttl is not None and token.lifetime < min_ttl:
        from .core.errors import RuleError

        # asked for more time than a new token has: printing it would break the promise
        raise RuleError(
            f"a new token for '{profile.name}' lives {int(token.lifetime)} s, "
            f"less than --min-ttl {min_ttl}",
            hint=f"this API hands out tokens of {int(token.lifetime)} s; ask for less",
        )
    return token, request


def fetch(pf: ProfilesFile, request: TokenRequest, cache: TokenCache | None) -> Token:
    """A fresh token from the API, cached when it may be used. Synchronous on purpose: a
    one-shot command spends no time loading asyncio's event loop."""
    from .core.secrets import resolve_secret
    from .core.service import remember
    from .core.sync_client import SyncAuthClient

    with SyncAuthClient(settings=pf.settings) as client:
        secret = resolve_secret(request.profile)
        token = client.fetch_token(
            request.profile, secret, scopes=request.scopes, project_id=request.project_id
        )
    remember(cache, token)
    return token


def token(args: argparse.Namespace) -> int:
    tok, request = obtain(args, min_ttl=args.min_ttl, no_cache=args.no_cache)
    sys.stdout.write(render(tok, request, args.format, shell=args.shell) + "\n")
    return EXIT_OK


def exec_(args: argparse.Namespace) -> int:
    if getattr(args, "proxy", False):
        from .proxy import exec_command

        name_the_default(args)
        return exec_command(args)
    from .core.hardening import restore_core_limit

    tok, request = obtain(args)
    env = {**os.environ, **token_env(tok)}
    source = request.profile.secret
    if source.kind is SecretKind.ENV:  # the command gets a token, not the client secret
        env.pop(source.argument, None)
    sys.stdout.flush()
    try:
        if os.name == "posix":
            restore_core_limit()  # the command is the user's: their own core limit
            os.execvpe(args.cmd[0], args.cmd, env)
        import subprocess

        return subprocess.run(args.cmd, env=env).returncode
    except FileNotFoundError:
        print(f"csauth: error: command not found: {inert(args.cmd[0])}", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"csauth: error: cannot run {inert(args.cmd[0])}: permission denied", file=sys.stderr)
        return 126


def proxy(args: argparse.Namespace) -> int:
    from .proxy import run_command

    name_the_default(args)
    return run_command(args)


# --- /me -------------------------------------------------------------------------------


def me(args: argparse.Namespace) -> int:
    from .core.secrets import resolve_secret
    from .core.sync_client import SyncAuthClient

    pf = load_profiles(args)
    profile = pick(args, pf)
    secret = resolve_secret(profile)
    with SyncAuthClient(settings=pf.settings) as client:
        info = client.me(profile, secret)
    if args.json:  # ensure_ascii (the default): controls and bidi marks as \uXXXX escapes
        print(json.dumps(info.raw, indent=2, default=str))
        return EXIT_OK
    # every value below but the level is the server's or the file's: shown inert
    print(
        inert(f"profile:   {profile.name} ({profile.level}-level, client_id {profile.client_id})")
    )
    scopes = " ".join(info.scopes) if info.scopes is not None else "(not reported)"
    print(f"scopes:    {inert(scopes)}")
    if info.projects is None:
        print("projects:  (not reported)")
    else:
        print(f"projects:  {len(info.projects)}")
        for pid, name in info.projects:
            print(f"  {inert(pid):>10}  {inert(name)}")
    if info.created:
        print(f"created:   {inert(info.created)}")
    return EXIT_OK


# --- listing ---------------------------------------------------------------------------


def list_(args: argparse.Namespace) -> int:
    from .core.secrets import describe_source

    pf = load_profiles(args, settings=False)  # listing sends nothing: shown, not refused
    rows: list[dict[str, Any]] = []
    for name in pf.order:
        profile = pf.profiles.get(name)
        errors = [str(p.message) for p in pf.errors_for(name)]
        rows.append(
            {
                "name": name,
                "valid": profile is not None,
                "errors": errors,
                "level": profile.level if profile else None,
                "client_id": profile.client_id if profile else None,
                "project_id": profile.project_id if profile else None,
                "scopes": list(profile.scopes) if profile else [],
                "secret": describe_source(profile) if profile else None,
                "created": profile.created.isoformat() if profile and profile.created else None,
                "description": profile.description if profile else "",
            }
        )
    if args.json:  # ensure_ascii (the default): controls and bidi marks as \uXXXX escapes
        print(json.dumps({"path": str(pf.path), "profiles": rows}, indent=2))
        return EXIT_OK
    if not pf.exists:
        print(
            f"No profiles file at {inert(pf.path)}.\nAdd one with: csauth add NAME --level "
            "project --client-id ID --scope metrics",
            file=sys.stderr,
        )
        return EXIT_OK
    if not rows:
        print(f"No profiles in {inert(pf.path)}. Add one with `csauth add`.", file=sys.stderr)
        return EXIT_OK
    headers = ("NAME", "LEVEL", "PROJECT", "SCOPES", "SECRET", "CREATED")
    table = [headers] + [
        tuple(
            inert(cell)
            for cell in (  # names, scopes... from the file
                (
                    r["name"],
                    r["level"] or "-",
                    str(r["project_id"] or "-"),
                    " ".join(r["scopes"]) or "-",
                    r["secret"] or "-",
                    r["created"] or "-",
                )
                if r["valid"]
                else (r["name"], "INVALID", "", "; ".join(r["errors"]), "", "")
            )
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    for problem in pf.problems:
        if problem.severity == "warning":
            print(f"warning: {problem}", file=sys.stderr)
    for problem in pf.settings_errors():
        print(f"error: {pf.path}: {problem}", file=sys.stderr)
    from .core.profiles import readable_by_others

    readable = readable_by_others(pf.path)
    if readable:
        print(f"warning: {readable}", file=sys.stderr)
    return EXIT_OK


# --- changing profiles -----------------------------------------------------------------


def read_secret(name: str, prompt: str = "Client secret") -> str:
    if sys.stdin is None or not sys.stdin.isatty():
        value = one_line_secret(sys.stdin.read() if sys.stdin else "")
    else:
        import getpass

        value = getpass.getpass(f"{prompt} for {name} (not echoed): ").strip()
    if not value:
        raise SecretError("no client secret given: pipe it on stdin or type it at the prompt")
    return value


def one_line_secret(piped: str) -> str:
    """The secret piped on stdin: one line (its final newline is fine). More lines are
    refused, not cut: `pass show` prints notes after the secret, and a secret cut at the
    wrong line would be stored as if it were right."""
    if not piped.strip():
        return ""
    text = piped[:-1] if piped.endswith("\n") else piped
    text = text[:-1] if text.endswith("\r") else text
    if "\n" in text or "\r" in text:
        raise SecretError(
            "the secret piped on stdin has more than one line; nothing was stored",
            hint="pipe the secret alone, e.g. `pass show cs/prod | head -n 1 | csauth add ...`",
        )
    return text.strip()


def piped_input() -> bool:
    """Whether something was piped on stdin (looked at without waiting for more)."""
    if sys.stdin is None or sys.stdin.isatty():
        return False
    try:
        import select

        fd = sys.stdin.fileno()
        ready, _, _ = select.select([fd], [], [], 0.05)
        return bool(ready) and os.read(fd, 1) != b""
    except (OSError, ValueError):  # no select() on this kind of stdin (Windows pipes)
        return False


def prove_secret(pf: ProfilesFile, profile, secret) -> None:
    """A token request with `secret` for `profile` (core.sync_client.prove_secret)."""
    from .core.sync_client import prove_secret as prove

    prove(pf.settings, profile, secret)


def add(args: argparse.Namespace) -> int:
    from datetime import date

    from .core.errors import ApiError, SecretConflictError
    from .core.profiles import validate_profile
    from .core.redact import Secret, mask
    from .core.store import ProfileStore

    fields: dict[str, Any] = {
        "level": args.level,
        "client_id": args.client_id,
        "scopes": args.scopes or ["metrics"],
    }
    if args.project_id is not None:
        fields["project_id"] = args.project_id
    if args.description:
        fields["description"] = args.description
    fields["created"] = args.created or date.today()
    if args.auth_url:
        fields["auth_url"] = args.auth_url
    if args.secret != "plaintext":  # --secret plaintext: a client_secret key, below
        fields["secret"] = args.secret
    problems: list = []
    check = dict(fields, client_secret="x") if args.secret == "plaintext" else fields
    new_profile = validate_profile(args.name, check, problems)
    if new_profile is None:
        detail = "; ".join(str(p) for p in problems if p.severity == "error")
        raise ConfigError(f"profile not added: {detail}")
    source = new_profile.secret

    store = ProfileStore(paths.config_path(args.config))
    existing = store.load()
    if args.name in existing.order:
        raise ConfigError(
            f"a profile named '{args.name}' already exists in {store.path}",
            hint="pick another name, or `csauth rm` it first",
        )
    twin = next((n for n in existing.order if n.casefold() == args.name.casefold()), None)
    if twin is not None:
        raise ConfigError(
            f"profile not added: '{args.name}' differs from the profile "
            f"'{twin}' of {store.path} only by case",
            hint="pick a name that differs by more than case",
        )
    from .core.secrets import describe_source

    secret_note = describe_source(new_profile)
    if not source.held and piped_input():
        raise ConfigError(
            f"profile not added: a secret was piped on stdin, but --secret "
            f"{source.kind.value}:... says where the secret comes from",
            hint="pipe nothing, or use --secret keyring to store the piped secret",
        )
    outcome, previous = None, None
    if source.held:
        secret = read_secret(args.name)
        if source.kind is SecretKind.PLAINTEXT:
            fields["client_secret"] = secret
            secret_note = "plaintext in the profiles file (consider the keyring)"
        else:
            from .core.secrets import store_secret, stored_secret

            new_secret = Secret(secret)
            previous = stored_secret(args.client_id)
            replace = previous is not None and previous != new_secret
            if replace:
                sharing = [n for n, p in existing.profiles.items() if p.client_id == args.client_id]
                users = (
                    ", ".join(f"'{n}'" for n in sharing) if sharing else "no profile of this file"
                )
                if not args.replace_secret:
                    raise SecretConflictError(
                        f"profile not added: the keyring already holds a different secret "
                        f"for client_id {mask(args.client_id)}, used by {users}; it was kept",
                        hint="to replace it for every profile with this client_id, add "
                        "--replace-secret (the new secret is tried with Contentsquare "
                        "first)",
                    )
                if not args.no_verify:
                    try:
                        prove_secret(existing, new_profile, new_secret)
                    except ApiError as exc:
                        exc.message = f"profile not added and secret not replaced: {exc.message}"
                        exc.hint = (
                            f"the keyring keeps the secret {users} use; "
                            "--replace-secret --no-verify stores the new one anyway"
                        )
                        raise
            outcome = store_secret(args.client_id, new_secret, replace=replace)
            secret_note = "keyring" + (
                f"; the stored secret was replaced for {users}" if outcome == "replaced" else ""
            )
    try:
        store.add(args.name, fields)
    except BaseException:
        from .core.secrets import delete_secret, store_secret

        if outcome == "stored":
            delete_secret(args.client_id)
        elif outcome == "replaced" and previous is not None:
            store_secret(args.client_id, previous, replace=True)  # as it was
        raise
    if outcome == "replaced":
        count = TokenCache(paths.token_cache_path()).forget(args.client_id)
        secret_note += f"; {count} cached token(s) of that client_id dropped"
    print(
        inert(f"added profile '{args.name}' to {store.path} (secret: {secret_note})"),
        file=sys.stderr,
    )
    return EXIT_OK


def rm(args: argparse.Namespace) -> int:
    from .core.store import ProfileStore

    store = ProfileStore(paths.config_path(args.config))
    pf = store.load()
    profile = pf.profiles.get(args.name)
    if not store.remove(args.name):
        pf.get(args.name)  # raises the "no profile named ..." error with the known names
    notes = []
    if profile is not None:
        shared = any(
            p.client_id == profile.client_id for n, p in pf.profiles.items() if n != args.name
        )
        if profile.secret.kind is SecretKind.KEYRING and not args.keep_secret and not shared:
            from .core.secrets import delete_secret

            try:
                if delete_secret(profile.client_id):
                    notes.append("keyring entry deleted")
            except SecretError as exc:
                notes.append(f"keyring entry left: {exc.message}")
        cache = token_cache(pf)
        if cache is not None:
            count = cache.forget(profile.client_id, profile.effective_auth_url(pf.settings))
            if count:
                notes.append(f"{count} cached token(s) forgotten")
    extra = f" ({'; '.join(notes)})" if notes else ""
    print(inert(f"removed profile '{args.name}'{extra}"), file=sys.stderr)
    return EXIT_OK


def forget(args: argparse.Namespace) -> int:
    cache = TokenCache(paths.token_cache_path())
    if args.profile:
        pf = load_profiles(args)
        profile = pf.get(args.profile)
        count = cache.forget(profile.client_id, profile.effective_auth_url(pf.settings))
        print(f"forgot {count} cached token(s) of '{profile.name}'", file=sys.stderr)
    else:
        count = cache.forget()
        print(f"forgot {count} cached token(s)", file=sys.stderr)
    return EXIT_OK


# --- import / export -------------------------------------------------------------------


def import_(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .core.errors import EXIT_CONFIG
    from .core.store import ProfileStore
    from .core.text import inert
    from .core.transfer import apply_import, plan_import, proof_profile, read_rows

    store = ProfileStore(paths.config_path(args.config))
    rows = read_rows(Path(args.file), args.format)
    plan = plan_import(
        rows,
        store.load(),
        args.overwrite,
        secrets=args.secrets,
        allow_secret_sources=args.allow_secret_sources,
        allow_auth_url=args.allow_auth_url,
    )
    for outcome in plan.outcomes:
        print(outcome.line(dry_run=args.dry_run), file=sys.stderr)
    done = len(plan.outcomes) - len(plan.failed)
    refused = len(plan.secrets_refused)
    if args.dry_run:
        print(
            f"dry run: {done} to import, {len(plan.failed)} not; nothing was changed",
            file=sys.stderr,
        )
    else:
        existing = store.load()

        def prove(name: str, fields: dict[str, Any], secret) -> None:
            prove_secret(existing, proof_profile(existing, name, fields), secret)

        notes = apply_import(
            plan,
            store,
            args.secrets,
            replace_secret=args.replace_secret,
            prove=None if args.no_verify else prove,
        )
        for note in notes:
            print(inert(note), file=sys.stderr)
        for client_id in sorted(notes.replaced):  # their tokens came from the old secret
            TokenCache(paths.token_cache_path()).forget(client_id)
        refused = notes.refused
        print(
            f"imported {done} profile(s) into {store.path}"
            + (f"; {len(plan.failed)} not imported" if plan.failed else ""),
            file=sys.stderr,
        )
    return EXIT_CONFIG if plan.rejected or refused else EXIT_OK


def export(args: argparse.Namespace) -> int:
    from fnmatch import fnmatchcase

    from .core.fsutil import atomic_write
    from .core.transfer import export_profiles

    pf = load_profiles(args, settings=False)  # exported without [settings]
    chosen = [
        p
        for p in pf.profiles.values()
        if not args.profiles or any(fnmatchcase(p.name, g) for g in args.profiles)
    ]
    if args.profiles and not chosen:
        raise ConfigError(
            f"no profile matches {' '.join(args.profiles)}; nothing was exported",
            hint="`csauth list` shows the profiles",
        )
    text = export_profiles(chosen, args.format)
    if args.output:
        from pathlib import Path

        atomic_write(Path(args.output), text)
        print(f"exported {len(chosen)} profile(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# --- audit -------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.enabled = sys.stderr.isatty() and total > 0

    def step(self, result) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(
            f"\raudit [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.total} {inert(result.profile)[:30]:<30}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def audit(args: argparse.Namespace) -> int:
    import asyncio
    from fnmatch import fnmatchcase

    from .core.api import AuthClient
    from .core.audit import run_audit
    from .core.audit_report import render as render_report
    from .core.service import TokenService

    pf = load_profiles(args)
    names = [
        n for n in pf.order if not args.profiles or any(fnmatchcase(n, g) for g in args.profiles)
    ]
    if args.profiles and not names:
        raise ConfigError(f"no profile matches {' '.join(args.profiles)}")
    progress = Progress(sum(1 for n in names if n in pf.profiles))
    cache = token_cache(pf)

    async def run():
        async with AuthClient(settings=pf.settings) as client:
            service = TokenService(pf.settings, client, cache=cache)
            return await run_audit(
                pf,
                service=service,
                client=client,
                names=names,
                concurrency=args.concurrency,
                cache_path=cache.path if cache else None,
                on_result=progress.step,
                fresh=not args.cached,
            )

    try:
        report = asyncio.run(run())
    finally:
        progress.close()
    text = render_report(report, args.format or "text")
    if args.output:
        from pathlib import Path

        from .core.fsutil import atomic_write

        atomic_write(Path(args.output), text)
        counts = report.counts()
        print(
            f"audit report written to {inert(args.output)}: {counts['error']} errors, "
            f"{counts['warning']} warnings",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return report.exit_code


# --- doctor ----------------------------------------------------------------------------


def doctor(args: argparse.Namespace) -> int:
    import platform
    from importlib import metadata

    from . import __version__
    from .core.errors import ProfilesSyntaxError
    from .core.secrets import keyring_status

    path = paths.config_path(args.config)
    print(f"csauth {__version__}, Python {platform.python_version()} on {platform.system()}")
    problems = []
    try:
        pf = load(path)
        problems = pf.problems
        errors = [p for p in problems if p.severity == "error"]
        state = (
            f"{len(pf.profiles)} profile(s)" + (f", {len(errors)} problem(s)" if errors else "")
            if pf.exists
            else "not created yet"
        )
    except ProfilesSyntaxError as exc:
        state = f"unreadable: {exc}"
    print(inert(f"profiles file:  {path} ({state})"))
    from .core.profiles import readable_by_others

    readable = readable_by_others(path)
    if readable:
        print(f"  warning: {readable}")
    for problem in problems:  # every one, named: a count alone says nothing to fix
        print(f"  {problem.severity}: {inert(str(problem))}")
    works, detail = keyring_status()
    print(inert(f"keyring:        {'works' if works else 'NOT AVAILABLE'}: {detail}"))
    cache_path = paths.token_cache_path()
    print(inert(f"token cache:    {cache_path} ({'present' if cache_path.exists() else 'empty'})"))
    from .core.clipboard import describe_method

    print(inert(f"clipboard:      {describe_method()}"))
    for name in ("textual", "httpx", "tomlkit", "keyring", "platformdirs"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        print(f"  {name:<13} {version}")
    return EXIT_OK


# --- the app ---------------------------------------------------------------------------


def open_app(args: argparse.Namespace) -> int:
    collecting = pause_collector()
    from .ui.app import run_app

    return run_app(config_path=paths.config_path(args.config), resume_gc=collecting)


def demo(args: argparse.Namespace) -> int:
    collecting = pause_collector()
    from .demo import demo_environment
    from .ui.app import run_app

    with demo_environment() as env:
        return run_app(config_path=env.config_path, demo=True, resume_gc=collecting)


def pause_collector() -> bool:
    """Python's cyclic GC off from here to the app's first frame (the app turns it back on):
    importing Textual and building the screen create tens of thousands of objects, all
    kept, that collections on the way would walk to free nothing (~15 ms of the start).
    Says whether it was on, so that only then is it turned back on."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    return collecting
