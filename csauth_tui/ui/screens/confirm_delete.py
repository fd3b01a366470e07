"""Delete a profile: asks first, and offers to remove its keyring entry and cached tokens."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from ..text import clip, escape


@dataclass(frozen=True)
class DeleteChoice:
    name: str
    delete_secret: bool
    forget_tokens: bool


class ConfirmDelete(ModalScreen[DeleteChoice | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="delete_cancel")]

    def __init__(self, name: str, *, keyring_entry: bool, shared_with: list[str]) -> None:
        super().__init__()
        self.profile_name = name
        self.keyring_entry = keyring_entry
        self.shared_with = shared_with

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-box"):
            yield Static(
                f"[b]Delete profile '{escape(clip(self.profile_name))}'?[/]\n"
                "It is removed from the profiles file; other profiles are untouched.",
                id="delete-question",
            )
            if self.keyring_entry:
                yield Checkbox(
                    "also delete its secret from the keyring",
                    value=not self.shared_with,
                    id="delete-secret",
                    disabled=bool(self.shared_with),
                )
                if self.shared_with:  # on its own line: a long checkbox label is cut off
                    users = ", ".join(clip(name) for name in self.shared_with)
                    yield Static(
                        f"   (kept: also used by {users})", id="delete-shared", markup=False
                    )
            yield Checkbox("also forget its cached tokens", value=True, id="forget-tokens")
            with Horizontal(id="delete-buttons"):
                yield Button("Delete", id="delete", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel").focus()

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        boxes = self.query("#delete-secret")
        delete_secret = bool(boxes) and boxes.first(Checkbox).value and not self.shared_with
        forget = self.query_one("#forget-tokens", Checkbox).value
        self.dismiss(DeleteChoice(self.profile_name, delete_secret, forget))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
