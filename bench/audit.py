"""`csauth audit` of 200 profiles against the fake API (100 ms latency), concurrency 8.

The whole process, as a user runs it, with an empty token cache each run (so every profile
asks for a token and for /me). The baseline is the ideal: the requests the fake API saw in
that run x 100 ms / 8 (eight requests always in flight, no time spent anywhere else).
The profiles are spread over 25 projects, neighbours in the file on different projects, so
the 10-requests-per-project limit never binds: 8 profiles in flight touch 8 projects.
"""

from __future__ import annotations

import json
import shutil

from .harness import BIN, Plan, Result, base_env, median, ms, paired_ratio, run_process, workdir
from .world import SECRET, SECRET_ENV, fake_api, fake_credentials, write_profiles

PROFILES = 200
LATENCY = 0.1
CONCURRENCY = 8


def run(plan: Plan) -> list[Result]:
    runs, warmup = plan.runs(5, 1), plan.runs(1, 0)
    walls, ideals, worst_project = [], [], 0
    with workdir("audit") as tmp, fake_api(latency=LATENCY) as fake:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        profiles = write_profiles(config, PROFILES, auth_url=fake.url, env_secrets=True)
        for cred in fake_credentials(profiles):
            fake.add_credential(cred)
        env = base_env(
            CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache), **{SECRET_ENV: SECRET}
        )
        argv = [str(BIN / "csauth"), "audit", "--json", "--concurrency", str(CONCURRENCY)]
        plan.say(f"csauth audit, {PROFILES} profiles, {runs} runs")
        for i in range(warmup + runs):
            shutil.rmtree(cache, ignore_errors=True)
            seen = len(fake.requests)
            fake.max_in_flight.clear()
            sample = run_process(argv, env, check=False)
            report = json.loads(sample.stdout)
            fetched = sum(1 for p in report["profiles"] if p["token"]["ok"])
            if fetched != PROFILES:
                raise RuntimeError(f"audit got {fetched} tokens of {PROFILES}")
            requests = len(fake.requests) - seen
            worst_project = max(worst_project, max(fake.max_in_flight.values()))
            if i >= warmup:
                walls.append(sample.wall)
                ideals.append(requests * LATENCY / CONCURRENCY)
    detail = {
        "runs": runs,
        "warmup": warmup,
        "wall_s": walls,
        "ideal_s": ideals,
        "requests": round(ideals[0] * CONCURRENCY / LATENCY),
        "most_in_flight_for_one_project": worst_project,
    }
    return [
        Result(
            "audit",
            f"audit of {PROFILES} profiles, API latency 100 ms, concurrency 8",
            ms(median(walls)),
            f"{ms(median(ideals))} (ideal: {detail['requests']} req x 100 ms / 8)",
            paired_ratio(walls, ideals),
            1.25,
            detail,
        )
    ]
