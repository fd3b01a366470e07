"""The everyday commands on a big file, against the cached `csauth token` on the same file.

- status: `csauth status` over 1,000 profiles with a cache holding a live token for each
  (the whole table: every profile, every token), whole process.
- completion: TAB after `csauth token ` in bash with the generated script, 1,000
  profiles: a bash process sources the script and runs its completion function, which
  runs `csauth _names`; the names offered are checked.

Baseline for both: `csauth token` with a cached token, same profiles file and cache.
"""

from __future__ import annotations

from .harness import (
    BIN,
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
from .world import write_profiles, write_token_cache

CSAUTH = str(BIN / "csauth")
PROFILES = 1000


def run(plan: Plan) -> list[Result]:
    runs, warmup = plan.runs(21, 7), 3
    with workdir("everyday") as tmp:
        config, cache = tmp / "profiles.toml", tmp / "cache"
        profiles = write_profiles(config, PROFILES)
        write_token_cache(cache, profiles)
        env = base_env(
            CSAUTH_CONFIG=str(config), CSAUTH_CACHE_DIR=str(cache), PATH=f"{BIN}:/usr/bin:/bin"
        )
        script = tmp / "csauth.bash"
        script.write_text(run_process([CSAUTH, "completion", "bash"], env).stdout)
        tab = [
            "bash",
            "--norc",
            "-c",
            f"source {script}\nCOMP_WORDS=(csauth token '')\n"
            "COMP_CWORD=2\n_csauth\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n",
        ]
        offered = run_process(tab, env).stdout.split()
        if len(offered) != PROFILES:
            raise RuntimeError(f"completion offered {len(offered)} names of {PROFILES}")
        status = run_process([CSAUTH, "status"], env).stdout
        if status.count("\n") != PROFILES + 1:
            raise RuntimeError("csauth status did not list every profile")
        want = profiles[500].name
        plan.say(
            f"csauth status and TAB completion vs cached csauth token, {PROFILES} "
            f"profiles, {runs} rounds"
        )
        samples = interleave(
            {
                "status": lambda: run_process([CSAUTH, "status"], env),
                "complete": lambda: run_process(tab, env),
                "token": lambda: run_process([CSAUTH, "token", want], env),
            },
            runs,
            warmup,
            plan,
        )
    wall = {k: [s.wall for s in v] for k, v in samples.items()}
    detail = {
        "runs": runs,
        "warmup": warmup,
        "profiles": PROFILES,
        "wall_s": wall,
        "cpu_s": {k: [s.cpu for s in v] for k, v in samples.items()},
    }
    baseline = f"{ms(median(wall['token']))} (cached `csauth token`, same file)"
    return [
        Result(
            "status-1k",
            f"`csauth status`, {PROFILES:,} profiles and cached tokens",
            ms(median(wall["status"])),
            baseline,
            paired_ratio(wall["status"], wall["token"]),
            2.0,
            detail,
        ),
        Result(
            "complete-1k",
            f"TAB completion of profile names (bash), {PROFILES:,} profiles",
            ms(median(wall["complete"])),
            baseline,
            paired_ratio(wall["complete"], wall["token"]),
            2.0,
            detail,
        ),
    ]
