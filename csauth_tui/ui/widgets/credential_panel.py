"""What the selected profile is: masked client_id, level, secret source, age."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.widgets import Static

from ...core.lifetime import credential_expiry
from ...core.profiles import Problem, Profile, SecretKind, Settings
from ...core.redact import looks_like_a_secret, mask
from ..text import clip, escape
from .wrapping import Rows


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
    if source.kind is SecretKind.PLAINTEXT:
        return "[b red]plaintext in the profiles file[/] (move it to the keyring)"
    if source.kind is SecretKind.ENV:
        if looks_like_a_secret(source.argument):
            return "environment variable (name hidden: it looks like a secret)"
        return f"environment variable ${source.argument}"
    if source.kind is SecretKind.COMMAND:
        return "command output (cmd:)"
    return "OS keyring"


ROWS = (
    ("profile", "profile"),
    ("about", "about"),
    ("client_id", "client_id"),
    ("secret", "secret"),
    ("auth", "auth URL"),
    ("lifetime", "lifetime"),
    ("warnings", "warning"),
)
LABEL_WIDTH = 10
ABOUT_LINES = 3  # a long description ends in "…" after this many lines (the form shows it)
NAME_CELLS = 48  # the name of a profile that cannot be used (the name rule did not apply)


class CredentialPanel(Static):
    """Label / value rows; a long value wraps under itself, not under the label. One widget
    drawing a grid, not a widget per label and value: fewer widgets, a faster start."""

    COMPONENT_CLASSES = {"credential--label"}
    DEFAULT_CSS = """
    CredentialPanel {
        height: auto;
        text-overflow: ellipsis;  /* a problem's long word ends in "…", never folds */
        .credential--label { color: $text-muted; }
    }
    """

    _rows: list[tuple[str, Text]] | None = None  # the grid's rows, or None: plain text

    def show_profile(
        self,
        profile: Profile | None,
        settings: Settings,
        problems: list[Problem],
        today: date,
        name: str | None = None,
    ) -> None:
        if profile is None:
            if name is None:
                self.update("")
                return
            lines = [
                f"[b]{escape(clip(name, NAME_CELLS))}[/]: [b red]this profile cannot be used[/]"
            ]
            lines += [
                f"  • {escape(p.field or 'profile')}: {escape(p.message)}"
                for p in problems
                if p.severity == "error"
            ]
            lines.append("[dim]Fix it in the profiles file; the other profiles still work.[/]")
            self.update("\n".join(lines))
            return
        warnings = [
            p.message for p in problems if p.severity == "warning" and p.field != "client_secret"
        ]
        values = {
            "profile": f"[b]{escape(profile.name)}[/]  {profile.level}-level",
            "about": escape(profile.description) if profile.description else None,
            "client_id": escape(mask(profile.client_id)),
            "secret": secret_text(profile),
            "auth": escape(profile.effective_auth_url(settings)),
            "lifetime": age_text(profile.created, today),
            "warnings": ("[yellow]" + escape("; ".join(warnings)) + "[/]" if warnings else None),
        }
        self._rows = [
            (label, Text.from_markup(value, emoji=False))
            for key, label in ROWS
            if (value := values[key])
        ]
        self.refresh(layout=True)

    def update(self, content="", *, layout: bool = True) -> None:
        self._rows = None  # plain text (a problem, nothing): no grid
        super().update(content, layout=layout)

    def render(self):
        if self._rows is None:
            return super().render()
        # built when painted, not when shown: the labels take the theme of the moment
        return Rows(
            self._rows,
            self.get_component_rich_style("credential--label"),
            LABEL_WIDTH,
            short={"about": ABOUT_LINES},
        )
