"""What the selected profile is: masked client_id, level, secret source, age."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from ..text import escape
from textual.widgets import Label, Static

from ...core.lifetime import credential_expiry
from ...core.profiles import Problem, Profile, Settings
from ...core.redact import looks_like_a_secret, mask


def age_text(created: date | None, today: date) -> str:
    if created is None:
        return "[dim]created: unknown (add `created = YYYY-MM-DD` to track the 1-year expiry)[/]"
    expires, days_left, severity = credential_expiry(created, today)
    age = (today - created).days
    if severity == "error":
        tail = f"[b red]expired {-days_left} days ago[/] (credentials last one year)"
    elif severity == "warning":
        tail = f"[b yellow]expires in {days_left} days[/] ({expires.isoformat()})"
    else:
        tail = f"expires {expires.isoformat()} (in {days_left} days)"
    return f"created {created.isoformat()}, {age} days ago; {tail}"


def secret_text(profile: Profile) -> str:
    source = profile.secret
    if source == "plaintext":
        return "[b red]plaintext in the profiles file[/] (move it to the keyring)"
    if source.startswith("env:"):
        if looks_like_a_secret(source[4:]):
            return "environment variable (name hidden: it looks like a secret)"
        return f"environment variable ${source[4:]}"
    if source.startswith("cmd:"):
        return "command output (cmd:)"
    return "OS keyring"


ROWS = (("profile", "profile"), ("about", "about"), ("client_id", "client_id"),
        ("secret", "secret"), ("auth", "auth URL"), ("lifetime", "lifetime"),
        ("warnings", "warning"))


class CredentialPanel(Vertical):
    """Label / value rows; a long value wraps under itself, not under the label."""

    def compose(self) -> ComposeResult:
        yield Static("", id="cred-problem")
        for key, label in ROWS:
            with Horizontal(id=f"cred-{key}", classes="cred-row"):
                yield Label(label, classes="cred-key")
                yield Static("", classes="cred-value")

    def _set(self, key: str, text: str | None) -> None:
        row = self.query_one(f"#cred-{key}")
        row.display = bool(text)
        row.query_one(".cred-value", Static).update(text or "")

    def show_profile(self, profile: Profile | None, settings: Settings,
                     problems: list[Problem], today: date, name: str | None = None) -> None:
        problem = self.query_one("#cred-problem", Static)
        if profile is None:
            for key, _ in ROWS:
                self._set(key, None)
            if name is None:
                problem.update("")
                return
            lines = [f"[b]{name}[/]: [b red]this profile cannot be used[/]"]
            lines += [f"  • {escape(p.field or 'profile')}: {escape(p.message)}"
                      for p in problems if p.severity == "error"]
            lines.append("[dim]Fix it in the profiles file; the other profiles still work.[/]")
            problem.update("\n".join(lines))
            problem.display = True
            return
        problem.display = False
        warnings = [p.message for p in problems
                    if p.severity == "warning" and p.field != "client_secret"]
        self._set("profile", f"[b]{profile.name}[/]  {profile.level}-level")
        self._set("about", escape(profile.description) if profile.description else None)
        self._set("client_id", mask(profile.client_id))
        self._set("secret", secret_text(profile))
        self._set("auth", escape(profile.effective_auth_url(settings)))
        self._set("lifetime", age_text(profile.created, today))
        self._set("warnings", "[yellow]" + escape("; ".join(warnings)) + "[/]" if warnings
                  else None)
