"""Adding, editing, duplicating, renaming, deleting and importing profiles from the main
screen. A helper the screen builds with itself and the session: every write goes through
the session's store (locked, atomic, 0600, merged onto what is on disk)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, CsauthError
from ..core.profiles import Profile, SecretKind
from ..core.redact import Secret

if TYPE_CHECKING:
    from .screens.confirm_delete import DeleteChoice
    from .screens.main import MainScreen
    from .screens.profile_form import FormValues, ProfileFormResult
    from .session import Session

# The forms and screens are imported when first opened, not at start: the app's first
# frame does not wait for them.

EDITABLE = (
    "level",
    "client_id",
    "scopes",
    "project_id",
    "secret",
    "client_secret",
    "created",
    "description",
)


def edited_fields(
    base: Profile | None, values: FormValues, fields: dict[str, Any], *, repair: bool = False
) -> dict[str, Any]:
    """Only what the user changed in the form (None removes a key): a field another
    process changed on disk while the form was open is left as that process wrote it.
    Repairing an invalid profile writes every field: what the file holds is what failed."""
    from .screens.profile_form import FormValues

    before = FormValues.from_profile(base).fields() if base is not None else {}
    changes = {
        key: fields.get(key)
        for key in EDITABLE
        if key != "client_secret" and (repair or fields.get(key) != before.get(key))
    }
    if values.source == "plaintext":
        changes["client_secret"] = fields["client_secret"]
        changes["secret"] = None
    elif repair or (base is not None and base.secret.kind is SecretKind.PLAINTEXT):
        changes["client_secret"] = None  # moved out of the file
    return changes


class ProfileEdits:
    def __init__(self, screen: MainScreen, session: Session) -> None:
        self.screen = screen
        self.session = session

    # --- add / edit / duplicate ---------------------------------------------------------

    def _open_form(
        self,
        title: str,
        values: FormValues,
        original: str | None,
        base: Profile | None,
        has_stored_secret: bool,
        repair: bool = False,
    ) -> None:
        from .screens.profile_form import ProfileForm

        session = self.session
        form = ProfileForm(
            title,
            values,
            taken=set(session.pf.order),
            original=original,
            has_stored_secret=has_stored_secret,
            verify=session.verify_credential,
            save=lambda result: self._save_form(result, base, repair=repair),
            auth_url=(
                base.effective_auth_url(session.settings) if base else session.settings.auth_url
            ),
        )
        self.screen.app.push_screen(form, self._after_form)

    def add(self) -> None:
        from .screens.profile_form import FormValues

        self._open_form("Add a profile", FormValues(), None, None, False)

    def edit(self) -> None:
        profile = self.screen.profile()
        current = self.screen.current
        if profile is None and current in self.session.pf.order:
            self._repair_profile(current)
            return
        if profile is None:
            self.screen.say_no_profile()
            return
        from .screens.profile_form import FormValues

        self._open_form(
            f"Edit {profile.name}",
            FormValues.from_profile(profile),
            profile.name,
            profile,
            has_stored_secret=profile.secret.held,
        )

    def duplicate(self) -> None:
        profile = self.screen.profile()
        if profile is None:
            self.screen.say_no_profile()
            return
        name = f"{profile.name}-copy"
        while name in self.session.pf.order:
            name += "-copy"
        from .screens.profile_form import FormValues

        self._open_form(
            f"Duplicate {profile.name}",
            FormValues.from_profile(profile, name),
            None,
            profile,
            has_stored_secret=profile.secret.held,
        )

    def _repair_profile(self, name: str) -> None:
        """An invalid profile opens with what its table holds, so the form can fix it."""
        from ..core.profiles import read_toml
        from .screens.profile_form import FormValues

        path = self.session.config_path
        try:
            doc = read_toml(path, path.read_text(encoding="utf-8", errors="replace"))
        except (CsauthError, OSError) as exc:
            self.screen.notify(f"cannot read {path}: {exc}", severity="error", markup=False)
            return
        table = (
            (doc.get("profiles") or {}).get(name) if isinstance(doc.get("profiles"), dict) else None
        )
        if not isinstance(table, dict):
            self.screen.notify(
                f"profile '{name}' is not a table: fix it in {path}", severity="error", markup=False
            )
            return
        values, base = FormValues.from_table(name, table)
        stored = base.secret.kind is SecretKind.PLAINTEXT or (
            base.secret.kind is SecretKind.KEYRING and bool(base.client_id)
        )
        self._open_form(f"Fix {name}", values, name, base, has_stored_secret=stored, repair=True)

    def _after_form(self, result: ProfileFormResult | None) -> None:
        if result is None:
            return
        self.screen.reload()
        self.screen.select_profile(result.values.name)
        verb = "added" if result.original is None else "saved"
        self.screen.notify(f"profile {result.values.name} {verb}", timeout=3)

    async def _save_form(
        self, result: ProfileFormResult, base: Profile | None, *, repair: bool = False
    ) -> None:
        from ..core.secrets import delete_secret, resolve_secret, store_secret, stored_secret

        values = result.values
        fields: dict[str, Any] = values.fields()
        if values.source == "plaintext":
            secret = values.secret or (base.client_secret if base else None)
            if secret is None:
                raise ConfigError("type the client secret to store it in plaintext")
            fields["client_secret"] = secret
        outcome, previous = None, None
        if values.source == "keyring":
            secret, typed = values.secret, values.secret is not None
            if (
                secret is None
                and base is not None
                and (
                    base.client_id != values.client_id or base.secret.kind is not SecretKind.KEYRING
                )
            ):
                # a new client_id, or a secret that was elsewhere: carry it over to the
                # keyring so the profile keeps working
                secret = await asyncio.to_thread(resolve_secret, base)
            if secret is not None:
                previous = await asyncio.to_thread(stored_secret, values.client_id)
                replace = previous is not None and previous != secret
                if (
                    replace
                    and not typed
                    and base is not None
                    and base.secret.kind is not SecretKind.PLAINTEXT
                ):
                    # the client_id has a secret of its own, and the one carried over stays
                    # where it was: the profile uses the stored one, nothing is lost
                    secret = None
                elif replace:
                    await self._confirm_replacement(values, base, secret)
            if secret is not None:
                outcome = await asyncio.to_thread(
                    functools.partial(store_secret, values.client_id, secret, replace=replace)
                )
        try:
            async with self.session.writing() as store:
                if result.original is None:
                    await asyncio.to_thread(store.add, values.name, fields)
                else:
                    current = (await asyncio.to_thread(store.load)).order
                    renamed_already = (
                        result.original not in current and values.name in current
                    )  # a retry after a failure
                    if values.name != result.original and not renamed_already:
                        await asyncio.to_thread(store.rename, result.original, values.name)
                        self.session.choices.pop(result.original, None)
                        self.session.live.drop_profile(result.original)
                    changes = edited_fields(base, values, fields, repair=repair)
                    if changes:
                        await asyncio.to_thread(store.update, values.name, changes)
                    self.session.choices.pop(values.name, None)
        except (CsauthError, ValueError) as exc:
            # the profile was not written: the keyring goes back to how it was
            with contextlib.suppress(CsauthError):
                if outcome == "stored":
                    await asyncio.to_thread(delete_secret, values.client_id)
                elif outcome == "replaced" and previous is not None:
                    await asyncio.to_thread(
                        functools.partial(store_secret, values.client_id, previous, replace=True)
                    )
            if isinstance(exc, ValueError):
                raise ConfigError(str(exc)) from None
            raise
        if outcome == "replaced":
            self.session.forget_tokens_of(values.client_id, also=values.name)

    async def _confirm_replacement(
        self, values: FormValues, base: Profile | None, secret: Secret
    ) -> None:
        """The keyring holds a different secret for this client_id: go on only when the
        user says so, and when Contentsquare accepts the new secret (or the user, shown
        the refusal, says "replace anyway"). SecretConflictError otherwise: nothing was
        written."""
        from ..core.errors import ApiError, SecretConflictError
        from ..core.redact import mask
        from .screens.confirm_secret import ConfirmReplaceSecret

        sharing = sorted(
            n for n, p in self.session.pf.profiles.items() if p.client_id == values.client_id
        )
        kept = f"the keyring keeps its secret for client ID {mask(values.client_id)}"
        ask = self.screen.app.push_screen_wait
        if not await ask(ConfirmReplaceSecret(values.client_id, sharing)):
            raise SecretConflictError(f"{kept}; nothing was saved")
        try:
            await self.session.prove_secret(self._probe_profile(values, base), secret)
        except ApiError as exc:
            if not await self.screen.app.push_screen_wait(
                ConfirmReplaceSecret(values.client_id, sharing, failure=str(exc))
            ):
                raise SecretConflictError(
                    f"Contentsquare refused the new secret; {kept}; nothing was saved"
                ) from None

    def _probe_profile(self, values: FormValues, base: Profile | None) -> Profile:
        from ..core.profiles import validate_profile

        checked = validate_profile(values.name or "new", values.fields(), [])
        profile = checked or Profile(
            name=values.name or "new",
            client_id=values.client_id,
            level=values.level,
            scopes=values.scopes or ("metrics",),
        )
        return dataclasses.replace(profile, auth_url=base.auth_url if base else None)

    # --- delete -------------------------------------------------------------------------

    def delete(self) -> None:
        self.screen.sync_selection()
        name = self.screen.current
        if name is None:
            self.screen.say_no_profile()
            return
        profile = self.session.pf.profiles.get(name)
        shared = [
            n
            for n, p in self.session.pf.profiles.items()
            if profile is not None and n != name and p.client_id == profile.client_id
        ]
        keyring_entry = profile is not None and profile.secret.kind is SecretKind.KEYRING
        from .screens.confirm_delete import ConfirmDelete

        self.screen.app.push_screen(
            ConfirmDelete(name, keyring_entry=keyring_entry, shared_with=shared),
            self._after_delete_choice,
        )

    def _after_delete_choice(self, choice: DeleteChoice | None) -> None:
        if choice is not None:
            self.screen.run_worker(
                self._delete(choice),
                group="store",
                exit_on_error=False,
                description="delete profile",
            )

    async def _delete(self, choice: DeleteChoice) -> None:
        from ..core.secrets import delete_secret

        profile = self.session.pf.profiles.get(choice.name)
        notes = []
        try:
            async with self.session.writing() as store:
                removed = await asyncio.to_thread(store.remove, choice.name)
        except CsauthError as exc:
            self.screen.notify(str(exc), title="Not deleted", severity="error", markup=False)
            return
        if profile is not None and choice.delete_secret:
            try:
                if await asyncio.to_thread(delete_secret, profile.client_id):
                    notes.append("keyring entry deleted")
            except CsauthError as exc:
                notes.append(f"keyring entry kept: {exc.message}")
        if profile is not None and choice.forget_tokens:
            cache = self.session.token_cache()
            if cache is not None:
                count = cache.forget(
                    profile.client_id, profile.effective_auth_url(self.session.settings)
                )
                notes.append(f"{count} cached token(s) forgotten")
        self.session.forget_profile(choice.name)
        self.screen.reload()
        extra = f" ({'; '.join(notes)})" if notes else ""
        self.screen.notify(
            f"profile {choice.name} deleted{extra}"
            if removed
            else f"profile {choice.name} was already gone",
            timeout=5,
        )

    # --- import -------------------------------------------------------------------------

    def import_profiles(self) -> None:
        from pathlib import Path

        from .screens.import_screen import ImportScreen

        self.screen.app.push_screen(
            ImportScreen(self.session.pf, Path.cwd()), self._after_import_choice
        )

    def _after_import_choice(self, chosen) -> None:
        if chosen is not None:
            self.screen.run_worker(
                self._import(*chosen),
                group="store",
                exit_on_error=False,
                description="import profiles",
            )

    async def _import(self, plan, secrets: str, replace_secret: bool = False) -> None:
        from ..core.sync_client import prove_secret
        from ..core.text import inert
        from ..core.transfer import apply_import, proof_profile

        existing = self.session.pf

        def prove(name: str, fields: dict[str, Any], secret: Secret) -> None:
            prove_secret(existing.settings, proof_profile(existing, name, fields), secret)

        try:
            async with self.session.writing() as store:
                notes = await asyncio.to_thread(
                    apply_import, plan, store, secrets, replace_secret=replace_secret, prove=prove
                )
        except (CsauthError, ValueError) as exc:
            self.screen.notify(inert(exc), title="Import failed", severity="error", markup=False)
            return
        self.screen.reload()
        done = len(plan.outcomes) - len(plan.failed)
        summary = f"imported {done} profile(s)"
        if plan.failed:
            summary += f"; {len(plan.failed)} not imported"
        if notes.refused:
            summary += f"; {notes.refused} secret(s) or profile(s) refused"
        self.screen.notify(
            inert("\n".join([summary, *notes[:5]]), keep_newlines=True),
            title="Import",
            timeout=8,
            markup=False,
            severity="warning" if notes.refused or plan.rejected else "information",
        )
