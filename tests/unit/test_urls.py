"""core/urls.py: where a token may be sent, on the standard library alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from csauth_tui.core import answers, profiles, urls
from csauth_tui.core.urls import endpoint_trusted, host_of, valid_hostname, valid_port

CS = "https://api.contentsquare.com"
LOOP = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api..contentsquare.com",
        "https://.contentsquare.com",
        "https://..contentsquare.com",
        "https://api.contentsquare.com..",
        "https://-api.contentsquare.com",
        "https://api%2econtentsquare.com",
        "https://api_x.contentsquare.com",
        "https://ÿ.contentsquare.com",
        "https://" + "a" * 64 + ".contentsquare.com",
    ],
)
def test_a_host_with_an_empty_or_malformed_label_is_not_trusted(endpoint):
    assert endpoint_trusted(endpoint, CS) is False


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.contentsquare.com:0",
        "https://api.contentsquare.com:99999",
        "https://api.contentsquare.com:65536",
        "https://api.contentsquare.com:abc",
        "https://api.contentsquare.com:",
        "https://api.contentsquare.com:+443",
        "https://api.contentsquare.com:٤٤٣",  # Arabic-Indic digits: isdigit() says yes
        "http://127.0.0.1:0",
    ],
)
def test_a_bad_port_is_not_trusted(endpoint):
    assert endpoint_trusted(endpoint, LOOP) is False


@pytest.mark.parametrize(
    ("endpoint", "auth_url"),
    [
        ("https://api.contentsquare.com", CS),
        ("https://api.contentsquare.com.", CS),
        ("https://api.contentsquare.com:443", CS),
        ("https://api.contentsquare.com:65535/", CS),
        ("https://enrichment-api.eu-west-1.contentsquare.com", CS),
        ("https://contentsquare.com", CS),
        ("http://127.0.0.1:8123", LOOP),
        ("http://[::1]:8123", "http://[::1]:1"),
    ],
)
def test_well_formed_trusted_endpoints_still_are(endpoint, auth_url):
    assert endpoint_trusted(endpoint, auth_url) is True


def test_the_domain_matches_on_a_label_boundary_only():
    assert endpoint_trusted("https://evilcontentsquare.com", CS) is False
    assert endpoint_trusted("https://api.evilcontentsquare.com", CS) is False
    assert endpoint_trusted("https://contentsquare.com.evil.io", CS) is False


def test_helpers():
    assert valid_port("a.b") and valid_port("a.b:1") and valid_port("[::1]:8123")
    assert not valid_port("[::1]:0") and not valid_port("a.b:")
    assert valid_hostname("a.b.") and not valid_hostname("a..b") and not valid_hostname(".a")
    assert host_of("https://user:pw@api.contentsquare.com:8443/x?y") == "api.contentsquare.com:8443"
    assert host_of("https://[::1]:9/") == "[::1]:9"


def test_the_old_names_still_import_from_their_old_homes():
    """Other code (and other branches) import these from profiles.py and answers.py."""
    assert profiles.url_error is urls.url_error and profiles.is_loopback is urls.is_loopback
    assert answers.endpoint_trusted is urls.endpoint_trusted
    assert answers._host is urls.host_of and answers._split is urls.split
    from csauth_tui.core.api import endpoint_trusted as from_api

    assert from_api is urls.endpoint_trusted


def test_the_url_rules_need_no_third_party_module():
    """The cached-token path of `csauth token` checks endpoints with this module: it must
    not pull in httpx (answers.py) or anything else outside the standard library."""
    script = (
        "import sys, json, csauth_tui.core.urls as u\n"
        "assert u.endpoint_trusted('https://api.contentsquare.com', 'https://x')\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert not loaded & {
        "httpx",
        "httpcore",
        "anyio",
        "tomlkit",
        "keyring",
        "textual",
        "rich",
        "platformdirs",
        "asyncio",
    }
