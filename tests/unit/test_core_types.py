"""The core's typed values (issue 14 §3): a profile's secret source is read once, where the
profile is loaded, into a SecretSource; every reader asks it, and the file written back
holds the same TOML strings as before."""

from __future__ import annotations

import pytest

from csauth_tui.core import profiles
from csauth_tui.core.profiles import KEYRING, Profile, SecretKind, SecretSource
from csauth_tui.core.store import ProfileStore
from csauth_tui.core.transfer import export_profiles, export_record

PASTED = "s3cr3tVALUEneverShown0123456789abcdef"


@pytest.mark.parametrize(
    "text, kind, argument",
    [
        ("keyring", SecretKind.KEYRING, ""),
        ("plaintext", SecretKind.PLAINTEXT, ""),
        ("env:CS_PROD", SecretKind.ENV, "CS_PROD"),
        ("cmd:pass show cs/prod", SecretKind.COMMAND, "pass show cs/prod"),
        ("cmd:a:b", SecretKind.COMMAND, "a:b"),
    ],
)
def test_a_source_is_read_into_its_kind_and_argument_and_written_back_the_same(
    text, kind, argument
):
    source = SecretSource.parse(text)
    assert (source.kind, source.argument, source.text) == (kind, argument, text)
    assert source.held is (kind in (SecretKind.KEYRING, SecretKind.PLAINTEXT))


@pytest.mark.parametrize(
    "text, message",
    [
        ("vault:x", "unknown secret source (value not shown)"),
        (PASTED, "unknown secret source (value not shown)"),
        (5, "unknown secret source (value not shown)"),
        ("env:", "'env:' needs a variable name or a command after the colon"),
        ("cmd:", "'cmd:' needs a variable name or a command after the colon"),
        ("env:1BAD", "env: must be followed by a variable name"),
    ],
)
def test_a_source_that_names_nothing_says_why_without_quoting_it(text, message):
    with pytest.raises(ValueError) as info:
        SecretSource.parse(text)
    assert message in str(info.value)
    assert PASTED not in str(info.value)


def test_the_loader_reads_the_source_once_and_keeps_its_messages(tmp_path):
    pf = profiles.parse(
        tmp_path / "p.toml",
        (
            '[profiles.a]\nclient_id = "a"\nsecret = "env:A_SECRET"\n'
            '[profiles.b]\nclient_id = "b"\n'
            '[profiles.c]\nclient_id = "c"\nclient_secret = "s3cr3t"\n'
            '[profiles.d]\nclient_id = "d"\nsecret = "env:"\n'
            f'[profiles.e]\nclient_id = "e"\nsecret = "{PASTED}"\n'
        ),
    )
    assert pf.profiles["a"].secret == SecretSource(SecretKind.ENV, "A_SECRET")
    assert pf.profiles["b"].secret is KEYRING
    assert pf.profiles["c"].secret.kind is SecretKind.PLAINTEXT
    assert [str(p) for p in pf.errors_for("d")] == [
        "d.secret: 'env:' needs a variable name or a command after the colon"
    ]
    assert [str(p) for p in pf.errors_for("e")] == [
        'e.secret: unknown secret source (value not shown): use "keyring", "env:VAR" or '
        '"cmd:COMMAND"'
    ]


def test_comparing_a_source_with_a_string_is_an_error_not_a_silent_false():
    """`profile.secret == "keyring"` was the old way to ask; left anywhere, it must fail
    loudly rather than be False for every profile."""
    with pytest.raises(TypeError, match="SecretKind"):
        _ = KEYRING == "keyring"
    with pytest.raises(TypeError):
        _ = "keyring" in (KEYRING,) or KEYRING in ("keyring", "plaintext")


def test_a_profile_made_with_the_files_string_reads_it_there():
    profile = Profile(name="p", client_id="c", secret="cmd:pass show x")
    assert profile.secret == SecretSource(SecretKind.COMMAND, "pass show x")
    with pytest.raises(ValueError):
        Profile(name="p", client_id="c", secret="vault:x")


def test_a_pasted_secret_is_not_in_a_sources_repr():
    source = SecretSource.parse(f"env:{PASTED}")
    assert PASTED not in repr(source)
    assert PASTED not in repr(Profile(name="p", client_id="c", secret=source))
    assert "SecretSource(ENV, 'CS_PROD')" == repr(SecretSource.parse("env:CS_PROD"))


def test_store_import_and_export_still_write_the_same_strings(tmp_path):
    path = tmp_path / "profiles.toml"
    store = ProfileStore(path)
    store.add("a", {"client_id": "a", "secret": "env:A_SECRET"})
    store.add("b", {"client_id": "b", "secret": "cmd:pass show b"})
    store.add("c", {"client_id": "c"})
    text = path.read_text()
    assert 'secret = "env:A_SECRET"' in text and 'secret = "cmd:pass show b"' in text
    loaded = store.load().profiles
    assert export_record(loaded["a"])["secret"] == "env:A_SECRET"
    assert "secret" not in export_record(loaded["c"])
    assert 'secret = "cmd:pass show b"' in export_profiles(loaded.values(), "toml")


# --- URL rules live in core/urls.py only (issue 14 §3) -----------------------------------


def test_every_module_uses_the_one_copy_of_the_url_rules():
    from csauth_tui import auth
    from csauth_tui.core import answers, api, urls
    from csauth_tui.fake import server
    from csauth_tui.ui.widgets import token_panel

    assert server.is_loopback is urls.is_loopback
    assert profiles.is_loopback is urls.is_loopback and profiles.url_error is urls.url_error
    assert auth.reached_directly is urls.reached_directly
    assert api.reached_directly is urls.reached_directly
    assert answers.endpoint_trusted is urls.endpoint_trusted
    assert token_panel.host_of is urls.host_of


@pytest.mark.parametrize(
    "url, direct",
    [
        ("http://example.com", True),
        ("https://127.0.0.5:8443", True),
        ("https://[::1]/", True),
        ("https://[::ffff:127.0.0.1]/", True),
        ("https://localhost./x", True),
        ("https://api.contentsquare.com", False),
        ("https://[::ffff:10.0.0.1]/", False),
        ("https://[zz/", False),
        (None, False),
    ],
)
def test_reached_directly(url, direct):
    from csauth_tui.core.urls import reached_directly

    assert reached_directly(url) is direct


# --- the two clients are siblings over one base (issue 14 §3) ----------------------------


def test_the_sync_and_async_clients_are_siblings_over_one_base():
    import inspect

    from csauth_tui.core import api, sync_client
    from csauth_tui.core.api import AuthClient, BaseAuthClient
    from csauth_tui.core.sync_client import SyncAuthClient

    assert SyncAuthClient.__mro__[1] is BaseAuthClient and AuthClient.__mro__[1] is BaseAuthClient
    assert not issubclass(SyncAuthClient, AuthClient)
    for name in ("fetch_token", "me", "probe", "_send", "_receive"):
        assert name not in vars(BaseAuthClient), name  # the I/O is each sibling's own
        assert inspect.iscoroutinefunction(getattr(AuthClient, name)), name
        assert not inspect.iscoroutinefunction(getattr(SyncAuthClient, name)), name
    for name in ("_token_call", "_me_call", "_probe_call", "_network_error", "_backoff"):
        assert name in vars(BaseAuthClient), name  # planning, parsing, retrying: shared
    for module in (api, sync_client):
        assert "type: ignore[override]" not in inspect.getsource(module)


# --- kinds and modes are enums (issue 14 §3) ---------------------------------------------


def test_core_kinds_are_enums_that_still_read_and_print_as_their_words(tmp_path):
    import json

    from csauth_tui.core import audit, transfer
    from csauth_tui.core.api import _Call
    from csauth_tui.core.kinds import CallKind, ImportAction, SecretsMode, Severity

    pf = profiles.parse(
        tmp_path / "p.toml",
        '[profiles.a]\nclient_id = "a"\nzzz = 1\n[profiles.b]\nlevel = "x"\nclient_id = "b"\n',
    )
    severities = {(p.profile, p.severity) for p in pf.problems}
    assert severities == {("a", Severity.WARNING), ("b", Severity.ERROR)}
    assert all(type(p.severity) is Severity for p in pf.problems)
    assert profiles.Problem("m", severity="warning").severity is Severity.WARNING
    assert audit.Finding("c", "info", "m", "f").severity is Severity.INFO
    assert audit.SEVERITIES == (Severity.ERROR, Severity.WARNING, Severity.INFO)
    finding = audit.Finding("c", Severity.ERROR, "m", "f")
    assert json.loads(json.dumps({"s": finding.severity})) == {"s": "error"}
    assert f"{finding.severity:7}|" == "error  |" and str(finding.severity) == "error"
    assert set(transfer.ACTION_WORDS) == set(ImportAction)
    assert transfer.SECRET_MODES == ("keyring", "skip", "plaintext") == tuple(SecretsMode)
    assert {f.type for f in __import__("dataclasses").fields(_Call) if f.name == "kind"} == {
        "CallKind"
    }
    assert CallKind("probe") is CallKind.PROBE


def test_an_import_plan_names_its_actions_by_member(tmp_path):
    from csauth_tui.core.kinds import ImportAction
    from csauth_tui.core.transfer import plan_import, read_rows

    source = tmp_path / "in.csv"
    source.write_text("name,level,client_id\nok,project,c1\nbad name,project,c2\n")
    plan = plan_import(
        read_rows(source),
        profiles.ProfilesFile(tmp_path / "p.toml"),
        overwrite=False,
        secrets="skip",
    )
    assert [o.action for o in plan.outcomes] == [ImportAction.ADD, ImportAction.INVALID]
    assert plan.outcomes[1].line().startswith("line 3: reject bad name")


# --- one table of field rules (issue 14 §3) ----------------------------------------------


@pytest.mark.parametrize("bad", [0, -3, True, 1.5, "12", "x"])
def test_the_project_id_rule_is_one_rule_for_file_request_and_import(tmp_path, bad):
    from csauth_tui.core.errors import RuleError
    from csauth_tui.core.profiles import RULES, Settings, field_problem
    from csauth_tui.core.request import plan
    from csauth_tui.core.transfer import read_rows

    expected = f"project_id must be a positive integer, not {bad!r}"
    assert field_problem("project_id", bad) == expected
    problems: list[profiles.Problem] = []
    assert profiles.validate_profile("p", {"client_id": "c", "project_id": bad}, problems) is None
    assert [p.message for p in problems] == [expected]
    with pytest.raises(RuleError, match="project_id must be a positive integer"):
        plan(Profile(name="p", client_id="c"), Settings(), None, bad)
    source = tmp_path / "in.json"
    source.write_text(
        __import__("json").dumps(
            [{"name": "p", "level": "project", "client_id": "c", "project_id": bad}]
        )
    )
    (row,) = read_rows(source)
    # a JSON "12" is read as the number a CSV cell would give: then it is a good one
    assert row.errors == ([] if bad == "12" else [f"project_id: {expected}"])
    assert RULES["project_id"].expects == "a positive whole number"


def test_every_profile_key_has_one_rule_and_the_loader_keeps_the_file_order_of_problems():
    from csauth_tui.core.profiles import FIELD_RULES, PROFILE_KEYS

    assert {rule.name for rule in FIELD_RULES} == PROFILE_KEYS
    problems: list[profiles.Problem] = []
    profiles.validate_profile(
        "p",
        {
            "level": "x",
            "scopes": ["metrics", "brand-new"],
            "project_id": 0,
            "created": "soon",
            "zzz": 1,
        },
        problems,
    )
    assert [(p.field, p.severity.value) for p in problems] == [
        ("zzz", "warning"),
        ("level", "error"),
        ("client_id", "error"),
        ("scopes", "warning"),
        ("project_id", "error"),
        ("created", "error"),
    ]


def test_the_forms_project_id_check_is_the_cores_and_survives_non_ascii_digits():
    """'²' passes str.isdigit but not int(): the form's own check crashed on it."""
    from csauth_tui.ui.screens.profile_form import FormValues, form_errors

    for text in ("²", "0", "-1", "abc"):
        values = FormValues(name="p", client_id="c", project=text)
        assert form_errors(values, set(), None, False)["project_id"] == "a positive whole number", (
            text
        )
    assert "project_id" not in form_errors(
        FormValues(name="p", client_id="c", project="7"), set(), None, False
    )
