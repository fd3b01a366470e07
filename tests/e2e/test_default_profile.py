"""The default profile: `csauth use`, default_profile in [settings] and $CSAUTH_PROFILE,
with the real `csauth` command against the fake API (issue 15 §2)."""

from __future__ import annotations

import json

from tests.e2e.conftest import CliEnv, profiles_text


def test_without_profile_nor_default_the_error_says_how_to_set_one(cli: CliEnv):
    result = cli.run("token")
    assert result.returncode == 2  # a missing PROFILE stays a usage error
    assert "no profile given and no default profile set" in result.stderr
    assert "csauth use NAME" in result.stderr and "CSAUTH_PROFILE" in result.stderr
    assert result.stderr.count("\n") == 1
    assert cli.token_requests() == 0


def test_use_sets_the_setting_keeping_comments_and_commands_follow_it(cli: CliEnv):
    cli.write_profiles("# my comment\n" + profiles_text(cli.fake.url))
    used = cli.run("use", "prod")
    assert used.returncode == 0, used.stderr
    text = cli.config.read_text()
    assert "# my comment" in text and "# test profiles" in text
    assert 'default_profile = "prod"' in text

    token = cli.run("-v", "token", "--format", "json")
    assert token.returncode == 0, token.stderr
    assert json.loads(token.stdout)["profile"] == "prod"
    assert "using the default profile 'prod' (from default_profile in [settings] of" in token.stderr
    quiet = cli.run("token")
    assert "using the default profile" not in quiet.stderr  # said only with -v

    shown = cli.run("use")
    assert shown.stdout == "prod\n" and "default_profile in [settings]" in shown.stderr

    me = cli.run("me", "--json")
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["client_id"] == "proj-client-1"

    ran = cli.run(
        "exec", "--", "python", "-c", "import os; print(os.environ['CS_ACCESS_TOKEN'].count('.'))"
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "2\n"  # a JWT reached the command

    cleared = cli.run("use", "--clear")
    assert cleared.returncode == 0
    assert "default_profile" not in cli.config.read_text()
    assert cli.run("token").returncode == 2


def test_the_environment_wins_over_the_setting(cli: CliEnv):
    assert cli.run("use", "prod").returncode == 0
    result = cli.run(
        "-v", "token", "--project-id", "1002", "--format", "json", env={"CSAUTH_PROFILE": "agency"}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["profile"] == "agency"
    assert "(from $CSAUTH_PROFILE)" in result.stderr
    # an empty value counts as unset: the setting applies
    empty = cli.run("token", "--format", "json", env={"CSAUTH_PROFILE": ""})
    assert json.loads(empty.stdout)["profile"] == "prod"
    noted = cli.run("use", "prod", env={"CSAUTH_PROFILE": "agency"})
    assert "$CSAUTH_PROFILE is set to 'agency'" in noted.stderr


def test_an_unknown_default_is_an_error_naming_where_it_came_from(cli: CliEnv):
    cli.write_profiles(
        profiles_text(cli.fake.url).replace(
            "renew_before_seconds = 300", 'renew_before_seconds = 300\ndefault_profile = "prdo"'
        )
    )
    from_setting = cli.run("token")
    assert from_setting.returncode == 3
    assert (
        "the default profile 'prdo' (from default_profile in [settings] of" in from_setting.stderr
    )
    assert "did you mean 'prod'" in from_setting.stderr
    assert "csauth use" in from_setting.stderr

    from_env = cli.run("me", env={"CSAUTH_PROFILE": "nope\x1b[2J"})
    assert from_env.returncode == 3
    assert "'nope\\x1b[2J' (from $CSAUTH_PROFILE)" in from_env.stderr  # shown inert
    assert "\x1b" not in from_env.stderr
    assert cli.token_requests() == 0 and not cli.fake.requests  # nothing fell back to prod


def test_use_refuses_an_unknown_profile_and_writes_nothing(cli: CliEnv):
    before = cli.config.read_text()
    result = cli.run("use", "prdo")
    assert result.returncode == 3
    assert "unknown profile 'prdo'" in result.stderr and "did you mean 'prod'" in result.stderr
    assert cli.config.read_text() == before


def test_exec_with_its_own_double_dash_still_takes_a_named_profile(cli: CliEnv):
    ran = cli.run("exec", "--", "prod", "--", "python", "-c", "print('ok')")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "ok\n"


def test_exec_through_the_proxy_takes_the_default_too(cli: CliEnv):
    assert cli.run("use", "prod").returncode == 0
    ran = cli.run(
        "-v",
        "exec",
        "--proxy",
        "--",
        "python",
        "-c",
        "import os; print(os.environ['CS_API_BASE_URL'].startswith('http://'))",
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "True\n"
    assert "using the default profile 'prod'" in ran.stderr
