"""Secret never shows itself by accident; mask / mask_token keep only the ends."""

from __future__ import annotations

import copy
import logging
import pickle

import pytest

from csauth_tui.core.redact import Secret, mask, mask_token

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
        "{}".format(secret),
        "%s" % secret,
        "%r" % (secret,),
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
