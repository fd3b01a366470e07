"""Where a client secret comes from: keyring, env var, command, plaintext; and every way
each can fail, without the secret ever showing up in an error."""

from __future__ import annotations

import shlex
import sys
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, PasswordSetError

from csauth_tui.core import secrets
from csauth_tui.core.errors import KeyringUnavailableError, SecretConflictError, SecretError
from csauth_tui.core.profiles import Profile
from csauth_tui.core.redact import Secret
from csauth_tui.core.secrets import (
    KEYRING_SERVICE,
    delete_secret,
    describe_source,
    keyring_status,
    resolve_secret,
    store_secret,
)

CLIENT_ID = "c3133d76-aaaa-bbbb-cccc-0123456789ab"
SECRET = "s3cr3t-VALUE-never-shown"


def profile(secret: str = "keyring", **kw) -> Profile:
    return Profile(
        name=kw.pop("name", "prod"), client_id=kw.pop("client_id", CLIENT_ID), secret=secret, **kw
    )


def cmd(script: str, *extra: str) -> str:
    """A `cmd:` source running `python -c script` with no shell involved."""
    return "cmd:" + shlex.join([sys.executable, "-c", script, *extra])


def assert_no_secret(exc: BaseException, *values: str) -> None:
    for value in (SECRET, *values):
        assert value not in str(exc)
        assert value not in repr(exc)
        assert value not in (getattr(exc, "hint", None) or "")


@pytest.fixture
def use_backend():
    """Install a given keyring backend for one test, restoring the previous one after."""
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


class HungKeyring(KeyringBackend):
    """A keyring stuck on an unlock prompt nobody answers (released at teardown)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait(30)

    def set_password(self, service, username, password):
        self.release.wait(30)

    def delete_password(self, service, username):
        self.release.wait(30)


class RaisingKeyring(KeyringBackend):
    """Every call raises the exception it was built with."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service, username):
        raise self.exc

    def set_password(self, service, username, password):
        raise self.exc

    def delete_password(self, service, username):
        raise self.exc


@pytest.fixture
def hung_keyring(use_backend):
    backend = HungKeyring()
    use_backend(backend)
    yield backend
    backend.release.set()


# --- keyring ---------------------------------------------------------------------------


def test_store_then_resolve_from_keyring(memory_keyring):
    store_secret(CLIENT_ID, Secret(SECRET))

    assert memory_keyring.get_password(KEYRING_SERVICE, CLIENT_ID) == SECRET
    got = resolve_secret(profile("keyring"))
    assert isinstance(got, Secret)
    assert got.reveal() == SECRET


def test_store_keeps_a_different_secret_unless_told_to_replace(memory_keyring):
    assert store_secret(CLIENT_ID, Secret("old-secret-1")) == "stored"
    with pytest.raises(SecretConflictError, match="different secret") as caught:
        store_secret(CLIENT_ID, Secret(SECRET))
    assert SECRET not in str(caught.value) and "old-secret-1" not in str(caught.value)
    assert resolve_secret(profile()).reveal() == "old-secret-1"
    assert store_secret(CLIENT_ID, Secret(SECRET), replace=True) == "replaced"
    assert resolve_secret(profile()).reveal() == SECRET


def test_storing_the_same_secret_again_is_fine(memory_keyring):
    store_secret(CLIENT_ID, Secret(SECRET))
    assert store_secret(CLIENT_ID, Secret(SECRET)) == "unchanged"
    assert resolve_secret(profile()).reveal() == SECRET


def test_store_refuses_empty_secret_and_plain_strings(memory_keyring):
    with pytest.raises(SecretError, match="empty"):
        store_secret(CLIENT_ID, Secret(""))
    with pytest.raises(TypeError):
        store_secret(CLIENT_ID, SECRET)  # type: ignore[arg-type]
    assert memory_keyring.get_password(KEYRING_SERVICE, CLIENT_ID) is None


def test_missing_keyring_entry_names_profile_and_masked_client_id(memory_keyring):
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(name="prod-metrics"))
    exc = info.value
    assert not isinstance(exc, KeyringUnavailableError)
    assert "no secret in the keyring for profile 'prod-metrics'" in exc.message
    assert "c313…" in exc.message and CLIENT_ID not in exc.message
    assert "csauth add prod-metrics" in exc.hint and "env:VAR" in exc.hint


def test_entries_are_per_client_id(memory_keyring):
    store_secret("other-client", Secret(SECRET))
    with pytest.raises(SecretError, match="no secret in the keyring"):
        resolve_secret(profile())


def test_delete_secret_reports_whether_it_was_there(memory_keyring):
    store_secret(CLIENT_ID, Secret(SECRET))
    assert delete_secret(CLIENT_ID) is True
    assert memory_keyring.get_password(KEYRING_SERVICE, CLIENT_ID) is None
    assert delete_secret(CLIENT_ID) is False


def test_no_keyring_backend_explains_the_alternatives(use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    with pytest.raises(KeyringUnavailableError) as info:
        resolve_secret(profile())
    text = str(info.value)
    assert "no keyring backend found" in text
    assert "headless Linux" in text and "WSL" in text and "SSH" in text
    assert 'secret = "env:VAR"' in text and 'secret = "cmd:COMMAND"' in text
    assert "cmd:pass show cs/prod" in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_no_keyring_backend_never_falls_back_to_plaintext(use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    # a profile that names the keyring but also carries a plaintext secret
    odd = profile("keyring", client_secret=Secret(SECRET))
    with pytest.raises(KeyringUnavailableError):
        resolve_secret(odd)


def test_store_and_delete_without_keyring_raise_unavailable(use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    with pytest.raises(KeyringUnavailableError) as info:
        store_secret(CLIENT_ID, Secret(SECRET))
    assert_no_secret(info.value)
    with pytest.raises(KeyringUnavailableError):
        delete_secret(CLIENT_ID)


@pytest.mark.parametrize(
    "error, expected",
    [
        (InitError("Failed to create the collection: no bus."), "InitError: Failed to create"),
        (KeyringLocked("Failed to unlock the collection!"), "locked"),
        (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError"),
    ],
)
def test_backend_errors_become_keyring_unavailable(use_backend, error, expected):
    use_backend(RaisingKeyring(error))
    with pytest.raises(KeyringUnavailableError) as info:
        resolve_secret(profile())
    assert expected in str(info.value)
    assert "env:VAR" in str(info.value)


def test_backend_error_repeating_the_password_is_scrubbed(use_backend):
    use_backend(RaisingKeyring(PasswordSetError(f"could not store {SECRET!r} for you")))
    with pytest.raises(KeyringUnavailableError) as info:
        store_secret(CLIENT_ID, Secret(SECRET))
    assert "PasswordSetError" in str(info.value)
    assert_no_secret(info.value)


def test_hung_keyring_times_out_fast(hung_keyring):
    started = time.monotonic()
    with pytest.raises(KeyringUnavailableError) as info:
        resolve_secret(profile(), timeout=0.5)
    assert time.monotonic() - started < 10  # the backend would have slept 30 s
    assert "did not answer within 0.5 s" in str(info.value)
    assert "locked or waiting for a password prompt" in str(info.value)


def test_hung_keyring_bounds_store_and_delete(hung_keyring):
    started = time.monotonic()
    with pytest.raises(KeyringUnavailableError, match="did not answer"):
        store_secret(CLIENT_ID, Secret(SECRET), timeout=0.5)
    with pytest.raises(KeyringUnavailableError, match="did not answer"):
        delete_secret(CLIENT_ID, timeout=0.5)
    assert time.monotonic() - started < 15


# --- keyring_status (for `csauth doctor`) -----------------------------------------------


def test_keyring_status_usable_names_backend(memory_keyring):
    usable, description = keyring_status()
    assert usable is True
    assert type(memory_keyring).__name__ in description
    assert keyring.get_password(KEYRING_SERVICE, "csauth-doctor-probe") is None  # only reads


def test_keyring_status_without_backend(use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    usable, description = keyring_status()
    assert usable is False
    assert description.startswith("no keyring backend found")
    assert "env:VAR" in description


def test_keyring_status_hung(hung_keyring):
    usable, description = keyring_status(timeout=0.5)
    assert usable is False
    assert "HungKeyring" in description and "did not answer within 0.5 s" in description


def test_keyring_status_backend_error(use_backend):
    use_backend(RaisingKeyring(InitError("Failed to create the collection")))
    usable, description = keyring_status()
    assert usable is False
    assert "RaisingKeyring" in description and "InitError" in description


# --- env:VAR ---------------------------------------------------------------------------


def test_env_source_reads_given_environ():
    got = resolve_secret(profile("env:CS_PROD_SECRET"), environ={"CS_PROD_SECRET": SECRET})
    assert got.reveal() == SECRET


def test_env_source_defaults_to_process_environment(monkeypatch):
    monkeypatch.setenv("CS_PROD_SECRET", SECRET)
    assert resolve_secret(profile("env:CS_PROD_SECRET")).reveal() == SECRET


def test_env_source_missing_variable_is_named():
    with pytest.raises(SecretError) as info:
        resolve_secret(profile("env:CS_PROD_SECRET"), environ={"OTHER": SECRET})
    assert "$CS_PROD_SECRET" in str(info.value) and "not set" in str(info.value)
    assert_no_secret(info.value)


def test_env_source_empty_variable_is_an_error():
    with pytest.raises(SecretError, match=r"\$CS_PROD_SECRET, which is empty"):
        resolve_secret(profile("env:CS_PROD_SECRET"), environ={"CS_PROD_SECRET": ""})


# --- cmd:COMMAND -----------------------------------------------------------------------


def test_cmd_source_returns_stripped_stdout():
    got = resolve_secret(profile(cmd(f"print('  {SECRET}  ')")))
    assert got.reveal() == SECRET


def test_cmd_source_takes_first_line_like_pass_show():
    got = resolve_secret(profile(cmd(f"print('{SECRET}'); print('url: console.example')")))
    assert got.reveal() == SECRET


def test_cmd_source_gets_client_id_and_profile_name():
    script = "import os; print(os.environ['CSAUTH_CLIENT_ID'] + '/' + os.environ['CSAUTH_PROFILE'])"
    got = resolve_secret(profile(cmd(script), name="prod-metrics"))
    assert got.reveal() == f"{CLIENT_ID}/prod-metrics"


def test_cmd_source_runs_with_stdin_closed():
    script = (
        "import os, sys; a, b = os.fstat(0), os.stat(os.devnull); "
        "print('devnull' if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) else 'other'); "
        "sys.stdin.read()"
    )
    assert resolve_secret(profile(cmd(script)), timeout=30).reveal() == "devnull"


def test_cmd_source_nonzero_exit_reports_status_and_first_stderr_line():
    script = (
        f"import sys; print('{SECRET}'); "
        "sys.stderr.write('gpg: decryption failed: No secret key\\nmore detail\\n'); "
        "sys.exit(3)"
    )
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(cmd(script)))
    text = str(info.value)
    assert "exited with status 3" in text
    assert "gpg: decryption failed: No secret key" in text
    assert "more detail" not in text
    assert_no_secret(info.value)


def test_cmd_source_error_scrubs_stdout_echoed_on_stderr():
    script = (
        f"import sys; print('{SECRET}'); "
        f"sys.stderr.write('oops, the value was {SECRET}\\n'); sys.exit(1)"
    )
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(cmd(script)))
    assert "oops, the value was ********" in str(info.value)
    assert_no_secret(info.value)


def test_cmd_source_error_scrubs_a_secret_given_inside_an_option_of_the_command():
    script = (
        "import sys; key = sys.argv[1].split('=', 1)[1]; "
        "sys.stderr.write('invalid key ' + key + '\\n'); sys.exit(2)"
    )
    pasted = "AbCdEf1234567890XyZq"
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(cmd(script, f"--api-key={pasted}")))
    assert "invalid key ********" in str(info.value)
    assert pasted not in str(info.value)


def test_cmd_source_error_names_program_but_not_arguments(tmp_path):
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(cmd("import sys; sys.exit(2)", "--vault-token=abc123")))
    assert sys.executable in str(info.value)
    assert "abc123" not in str(info.value) and "sys.exit" not in str(info.value)


def test_cmd_source_timeout():
    started = time.monotonic()
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(cmd("import time; time.sleep(30)"), name="slow"), timeout=0.5)
    assert time.monotonic() - started < 15
    assert "command for profile 'slow'" in str(info.value)
    assert "timed out after 0.5 s" in str(info.value)


def test_cmd_source_printing_nothing_is_an_error():
    with pytest.raises(SecretError, match="printed nothing"):
        resolve_secret(profile(cmd("print('   ')")))


def test_cmd_source_command_not_found(tmp_path):
    missing = tmp_path / "no-such-password-manager"
    with pytest.raises(SecretError) as info:
        resolve_secret(profile(f"cmd:{missing} show cs/prod"))
    assert "was not found" in str(info.value) and str(missing) in str(info.value)
    assert "cs/prod" not in str(info.value)


def test_cmd_source_unparsable_command():
    with pytest.raises(SecretError, match="cannot be parsed"):
        resolve_secret(profile("cmd:pass show 'cs/prod"))


def test_cmd_source_uses_no_shell(tmp_path):
    marker = tmp_path / "x"
    script = "import sys; print(' '.join(sys.argv[1:]))"
    source = cmd(script) + f" $(touch {marker}) `touch {marker}` ; touch {marker}"
    got = resolve_secret(profile(source))
    assert not marker.exists()
    assert got.reveal().startswith(f"$(touch {marker})")


# --- plaintext and unknown -------------------------------------------------------------


def test_plaintext_source_returns_the_profile_secret():
    got = resolve_secret(profile("plaintext", client_secret=Secret(SECRET)))
    assert isinstance(got, Secret) and got.reveal() == SECRET


def test_plaintext_source_without_value():
    with pytest.raises(SecretError, match="no client_secret"):
        resolve_secret(profile("plaintext"))


def test_unknown_source_is_an_error_without_echoing_it():
    """A source is read once, when the profile is made: an unknown one never gets as far
    as resolve_secret."""
    with pytest.raises(ValueError) as info:
        profile(SECRET)
    assert "unknown secret source" in str(info.value)
    assert SECRET not in str(info.value)


# --- describe_source -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("keyring", "keyring"),
        ("env:CS_PROD_SECRET", "env $CS_PROD_SECRET"),
        ("cmd:pass show cs/prod", "command"),
        ("plaintext", "plaintext in profiles file"),
    ],
)
def test_describe_source(source, expected):
    assert describe_source(profile(source)) == expected


def test_describe_source_never_echoes_a_pasted_variable_name():
    pasted = "s3cr3tVALUEneverShown0123456789abcdef"  # a valid variable name
    assert pasted not in describe_source(profile("env:" + pasted))


def test_keyring_is_imported_lazily():
    import subprocess

    code = "import sys, csauth_tui.core.secrets; print('keyring' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(secrets.__file__).parents[2],
    )
    assert out.stdout.strip() == "False"
