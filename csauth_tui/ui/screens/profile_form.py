"""Add / edit / duplicate a profile in a modal form, validated as you type.

The secret is typed into a password field and handed back as a Secret for the app to
put in its store (the keyring by default); the form never shows or logs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ...core.errors import CsauthError
from ...core.profiles import (
    KEYRING,
    MAX_NAME,
    NAME_RE,
    NAME_RULE,
    RULES,
    Problem,
    Profile,
    SecretKind,
    SecretSource,
    field_problem,
    validate_profile,
    whole_number,
)
from ...core.redact import Secret
from ...core.text import control_error
from ..text import NAME_CELLS, InertHighlighter, clip, escape, plain
from ..widgets.scope_picker import ScopePicker

SOURCES = (
    ("OS keyring (recommended)", "keyring"),
    ("environment variable", "env"),
    ("command output", "cmd"),
    ("plaintext in the profiles file (not recommended)", "plaintext"),
)
FIELDS = ("name", "level", "client_id", "scopes", "project_id", "secret", "created", "description")
LABELS = {
    "name": "name",
    "level": "level",
    "client_id": "client ID",
    "scopes": "scopes",
    "project_id": "project ID",
    "secret": "secret",
    "created": "created",
    "description": "description",
}
WIDGET_FIELDS = {
    "f-name": "name",
    "f-level": "level",
    "f-client-id": "client_id",
    "f-scopes": "scopes",
    "f-project": "project_id",
    "f-project-pick": "project_id",
    "f-source": "secret",
    "f-source-arg": "secret",
    "f-secret": "secret",
    "f-created": "created",
    "f-description": "description",
}

Verifier = Callable[[Profile, Secret | None], Awaitable[Any]]
Saver = Callable[["ProfileFormResult"], Awaitable[None]]


@dataclass
class FormValues:
    name: str = ""
    level: str = "project"
    client_id: str = ""
    scopes: tuple[str, ...] = ("metrics",)
    project: str = ""
    source: str = "keyring"
    source_arg: str = ""  # env var name or command
    secret: Secret | None = field(default=None, repr=False)
    created: str = ""
    description: str = ""

    @classmethod
    def from_profile(cls, profile: Profile, name: str | None = None) -> FormValues:
        source, arg = profile.secret.kind.value, profile.secret.argument
        return cls(
            name=profile.name if name is None else name,
            level=profile.level,
            client_id=profile.client_id,
            scopes=profile.scopes,
            project="" if profile.project_id is None else str(profile.project_id),
            source=source,
            source_arg=arg,
            created=profile.created.isoformat() if profile.created else "",
            description=profile.description,
        )

    @classmethod
    def from_table(cls, name: str, table: dict[str, Any]) -> tuple[FormValues, Profile]:
        """What an invalid profile's table holds, as far as the form can show it, and a
        stand-in Profile for its secret (where it lives, the plaintext one to keep)."""

        def text(key: str) -> str:
            value = table.get(key)
            if value is None or isinstance(value, (dict, list)):
                return ""
            return value.isoformat() if isinstance(value, date) else str(value)

        level = table.get("level")
        raw_scopes = table.get("scopes", ["metrics"])
        raw_scopes = [raw_scopes] if isinstance(raw_scopes, str) else raw_scopes
        scopes = (
            tuple(s for s in raw_scopes if isinstance(s, str))
            if isinstance(raw_scopes, list)
            else ()
        )
        secret = table.get("secret", "keyring")
        plaintext = table.get("client_secret")
        source, arg = "keyring", ""
        if isinstance(plaintext, str) and plaintext:
            source = "plaintext"
        elif isinstance(secret, str) and secret.startswith(("env:", "cmd:")):
            source, arg = secret[:3], secret[4:]
        values = cls(
            name=name,
            level=level if level in ("project", "account") else "project",
            client_id=text("client_id"),
            scopes=scopes,
            project=text("project_id"),
            source=source,
            source_arg=arg,
            created=text("created"),
            description=text("description"),
        )
        stand_in = Profile(
            name=name,
            client_id=values.client_id,
            secret=SecretSource(SecretKind(source), arg),
            client_secret=Secret(plaintext) if isinstance(plaintext, str) and plaintext else None,
        )
        return values, stand_in

    def fields(self) -> dict[str, Any]:
        """The profile table to write (no plaintext secret: the app adds it if chosen)."""
        out: dict[str, Any] = {
            "level": self.level,
            "client_id": self.client_id.strip(),
            "scopes": list(self.scopes),
        }
        if self.project.strip():
            out["project_id"] = whole_number(self.project.strip())
        if self.source in ("env", "cmd"):
            out["secret"] = f"{self.source}:{self.source_arg.strip()}"
        elif self.source == "keyring":
            out["secret"] = "keyring"
        if self.created.strip():
            try:
                out["created"] = date.fromisoformat(self.created.strip())
            except ValueError:  # half typed: form_errors says so, saving is disabled
                out["created"] = self.created.strip()
        if self.description.strip():
            out["description"] = self.description.strip()
        return out


def form_errors(
    values: FormValues, taken: set[str], original: str | None, secret_required: bool
) -> dict[str, str]:
    """What is wrong, by field: the profile file's own rules plus what only a form knows."""
    errors: dict[str, str] = {}
    name = values.name.strip()
    if not name:
        errors["name"] = "a name is required"
    elif not NAME_RE.fullmatch(name):
        errors["name"] = control_error("the name", name) or f"{NAME_RULE} only"
    elif len(name) > MAX_NAME:
        errors["name"] = f"at most {MAX_NAME} characters ({len(name)} now)"
    elif name != original and name in taken:
        errors["name"] = f"'{name}' already exists"
    elif name != original and (
        twin := next((t for t in taken if t != original and t.casefold() == name.casefold()), None)
    ):
        errors["name"] = f"differs from '{twin}' only by case"
    project = values.project.strip()
    if project and field_problem("project_id", whole_number(project)):
        errors["project_id"] = RULES["project_id"].expects
    elif values.level == "account" and not project:
        errors["project_id"] = "required for account-level credentials"
    if values.created.strip():
        try:
            date.fromisoformat(values.created.strip())
        except ValueError:
            errors["created"] = RULES["created"].expects
    if values.source in ("env", "cmd") and not values.source_arg.strip():
        errors["secret"] = (
            "the variable name" if values.source == "env" else "the command"
        ) + " is required"
    elif values.source in ("keyring", "plaintext") and secret_required and not values.secret:
        errors["secret"] = "type the client secret"
    if not values.scopes:
        errors["scopes"] = "pick at least one scope"
    check = {k: v for k, v in values.fields().items() if k not in errors}
    if "created" in errors:
        check.pop("created", None)
    problems: list[Problem] = []
    validate_profile(name if "name" not in errors else "x", check, problems)
    for problem in problems:
        if problem.severity == "error" and problem.field in FIELDS and problem.field not in errors:
            errors[problem.field] = problem.message
    return errors


@dataclass
class ProfileFormResult:
    original: str | None  # the name being edited; None for a new profile
    values: FormValues


def short_title(title: str) -> str:
    """The form's title ("Edit NAME", "Duplicate NAME", "Fix NAME") with the name cut to
    a title's length: the name "Fix" shows was refused by the name rule, it may be any
    length."""
    verb, _, name = title.partition(" ")
    return f"{verb} {clip(name)}" if name and cell_len(name) > NAME_CELLS else title


def text_input(value: str, input_id: str, placeholder: str = "") -> Input:
    """A form's text field: compact, its value drawn inert (a pasted or loaded escape
    is shown, never obeyed; the value itself is kept as typed)."""
    return Input(
        value,
        id=input_id,
        compact=True,
        placeholder=placeholder,
        highlighter=InertHighlighter(),
    )


class ProfileForm(ModalScreen[ProfileFormResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form_cancel"),
        Binding("ctrl+s", "save", "Save", id="form_save"),
    ]

    def __init__(
        self,
        title: str,
        values: FormValues,
        *,
        taken: set[str],
        original: str | None,
        has_stored_secret: bool,
        verify: Verifier | None,
        save: Saver,
        auth_url: str,
    ) -> None:
        super().__init__()
        self.saver = save
        self.form_title = title
        self.initial = values
        self.taken = taken
        self.original = original
        self.has_stored_secret = has_stored_secret
        self.touched: set[str] = set()
        self.verifier = verify
        self.auth_url = auth_url

    def compose(self) -> ComposeResult:
        v = self.initial
        with Vertical(id="form-box"):
            yield Static(f"[b]{escape(short_title(self.form_title))}[/]", id="form-title")
            with VerticalScroll(id="form-fields"):
                yield from self._row(
                    "name",
                    "Name",
                    text_input(v.name, "f-name", "e.g. prod-metrics"),
                )
                yield from self._row(
                    "level",
                    "Level",
                    Select(
                        [("project-level", "project"), ("account-level", "account")],
                        value=v.level,
                        allow_blank=False,
                        id="f-level",
                        compact=True,
                    ),
                )
                yield from self._row(
                    "client_id",
                    "Client ID",
                    text_input(v.client_id, "f-client-id", "from the Contentsquare console"),
                )
                yield from self._row("scopes", "Scopes", ScopePicker(id="f-scopes"))
                with Horizontal(classes="form-row"):
                    yield Label("Project ID", classes="form-label")
                    with Vertical(classes="form-field"):
                        yield Input(
                            v.project,
                            id="f-project",
                            type="integer",
                            compact=True,
                            placeholder="required for account-level",
                        )
                        yield Select(
                            [],
                            prompt="projects reported by /me (Verify)",
                            id="f-project-pick",
                            compact=True,
                        )
                        yield Static("", id="e-project_id", classes="field-error")
                with Horizontal(classes="form-row"):
                    yield Label("Secret", classes="form-label")
                    with Vertical(classes="form-field"):
                        yield Select(
                            SOURCES, value=v.source, allow_blank=False, id="f-source", compact=True
                        )
                        yield text_input(v.source_arg, "f-source-arg")
                        yield Input(
                            "",
                            id="f-secret",
                            password=True,
                            compact=True,
                            placeholder=self._secret_placeholder(),
                        )
                        yield Static("", id="e-secret", classes="field-error")
                yield from self._row(
                    "created",
                    "Created",
                    text_input(v.created, "f-created", "YYYY-MM-DD (credentials last 1 year)"),
                )
                yield from self._row(
                    "description",
                    "Description",
                    text_input(v.description, "f-description"),
                )
            yield Static("", id="verify-status")
            with Horizontal(id="form-buttons"):
                yield Static("", id="form-hint")
                yield Button("Save", id="save", variant="primary")
                yield Button("Verify (/me)", id="verify")
                yield Button("Cancel", id="cancel")

    def _row(self, key: str, label: str, widget) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            with Vertical(classes="form-field"):
                yield widget
                yield Static("", id=f"e-{key}", classes="field-error")

    def _secret_placeholder(self) -> str:
        if self.has_stored_secret:
            return "leave empty to keep the stored secret"
        return "client secret (not echoed)"

    def on_mount(self) -> None:
        self.query_one(ScopePicker).set_scopes(self.initial.scopes)
        self.query_one("#f-project-pick").display = False
        self._sync_source()
        self._validate()
        self.query_one("#f-name").focus()

    # --- values and validation ----------------------------------------------------------

    def values(self) -> FormValues:
        secret_text = self.query_one("#f-secret", Input).value
        return FormValues(
            name=self.query_one("#f-name", Input).value.strip(),
            level=str(self.query_one("#f-level", Select).value),
            client_id=self.query_one("#f-client-id", Input).value.strip(),
            scopes=self.query_one(ScopePicker).scopes,
            project=self.query_one("#f-project", Input).value.strip(),
            source=str(self.query_one("#f-source", Select).value),
            source_arg=self.query_one("#f-source-arg", Input).value.strip(),
            secret=Secret(secret_text) if secret_text else None,
            created=self.query_one("#f-created", Input).value.strip(),
            description=self.query_one("#f-description", Input).value.strip(),
        )

    def _secret_required(self, values: FormValues) -> bool:
        if values.source == "plaintext":
            return not (self.has_stored_secret and self.initial.source == "plaintext")
        if values.source == "keyring":
            return not self.has_stored_secret  # a new client_id takes the stored one along
        return False

    def _validate(self) -> dict[str, str]:
        values = self.values()
        errors = form_errors(values, self.taken, self.original, self._secret_required(values))
        for key in FIELDS:
            shown = key in errors and (key in self.touched or "*" in self.touched)
            label = self.query_one(f"#e-{key}", Static)
            label.update(f"[red]{escape(errors[key])}[/]" if shown else "")
            label.display = shown
        if values.source == "plaintext" and "secret" not in errors:
            warning = self.query_one("#e-secret", Static)
            warning.update("[yellow]the secret will be stored in the profiles file in plaintext[/]")
            warning.display = True
        self.query_one("#save", Button).disabled = bool(errors)
        missing = ", ".join(LABELS[k] for k in FIELDS if k in errors)
        self.query_one("#form-hint", Static).update(
            f"[dim]to save, complete: {missing}[/]" if missing else "[dim]ctrl+s saves[/]"
        )
        return errors

    def _sync_source(self) -> None:
        source = str(self.query_one("#f-source", Select).value)
        arg = self.query_one("#f-source-arg", Input)
        arg.display = source in ("env", "cmd")
        arg.placeholder = (
            "variable name, e.g. CS_PROD_SECRET"
            if source == "env"
            else "command printing the secret, e.g. pass show cs/prod"
        )
        self.query_one("#f-secret").display = source in ("keyring", "plaintext")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(ScopePicker.SelectedChanged)
    def _changed(self, event) -> None:
        widget = getattr(event, "control", None)
        if widget is not None and widget.id in WIDGET_FIELDS and self.is_mounted:
            if getattr(widget, "has_focus", False):
                self.touched.add(WIDGET_FIELDS[widget.id])
                if widget.id == "f-level":  # account-level needs a project: say so there
                    self.touched.add("project_id")
        if getattr(event, "select", None) is not None and event.select.id == "f-source":
            self._sync_source()
        if getattr(event, "select", None) is not None and event.select.id == "f-project-pick":
            if event.value is not Select.NULL:
                self.query_one("#f-project", Input).value = str(event.value)
        self._validate()

    # --- buttons ------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.touched.add("*")
        if self._validate():
            self.notify("fix the fields marked in red first", severity="warning", timeout=3)
            return
        values = self.values()
        self.query_one("#save", Button).disabled = True
        self.query_one("#verify-status", Static).update("[i]saving...[/]")
        self._save(ProfileFormResult(self.original, values))

    @work(exclusive=True, group="save", exit_on_error=False, description="save profile")
    async def _save(self, result: ProfileFormResult) -> None:
        """The form stays open (nothing typed is lost) until the save has worked."""
        try:
            await self.saver(result)
        except CsauthError as exc:
            self.query_one("#verify-status", Static).update(
                f"[red]not saved: {escape(str(exc))}[/]"
            )
            self._validate()
            return
        except Exception as exc:
            self.query_one("#verify-status", Static).update(
                f"[red]not saved: unexpected {type(exc).__name__}[/]"
            )
            self._validate()
            return
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#verify")
    def _verify_pressed(self) -> None:
        values = self.values()
        self.touched.update(("client_id", "secret"))
        errors = self._validate()
        blocking = {k for k in errors if k in ("client_id", "secret")}
        if blocking or not values.client_id:
            self.query_one("#verify-status", Static).update(
                "[yellow]Verify needs a client ID and a secret[/]"
            )
            return
        self.query_one("#verify-status", Static).update("[i]asking /me...[/]")
        self._verify(values)

    @work(exclusive=True, group="verify", exit_on_error=False, description="verify credential")
    async def _verify(self, values: FormValues) -> None:
        status = self.query_one("#verify-status", Static)
        if self.verifier is None:
            status.update("[yellow]verification is not available here[/]")
            return
        source = values.source
        profile = Profile(
            name=values.name or "new",
            client_id=values.client_id,
            level=values.level,
            scopes=values.scopes or ("metrics",),
            secret=SecretSource(SecretKind(source), values.source_arg)
            if source in ("env", "cmd")
            else KEYRING,
            auth_url=self.auth_url,
        )
        try:
            info = await self.verifier(profile, values.secret)
        except CsauthError as exc:
            status.update(f"[red]not verified: {escape(str(exc))}[/]")
            return
        except Exception as exc:  # never let one bad answer close the form
            status.update(f"[red]not verified: unexpected {type(exc).__name__}[/]")
            return
        notes = ["[green]verified: Contentsquare accepted these credentials[/]"]
        raw = info.raw if isinstance(info.raw, dict) else {}
        level = raw.get("level")
        if level in ("project", "account"):
            self.query_one("#f-level", Select).value = level
            notes.append(f"level: {level}")
        if info.projects:
            pick = self.query_one("#f-project-pick", Select)
            pick.set_options(
                [
                    (Text(plain(f"{pid}  {name}")), int(pid))
                    for pid, name in info.projects
                    if str(pid).isdigit()
                ]
            )
            pick.display = True
            notes.append(f"{len(info.projects)} project(s): pick one below the project ID")
        if info.scopes:
            notes.append("scopes granted: " + escape(" ".join(info.scopes)))
        status.update("\n".join(notes))
