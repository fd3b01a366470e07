"""Adding, editing, duplicating, renaming, deleting and importing profiles from the app,
and noticing when the profiles file changes on disk. A mixin of CsauthApp: every write
goes through the core store (locked, atomic, 0600, merged onto what is on disk)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from ..core.errors import ConfigError, CsauthError
from ..core.profiles import Profile, SecretKind
from ..core.redact import Secret

if TYPE_CHECKING:
    from ..core.store import ProfileStore
    from .screens.confirm_delete import DeleteChoice
    from .screens.profile_form import FormValues, ProfileFormResult

# The forms and screens are imported when first opened, not at start: the app's first
# frame does not wait for them.

EDITABLE = ("level", "client_id", "scopes", "project_id", "secret", "client_secret",
            "created", "description")

BINDINGS = [
    Binding("a", "add_profile", "Add", id="add_profile"),
    Binding("e", "edit_profile", "Edit", id="edit_profile"),
    Binding("d", "duplicate_profile", "Duplicate", id="duplicate_profile", show=False),
    Binding("delete,x", "delete_profile", "Delete", id="delete_profile", show=False),
    Binding("i", "import_profiles", "Import", id="import_profiles", show=False),
]


def edited_fields(base: Profile | None, values: FormValues,
                  fields: dict[str, Any], *, repair: bool = False) -> dict[str, Any]:
    """Only what the user changed in the form (None removes a key): a field another
    process changed on disk while the form was open is left as that process wrote it.
    Repairing an invalid profile writes every field: what the file holds is what failed."""
    from .screens.profile_form import FormValues

    before = FormValues.from_profile(base).fields() if base is not None else {}
    changes = {key: fields.get(key) for key in EDITABLE
               if key != "client_secret" and (repair or fields.get(key) != before.get(key))}
    if values.source == "plaintext":
        changes["client_secret"] = fields["client_secret"]
        changes["secret"] = None
    elif repair or (base is not None and base.secret.kind is SecretKind.PLAINTEXT):
        changes["client_secret"] = None  # moved out of the file
    return changes


def file_signature(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ManageProfiles:
    """Mixed into CsauthApp; uses its pf, config_path, reload(), notify(), push_screen()."""

    _store_obj: ProfileStore | None = None
    _file_seen: tuple | None = None
    _writing = 0  # our own writes in flight: the file changing then is not news

    def store(self) -> ProfileStore:
        if self._store_obj is None:
            from ..core.store import ProfileStore

            self._store_obj = ProfileStore(self.config_path)
        return self._store_obj

    # --- noticing outside changes ---------------------------------------------------------

    def remember_file(self) -> None:
        self._file_seen = file_signature(self.config_path)

    @contextlib.asynccontextmanager
    async def writing(self):
        self._writing += 1
        try:
            yield self.store()
        finally:
            self._writing -= 1
            self.remember_file()

    def check_file(self) -> None:
        """Called by the app's timer: reload when someone else changed the file."""
        if self._writing:
            return
        now = file_signature(self.config_path)
        if now == self._file_seen:
            return
        self._file_seen = now
        self.reload()
        self.notify("the profiles file changed on disk: reloaded", timeout=4)

    # --- add / edit / duplicate ---------------------------------------------------------

    def _open_form(self, title: str, values: FormValues, original: str | None,
                   base: Profile | None, has_stored_secret: bool,
                   repair: bool = False) -> None:
        from .screens.profile_form import ProfileForm

        taken = set(self.pf.order)
        form = ProfileForm(title, values, taken=taken, original=original,
                           has_stored_secret=has_stored_secret, verify=self._verify_credential,
                           save=lambda result: self._save_form(result, base, repair=repair),
                           auth_url=(base.effective_auth_url(self.settings) if base
                                     else self.settings.auth_url))
        self.push_screen(form, self._after_form)

    def action_add_profile(self) -> None:
        from .screens.profile_form import FormValues

        self._open_form("Add a profile", FormValues(), None, None, False)

    def action_edit_profile(self) -> None:
        profile = self.profile()
        if profile is None and self.current in self.pf.order:
            self._repair_profile(self.current)
            return
        if profile is None:
            self.notify("select a profile to edit", severity="warning")
            return
        from .screens.profile_form import FormValues

        self._open_form(f"Edit {profile.name}", FormValues.from_profile(profile), profile.name,
                        profile, has_stored_secret=profile.secret.held)

    def action_duplicate_profile(self) -> None:
        profile = self.profile()
        if profile is None:
            return
        name = f"{profile.name}-copy"
        while name in self.pf.order:
            name += "-copy"
        from .screens.profile_form import FormValues

        self._open_form(f"Duplicate {profile.name}", FormValues.from_profile(profile, name),
                        None, profile, has_stored_secret=profile.secret.held)

    def _repair_profile(self, name: str) -> None:
        """An invalid profile opens with what its table holds, so the form can fix it."""
        from ..core.profiles import read_toml
        from .screens.profile_form import FormValues

        try:
            doc = read_toml(self.config_path, self.config_path.read_text(encoding="utf-8",
                                                                         errors="replace"))
        except (CsauthError, OSError) as exc:
            self.notify(f"cannot read {self.config_path}: {exc}", severity="error",
                        markup=False)
            return
        table = (doc.get("profiles") or {}).get(name) if isinstance(doc.get("profiles"),
                                                                     dict) else None
        if not isinstance(table, dict):
            self.notify(f"profile '{name}' is not a table: fix it in {self.config_path}",
                        severity="error", markup=False)
            return
        values, base = FormValues.from_table(name, table)
        stored = base.secret.kind is SecretKind.PLAINTEXT or (
            base.secret.kind is SecretKind.KEYRING and bool(base.client_id))
        self._open_form(f"Fix {name}", values, name, base, has_stored_secret=stored,
                        repair=True)

    def _after_form(self, result: ProfileFormResult | None) -> None:
        if result is None:
            return
        self.reload()
        self.select_profile(result.values.name)
        verb = "added" if result.original is None else "saved"
        self.notify(f"profile {result.values.name} {verb}", timeout=3)

    async def _save_form(self, result: ProfileFormResult, base: Profile | None, *,
                         repair: bool = False) -> None:
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
            if secret is None and base is not None and (
                    base.client_id != values.client_id
                    or base.secret.kind is not SecretKind.KEYRING):
                # a new client_id, or a secret that was elsewhere: carry it over to the
                # keyring so the profile keeps working
                secret = await asyncio.to_thread(resolve_secret, base)
            if secret is not None:
                previous = await asyncio.to_thread(stored_secret, values.client_id)
                replace = previous is not None and previous != secret
                if (replace and not typed and base is not None
                        and base.secret.kind is not SecretKind.PLAINTEXT):
                    # the client_id has a secret of its own, and the one carried over stays
                    # where it was: the profile uses the stored one, nothing is lost
                    secret = None
                elif replace:
                    await self._confirm_replacement(values, base, secret)
            if secret is not None:
                outcome = await asyncio.to_thread(
                    functools.partial(store_secret, values.client_id, secret, replace=replace))
        try:
            async with self.writing() as store:
                if result.original is None:
                    await asyncio.to_thread(store.add, values.name, fields)
                else:
                    current = (await asyncio.to_thread(store.load)).order
                    renamed_already = (result.original not in current
                                       and values.name in current)  # a retry after a failure
                    if values.name != result.original and not renamed_already:
                        await asyncio.to_thread(store.rename, result.original, values.name)
                        self.choices.pop(result.original, None)
                        self.live.drop_profile(result.original)
                    changes = edited_fields(base, values, fields, repair=repair)
                    if changes:
                        await asyncio.to_thread(store.update, values.name, changes)
                    self.choices.pop(values.name, None)
        except (CsauthError, ValueError) as exc:
            # the profile was not written: the keyring goes back to how it was
            with contextlib.suppress(CsauthError):
                if outcome == "stored":
                    await asyncio.to_thread(delete_secret, values.client_id)
                elif outcome == "replaced" and previous is not None:
                    await asyncio.to_thread(functools.partial(
                        store_secret, values.client_id, previous, replace=True))
            if isinstance(exc, ValueError):
                raise ConfigError(str(exc)) from None
            raise
        if outcome == "replaced":
            self._forget_tokens_of(values.client_id, also=values.name)

    async def _confirm_replacement(self, values: FormValues, base: Profile | None,
                                   secret: Secret) -> None:
        """The keyring holds a different secret for this client_id: go on only when the
        user says so, and when Contentsquare accepts the new secret (or the user, shown
        the refusal, says "replace anyway"). SecretConflictError otherwise: nothing was
        written."""
        from ..core.errors import ApiError, SecretConflictError
        from ..core.redact import mask
        from .screens.confirm_secret import ConfirmReplaceSecret

        sharing = sorted(n for n, p in self.pf.profiles.items()
                         if p.client_id == values.client_id)
        kept = f"the keyring keeps its secret for client ID {mask(values.client_id)}"
        if not await self.push_screen_wait(ConfirmReplaceSecret(values.client_id, sharing)):
            raise SecretConflictError(f"{kept}; nothing was saved")
        try:
            await self._prove_secret(self._probe_profile(values, base), secret)
        except ApiError as exc:
            if not await self.push_screen_wait(
                    ConfirmReplaceSecret(values.client_id, sharing, failure=str(exc))):
                raise SecretConflictError(f"Contentsquare refused the new secret; {kept}; "
                                          "nothing was saved") from None

    def _probe_profile(self, values: FormValues, base: Profile | None) -> Profile:
        from ..core.profiles import validate_profile

        checked = validate_profile(values.name or "new", values.fields(), [])
        profile = checked or Profile(name=values.name or "new", client_id=values.client_id,
                                     level=values.level, scopes=values.scopes or ("metrics",))
        return dataclasses.replace(profile, auth_url=base.auth_url if base else None)

    async def _prove_secret(self, profile: Profile, secret: Secret) -> None:
        """A token request with `secret` at the profile's auth_url (an account-level
        profile without a project asks /me: a token needs a project); its error if refused."""
        from ..core.errors import RuleError
        from ..core.request import plan

        self._services()
        try:
            request = plan(profile, self.settings)
        except RuleError:
            await self._client.me(profile, secret)
            return
        await self._client.fetch_token(profile, secret, scopes=request.scopes,
                                       project_id=request.project_id)

    def _forget_tokens_of(self, client_id: str, also: str) -> None:
        """A replaced secret: no token fetched with the old one may hide whether it works."""
        cache = self._token_cache()
        if cache is not None:
            cache.forget(client_id)
        for name, profile in self.pf.profiles.items():
            if profile.client_id == client_id:
                self.live.drop_profile(name)
        self.live.drop_profile(also)

    async def _verify_credential(self, profile: Profile, secret: Secret | None):
        service = self._services()
        if secret is None:
            secret = await asyncio.to_thread(service.resolve_secret, profile)
        return await self._client.me(profile, secret)

    # --- delete -------------------------------------------------------------------------

    def action_delete_profile(self) -> None:
        name = self.current
        if name is None:
            return
        profile = self.pf.profiles.get(name)
        shared = [n for n, p in self.pf.profiles.items()
                  if profile is not None and n != name and p.client_id == profile.client_id]
        keyring_entry = profile is not None and profile.secret.kind is SecretKind.KEYRING
        from .screens.confirm_delete import ConfirmDelete

        self.push_screen(ConfirmDelete(name, keyring_entry=keyring_entry, shared_with=shared),
                         self._after_delete_choice)

    def _after_delete_choice(self, choice: DeleteChoice | None) -> None:
        if choice is not None:
            self.run_worker(self._delete(choice), group="store", exit_on_error=False,
                            description="delete profile")

    async def _delete(self, choice: DeleteChoice) -> None:
        from ..core.secrets import delete_secret

        profile = self.pf.profiles.get(choice.name)
        notes = []
        try:
            async with self.writing() as store:
                removed = await asyncio.to_thread(store.remove, choice.name)
        except CsauthError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", markup=False)
            return
        if profile is not None and choice.delete_secret:
            try:
                if await asyncio.to_thread(delete_secret, profile.client_id):
                    notes.append("keyring entry deleted")
            except CsauthError as exc:
                notes.append(f"keyring entry kept: {exc.message}")
        if profile is not None and choice.forget_tokens:
            cache = self._token_cache()
            if cache is not None:
                count = cache.forget(profile.client_id, profile.effective_auth_url(self.settings))
                notes.append(f"{count} cached token(s) forgotten")
        self.live.drop_profile(choice.name)
        self.choices.pop(choice.name, None)
        self.me_info.pop(choice.name, None)
        self.reload()
        extra = f" ({'; '.join(notes)})" if notes else ""
        self.notify(f"profile {choice.name} deleted{extra}" if removed
                    else f"profile {choice.name} was already gone", timeout=5)

    # --- import -------------------------------------------------------------------------

    def action_import_profiles(self) -> None:
        from pathlib import Path

        from .screens.import_screen import ImportScreen

        self.push_screen(ImportScreen(self.pf, Path.cwd()), self._after_import_choice)

    def _after_import_choice(self, chosen) -> None:
        if chosen is not None:
            self.run_worker(self._import(*chosen), group="store", exit_on_error=False,
                            description="import profiles")

    async def _import(self, plan, secrets: str, replace_secret: bool = False) -> None:
        from ..core.sync_client import prove_secret
        from ..core.text import inert
        from ..core.transfer import apply_import, proof_profile

        existing = self.pf

        def prove(name: str, fields: dict[str, Any], secret: Secret) -> None:
            prove_secret(existing.settings, proof_profile(existing, name, fields), secret)

        try:
            async with self.writing() as store:
                notes = await asyncio.to_thread(apply_import, plan, store, secrets,
                                                replace_secret=replace_secret, prove=prove)
        except (CsauthError, ValueError) as exc:
            self.notify(inert(exc), title="Import failed", severity="error", markup=False)
            return
        self.reload()
        done = len(plan.outcomes) - len(plan.failed)
        summary = f"imported {done} profile(s)"
        if plan.failed:
            summary += f"; {len(plan.failed)} not imported"
        if notes.refused:
            summary += f"; {notes.refused} secret(s) or profile(s) refused"
        self.notify(inert("\n".join([summary, *notes[:5]]), keep_newlines=True),
                    title="Import", timeout=8, markup=False,
                    severity="warning" if notes.refused or plan.rejected else "information")
