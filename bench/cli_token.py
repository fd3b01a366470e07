"""`csauth token` as a whole process, the way a script calls it.

- cached: a profiles file of 10 profiles, a token cache holding a live token for the one
  asked; baseline `python -c pass` with the same interpreter (same venv, same site).
- not cached: the cache file is removed before each run (so the token is fetched from the
  fake API, 50 ms latency, and written to the cache, as on a first call); baseline
  bench/bare_token.py, the same request made by a bare httpx script.
"""

from __future__ import annotations

from .harness import (
    BIN,
    PYTHON,
    ROOT,
    Plan,
    Result,
    base_env,
    interleave,
    median,
    ms,
    paired_ratio,
    run_process,
    workdir,
)
from .world import SECRET, SECRET_ENV, fake_api, fake_credentials, write_profiles, write_token_cache

CSAUTH = str(BIN / "csauth")


def cached(plan: Plan) -> Result:
    runs, warmup = plan.runs(21, 7), 3
    with workdir("token-cached") as tmp:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        profiles = write_profiles(config, 10)
        write_token_cache(cache, profiles[3:4])
        env = base_env(CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache))
        want = profiles[3].name
        plan.say(f"csauth token (cached) vs python -c pass, {runs} rounds")
        samples = interleave(
            {
                "csauth": lambda: run_process([CSAUTH, "token", want], env),
                "python": lambda: run_process([PYTHON, "-c", "pass"], env),
            },
            runs,
            warmup,
            plan,
        )
    subject = [s.wall for s in samples["csauth"]]
    baseline = [s.wall for s in samples["python"]]
    detail = {
        "runs": runs,
        "warmup": warmup,
        "wall_s": {"csauth": subject, "python": baseline},
        "cpu_s": {k: [s.cpu for s in v] for k, v in samples.items()},
    }
    return Result(
        "token-cached",
        "`csauth token`, cached token (whole process)",
        ms(median(subject)),
        f"{ms(median(baseline))} (python -c pass)",
        paired_ratio(subject, baseline),
        5.0,
        detail,
    )


def fetched(plan: Plan) -> Result:
    runs, warmup = plan.runs(15, 5), 2
    with workdir("token-fetch") as tmp:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        with fake_api(latency=0.05) as fake:
            profiles = write_profiles(config, 10, auth_url=fake.url, env_secrets=True)
            for cred in fake_credentials(profiles):
                fake.add_credential(cred)
            env = base_env(
                CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache), **{SECRET_ENV: SECRET}
            )
            p = profiles[1]
            scope = " ".join(p.scopes)

            def csauth():
                (cache / "tokens.json").unlink(missing_ok=True)
                return run_process([CSAUTH, "token", p.name], env)

            def bare():
                return run_process(
                    [
                        PYTHON,
                        str(ROOT / "bench" / "bare_token.py"),
                        fake.url,
                        p.client_id,
                        scope,
                        str(p.project_id),
                    ],
                    env,
                )

            plan.say(f"csauth token (fetched, 50 ms API) vs bare httpx script, {runs} rounds")
            samples = interleave({"csauth": csauth, "httpx": bare}, runs, warmup, plan)
            tokens = sum(
                1 for r in fake.requests if r.path == "/v1/oauth/token" and r.status == 200
            )
    expected = (runs + warmup) * 2
    if tokens != expected:
        raise RuntimeError(f"expected {expected} token requests to succeed, saw {tokens}")
    subject = [s.wall for s in samples["csauth"]]
    baseline = [s.wall for s in samples["httpx"]]
    detail = {
        "runs": runs,
        "warmup": warmup,
        "wall_s": {"csauth": subject, "httpx": baseline},
        "cpu_s": {k: [s.cpu for s in v] for k, v in samples.items()},
    }
    return Result(
        "token-fetch",
        "`csauth token`, no cached token, API latency 50 ms",
        ms(median(subject)),
        f"{ms(median(baseline))} (bare httpx script)",
        paired_ratio(subject, baseline),
        1.2,
        detail,
    )


def run(plan: Plan) -> list[Result]:
    return [cached(plan), fetched(plan)]
