"""Input rules where data enters (the loader, `csauth add`'s reading of stdin), the exit
status of each error class, and `project_id 0`, checked in-process: `cli.main` called
directly against the fake API on loopback (the e2e tests run the same as subprocesses)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csauth_tui import cli, commands
from csauth_tui.core import errors
from csauth_tui.core.profiles import MAX_NAME, ProfilesFile, load
from csauth_tui.fake.server import FakeContentsquare, FakeCredential

SECRET = "sentinel-input-rules-secret-3f9b21"


def load_text(tmp_path, text: str) -> ProfilesFile:
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    return load(path)


# --- the loader ------------------------------------------------------------------------


def test_a_created_date_in_the_future_is_an_error_for_that_profile(tmp_path):
    tomorrow = date.today() + timedelta(days=1)
    loaded = load_text(
        tmp_path,
        f'[profiles.later]\nclient_id = "a"\ncreated = {tomorrow}\n'
        f'[profiles.today]\nclient_id = "b"\ncreated = {date.today()}\n',
    )
    assert list(loaded.profiles) == ["today"]
    [problem] = loaded.errors_for("later")
    assert problem.field == "created"
    assert f"created {tomorrow.isoformat()} is in the future" in problem.message


def test_the_name_rule_says_ascii(tmp_path):
    loaded = load_text(tmp_path, '[profiles."café"]\nclient_id = "a"\n')
    [problem] = loaded.errors_for("café")
    assert problem.message == "a profile name may use ASCII letters, digits, '-' and '_' only"


def test_a_name_longer_than_64_characters_is_an_error_for_that_profile(tmp_path):
    long, limit = "n" * (MAX_NAME + 1), "n" * MAX_NAME
    loaded = load_text(
        tmp_path, f'[profiles.{long}]\nclient_id = "a"\n[profiles.{limit}]\nclient_id = "b"\n'
    )
    assert list(loaded.profiles) == [limit]
    [problem] = loaded.errors_for(long)
    assert "at most 64 characters, not 65" in problem.message


def test_names_that_differ_only_by_case_are_a_warning_on_load(tmp_path):
    loaded = load_text(
        tmp_path,
        '[profiles.prod]\nclient_id = "a"\n'
        '[profiles.PROD]\nclient_id = "b"\n[profiles.other]\nclient_id = "c"\n',
    )
    assert list(loaded.profiles) == ["prod", "PROD", "other"]  # both still usable
    warnings = {p.profile: p.message for p in loaded.problems if p.severity == "warning"}
    assert warnings == {
        "prod": "differs from 'PROD' only by case: easy to mistake for it; rename one",
        "PROD": "differs from 'prod' only by case: easy to mistake for it; rename one",
    }


def test_an_unknown_profile_suggests_the_one_differing_by_case(tmp_path):
    loaded = load_text(tmp_path, '[profiles.Prod-EU]\nclient_id = "a"\n')
    with pytest.raises(errors.UnknownProfileError, match="did you mean 'Prod-EU'"):
        loaded.get("prod-eu")


# --- a secret piped to `csauth add` ------------------------------------------------------


@pytest.mark.parametrize(
    "piped, expected",
    [
        ("s3cr3t-value", "s3cr3t-value"),
        ("s3cr3t-value\n", "s3cr3t-value"),
        ("s3cr3t-value\r\n", "s3cr3t-value"),
        ("  s3cr3t-value  \n", "s3cr3t-value"),
        ("", ""),
        ("\n\n", ""),
    ],
)
def test_one_line_secret(piped, expected):
    assert commands.one_line_secret(piped) == expected


@pytest.mark.parametrize(
    "piped", ["first\nsecond", "first\nsecond\n", "first\n\n", "first\rsecond", "\nfirst"]
)
def test_a_secret_of_more_than_one_line_is_refused(piped):
    with pytest.raises(errors.SecretError, match="more than one line"):
        commands.one_line_secret(piped)


# --- exit statuses -------------------------------------------------------------------------

DOCUMENTED = {  # README, "Exit status": 3 configuration, 4 refused, 5 network or server
    errors.ConfigError: 3,
    errors.ProfilesSyntaxError: 3,
    errors.UnknownProfileError: 3,
    errors.ProfileInvalidError: 3,
    errors.StoreError: 3,
    errors.SecretError: 3,
    errors.KeyringUnavailableError: 3,
    errors.SecretConflictError: 3,
    errors.UnsafeFileError: 3,
    errors.RuleError: 4,
    errors.InvalidCredentialsError: 4,
    errors.TokenExpiredError: 4,
    errors.ForbiddenError: 4,
    errors.UntrustedEndpointError: 4,
    errors.RefusedError: 4,
    errors.ApiError: 5,
    errors.RateLimitedError: 5,
    errors.ServerError: 5,
    errors.NetworkError: 5,
    errors.BadResponseError: 5,
    errors.NoProfileError: 2,  # no PROFILE and no default: a usage mistake
}


def make(kind):
    if kind is errors.ProfilesSyntaxError:
        return kind("profiles.toml", 1, 1, "bad")
    if kind is errors.UnsafeFileError:
        return kind("profiles.toml", "another user may write it", "chmod go-w profiles.toml")
    return kind(f"a {kind.__name__} happened")


def test_every_error_class_has_a_documented_status():
    def classes(base):
        for sub in base.__subclasses__():
            yield sub
            yield from classes(sub)

    assert set(classes(errors.CsauthError)) == set(DOCUMENTED)


@pytest.mark.parametrize("kind", list(DOCUMENTED), ids=lambda k: k.__name__)
def test_main_exits_with_the_status_of_the_error_class(kind, monkeypatch, capsys):
    def fail(args):
        raise make(kind)

    monkeypatch.setattr(commands, "token", fail)
    assert cli.main(["token", "prod"]) == DOCUMENTED[kind]
    err = capsys.readouterr().err
    assert err.startswith("csauth: error: ") and err.count("\n") == 1


def test_a_usage_mistake_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["token", "prod", "--format", "nope"])
    assert caught.value.code == 2


# --- project_id 0, in-process against the fake API -----------------------------------------


@pytest.fixture
def agency(tmp_path, monkeypatch):
    monkeypatch.setenv("CS_RULES_SECRET", SECRET)
    with FakeContentsquare(
        [FakeCredential("acct-rules-1", SECRET, level="account", project_ids=(1001, 1002))]
    ) as fake:
        config = tmp_path / "profiles.toml"
        config.write_text(
            f'[settings]\nauth_url = "{fake.url}"\ntoken_cache = false\n\n'
            '[profiles.agency]\nlevel = "account"\nclient_id = "acct-rules-1"\n'
            'secret = "env:CS_RULES_SECRET"\n'
        )
        fake.config = config
        yield fake


def test_project_id_0_is_refused_before_any_request(agency, capsys):
    config = str(agency.config)
    with pytest.raises(SystemExit) as caught:
        cli.main(["--config", config, "token", "agency", "--project-id", "0"])
    assert caught.value.code == 2
    assert "must be positive, not 0" in capsys.readouterr().err

    agency.config.write_text(agency.config.read_text() + "project_id = 0\n")
    assert cli.main(["--config", config, "token", "agency"]) == 3
    assert "project_id must be a positive integer, not 0" in capsys.readouterr().err
    assert agency.requests == []

    agency.config.write_text(
        agency.config.read_text().replace("project_id = 0", "project_id = 1002")
    )
    assert cli.main(["--config", config, "token", "agency"]) == 0  # the control
    assert capsys.readouterr().out.startswith("eyJ")
    assert agency.requests[-1].body["project_id"] == 1002


def test_min_ttl_is_capped_at_a_token_lifetime(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["token", "prod", "--min-ttl", "86400"])
    assert caught.value.code == 2
    assert "86400 s is more than a token lives (3600 s)" in capsys.readouterr().err
