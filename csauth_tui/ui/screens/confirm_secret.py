"""Replace the secret the keyring holds for a client_id: asks first, naming every profile
that uses it, because they all switch to the new secret at once.

Asked twice when Contentsquare refused the new secret: the second time says so, and only
"Replace anyway" goes on. Cancel (the default, and escape) keeps the stored secret.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from ..text import clip, plain

SHOWN_NAMES = 8  # a client_id shared by more profiles is named by the first few and a count


def profile_list(names: list[str]) -> str:
    if not names:
        return "no profile of this file (the entry may be left from a removed one)"
    shown = ", ".join(clip(name) for name in names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


class ConfirmReplaceSecret(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmReplaceSecret { align: center middle; }
    #replace-secret-box {
        width: 76; max-width: 98%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    #replace-secret-text { margin: 1 0; }
    #replace-secret-buttons { height: auto; align-horizontal: right; }
    #replace-secret-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="replace_secret_cancel")]

    def __init__(self, client_id: str, sharing: list[str], *, failure: str | None = None) -> None:
        super().__init__()
        self.client_id = client_id  # shown masked
        self.sharing = sharing
        self.failure = failure

    def compose(self) -> ComposeResult:
        from ...core.redact import mask

        users = profile_list(self.sharing)
        with Vertical(id="replace-secret-box"):
            if self.failure is None:
                yield Static("[b]Replace the stored secret?[/]")
                yield Static(
                    f"The keyring already holds a different secret for client ID "
                    f"{mask(self.client_id)}. Used by: {users}.\n"
                    "They will all use the new secret, and their cached tokens are dropped. "
                    "The new secret is tried with Contentsquare first.",
                    id="replace-secret-text",
                    markup=False,
                )
                label = "Replace secret"
                variant: ButtonVariant = "warning"
            else:
                yield Static("[b]Contentsquare refused the new secret[/]")
                yield Static(
                    f"{plain(self.failure)}\n\nThe stored secret of client ID "
                    f"{mask(self.client_id)} is kept for: {users}. Replacing it anyway makes them all use a secret "
                    "that was just refused.",
                    id="replace-secret-text",
                    markup=False,
                )
                label, variant = "Replace anyway", "error"
            with Horizontal(id="replace-secret-buttons"):
                yield Button(label, id="replace", variant=variant)
                yield Button("Keep the stored secret", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep").focus()

    @on(Button.Pressed, "#replace")
    def _replace_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def action_cancel(self) -> None:
        self.dismiss(False)
