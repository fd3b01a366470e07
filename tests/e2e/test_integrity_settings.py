"""A wrong setting is an error, never a silent default: the real `csauth` in a subprocess.

The attack replayed: `settings.auth_url = "http://evil.example"` used to be dropped with
no word, and the secret then went to the default https://api.contentsquare.com. Every
request the CLI could make goes through a trap proxy here (HTTPS_PROXY / HTTP_PROXY), so
"nothing was sent anywhere" is observed, not assumed: the fake on loopback records what
reaches it, the trap records every connection that would have left the machine.
"""

from __future__ import annotations

import socket
import threading

import pytest

from tests.e2e.conftest import profiles_text


class Trap:
    """A listener that stands in for every proxy: it records each connection and closes it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def trap():
    trap = Trap()
    yield trap
    trap.close()


def proxied(trap: Trap) -> dict[str, str]:
    return {
        "HTTPS_PROXY": trap.url,
        "HTTP_PROXY": trap.url,
        "ALL_PROXY": trap.url,
        "https_proxy": trap.url,
        "http_proxy": trap.url,
        "all_proxy": trap.url,
        "NO_PROXY": "",
        "no_proxy": "",
    }


def with_settings(url: str, **settings: str) -> str:
    text = profiles_text(url)
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    return text.replace("[settings]\n", "[settings]\n" + lines, 1)


def test_a_rejected_auth_url_sends_the_secret_nowhere(cli, trap):
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            f'auth_url = "{cli.fake.url}"', 'auth_url = "http://evil.example"'
        )
    )
    result = cli.run("token", "prod", env=proxied(trap))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"{cli.config}: settings.auth_url: 'http://evil.example' must be an https:// URL" in line
    assert cli.fake.requests == []  # not the fake
    assert trap.connections == 0  # and not the default host, nor any other

    for command in (("me", "prod"), ("exec", "prod", "--", "true"), ("audit",)):
        again = cli.run(*command, env=proxied(trap))
        assert again.returncode == 3, (command, again.stderr)
        assert "settings.auth_url" in again.stderr
    assert cli.fake.requests == [] and trap.connections == 0


def test_a_profiles_own_rejected_auth_url_makes_it_unusable(cli, trap):
    text = profiles_text(cli.fake.url).replace(
        'secret = "env:CS_TEST_PROD_SECRET"',
        'secret = "env:CS_TEST_PROD_SECRET"\nauth_url = "http://evil.example"',
    )
    cli.write_profiles(text)
    result = cli.run("token", "prod", env=proxied(trap))
    assert result.returncode == 3
    assert "prod.auth_url" in result.stderr and "evil.example" in result.stderr
    assert cli.fake.requests == [] and trap.connections == 0
    assert cli.run("token", "agency", "--project-id", "1001").returncode == 0  # the rest work


@pytest.mark.parametrize(
    "key, value, why",
    [
        ("renew_before_seconds", "-5", "must be a whole number of seconds >= 0, not -5"),
        ("renew_before_seconds", "4000", "must be less than 3600"),
        ("clipboard_clear_seconds", '"x"', "must be a whole number of seconds >= 0, not 'x'"),
        ("token_cache", '"yes"', "must be true or false, not 'yes'"),
    ],
)
def test_every_wrong_setting_is_an_error_naming_it(cli, trap, key, value, why):
    text = profiles_text(cli.fake.url).replace("renew_before_seconds = 300\n", "")
    cli.write_profiles(
        with_settings(cli.fake.url, **{key: value})
        if key != "renew_before_seconds"
        else text.replace("[settings]\n", f"[settings]\n{key} = {value}\n")
    )
    result = cli.run("token", "prod", env=proxied(trap))
    assert result.returncode == 3
    assert f"{cli.config}: settings.{key}: {why}" in result.stderr
    assert cli.fake.requests == [] and trap.connections == 0


def test_an_unknown_setting_is_only_a_warning(cli):
    cli.write_profiles(with_settings(cli.fake.url, colour='"blue"'))
    assert cli.run("token", "prod").returncode == 0
    listed = cli.run("list")
    assert "warning: settings.colour: unknown setting 'colour' ignored" in listed.stderr


def test_doctor_lists_every_problem(cli):
    text = with_settings(cli.fake.url, token_cache='"yes"', clipboard_clear_seconds='"x"')
    text = text.replace(f'auth_url = "{cli.fake.url}"', 'auth_url = "http://evil.example"')
    text += '\n[profiles.broken]\nlevel = "galaxy"\nclient_id = "c"\n'
    cli.write_profiles(text)
    result = cli.run("doctor")
    assert result.returncode == 0
    assert "4 problem(s)" in result.stdout
    for expected in (
        "error: settings.auth_url: 'http://evil.example' must be an https://",
        "error: settings.token_cache: must be true or false",
        "error: settings.clipboard_clear_seconds: must be a whole number",
        "error: broken.level: unknown level 'galaxy'",
    ):
        assert expected in result.stdout, result.stdout


def test_the_cache_is_used_when_the_setting_exceeds_a_short_lived_token(cli):
    """renew_before_seconds 300 against 150 s tokens: every `csauth token` fetched anew."""
    cli.fake.token_lifetime = 150
    first = cli.run("token", "prod")
    assert first.returncode == 0
    for _ in range(3):
        again = cli.run("token", "prod")
        assert again.returncode == 0 and again.stdout == first.stdout
    assert cli.token_requests() == 1
