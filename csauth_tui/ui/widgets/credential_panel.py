"""What the selected profile is: masked client_id, level, secret source, age."""

from __future__ import annotations

from datetime import date, timedelta

from textual.widgets import Static

from ...core.profiles import Problem, Profile, Settings
from ...core.redact import mask

CREDENTIAL_LIFETIME = timedelta(days=365)


def age_text(created: date | None, today: date) -> str:
    if created is None:
        return "[dim]created: unknown (add `created = YYYY-MM-DD` to track the 1-year expiry)[/]"
    expires = created + CREDENTIAL_LIFETIME
    days_left = (expires - today).days
    age = (today - created).days
    if days_left < 0:
        tail = f"[b red]expired {-days_left} days ago[/] (credentials last one year)"
    elif days_left <= 30:
        tail = f"[b yellow]expires in {days_left} days[/] ({expires.isoformat()})"
    else:
        tail = f"expires {expires.isoformat()} (in {days_left} days)"
    return f"created {created.isoformat()}, {age} days ago; {tail}"


def secret_text(profile: Profile) -> str:
    source = profile.secret
    if source == "plaintext":
        return "[b red]plaintext in the profiles file[/] (move it to the keyring)"
    if source.startswith("env:"):
        return f"environment variable ${source[4:]}"
    if source.startswith("cmd:"):
        return "command output (cmd:)"
    return "OS keyring"


class CredentialPanel(Static):
    def show_profile(self, profile: Profile | None, settings: Settings,
                     problems: list[Problem], today: date, name: str | None = None) -> None:
        if profile is None:
            if name is None:
                self.update("")
                return
            lines = [f"[b]{name}[/]: [b red]this profile cannot be used[/]"]
            lines += [f"  • {p.field or 'profile'}: {p.message}" for p in problems
                      if p.severity == "error"]
            lines.append("[dim]Fix it in the profiles file; the other profiles still work.[/]")
            self.update("\n".join(lines))
            return
        lines = [
            f"[b]{profile.name}[/]  {profile.level}-level"
            + (f"  [dim]{profile.description}[/]" if profile.description else ""),
            f"client_id  {mask(profile.client_id)}",
            f"secret     {secret_text(profile)}",
            f"auth URL   {profile.effective_auth_url(settings)}",
            f"lifetime   {age_text(profile.created, today)}",
        ]
        for problem in problems:
            if problem.severity == "warning" and problem.field != "client_secret":
                lines.append(f"[yellow]warning[/]    {problem.message}")
        self.update("\n".join(lines))
