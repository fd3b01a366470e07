"""Command palette entries (ctrl+p), added to Textual's own (themes, quit...)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS = (
    ("Get token", "get_token", "fetch a token for the selected profile"),
    ("Renew token", "renew", "fetch a new token now"),
    ("Copy token", "copy_token", "copy the access token (cleared after a while)"),
    ("Copy Authorization header", "copy_header", "Authorization: Bearer ..."),
    ("Copy curl probe command", "copy_curl", "a curl command that proves the token works"),
    ("Copy base URL", "copy_base_url", "the API base URL returned with the token"),
    ("Test token", "test_token", "GET /v1/segments with the token"),
    ("Load /me", "me", "what Contentsquare says about this credential"),
    ("Reveal / mask token", "reveal", "show or hide the token value"),
    ("Filter profiles", "filter", "type to filter the profile list"),
    ("Sort profiles", "sort", "cycle the sort column"),
    ("Audit every profile", "audit", "secrets, tokens, /me, age, duplicates: a report"),
    ("Add a profile", "add_profile", "a form; the secret goes to the keyring"),
    ("Edit profile", "edit_profile", "change or rename the selected profile"),
    ("Import profiles", "import_profiles", "from a TOML, JSON or CSV file"),
    ("Help: keys", "help", "every key binding"),
)


class CsauthCommands(Provider):
    def _commands(self):
        app = self.app
        for label, action, help_text in ACTIONS:
            yield label, partial(app.run_action, action), help_text
        for name in getattr(app, "pf").order:
            yield f"Switch to profile {name}", partial(app.select_profile, name), "select it"

    async def discover(self) -> Hits:
        for label, callback, help_text in self._commands():
            if not label.startswith("Switch"):
                yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, callback, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
