"""Loading and validating the profiles file (profiles.py, tomllib only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import tomlkit

from csauth_tui.core import profiles
from csauth_tui.core.errors import ProfileInvalidError, ProfilesSyntaxError, UnknownProfileError
from csauth_tui.core.profiles import DEFAULT_AUTH_URL, Settings
from csauth_tui.core.redact import Secret

FULL_EXAMPLE = """\
[settings]
auth_url = "https://api.contentsquare.com"
renew_before_seconds = 120
clipboard_clear_seconds = 15
token_cache = false
ca_bundle = "/etc/ssl/corp.pem"

[keys]
copy = "y"

[profiles.prod-metrics]
description = "Production metrics, all projects"
level = "account"
client_id = "a1b2c3"
project_id = 4242
scopes = ["metrics", "data-export"]
secret = "env:CS_PROD_SECRET"
auth_url = "https://api.eu-west-1.production.contentsquare.com/"
created = 2025-11-03

[profiles.shop]
client_id = "  shop-client  "

[profiles.enrich]
client_id = "e1"
scopes = ["enrichment"]
secret = "cmd:pass show cs/enrich"
"""


def load_text(tmp_path: Path, text: str) -> profiles.ProfilesFile:
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    return profiles.load(path)


def test_the_full_example_loads_without_a_single_remark(tmp_path):
    loaded = load_text(tmp_path, FULL_EXAMPLE)
    assert loaded.exists is True
    assert loaded.problems == []
    assert loaded.order == ["prod-metrics", "shop", "enrich"]
    assert loaded.settings == Settings(
        auth_url="https://api.contentsquare.com",
        renew_before_seconds=120,
        clipboard_clear_seconds=15,
        token_cache=False,
        ca_bundle="/etc/ssl/corp.pem",
        keys={"copy": "y"},
    )
    prod = loaded.get("prod-metrics")
    assert prod.is_account
    assert (prod.client_id, prod.project_id, prod.scopes, prod.secret.text) == (
        "a1b2c3",
        4242,
        ("metrics", "data-export"),
        "env:CS_PROD_SECRET",
    )
    assert prod.created == dt.date(2025, 11, 3)
    assert prod.description == "Production metrics, all projects"
    assert prod.effective_auth_url(loaded.settings) == (
        "https://api.eu-west-1.production.contentsquare.com"
    )


def test_defaults_of_a_minimal_profile(tmp_path):
    shop = load_text(tmp_path, FULL_EXAMPLE).get("shop")
    assert shop.client_id == "shop-client"  # surrounding blanks from a paste are dropped
    assert (shop.level, shop.scopes, shop.secret.text, shop.project_id) == (
        "project",
        ("metrics",),
        "keyring",
        None,
    )
    assert shop.client_secret is None and shop.created is None
    assert shop.effective_auth_url(Settings()) == DEFAULT_AUTH_URL


BAD_NEIGHBOURS = (
    FULL_EXAMPLE
    + """
[profiles.bad-level]
client_id = "x"
level = "organisation"

[profiles.bad-project]
client_id = "x"
level = "account"
project_id = "4242"

[profiles.bad-combo]
client_id = "x"
scopes = ["enrichment", "metrics"]

[profiles.no-client]
scopes = ["metrics"]

[profiles.bad-created]
client_id = "x"
created = "2025-01-01"
"""
)


@pytest.mark.parametrize(
    ("name", "field", "words"),
    [
        ("bad-level", "level", "unknown level 'organisation'"),
        ("bad-project", "project_id", "must be a positive integer"),
        ("bad-combo", "scopes", "'enrichment' cannot be combined"),
        ("no-client", "client_id", "missing client_id"),
        ("bad-created", "created", "must be a TOML date"),
    ],
)
def test_a_bad_profile_is_reported_by_name_and_field_and_others_still_load(
    tmp_path, name, field, words
):
    loaded = load_text(tmp_path, BAD_NEIGHBOURS)
    assert set(loaded.profiles) == {"prod-metrics", "shop", "enrich"}
    assert name in loaded.order
    [problem] = loaded.errors_for(name)
    assert (problem.profile, problem.field, problem.severity) == (name, field, "error")
    assert words in problem.message
    assert str(problem).startswith(f"{name}.{field}: ")
    with pytest.raises(ProfileInvalidError) as caught:
        loaded.get(name)
    assert f"{name}.{field}" in str(caught.value)


def test_asking_for_an_absent_profile_suggests_close_names_not_all(tmp_path):
    loaded = load_text(tmp_path, FULL_EXAMPLE)
    with pytest.raises(
        UnknownProfileError,
        match=r"unknown profile 'prod-metric' .*"
        r"did you mean 'prod-metrics'\?",
    ) as caught:
        loaded.get("prod-metric")
    assert "shop" not in str(caught.value) and "csauth list" in str(caught.value)


def test_a_profile_name_with_a_newline_is_refused(tmp_path):
    loaded = load_text(tmp_path, '[profiles."evil\\n"]\nclient_id = "x"\n')
    assert loaded.profiles == {}
    assert loaded.errors_for("evil\n")


def test_an_unknown_scope_is_a_warning_and_is_kept(tmp_path):
    text = '[profiles.p]\nclient_id = "x"\nscopes = ["metrics", "heatmaps"]\n'
    loaded = load_text(tmp_path, text)
    assert loaded.get("p").scopes == ("metrics", "heatmaps")
    [problem] = loaded.problems
    assert (problem.profile, problem.field, problem.severity) == ("p", "scopes", "warning")
    assert "unknown scope 'heatmaps'" in problem.message


def test_an_unknown_field_is_a_warning(tmp_path):
    loaded = load_text(tmp_path, '[profiles.p]\nclient_id = "x"\ncolour = "red"\n')
    assert "p" in loaded.profiles
    assert [(p.field, p.severity) for p in loaded.problems] == [("colour", "warning")]


def test_a_plaintext_secret_is_loaded_as_a_secret_and_warned_about(tmp_path):
    text = '[profiles.p]\nclient_id = "x"\nclient_secret = "s3cr3t-VALUE"\n'
    loaded = load_text(tmp_path, text)
    profile = loaded.get("p")
    assert profile.secret.text == "plaintext"
    assert profile.client_secret == Secret("s3cr3t-VALUE")
    assert "s3cr3t-VALUE" not in repr(profile)
    [problem] = loaded.problems
    assert (problem.field, problem.severity) == ("client_secret", "warning")
    assert "keyring" in problem.message and "s3cr3t-VALUE" not in str(problem)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-01", dt.date(2025, 3, 1)),
        ("2025-03-01T10:30:00Z", dt.date(2025, 3, 1)),
        ("2025-03-01T23:30:00", dt.date(2025, 3, 1)),
    ],
)
def test_created_is_read_as_a_date(tmp_path, value, expected):
    loaded = load_text(tmp_path, f'[profiles.p]\nclient_id = "x"\ncreated = {value}\n')
    assert loaded.get("p").created == expected


@pytest.mark.parametrize(
    ("secret", "words"),
    [("vault", "unknown secret source"), ("env:", "needs a variable name")],
)
def test_a_bad_secret_source_is_an_error(tmp_path, secret, words):
    loaded = load_text(tmp_path, f'[profiles.p]\nclient_id = "x"\nsecret = "{secret}"\n')
    [problem] = loaded.errors_for("p")
    assert problem.field == "secret" and words in problem.message


@pytest.mark.parametrize(
    "secret",
    [
        "pasted-the-real-secret-4f2a",
        "env:MY-VAR",
        "env:1ABC",
        "env:A B",
        "env:$X",
        "env:pasted-the-real-secret-4f2a",
    ],
)
def test_a_bad_secret_source_is_never_echoed(tmp_path, secret):
    """Someone who pasted the secret itself into `secret = ...` must not see it printed
    back by `csauth list`, `token`, the app or the audit."""
    loaded = load_text(tmp_path, f'[profiles.p]\nclient_id = "x"\nsecret = "{secret}"\n')
    [problem] = loaded.errors_for("p")
    assert problem.field == "secret" and "value not shown" in problem.message
    assert secret not in str(problem) and secret[4:] not in str(problem)
    with pytest.raises(ProfileInvalidError) as info:
        loaded.get("p")
    assert secret[4:] not in str(info.value)


@pytest.mark.parametrize("name", ["CS_SECRET", "_x", "a1"])
def test_env_secret_names_that_a_shell_can_export_are_accepted(tmp_path, name):
    loaded = load_text(tmp_path, f'[profiles.p]\nclient_id = "x"\nsecret = "env:{name}"\n')
    assert loaded.get("p").secret.text == f"env:{name}"


def test_auth_url_must_be_https_except_on_loopback(tmp_path):
    loaded = load_text(
        tmp_path,
        """\
[profiles.plain-http]
client_id = "x"
auth_url = "http://api.contentsquare.com"

[profiles.local]
client_id = "x"
auth_url = "http://127.0.0.1:8765"
""",
    )
    assert loaded.errors_for("plain-http")[0].field == "auth_url"
    assert loaded.get("local").auth_url == "http://127.0.0.1:8765"


# --- settings ---------------------------------------------------------------------------


def test_settings_default_when_absent(tmp_path):
    loaded = load_text(tmp_path, '[profiles.p]\nclient_id = "x"\n')
    assert loaded.settings == Settings()
    assert (
        Settings().renew_before_seconds,
        Settings().clipboard_clear_seconds,
        Settings().token_cache,
        Settings().auth_url,
    ) == (300, 30, True, DEFAULT_AUTH_URL)


def test_bad_settings_are_reported_and_fall_back_to_defaults(tmp_path):
    loaded = load_text(
        tmp_path,
        """\
[settings]
renew_before_seconds = -1
clipboard_clear_seconds = true
token_cache = "yes"
auth_url = "ftp://example.com"
ca_bundle = "/ok.pem"
theme = "dark"
""",
    )
    errors = {p.field for p in loaded.problems if p.severity == "error"}
    warnings = {p.field for p in loaded.problems if p.severity == "warning"}
    assert errors == {
        "settings.renew_before_seconds",
        "settings.clipboard_clear_seconds",
        "settings.token_cache",
        "settings.auth_url",
    }
    assert warnings == {"settings.theme"}
    assert loaded.settings == Settings(ca_bundle="/ok.pem")


def test_settings_that_are_not_a_table(tmp_path):
    loaded = load_text(tmp_path, 'settings = "fast"\n')
    assert [p.field for p in loaded.problems] == ["settings"]
    assert loaded.settings == Settings()


# --- the file itself ----------------------------------------------------------------------


def test_a_missing_file_is_an_empty_valid_one(tmp_path):
    loaded = profiles.load(tmp_path / "nowhere" / "profiles.toml")
    assert (loaded.exists, loaded.profiles, loaded.problems) == (False, {}, [])
    assert loaded.settings == Settings()


def test_a_directory_is_reported(tmp_path):
    with pytest.raises(ProfilesSyntaxError, match="is a directory"):
        profiles.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ('[profiles.p]\nclient_id = = "x"\n', 2, 13, "Invalid value"),
        ('[profiles.p]\nclient_id = "x\n', 2, 15, "Illegal character"),
        ('[profiles.p\nclient_id = "x"\n', 1, 12, "Expected ']'"),
        ('[profiles.p]\nclient_id = "x"\nclient_id = "y"\n', 3, 16, "Cannot overwrite"),
        ('[profiles.p]\nscopes = ["metrics",\n', 2, 21, "unexpected end of file"),
        ('[profiles.p]\ndescription = """never closed', 2, 30, "unexpected end of file"),
        ("", None, None, None),
    ],
    ids=[
        "double-equals",
        "unclosed-string",
        "unclosed-header",
        "duplicate-key",
        "eof-array",
        "eof-string",
        "empty-file-is-fine",
    ],
)
def test_syntax_errors_give_path_line_col(tmp_path, text, line, col, words):
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    if line is None:
        assert profiles.load(path).profiles == {}
        return
    with pytest.raises(ProfilesSyntaxError) as caught:
        profiles.load(path)
    error = caught.value
    assert (error.path, error.line, error.col) == (str(path), line, col)
    assert str(error) == f"{path}:{line}:{col}: {error.detail}"
    assert words in error.detail and "(at line" not in error.detail


def test_tomlkit_errors_count_columns_like_tomllib(tmp_path):
    text = '[profiles.p]\nclient_id = = "x"\n'
    with pytest.raises(tomlkit.exceptions.ParseError) as caught:
        tomlkit.parse(text)
    error = profiles.syntax_error(tmp_path / "p.toml", caught.value, text)
    assert (error.line, error.col) == (2, 13)
    assert "at line" not in error.detail


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a = " + "[" * 1100 + "]" * 1100 + "\n", "nested too deeply"),
        ("a = " + "{b = " * 600 + "1" + "}" * 600 + "\n", "nested too deeply"),
        ('[profiles.p]\nclient_id = "c"\nproject_id = ' + "9" * 4400 + "\n", "too many digits"),
    ],
    ids=["deep-arrays", "deep-inline-tables", "4400-digit-number"],
)
def test_what_tomllib_gives_up_on_is_a_syntax_error_too(tmp_path, text, words):
    # found by tests/reliability/test_fuzz_profiles.py: RecursionError / ValueError escaped
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    with pytest.raises(ProfilesSyntaxError, match=words) as caught:
        profiles.load(path)
    assert str(caught.value).startswith(f"{path}:1:1: ")
