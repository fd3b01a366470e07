"""`csauth use` (the default profile) and `csauth secret set` (rotating a secret)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys

from .core import paths
from .core.defaults import ENV_VAR, check, default_of
from .core.errors import EXIT_OK, ApiError, ConfigError, SecretError
from .core.profiles import SecretKind
from .core.text import control_error, inert

# --- csauth use --------------------------------------------------------------------------


def use(args: argparse.Namespace) -> int:
    from .core.store import ProfileStore

    store = ProfileStore(paths.config_path(args.config))
    pf = store.load()
    if args.clear and args.name:
        raise ConfigError("give a PROFILE or --clear, not both")
    if args.clear:
        store.set_setting("default_profile", None)
        print(f"no default profile in {store.path} any more", file=sys.stderr)
        env_note(None)
        return EXIT_OK
    if args.name is None:
        default = default_of(pf)
        if default is None:
            print(
                f"no default profile (set one with `csauth use NAME`, or export {ENV_VAR}=NAME)",
                file=sys.stderr,
            )
            return EXIT_OK
        check(pf, default)  # an unknown one is an error, saying where it came from
        print(default.name)
        print(f"(from {default.origin})", file=sys.stderr)
        return EXIT_OK
    profile = pf.get(args.name)  # unknown or invalid: refused, with its reasons
    store.set_setting("default_profile", profile.name)
    print(
        f"default profile: '{profile.name}' (default_profile in [settings] of {store.path})",
        file=sys.stderr,
    )
    env_note(profile.name)
    return EXIT_OK


def env_note(name: str | None) -> None:
    import os

    current = os.environ.get(ENV_VAR, "")
    if current and current != name:
        print(
            f"note: ${ENV_VAR} is set to '{inert(current)}' in this environment and wins "
            "over the setting",
            file=sys.stderr,
        )


# --- csauth secret set -------------------------------------------------------------------


def instead(profile, path) -> str:
    """What to do for a profile whose secret is not in the keyring."""
    from .core.secrets import describe_source

    source = profile.secret
    where = describe_source(profile)
    if source.kind is SecretKind.ENV:
        return (
            f"profile '{profile.name}' reads its secret from {where}: put the new secret "
            f"in that variable wherever it is set (and its client_id in {path} if it "
            "changed)"
        )
    if source.kind is SecretKind.COMMAND:
        return (
            f"profile '{profile.name}' gets its secret from a command: store the new "
            f"secret where that command reads it (e.g. `pass edit ...`), and its "
            f"client_id in {path} if it changed"
        )
    return (
        f"profile '{profile.name}' keeps its secret in plaintext in {path}: delete its "
        "client_secret line (the profile then uses the keyring) and run `csauth secret "
        f"set {profile.name}` to store the new one there"
    )


def secret_set(args: argparse.Namespace) -> int:
    from .commands import pick, prove_secret, read_secret
    from .core.errors import SecretConflictError
    from .core.redact import Secret, mask
    from .core.secrets import delete_secret, store_secret, stored_secret
    from .core.store import ProfileStore
    from .core.tokens import TokenCache

    store = ProfileStore(paths.config_path(args.config))
    pf = store.load()
    profile = pick(args, pf)
    if profile.secret.kind is not SecretKind.KEYRING:
        raise ConfigError(f"secret not changed: {instead(profile, store.path)}")
    old_id = profile.client_id
    new_id = old_id if args.client_id is None else args.client_id.strip()
    problem = "client_id must not be empty" if not new_id else control_error("client_id", new_id)
    if problem:
        raise ConfigError(f"secret not changed: {problem}")
    moving = new_id != old_id
    # the keyring holds one secret per client_id: every keyring profile naming it shares it
    sharing = [
        p
        for p in pf.profiles.values()
        if p.client_id == old_id and p.secret.kind is SecretKind.KEYRING
    ]
    names = ", ".join(f"'{p.name}'" for p in sharing)
    elsewhere = [
        p
        for p in pf.profiles.values()
        if p.client_id == old_id and p.secret.kind is not SecretKind.KEYRING
    ]
    already = (
        [
            p
            for p in pf.profiles.values()
            if p.client_id == new_id and p.secret.kind is SecretKind.KEYRING
        ]
        if moving
        else []
    )

    secret = Secret(read_secret(profile.name, "New client secret"))
    previous_new = stored_secret(new_id)
    if not moving and previous_new == secret:
        print(
            f"the keyring already holds this secret for client_id {mask(old_id)} "
            f"({names}); nothing changed",
            file=sys.stderr,
        )
        return EXIT_OK
    conflict = moving and previous_new is not None and previous_new != secret
    if conflict and args.no_verify:
        users = ", ".join(f"'{p.name}'" for p in already) or "no profile of this file"
        raise SecretConflictError(
            f"secret not changed: the keyring already holds a different secret for the new "
            f"client_id {mask(new_id)} (used by {users}), and --no-verify leaves nothing to "
            "tell which one is right",
            hint="run it without --no-verify",
        )
    if moving:
        print(
            f"client_id {mask(old_id)} -> {mask(new_id)} for {names}"
            + (f" (already on it: {', '.join(repr(p.name) for p in already)})" if already else ""),
            file=sys.stderr,
        )
    for other in elsewhere:
        print(
            f"note: '{other.name}' also has client_id {mask(old_id)} but does not use the "
            "keyring: left as it is (update its secret where it lives)",
            file=sys.stderr,
        )

    candidate = dataclasses.replace(profile, client_id=new_id)
    if not args.no_verify:
        try:
            proved = prove(pf, candidate, secret, prove_secret)
        except ApiError as exc:
            exc.message = f"secret not changed: {exc.message}"
            exc.hint = (
                f"the keyring keeps the secret {names} use; `csauth secret set "
                f"{profile.name} --no-verify` stores the new one anyway"
            )
            raise
        print(f"Contentsquare accepted the new secret ({proved})", file=sys.stderr)

    outcome = store_secret(new_id, secret, replace=True)
    moved: list[str] = []
    if moving:
        try:
            for other in sharing:
                store.update(other.name, {"client_id": new_id})
                moved.append(other.name)
        except BaseException:
            with contextlib.suppress(Exception):  # as it was, as far as it goes
                for name in moved:
                    store.update(name, {"client_id": old_id})
                if previous_new is None:
                    delete_secret(new_id)
                elif outcome == "replaced":
                    store_secret(new_id, previous_new, replace=True)
            raise

    cache = TokenCache(paths.token_cache_path())
    dropped = cache.forget(old_id) + (cache.forget(new_id) if moving else 0)
    print(
        f"secret {outcome} in the keyring for client_id {mask(new_id)}, used by {names}; "
        f"{dropped} cached token(s) dropped",
        file=sys.stderr,
    )
    if moving:
        if args.no_verify:
            print(
                f"the old secret stays in the keyring under client_id {mask(old_id)}: "
                "nothing proved the new pair works (run `csauth secret set "
                f"{profile.name}` again, or `csauth token {profile.name}` to try it)",
                file=sys.stderr,
            )
        else:  # no profile of this file names it now; the pair is being retired
            try:
                if delete_secret(old_id):
                    print(
                        f"the old secret (client_id {mask(old_id)}) was removed from the "
                        "keyring; delete the old credential in the Contentsquare console "
                        "once nothing uses it",
                        file=sys.stderr,
                    )
            except SecretError as exc:
                print(f"the old keyring entry was left: {exc.message}", file=sys.stderr)
    return EXIT_OK


def prove(pf, profile, secret, prove_secret) -> str:
    """A token request with the new pair (or /me for an account-level profile without a
    project), then /me: it must name the same client when it names one."""
    from .core.sync_client import SyncAuthClient

    prove_secret(pf, profile, secret)
    with SyncAuthClient(settings=pf.settings) as client:
        info = client.me(profile, secret)
    raw = info.raw if isinstance(info.raw, dict) else {}
    said = raw.get("client_id", raw.get("clientId"))
    if said is None:
        return "a token, and /me (which does not say which client it is)"
    if str(said) != profile.client_id:
        from .core.errors import RefusedError
        from .core.redact import mask

        raise RefusedError(
            f"/me answered for client_id {mask(inert(str(said)))}, not {mask(profile.client_id)}"
        )
    return "a token, and /me for the same client_id"
