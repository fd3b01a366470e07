"""A fake Contentsquare API on loopback and a profiles file pointing at it, for runs of
the real `csauth` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from csauth_tui.fake.server import FakeContentsquare, FakeCredential
from tests import escscan, leakscan

PROJECT_SECRET = "sentinel-project-secret-7f3a9c"
ACCOUNT_SECRET = "sentinel-account-secret-51be02"

CREDENTIALS = [
    FakeCredential(
        "proj-client-1",
        PROJECT_SECRET,
        level="project",
        project_ids=(1001,),
        scopes=("metrics", "data-export"),
    ),
    FakeCredential(
        "acct-client-1",
        ACCOUNT_SECRET,
        level="account",
        project_ids=(1001, 1002, 1003),
        scopes=("metrics", "data-export"),
    ),
]


def profiles_text(url: str, renew_before: int = 300) -> str:
    return f"""# test profiles
[settings]
auth_url = "{url}"
renew_before_seconds = {renew_before}

[profiles.prod]
level = "project"
client_id = "proj-client-1"
scopes = ["metrics"]
secret = "env:CS_TEST_PROD_SECRET"

[profiles.agency]
level = "account"
client_id = "acct-client-1"
scopes = ["metrics"]
secret = "env:CS_TEST_AGENCY_SECRET"
"""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class CliEnv:
    fake: FakeContentsquare
    config: Path
    cache_dir: Path

    def write_profiles(self, text: str) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)

    def run(
        self, *args: str, input: str | None = None, env: dict | None = None, timeout: float = 60
    ) -> Result:
        full_env = {**os.environ, **(env or {})}
        before = leakscan.file_states(self.config, self.cache_dir)
        proc = subprocess.run(
            [sys.executable, "-m", "csauth_tui.cli", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        # stderr never shows a secret or a token, stdout only the token it is asked for,
        # and what the run wrote is 0600 and holds no client secret (tests/leakscan.py)
        leakscan.cli_run(
            args,
            proc.stdout,
            proc.stderr,
            before=before,
            config=self.config,
            cache_dir=self.cache_dir,
        )
        escscan.cli_run(args, proc.stdout, proc.stderr)  # no raw escape (tests/escscan.py)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def token_requests(self) -> int:
        return sum(1 for r in self.fake.requests if r.path == "/v1/oauth/token")


@pytest.fixture
def cli(isolated_home, monkeypatch):
    monkeypatch.setenv("CS_TEST_PROD_SECRET", PROJECT_SECRET)
    monkeypatch.setenv("CS_TEST_AGENCY_SECRET", ACCOUNT_SECRET)
    with FakeContentsquare(CREDENTIALS) as fake:
        env = CliEnv(fake, Path(os.environ["CSAUTH_CONFIG"]), Path(os.environ["CSAUTH_CACHE_DIR"]))
        env.write_profiles(profiles_text(fake.url))
        yield env
