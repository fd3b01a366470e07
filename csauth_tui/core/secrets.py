"""Where a profile's client secret comes from: the OS keyring, an env var, a command, or
(discouraged) the profiles file itself.

`keyring` is imported inside the functions that need it, so reading a cached token never
pays for it. Every keyring call runs in a daemon thread and is waited on for a bounded
time: a locked Secret Service that pops up a password prompt nobody can see must not hang
the CLI or the app.

No message built here contains a secret: keyring and command errors are reduced to their
type, exit status and at most one scrubbed line of stderr.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .errors import KeyringUnavailableError, SecretConflictError, SecretError
from .profiles import Profile, SecretKind
from .redact import Secret, looks_like_a_secret, mask, secret_parts

KEYRING_SERVICE = "csauth-tui"
_PROBE_USER = "csauth-doctor-probe"  # looked up (never written) by keyring_status()
MAX_COMMAND_OUTPUT = 64 * 1024  # a `cmd:` command prints a secret, maybe a few notes

_ELSEWHERE = (
    'keep the secret out of the profiles file with secret = "env:VAR" or '
    'secret = "cmd:COMMAND" (e.g. `cmd:pass show cs/prod`)'
)
KEYRING_ALTERNATIVES = (
    "no OS keyring works in this session, which is usual on headless "
    f"Linux, WSL and SSH; {_ELSEWHERE}"
)
KEYRING_LOCKED_HINT = f"unlock the keyring (log in to the desktop session), or {_ELSEWHERE}"

T = TypeVar("T")


# --- public API ------------------------------------------------------------------------


def resolve_secret(
    profile: Profile, *, environ: Mapping[str, str] | None = None, timeout: float = 10.0
) -> Secret:
    """The client secret of `profile`, from wherever its `secret` field says it lives.

    `environ` (default: os.environ) is where `env:VAR` is looked up and the environment a
    `cmd:` command runs with. `timeout` bounds the keyring call or the command.
    """
    source = profile.secret
    environ = os.environ if environ is None else environ
    if source.kind is SecretKind.KEYRING:
        return _from_keyring(profile, timeout)
    if source.kind is SecretKind.ENV:
        return _from_env(profile, source.argument, environ)
    if source.kind is SecretKind.COMMAND:
        return _from_command(profile, source.argument, environ, timeout)
    if not profile.client_secret:
        raise SecretError(
            f"profile '{profile.name}' says its secret is in the profiles "
            "file, but it has no client_secret"
        )
    return Secret(profile.client_secret)


def store_secret(
    client_id: str, secret: Secret, *, replace: bool = False, timeout: float = 10.0
) -> str:
    """Put `secret` in the OS keyring under `client_id`.

    The keyring holds one secret per client_id, shared by every profile that names it, so
    a different secret already stored there is never replaced by accident: that raises
    SecretConflictError unless `replace` is true. Returns "stored" (there was none),
    "unchanged" (the same secret was already there) or "replaced".
    """
    if not isinstance(secret, Secret):
        raise TypeError("store_secret() takes a Secret, not a plain string")
    if not secret:
        raise SecretError("refusing to store an empty client secret in the keyring")
    import keyring

    def call() -> str:
        current = keyring.get_password(KEYRING_SERVICE, client_id)
        if current == secret.reveal():
            return "unchanged"
        if current and not replace:
            return "conflict"
        keyring.set_password(KEYRING_SERVICE, client_id, secret.reveal())
        return "replaced" if current else "stored"

    try:
        outcome = _bounded(call, timeout)
    except KeyringUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - any backend failure means "no keyring"
        raise _unavailable(exc, scrub=(secret.reveal(),)) from None
    if outcome == "conflict":
        raise SecretConflictError(
            f"the keyring already holds a different secret for client_id {mask(client_id)}; "
            "it was kept",
            hint="every profile with this client_id uses that secret; replace it on "
            "purpose with --replace-secret (or `csauth secret set`)",
        )
    return outcome


def stored_secret(client_id: str, *, timeout: float = 10.0) -> Secret | None:
    """The secret the keyring holds for `client_id`, None when it holds none (an unusable
    keyring still raises): what a new secret would replace."""
    try:
        return _from_keyring(Profile(name="(stored)", client_id=client_id), timeout)
    except KeyringUnavailableError:
        raise
    except SecretError:
        return None


def delete_secret(client_id: str, *, timeout: float = 10.0) -> bool:
    """Remove the keyring entry of `client_id`. False if there was none."""
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        _bounded(lambda: keyring.delete_password(KEYRING_SERVICE, client_id), timeout)
    except PasswordDeleteError:
        return False
    except KeyringUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _unavailable(exc) from None
    return True


def keyring_status(timeout: float = 5.0) -> tuple[bool, str]:
    """(usable, description) of the OS keyring, for `csauth doctor`.

    Usable means a lookup answered in time. The description is the backend's name, or why
    the keyring cannot be used.
    """
    import keyring

    try:
        backend = _bounded(keyring.get_keyring, timeout)
    except KeyringUnavailableError as exc:
        return False, str(exc)
    except Exception as exc:  # noqa: BLE001
        return False, str(_unavailable(exc))
    name = _backend_name(backend)
    try:
        _bounded(lambda: backend.get_password(KEYRING_SERVICE, _PROBE_USER), timeout)
    except KeyringUnavailableError as exc:
        return False, f"{name}: {exc}"
    except Exception as exc:  # noqa: BLE001
        from keyring.errors import NoKeyringError

        if isinstance(exc, NoKeyringError):
            return False, f"no keyring backend found ({KEYRING_ALTERNATIVES})"
        return False, f"{name}: {_unavailable(exc)}"
    return True, name


def describe_source(profile: Profile) -> str:
    """Where the secret of `profile` lives, in a few words (never the secret itself)."""
    source = profile.secret
    if source.kind is SecretKind.ENV:
        return f"env {_variable(source.argument)}"
    return {
        SecretKind.KEYRING: "keyring",
        SecretKind.COMMAND: "command",
        SecretKind.PLAINTEXT: "plaintext in profiles file",
    }[source.kind]


# --- the sources -----------------------------------------------------------------------


def _from_keyring(profile: Profile, timeout: float) -> Secret:
    import keyring

    try:
        value = _bounded(lambda: keyring.get_password(KEYRING_SERVICE, profile.client_id), timeout)
    except KeyringUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _unavailable(exc) from None
    if not value:
        raise SecretError(
            f"no secret in the keyring for profile '{profile.name}' "
            f"(client_id {mask(profile.client_id)})",
            hint=f'store it with `csauth add {profile.name} ...` or choose secret = "env:VAR"',
        )
    return Secret(value)


# Quoting back a variable name or a command helps, unless the user pasted the secret
# itself there (`env:<the secret>` is a valid variable name): then it is not shown.
_HIDDEN_NAME = "(name hidden: it looks like a secret)"


def _variable(var: str) -> str:
    return _HIDDEN_NAME if looks_like_a_secret(var) else f"${var}"


def _program(program: str) -> str:
    return _HIDDEN_NAME if looks_like_a_secret(program) else program


def _from_env(profile: Profile, var: str, environ: Mapping[str, str]) -> Secret:
    value = environ.get(var, "")
    if not value:
        state = "is empty" if var in environ else "is not set"
        if looks_like_a_secret(var):
            hint = 'write secret = "env:NAME" with the name of a variable, not the secret'
        else:
            hint = f"export {var}=... in the environment that runs csauth"
        raise SecretError(
            f"profile '{profile.name}' reads its secret from {_variable(var)}, which {state}",
            hint=hint,
        )
    return Secret(value)


def _from_command(
    profile: Profile, command: str, environ: Mapping[str, str], timeout: float
) -> Secret:
    where = f"the secret command of profile '{profile.name}'"
    try:
        argv = shlex.split(command)
    except ValueError as exc:  # unbalanced quotes and the like
        raise SecretError(f"{where} cannot be parsed: {exc}") from None
    if not argv:
        raise SecretError(f"{where} is empty", hint='write secret = "cmd:COMMAND ARGS..."')
    program = _program(argv[0])
    env = {**environ, "CSAUTH_CLIENT_ID": profile.client_id, "CSAUTH_PROFILE": profile.name}
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise SecretError(f"{where} was not found: {program}") from None
    except OSError as exc:
        raise SecretError(f"{where} ({program}) could not start: {exc.strerror or exc}") from None
    try:
        out, err = _output(proc, timeout)
    except _TooMuchOutput:
        raise SecretError(
            f"{where} ({program}) printed more than {MAX_COMMAND_OUTPUT // 1024} KiB on "
            "stdout: it was stopped",
            hint="it must print the client secret on its first line, then end",
        ) from None
    except subprocess.TimeoutExpired:
        raise SecretError(
            f"command for profile '{profile.name}' ({program}) timed out after {timeout:g} s",
            hint="is it waiting for a password or a touch?",
        ) from None
    stdout = out.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        how = (
            f"was killed by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"exited with status {proc.returncode}"
        )
        line = _first_line(
            err.decode("utf-8", errors="replace"),
            scrub=(
                stdout,
                *stdout.splitlines(),
                *(part for word in argv for part in secret_parts(word)),
            ),
        )
        raise SecretError(f"{where} ({program}) {how}" + (f": {line}" if line else ""))
    if not stdout:
        raise SecretError(
            f"{where} ({program}) printed nothing on stdout", hint="it must print the client secret"
        )
    # `pass show` and friends print the secret on the first line, then notes.
    return Secret(stdout.splitlines()[0].strip())


class _TooMuchOutput(Exception):
    pass


def _output(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """What the command printed on stdout and stderr, each read in a thread of its own and
    kept to MAX_COMMAND_OUTPUT bytes (`cmd:yes` must not fill the memory). The command is
    killed when it passes that on stdout (_TooMuchOutput) or when it has not finished in
    `timeout` seconds (subprocess.TimeoutExpired)."""
    deadline = time.monotonic() + timeout
    kept = {"out": bytearray(), "err": bytearray()}
    too_much = threading.Event()

    def read(pipe: Any, name: str) -> None:
        buffer = kept[name]
        try:
            while chunk := pipe.read1(65536):
                if len(buffer) + len(chunk) > MAX_COMMAND_OUTPUT:
                    if name == "out":
                        too_much.set()
                        return
                    continue  # stderr: keep its start, drain the rest
                buffer.extend(chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the command was killed

    readers = [
        threading.Thread(target=read, args=(pipe, name), daemon=True, name=f"csauth-secret-{name}")
        for pipe, name in ((proc.stdout, "out"), (proc.stderr, "err"))
    ]
    for reader in readers:
        reader.start()
    readers[0].join(timeout)  # ends at the end of stdout, or past the limit
    try:
        if too_much.is_set():
            raise _TooMuchOutput
        if readers[0].is_alive():
            raise subprocess.TimeoutExpired(proc.args, timeout)
        proc.wait(max(0.0, deadline - time.monotonic()))
    except BaseException:
        _kill(proc, readers)
        raise
    # stderr is read until the command ends, within the timeout (a daemon it started may
    # hold the pipe open: what arrived by then is enough for an error line)
    readers[1].join(max(0.0, deadline - time.monotonic()))
    _close_pipes(proc, readers)
    return bytes(kept["out"]), bytes(kept["err"])


def _kill(proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
    """Kill the command and whatever it started (it runs in its own session)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - not even SIGKILL ended it
        pass
    for reader in readers:
        reader.join(1)
    _close_pipes(proc, readers)


def _close_pipes(proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
    """Close the pipes no reader is blocked on (one a daemon still holds stays open)."""
    for pipe, reader in zip((proc.stdout, proc.stderr), readers):
        if pipe is not None and not reader.is_alive():
            pipe.close()


# --- keyring plumbing ------------------------------------------------------------------


def _bounded(call: Callable[[], T], timeout: float) -> T:
    """Run `call` in a daemon thread; its result, its exception, or a timeout error.

    A hung call (a keyring waiting for an unlock prompt) keeps its thread; being a daemon
    thread it never blocks interpreter exit.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="csauth-keyring", daemon=True).start()
    if not done.wait(timeout):
        raise KeyringUnavailableError(
            f"the keyring did not answer within {timeout:g} s "
            "(is it locked or waiting for a password prompt?)",
            hint=KEYRING_LOCKED_HINT,
        )
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _unavailable(exc: BaseException, *, scrub: tuple[str, ...] = ()) -> KeyringUnavailableError:
    """A keyring backend's failure, worded for a person."""
    from keyring.errors import KeyringLocked, NoKeyringError

    hint = KEYRING_ALTERNATIVES
    if isinstance(exc, NoKeyringError):
        reason = "no keyring backend found"
    elif isinstance(exc, KeyringLocked):
        reason = "the keyring is locked and no unlock prompt could be answered"
        hint = KEYRING_LOCKED_HINT
    else:
        detail = _first_line(str(exc), scrub=scrub)
        reason = type(exc).__name__ + (f": {detail}" if detail else "")
    return KeyringUnavailableError(f"the OS keyring cannot be used: {reason}", hint=hint)


def _backend_name(backend: Any) -> str:
    inner = getattr(backend, "backends", None)  # keyring's ChainerBackend
    if inner:
        return " + ".join(_backend_name(b) for b in inner)
    return str(getattr(backend, "name", type(backend).__name__))


def _first_line(text: str, *, scrub: tuple[str, ...] = (), limit: int = 200) -> str:
    """The first non-blank line of `text`, with every value in `scrub` masked."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    for value in sorted((v.strip() for v in scrub if v and v.strip()), key=len, reverse=True):
        line = line.replace(value, "********")
    return line if len(line) <= limit else line[: limit - 1] + "…"
