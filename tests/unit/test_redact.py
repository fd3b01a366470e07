"""Secret never shows itself by accident; mask / mask_token keep only the ends."""

from __future__ import annotations

import copy
import logging
import pickle

import pytest

from csauth_tui.core.redact import Secret, looks_like_a_secret, mask, mask_token, secret_parts

VALUE = "SECRET-sentinel-9c1f0e7a"


def test_every_way_of_printing_a_secret_hides_the_value():
    secret = Secret(VALUE)
    shown = [
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret!s}",
        f"{secret:>40}",
        f"{secret}",
        "%s" % secret,  # noqa: UP031 - the old formatting must mask too
        "%r" % (secret,),  # noqa: UP031
        str([secret]),
        repr({"client_secret": secret}),
    ]
    for text in shown:
        assert VALUE not in text
        assert "********" in text


def test_a_logged_secret_stays_masked(caplog):
    with caplog.at_level(logging.INFO, logger="csauth.test"):
        logging.getLogger("csauth.test").info("using %s / %r", Secret(VALUE), Secret(VALUE))
    assert VALUE not in caplog.text
    assert "********" in caplog.text


def test_reveal_gives_the_value():
    assert Secret(VALUE).reveal() == VALUE
    assert Secret(Secret(VALUE)).reveal() == VALUE  # wrapping twice does not nest the mask


def test_equality_and_hash_follow_the_value():
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("other")
    assert Secret(VALUE) != VALUE  # a Secret is not a str
    assert len({Secret(VALUE), Secret(VALUE), Secret("other")}) == 2


@pytest.mark.parametrize("dump", [pickle.dumps, copy.copy, copy.deepcopy])
def test_a_secret_cannot_be_pickled_or_copied_into_a_cache(dump):
    with pytest.raises(TypeError, match="cannot be pickled") as info:
        dump(Secret(VALUE))
    assert VALUE not in str(info.value)


def test_bool_tells_empty_from_set():
    assert Secret(VALUE)
    assert not Secret("")


def test_a_secret_has_no_attribute_to_leak_through():
    with pytest.raises(AttributeError):
        Secret(VALUE).__dict__  # noqa: B018 - slots only: no stray attributes to dump


@pytest.mark.parametrize(
    "value, masked",
    [
        ("", ""),
        ("abc", "•••"),
        ("abcdefghij", "••••••••"),  # 10 chars: too short to show its ends
        ("abcdefghijk", "abcd…hijk"),
        ("c3133d76-aaaa-bbbb-cccc-0123456789ab", "c313…89ab"),
    ],
)
def test_mask(value, masked):
    assert mask(value) == masked


def test_mask_of_a_short_value_shows_none_of_it():
    for value in ("x", "pw", "hunter2", "0123456789"):
        result = mask(value)
        assert not any(ch in result for ch in value)


def test_mask_token_keeps_six_characters_each_side():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJlLXZhbHVl"
    shown = mask_token(token)
    assert shown == token[:6] + "…" + token[-6:]
    assert "eyJzdWIiOiJjbGllbnQifQ" not in shown  # the claims never show
    assert mask_token("short-token") == "••••••••"
    assert mask_token("") == ""


@pytest.mark.parametrize(
    "text",
    [
        "CS_PROD_CLIENT_SECRET",
        "CS_PROD_SECRET_2024",
        "op read op://vault/item/field",
        "pass show cs/prod",
        "security find-generic-password -w -s cs",
        "123e4567-e89b-12d3-a456-426614174000",
        "my-project-name-2024-0001-prod",
        "gpg --decrypt ~/secrets/cs-prod-2025.gpg",
        "vault kv get -field=secret secret/cs/prod",
    ],
)
def test_names_and_commands_people_use_are_not_taken_for_secrets(text):
    assert not looks_like_a_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "AbCdEf1234567890XyZq",
        "k2j3h4g5f6d7s8a9q0w1e2r3",
        "K2J3H4G5F6D7S8A9Q0W1E2R3",
        "0123456789abcdef0123456789abcdef",
        "Xy9_kq-3Lm8Rt2_vB7nW4pZs",
    ],
)
def test_pasted_secrets_are_recognised(text):
    assert looks_like_a_secret(text)
    assert looks_like_a_secret(f"env:{text}")


def test_secret_parts_are_found_inside_a_longer_word():
    assert secret_parts("--api-key=AbCdEf1234567890XyZq") == ["AbCdEf1234567890XyZq"]
