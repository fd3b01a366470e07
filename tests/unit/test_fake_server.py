"""The fake Contentsquare API, over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from csauth_tui.core import profiles as profiles_mod
from csauth_tui.core.tokens import decode_jwt
from csauth_tui.fake import (
    DEMO_CREDENTIALS,
    FAULT_KINDS,
    FakeContentsquare,
    FakeCredential,
    demo_credentials,
    demo_profiles_toml,
)

SECRET = "s3cret-value-never-logged"
PROJECT = FakeCredential(
    "proj-client", SECRET, project_ids=(1001,), name="Prod metrics", created="2025-03-01"
)
ACCOUNT = FakeCredential(
    "acct-client",
    SECRET + "-acct",
    level="account",
    project_ids=(1001, 1002, 1003),
    scopes=("metrics", "data-export", "surveys"),
)
ENRICH = FakeCredential("enrich-client", SECRET + "-enrich", scopes=("enrichment",))
EXPORT_ONLY = FakeCredential(
    "export-client", SECRET + "-export", project_ids=(1002,), scopes=("data-export",)
)


@pytest.fixture
def fake():
    with FakeContentsquare([PROJECT, ACCOUNT, ENRICH, EXPORT_ONLY]) as server:
        yield server


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def token_request(fake, client, cred=PROJECT, scope="metrics", **extra):
    body = {
        "client_id": cred.client_id,
        "client_secret": cred.client_secret,
        "grant_type": "client_credentials",
        "scope": scope,
        **extra,
    }
    return client.post(f"{fake.url}/v1/oauth/token", json=body)


def get_token(fake, client, cred=PROJECT, scope="metrics", **extra) -> str:
    response = token_request(fake, client, cred, scope, **extra)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def segments(fake, client, token, **params):
    return client.get(
        f"{fake.url}/v1/segments", params=params, headers={"Authorization": f"Bearer {token}"}
    )


# --- token --------------------------------------------------------------------------------


def test_token_success_carries_a_signed_jwt_with_the_expected_claims(fake, client):
    before = time.time()
    response = token_request(fake, client, scope="data-export metrics")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["endpoint"] == fake.url
    assert body["project_id"] == 1001
    assert set(body["scope"].split()) == {"metrics", "data-export"}
    header, claims = decode_jwt(body["access_token"])
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims["iss"] == "fake-contentsquare"
    assert claims["sub"] == "proj-client"
    assert claims["project_id"] == 1001 and claims["account_id"] == 1
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int)
    assert before + 3600 - 1 <= claims["exp"] <= time.time() + 3601
    # two tokens are never the same
    assert get_token(fake, client) != body["access_token"]


def test_account_token_targets_the_requested_project(fake, client):
    token = get_token(fake, client, ACCOUNT, project_id=1003)
    assert decode_jwt(token)[1]["project_id"] == 1003


def test_endpoint_override_and_runtime_lifetime(client):
    with FakeContentsquare([PROJECT], endpoint="https://api.eu-west-1.example.test") as fake:
        fake.token_lifetime = 120
        body = token_request(fake, client).json()
    assert body["endpoint"] == "https://api.eu-west-1.example.test"
    assert body["expires_in"] == 120
    claims = decode_jwt(body["access_token"])[1]
    assert 120 <= claims["exp"] - claims["iat"] <= 121


def test_credentials_can_be_added_while_running(fake, client):
    late = FakeCredential("late-client", "late-secret", project_ids=(1004,))
    assert token_request(fake, client, late).status_code == 401
    fake.add_credential(late)
    assert token_request(fake, client, late).status_code == 200


@pytest.mark.parametrize(
    ("cred", "scope", "extra", "status", "key", "value"),
    [
        (FakeCredential("proj-client", "wrong"), "metrics", {}, 401, "error", "invalid_client"),
        (FakeCredential("nobody", SECRET), "metrics", {}, 401, "error", "invalid_client"),
        (PROJECT, "metrics", {"grant_type": "password"}, 400, "error", "invalid_request"),
        (PROJECT, "", {}, 400, "errorCode", "INVALID_SCOPE"),
        (ENRICH, "enrichment metrics", {}, 400, "errorCode", "INVALID_SCOPE"),
        (PROJECT, "surveys", {}, 403, "errorCode", "FORBIDDEN"),
        (PROJECT, "metrics", {"project_id": 1002}, 403, "errorCode", "PROJECT_FORBIDDEN"),
        (ACCOUNT, "metrics", {}, 400, "errorCode", "PROJECT_ID_REQUIRED"),
        (ACCOUNT, "metrics", {"project_id": 4242}, 403, "errorCode", "PROJECT_FORBIDDEN"),
        (ACCOUNT, "metrics", {"project_id": "1001"}, 403, "errorCode", "PROJECT_FORBIDDEN"),
    ],
    ids=[
        "bad-secret",
        "unknown-client",
        "grant-type",
        "empty-scope",
        "enrichment-combo",
        "ungranted-scope",
        "project-level-other-project",
        "account-without-project",
        "account-forbidden-project",
        "project-id-not-int",
    ],
)
def test_token_refusals(fake, client, cred, scope, extra, status, key, value):
    response = token_request(fake, client, cred, scope, **extra)
    assert response.status_code == status
    body = response.json()
    assert body[key] == value
    assert "access_token" not in body
    if key == "errorCode":
        assert body["success"] is False and body["errorMessage"]
    else:
        assert body["error_description"]


def test_bad_secret_message_is_the_documented_one(fake, client):
    body = token_request(fake, client, FakeCredential("proj-client", "nope")).json()
    assert body == {"error": "invalid_client", "error_description": "Client authentication failed"}


def test_non_json_body_is_invalid_request(fake, client):
    response = client.post(
        f"{fake.url}/v1/oauth/token",
        content=f"client_id=proj-client&client_secret={SECRET}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# --- /me ----------------------------------------------------------------------------------


def test_me_describes_the_credential(fake, client):
    body = client.post(
        f"{fake.url}/v1/oauth/me", json={"client_id": "proj-client", "client_secret": SECRET}
    ).json()
    assert body["client_id"] == "proj-client" and body["name"] == "Prod metrics"
    assert body["level"] == "project" and body["account_id"] == 1
    assert body["scopes"].split() == ["metrics", "data-export"]
    assert body["permissions"]["projects"] == [{"id": 1001, "name": "Demo shop"}]
    assert body["created_at"] == "2025-03-01"

    account = client.post(
        f"{fake.url}/v1/oauth/me",
        json={"client_id": "acct-client", "client_secret": ACCOUNT.client_secret},
    )
    projects = account.json()["permissions"]["projects"]
    assert [p["id"] for p in projects] == [1001, 1002, 1003]
    assert all(p["name"] for p in projects)
    assert "created_at" not in account.json()


def test_me_refuses_a_wrong_secret(fake, client):
    response = client.post(
        f"{fake.url}/v1/oauth/me", json={"client_id": "proj-client", "client_secret": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- data endpoints -----------------------------------------------------------------------


def test_segments_with_a_valid_token(fake, client):
    response = segments(fake, client, get_token(fake, client))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert {"id": 1, "name": "New visitors"} in body["payload"]


def test_segments_for_an_account_token_need_its_project(fake, client):
    token = get_token(fake, client, ACCOUNT, project_id=1002)
    missing = segments(fake, client, token)
    assert missing.status_code == 400 and missing.json()["errorCode"] == "PROJECT_ID_REQUIRED"
    other = segments(fake, client, token, projectId=1001)
    assert other.status_code == 403
    assert segments(fake, client, token, projectId=1002).status_code == 200


def test_forged_and_foreign_tokens_are_invalid(fake, client):
    token = get_token(fake, client)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    with FakeContentsquare([PROJECT]) as other:  # same claims shape, different key
        foreign = get_token(other, client)
    for bad in (tampered, foreign, "not-a-jwt"):
        response = segments(fake, client, bad)
        assert response.status_code == 401
        assert response.json()["errorCode"] == "INVALID_TOKEN"
    anonymous = client.get(f"{fake.url}/v1/segments")
    assert anonymous.status_code == 401 and anonymous.json()["errorCode"] == "INVALID_TOKEN"


def test_expired_token_is_refused_with_jwt_expired(client):
    with FakeContentsquare([PROJECT], token_lifetime=1) as fake:
        body = token_request(fake, client).json()
        assert body["expires_in"] == 1
        token = body["access_token"]
        assert segments(fake, client, token).status_code == 200
        exp = decode_jwt(token)[1]["exp"]
        time.sleep(max(0.0, exp - time.time()) + 0.2)
        response = segments(fake, client, token)
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "errorMessage": "Auth token is expired.",
        "errorCode": "JWT_EXPIRED",
    }


def test_scopes_gate_the_data_endpoints(fake, client):
    export_token = get_token(fake, client, EXPORT_ONLY, scope="data-export")
    response = segments(fake, client, export_token)
    assert response.status_code == 403 and response.json()["errorCode"] == "FORBIDDEN"
    exports = client.get(
        f"{fake.url}/v1/exports", headers={"Authorization": f"Bearer {export_token}"}
    )
    assert exports.status_code == 200 and exports.json()["success"] is True
    metrics_token = get_token(fake, client)
    assert (
        client.get(
            f"{fake.url}/v1/exports", headers={"Authorization": f"Bearer {metrics_token}"}
        ).status_code
        == 403
    )


# --- concurrency and latency --------------------------------------------------------------


def test_more_than_ten_concurrent_calls_per_project_are_refused(client):
    with FakeContentsquare([PROJECT]) as fake:
        token = get_token(fake, client)
        fake.latency = 1.5  # long enough for all 12 calls to overlap on a loaded machine
        start = threading.Barrier(12)
        results: list[httpx.Response] = []

        def call() -> None:
            with httpx.Client(timeout=30) as own:
                start.wait()
                results.append(segments(fake, own, token))

        threads = [threading.Thread(target=call) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        refused = [r for r in results if r.status_code == 429]
        assert len(results) == 12
        assert refused, "12 overlapping calls should exceed the limit of 10"
        assert all(r.json()["errorCode"] == "CONCURRENT_API_CALL" for r in refused)
        assert {r.status_code for r in results} <= {200, 429}
        assert fake.max_in_flight[1001] == 10


def test_projects_have_separate_concurrency_limits(client):
    other = FakeCredential("other", "other-secret", project_ids=(1002,))
    with FakeContentsquare([PROJECT, other], max_concurrent_per_project=1) as fake:
        fake.inject("slow", path="/v1/oauth/token", project_id=1001, delay=1.5)

        def slow_call() -> None:
            with httpx.Client(timeout=30) as own:
                token_request(fake, own)

        slow = threading.Thread(target=slow_call)
        slow.start()
        deadline = time.monotonic() + 10
        while fake.in_flight.get(1001) != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        busy = token_request(fake, client)
        free = token_request(fake, client, other)
        slow.join(30)
    assert busy.status_code == 429 and busy.json()["errorCode"] == "CONCURRENT_API_CALL"
    assert free.status_code == 200


def test_sequential_calls_never_count_as_concurrent(client):
    with FakeContentsquare([PROJECT], max_concurrent_per_project=1) as fake:
        statuses = [token_request(fake, client).status_code for _ in range(30)]
        assert statuses == [200] * 30
        assert fake.max_in_flight == {1001: 1}
        assert len(fake.requests) == 30  # recorded before the answer went out


def test_latency_is_added_and_settable(fake, client):
    fake.latency = 0.3
    started = time.monotonic()
    assert token_request(fake, client).status_code == 200
    assert time.monotonic() - started >= 0.3
    fake.latency = 0


# --- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("500", 500, "application/json"),
        ("502", 502, "text/html"),
        ("503", 503, "text/html"),
        ("html", 500, "text/html"),
    ],
)
def test_error_faults(fake, client, kind, status, content_type):
    fake.inject(kind)
    response = token_request(fake, client)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    if kind == "500":
        assert response.json()["success"] is False
    # times=1 by default: the next call is served normally
    assert token_request(fake, client).status_code == 200


@pytest.mark.parametrize(
    ("kind", "code"), [("429", "TOO_MANY_REQUESTS"), ("concurrent", "CONCURRENT_API_CALL")]
)
def test_rate_limit_faults_with_retry_after(fake, client, kind, code):
    fake.inject(kind, retry_after=7)
    response = token_request(fake, client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["errorCode"] == code
    fake.inject(kind)
    assert "retry-after" not in token_request(fake, client).headers


def test_malformed_json_and_wrong_shape(fake, client):
    fake.inject("malformed_json")
    response = token_request(fake, client)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    fake.inject("wrong_shape")
    response = token_request(fake, client)
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_slow_fault_delays_then_answers(fake, client):
    fake.inject("slow", delay=0.5)
    started = time.monotonic()
    response = token_request(fake, client)
    assert time.monotonic() - started >= 0.5
    assert response.status_code == 200
    assert fake.requests[-1].fault == "slow"


def test_drop_closes_without_an_answer(fake, client):
    fake.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        token_request(fake, client)
    assert fake.requests[-1].status == 0
    assert token_request(fake, client).status_code == 200


def test_stall_sends_part_of_the_body_then_hangs(fake):
    fake.inject("stall", delay=30)
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=0.5)) as quick,
        pytest.raises(httpx.ReadTimeout),
    ):
        token_request(fake, quick)
    fake.inject("stall", delay=0.2)
    with httpx.Client(timeout=10) as patient, pytest.raises(httpx.RemoteProtocolError):
        token_request(fake, patient)


def test_stop_is_prompt_even_with_a_stalled_request():
    fake = FakeContentsquare([PROJECT], latency=30).start()
    fake.inject("stall", delay=60)
    errors: list[Exception] = []

    def call() -> None:
        try:
            with httpx.Client(timeout=60) as c:
                token_request(fake, c)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while not fake.in_flight.get(1001) and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    fake.stop()
    caller.join(30)
    assert time.monotonic() - started < 10
    assert errors, "the stalled call must fail once the server stops"


def test_token_faults_change_a_successful_answer(fake, client):
    fake.inject("no_endpoint")
    assert "endpoint" not in token_request(fake, client).json()
    fake.inject("foreign_endpoint")
    assert token_request(fake, client).json()["endpoint"] == "https://evil.example.com"
    fake.inject("past_exp")
    body = token_request(fake, client).json()
    assert body["expires_in"] == 3600
    assert decode_jwt(body["access_token"])[1]["exp"] < time.time()
    assert segments(fake, client, body["access_token"]).json()["errorCode"] == "JWT_EXPIRED"
    # token faults wait for a successful token answer: a refusal does not use them up
    fake.inject("no_endpoint")
    assert token_request(fake, client, FakeCredential("proj-client", "bad")).status_code == 401
    assert "endpoint" not in token_request(fake, client).json()


def test_faults_filter_by_path_and_project_and_count_down(fake, client):
    fake.inject("503", path="/v1/segments", times=2)
    fake.inject("500", project_id=1002)
    token = get_token(fake, client)  # neither fault applies to this token request
    assert segments(fake, client, token).status_code == 503
    assert segments(fake, client, token).status_code == 503
    assert segments(fake, client, token).status_code == 200
    assert token_request(fake, client, EXPORT_ONLY, "data-export").status_code == 500
    assert token_request(fake, client, EXPORT_ONLY, "data-export").status_code == 200


def test_unlimited_fault_lasts_until_cleared(fake, client):
    fake.inject("502", times=None)
    assert [token_request(fake, client).status_code for _ in range(3)] == [502, 502, 502]
    fake.clear_faults()
    assert token_request(fake, client).status_code == 200


def test_inject_refuses_unknown_kinds(fake):
    with pytest.raises(ValueError, match="unknown fault"):
        fake.inject("teapot")
    with pytest.raises(ValueError):
        fake.inject("500", times=0)
    assert "stall" in FAULT_KINDS and "past_exp" in FAULT_KINDS


# --- hygiene ------------------------------------------------------------------------------


def test_recorded_requests_hold_no_secret_or_token(fake, client):
    token = get_token(fake, client)
    segments(fake, client, token)
    client.post(
        f"{fake.url}/v1/oauth/me", json={"client_id": "proj-client", "client_secret": SECRET}
    )
    recorded = fake.requests
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", "/v1/oauth/token", 200),
        ("GET", "/v1/segments", 200),
        ("POST", "/v1/oauth/me", 200),
    ]
    assert recorded[0].body["client_secret"] == "REDACTED"
    assert recorded[0].body["client_id"] == "proj-client"
    auth = {k.lower(): v for k, v in recorded[1].headers.items()}["authorization"]
    assert auth.startswith("Bearer ")
    dump = repr(recorded) + repr(fake) + repr(PROJECT)
    assert SECRET not in dump and token not in dump


def test_nothing_is_printed(capfd, client):
    with FakeContentsquare([PROJECT]) as fake:
        token_request(fake, client)
        fake.inject("drop")
        with pytest.raises(httpx.HTTPError):
            token_request(fake, client)
        client.get(f"{fake.url}/nowhere")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_stop_releases_the_port_and_cuts_kept_alive_connections(client):
    fake = FakeContentsquare([PROJECT]).start()
    url = fake.url
    port = int(url.rsplit(":", 1)[1])
    assert token_request(fake, client).status_code == 200  # leaves a kept-alive connection
    fake.stop()
    with pytest.raises(httpx.TransportError):
        token_request(fake, client)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    fake.stop()  # a second stop is harmless


def test_url_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="not started"):
        _ = FakeContentsquare().url


def test_only_loopback_hosts_are_served():
    with pytest.raises(ValueError, match="loopback"):
        FakeContentsquare(host="0.0.0.0")


# --- the demo world and the command line --------------------------------------------------


def test_demo_profiles_parse_and_every_profile_gets_a_token(client):
    today = date(2026, 1, 15)
    with FakeContentsquare(demo_credentials(today)) as fake:
        text, env = demo_profiles_toml(fake.url, today=today)
        loaded = profiles_mod.parse(Path("demo.toml"), text)
        errors = [p for p in loaded.problems if p.severity == "error"]
        assert errors == []
        warnings = [p for p in loaded.problems if p.severity == "warning"]
        assert [(w.profile, w.field) for w in warnings] == [("partner-sandbox", "client_secret")]
        assert loaded.settings.auth_url == fake.url
        assert len(loaded.profiles) == 6
        assert any(p.is_account for p in loaded.profiles.values())
        assert any(p.scopes == ("enrichment",) for p in loaded.profiles.values())
        legacy = loaded.profiles["legacy-reporting"]
        assert 330 <= (today - legacy.created).days < 365
        for profile in loaded.profiles.values():
            if profile.secret.text == "plaintext":
                secret = profile.client_secret.reveal()
            else:
                assert profile.secret.text.startswith("env:CSAUTH_DEMO_SECRET_")
                secret = env[profile.secret.argument]
            body = {
                "client_id": profile.client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
                "scope": " ".join(profile.scopes),
            }
            if profile.is_account:
                body["project_id"] = profile.project_id
            response = client.post(f"{fake.url}/v1/oauth/token", json=body)
            assert response.status_code == 200, (profile.name, response.text)
        assert SECRET not in text
        assert all(secret not in text for secret in env.values())


def test_demo_credentials_are_varied():
    levels = {c.level for c in DEMO_CREDENTIALS}
    assert levels == {"project", "account"}
    account = next(c for c in DEMO_CREDENTIALS if c.level == "account")
    assert len(account.project_ids) == 3
    assert len({c.client_id for c in DEMO_CREDENTIALS}) == len(DEMO_CREDENTIALS)


def test_module_runs_in_the_foreground_and_stops_on_signal(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "csauth_tui.fake", "--port", "0", "--token-lifetime", "90"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line
        assert DEMO_CREDENTIALS[0].client_id in line
        assert DEMO_CREDENTIALS[0].client_secret not in line
        url = line.split(" on ", 1)[1].split()[0]
        cred = DEMO_CREDENTIALS[0]
        with httpx.Client(timeout=10) as c:
            response = c.post(
                f"{url}/v1/oauth/token",
                json={
                    "client_id": cred.client_id,
                    "client_secret": cred.client_secret,
                    "grant_type": "client_credentials",
                    "scope": cred.scopes[0],
                },
            )
        assert response.status_code == 200 and response.json()["expires_in"] == 90
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert err == ""


def test_module_refuses_a_non_loopback_host():
    result = subprocess.run(
        [sys.executable, "-m", "csauth_tui.fake", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
