"""What the proxy and the Python API add to a request, measured side by side.

- proxy: `GET /v1/segments` through a running `csauth proxy --port 0` (the installed
  command, its own process) against the same request straight to the fake API with the
  bearer token, the fake answering after 50 ms; one keep-alive httpx.Client each, a
  sample is the time of 5 requests in a row.
- auth: the same request through `ContentsquareAuth` (token already in memory, as on every
  call but the first of each hour) against a bare httpx request carrying the header
  itself; the fake answering at once, so that the auth's own cost shows; a sample is 50
  requests in a row.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx

from .harness import BIN, Plan, Result, base_env, interleave, median, ms, paired_ratio, workdir
from .world import SECRET, SECRET_ENV, fake_api, fake_credentials, write_profiles

CSAUTH = str(BIN / "csauth")
SEGMENTS = "/v1/segments"


def _timed(http: httpx.Client, url: str, n: int, **kwargs) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = http.get(url, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"GET {SEGMENTS} answered {response.status_code}")
    return (time.perf_counter() - started) / n


def proxy(plan: Plan) -> Result:
    runs, warmup, per_sample = plan.runs(21, 7), 3, 5
    with workdir("proxy") as tmp, fake_api(latency=0.05) as fake:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        profiles = write_profiles(config, 10, auth_url=fake.url, env_secrets=True)
        for cred in fake_credentials(profiles):
            fake.add_credential(cred)
        p = next(p for p in profiles if p.level == "project" and "metrics" in p.scopes)
        env = base_env(
            CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache), **{SECRET_ENV: SECRET}
        )
        server = subprocess.Popen(
            [CSAUTH, "proxy", p.name, "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            url = server.stdout.readline().strip()
            if not url:
                raise RuntimeError("csauth proxy printed no URL")
            token = httpx.post(
                f"{fake.url}/v1/oauth/token",
                json={
                    "client_id": p.client_id,
                    "client_secret": SECRET,
                    "grant_type": "client_credentials",
                    "scope": " ".join(p.scopes),
                },
            ).json()
            header = {"Authorization": f"Bearer {token['access_token']}"}
            with httpx.Client() as via, httpx.Client() as direct:
                plan.say(
                    f"request through csauth proxy vs straight to the API (50 ms), {runs} rounds"
                )
                samples = interleave(
                    {
                        "proxy": lambda: _timed(via, f"{url}{SEGMENTS}", per_sample),
                        "direct": lambda: _timed(
                            direct, f"{token['endpoint']}{SEGMENTS}", per_sample, headers=header
                        ),
                    },
                    runs,
                    warmup,
                    plan,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    subject, baseline = samples["proxy"], samples["direct"]
    return Result(
        "proxy",
        "a request through `csauth proxy`, API latency 50 ms",
        ms(median(subject)),
        f"{ms(median(baseline))} (straight to the API)",
        paired_ratio(subject, baseline),
        1.1,
        {
            "runs": runs,
            "warmup": warmup,
            "requests_per_sample": per_sample,
            "s_per_request": samples,
        },
    )


def auth(plan: Plan) -> Result:
    from csauth_tui import ContentsquareAuth

    runs, warmup, per_sample = plan.runs(41, 11), 3, 50
    with workdir("auth") as tmp, fake_api(latency=0.0) as fake:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        profiles = write_profiles(config, 10, auth_url=fake.url, env_secrets=True)
        for cred in fake_credentials(profiles):
            fake.add_credential(cred)
        p = next(p for p in profiles if p.level == "project" and "metrics" in p.scopes)
        saved = {k: os.environ.get(k) for k in ("CSAUTH_CACHE_DIR", SECRET_ENV)}
        os.environ.update({"CSAUTH_CACHE_DIR": str(cache), SECRET_ENV: SECRET})
        try:
            authed = ContentsquareAuth(p.name, config=config)
            token = authed.token()
            header = {"Authorization": f"Bearer {token.access_token}"}
            url = f"{token.endpoint}{SEGMENTS}"
            with httpx.Client(auth=authed) as with_auth, httpx.Client() as bare:
                plan.say(f"request with ContentsquareAuth vs bare httpx, {runs} rounds")
                samples = interleave(
                    {
                        "auth": lambda: _timed(with_auth, url, per_sample),
                        "bare": lambda: _timed(bare, url, per_sample, headers=header),
                    },
                    runs,
                    warmup,
                    plan,
                )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    subject, baseline = samples["auth"], samples["bare"]
    return Result(
        "auth",
        "a request with `ContentsquareAuth`, token in memory",
        ms(median(subject)),
        f"{ms(median(baseline))} (bare httpx, header set)",
        paired_ratio(subject, baseline),
        1.05,
        {
            "runs": runs,
            "warmup": warmup,
            "requests_per_sample": per_sample,
            "s_per_request": samples,
        },
    )


def run(plan: Plan) -> list[Result]:
    return [proxy(plan), auth(plan)]
