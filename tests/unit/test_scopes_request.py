"""The scope rules and the token request plan, checked before anything is sent."""

from __future__ import annotations

import pytest

from csauth_tui.core import scopes
from csauth_tui.core.errors import RuleError
from csauth_tui.core.profiles import Profile, Settings
from csauth_tui.core.redact import Secret
from csauth_tui.core.request import PROJECT_ID_HINT, TokenRequest, plan
from csauth_tui.core.tokens import cache_key

SETTINGS = Settings(auth_url="https://api.contentsquare.com/")


def project_profile(**kw) -> Profile:
    values = dict(
        name="prod", client_id="cid-1", scopes=("metrics", "data-export"), project_id=1001
    )
    values.update(kw)
    return Profile(**values)


def account_profile(**kw) -> Profile:
    values = dict(name="agency", client_id="cid-acc", level="account", scopes=("metrics",))
    values.update(kw)
    return Profile(**values)


# --- scopes ---------------------------------------------------------------------------


def test_normalize_splits_on_spaces_dedupes_and_keeps_order():
    assert scopes.normalize(["data-export metrics", "metrics", "  surveys\t", "", " "]) == (
        "data-export",
        "metrics",
        "surveys",
    )
    assert scopes.normalize([]) == ()


@pytest.mark.parametrize(
    "given",
    [
        ["metrics"],
        ["enrichment"],
        ["metrics", "data-export", "surveys"],
        ["enrichment", "enrichment"],
        ["enrichment enrichment"],
    ],
)
def test_combinations_that_may_be_requested(given):
    assert scopes.combination_error(given) is None
    assert scopes.check(given) == scopes.normalize(given)


def test_no_scope_is_refused():
    for given in ([], [""], ["  "]):
        assert "no scope" in scopes.combination_error(given)
        with pytest.raises(RuleError, match="no scope"):
            scopes.check(given)


@pytest.mark.parametrize("given", [["enrichment", "metrics"], ["metrics enrichment surveys"]])
def test_enrichment_with_anything_else_is_refused_naming_the_others(given):
    problem = scopes.combination_error(given)
    assert "enrichment" in problem and "alone" in problem
    assert "metrics" in problem
    with pytest.raises(RuleError, match="cannot be combined"):
        scopes.check(given)


def test_unknown_scopes_are_reported_once_in_order():
    assert scopes.unknown(["metrics", "heatmaps", "zz", "heatmaps"]) == ["heatmaps", "zz"]
    assert scopes.unknown(scopes.KNOWN_SCOPES) == []
    assert scopes.combination_error(["heatmaps"]) is None  # a warning, never a refusal


# --- plan -----------------------------------------------------------------------------


def test_plan_takes_scopes_project_and_auth_url_from_the_profile():
    request = plan(project_profile(), SETTINGS)
    assert isinstance(request, TokenRequest)
    assert request.scopes == ("metrics", "data-export")
    assert request.project_id == 1001
    assert request.auth_url == "https://api.contentsquare.com"  # trailing slash gone
    assert request.profile.name == "prod"


def test_a_profile_auth_url_beats_the_settings():
    request = plan(project_profile(auth_url="http://127.0.0.1:8123/"), SETTINGS)
    assert request.auth_url == "http://127.0.0.1:8123"


def test_overrides_replace_profile_scopes_and_project():
    request = plan(project_profile(), SETTINGS, ["surveys metrics", "surveys"], 1002)
    assert request.scopes == ("surveys", "metrics")
    assert request.project_id == 1002


def test_a_project_level_profile_without_project_id_is_fine():
    assert plan(project_profile(project_id=None), SETTINGS).project_id is None


@pytest.mark.parametrize("override", [[], [""], ()])
def test_an_empty_scopes_override_is_refused_not_replaced_by_the_profile(override):
    with pytest.raises(RuleError, match="no scope"):
        plan(project_profile(), SETTINGS, override)


def test_a_profile_without_scopes_is_refused():
    with pytest.raises(RuleError, match="no scope"):
        plan(project_profile(scopes=()), SETTINGS)


def test_enrichment_with_another_scope_is_refused():
    with pytest.raises(RuleError, match="enrichment"):
        plan(project_profile(), SETTINGS, ["enrichment", "metrics"])
    with pytest.raises(RuleError, match="enrichment"):
        plan(project_profile(scopes=("enrichment", "surveys")), SETTINGS)
    assert plan(project_profile(), SETTINGS, ["enrichment"]).scopes == ("enrichment",)


def test_account_level_without_project_is_refused_with_the_project_id_hint():
    with pytest.raises(RuleError) as info:
        plan(account_profile(), SETTINGS)
    assert "agency" in str(info.value) and "account-level" in str(info.value)
    assert info.value.hint == PROJECT_ID_HINT
    assert "--project-id" in str(info.value)


def test_account_level_with_a_project_from_profile_or_override_is_planned():
    assert plan(account_profile(project_id=1002), SETTINGS).project_id == 1002
    assert plan(account_profile(), SETTINGS, project_id=1003).project_id == 1003


@pytest.mark.parametrize("bad", [0, -1, True, False, "1001", 1001.0])
def test_bad_project_ids_are_refused(bad):
    with pytest.raises(RuleError, match="positive integer"):
        plan(project_profile(), SETTINGS, project_id=bad)
    with pytest.raises(RuleError, match="positive integer"):
        plan(account_profile(project_id=bad), SETTINGS)


def test_the_plan_cache_key_is_the_token_cache_key_of_the_same_inputs():
    request = plan(project_profile(), SETTINGS, ["metrics", "data-export"], 1001)
    assert request.cache_key == cache_key(
        "https://api.contentsquare.com/", "cid-1", ["data-export", "metrics"], 1001
    )


def test_the_plan_cache_key_does_not_depend_on_the_secret():
    one = plan(project_profile(secret="plaintext", client_secret=Secret("s3cret-one")), SETTINGS)
    two = plan(project_profile(secret="env:X", client_secret=Secret("s3cret-two")), SETTINGS)
    assert one.cache_key == two.cache_key
    assert "s3cret" not in one.cache_key
