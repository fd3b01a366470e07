"""The demo world: credentials the fake server knows, and a profiles file that uses them.

The secrets below are public fakes: they only ever open the fake server on loopback.
Creation dates are relative to "today" so the demo always shows a credential close to its
first anniversary (Contentsquare credentials expire after one year).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

from .server import FakeCredential


@dataclass(frozen=True)
class _DemoProfile:
    name: str
    level: str
    projects: tuple[int, ...]
    scopes: tuple[str, ...]  # granted to the credential; the profile asks for all of them
    age_days: int | None  # days since creation, None: unknown
    label: str  # the credential's name in the console (shown by /me)
    description: str
    comment: str
    plaintext: bool = False

    @property
    def client_id(self) -> str:
        digest = hashlib.sha256(f"client:{self.name}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    @property
    def client_secret(self) -> str:
        # deterministic so the demo profiles file and the fake server agree without talking
        return "csdemo_" + hashlib.sha256(f"secret:{self.name}".encode()).hexdigest()[:40]

    def created(self, today: date) -> date | None:
        return None if self.age_days is None else today - timedelta(days=self.age_days)


_PROFILES = (
    _DemoProfile(
        "prod-metrics",
        "project",
        (1001,),
        ("metrics", "data-export"),
        95,
        "Looker sync (prod)",
        "Nightly Looker sync of the shop's KPIs",
        "The workhorse: the BI sync reads metrics and exports for the live shop.",
    ),
    _DemoProfile(
        "staging-export",
        "project",
        (1002,),
        ("data-export",),
        200,
        "Staging exports",
        "Raw data exports from staging for the data team",
        "Staging only; exports are re-run whenever the tracking plan changes.",
    ),
    _DemoProfile(
        "agency-account",
        "account",
        (1001, 1002, 1003),
        ("metrics", "data-export", "surveys", "speed-analysis"),
        30,
        "Agency reporting (account)",
        "Account-wide reporting for the agency dashboards",
        "Account-level: reaches every project, so project_id picks the one a token is for.",
    ),
    _DemoProfile(
        "enrichment-eu",
        "project",
        (1001,),
        ("enrichment",),
        60,
        "CRM enrichment",
        "Pushes CRM attributes into sessions (EU cloud)",
        "Enrichment can never share a token with another scope.",
    ),
    _DemoProfile(
        "legacy-reporting",
        "project",
        (1003,),
        ("metrics",),
        350,
        "Blog reporting (legacy)",
        "Weekly blog traffic report; rotate before it expires",
        "Created about 11.5 months ago: Contentsquare credentials expire after one year.",
    ),
    _DemoProfile(
        "partner-sandbox",
        "project",
        (1004,),
        ("metrics", "surveys"),
        None,
        "Partner sandbox",
        "Shared with an integration partner for testing",
        "Inherited without a creation date, and with its secret in the file (do not copy!).",
        plaintext=True,
    ),
)


def demo_credentials(today: date | None = None) -> tuple[FakeCredential, ...]:
    """The credentials the demo server knows, dated relative to `today`."""
    today = today or date.today()
    out = []
    for p in _PROFILES:
        created = p.created(today)
        out.append(
            FakeCredential(
                client_id=p.client_id,
                client_secret=p.client_secret,
                level=p.level,
                project_ids=p.projects,
                scopes=p.scopes,
                account_id=1,
                name=p.label,
                created=created.isoformat() if created else None,
            )
        )
    return tuple(out)


DEMO_CREDENTIALS: tuple[FakeCredential, ...] = demo_credentials()


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def demo_profiles_toml(
    url: str, secret_env_prefix: str = "CSAUTH_DEMO_SECRET_", *, today: date | None = None
) -> tuple[str, dict[str, str]]:
    """A profiles file for the demo server at `url`, and the env vars holding its secrets.

    Every profile but one reads its secret from `env:<prefix><NAME>`; the caller must set
    the returned mapping in the environment. The odd one out keeps a plaintext
    `client_secret`, so the warning about it shows.
    """
    today = today or date.today()
    env: dict[str, str] = {}
    lines = [
        "# csauth profiles: demo file, generated for the fake Contentsquare API on loopback.",
        "# Every secret here is a public fake; real secrets belong in the keyring",
        '# (secret = "keyring", the default) or come from env:VAR / cmd:COMMAND.',
        "",
        "[settings]",
        f"auth_url = {_toml_str(url.rstrip('/'))}",
        "renew_before_seconds = 300     # renew a cached token with less than 5 minutes left",
        "clipboard_clear_seconds = 30   # wipe a copied token from the clipboard after 30 s",
        "token_cache = true",
    ]
    for p in _PROFILES:
        lines += [
            "",
            f"# {p.comment}",
            f"[profiles.{p.name}]",
            f'level = "{p.level}"',
            f"client_id = {_toml_str(p.client_id)}",
            "scopes = [" + ", ".join(_toml_str(s) for s in p.scopes) + "]",
        ]
        if p.level == "account":
            reachable = ", ".join(map(str, p.projects))
            lines.append(f"project_id = {p.projects[1]}   # one of {reachable}")
        else:
            lines.append(f"project_id = {p.projects[0]}")
        if p.plaintext:
            lines.append(f"client_secret = {_toml_str(p.client_secret)}")
        else:
            var = secret_env_prefix + p.name.upper().replace("-", "_")
            env[var] = p.client_secret
            lines.append(f"secret = {_toml_str('env:' + var)}")
        created = p.created(today)
        if created:
            lines.append(f"created = {created.isoformat()}")
        lines.append(f"description = {_toml_str(p.description)}")
    return "\n".join(lines) + "\n", env
