"""The app's data and what may be done to it: the loaded profiles, each profile's choices,
the live tokens, /me answers, the token service and its client, the store and the watch
on the profiles file, the clipboard. Everything a screen does to data goes through here.

Plain Python (no Textual import: tests/unit/test_import_hygiene.py): tested without Pilot
(tests/unit/test_session.py). Screens call the async methods inside their workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import paths
from ..core.clipboard import Clipboard
from ..core.errors import ConfigError, CsauthError, ProfilesSyntaxError, RuleError
from ..core.profiles import Profile, ProfilesFile, Settings
from ..core.request import TokenRequest, plan
from ..core.tokens import Clock, TokenCache, cache_key, utcnow
from .actions import KeyPlan, plan_keys
from .live import LiveToken, LiveTokens, RequestChoice
from .profiles_cache import load_profiles
from .wording import settings_message

if TYPE_CHECKING:
    from ..core.api import AuthClient
    from ..core.audit import AuditReport, ProfileResult
    from ..core.redact import Secret
    from ..core.service import TokenService
    from ..core.store import ProfileStore


def file_signature(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass
class Fetched:
    """What a token fetch came to: the live token, or the error and what happens next."""

    live: LiveToken | None = None
    error: BaseException | None = None
    note: str = ""  # said after the error, e.g. when auto-renew tries again
    warning: str = ""  # a token that came back but is due for renewal already


class Session:
    def __init__(
        self,
        config_path: Path,
        *,
        clock: Clock = utcnow,
        transport: Any = None,
        today: date | None = None,
        cache: TokenCache | None | bool = True,
        clipboard: Clipboard | None = None,
        demo: bool = False,
    ) -> None:
        self.config_path = Path(config_path)
        self.demo = demo
        self.clock = clock
        self.transport = transport
        self.today = today
        self.pf = ProfilesFile(path=self.config_path)
        self.load_error: str | None = None  # the file cannot be read now (shown in place)
        self.loaded_once = False  # a good load happened: a broken file keeps its profiles
        self.live = LiveTokens()
        self.choices: dict[str, RequestChoice] = {}
        self.me_info: dict[str, Any] = {}
        self.clip = clipboard or Clipboard()
        self._cache_option = cache
        self._current_keys: dict[str, tuple] = {}  # see current_key
        self._client: AuthClient | None = None
        self._service: TokenService | None = None
        self._store: ProfileStore | None = None
        self._file_seen: tuple | None = None
        self._writing = 0  # our own writes in flight: the file changing then is not news

    def __repr__(self) -> str:
        return f"Session({str(self.config_path)!r}, {len(self.pf.order)} profiles)"

    @property
    def settings(self) -> Settings:
        return self.pf.settings

    def keys(self) -> KeyPlan:
        """The keys in force after the file's [keys], and what was refused."""
        return plan_keys(dict(self.settings.keys))

    # --- the profiles file ----------------------------------------------------------------

    def load(self) -> AuthClient | None:
        """(Re)read the profiles file. A file that breaks after a good load keeps the last
        good profiles (load_error says why); one that never loaded shows no profiles.
        Returns the previous client when the settings changed: the caller closes it once
        the requests under way on it are done."""
        self.remember_file()
        self._current_keys.clear()
        previous = self.pf.settings
        try:
            self.pf = load_profiles(self.config_path, self._parse_cache_dir())
            self.load_error = None
            self.loaded_once = True
        except ProfilesSyntaxError as exc:
            self.load_error = str(exc)
            if not self.loaded_once or not self.pf.exists:
                self.pf = ProfilesFile(path=self.config_path, exists=True)
        old = None
        if self._service is not None and _without_keys(self.settings) != _without_keys(previous):
            old, self._client, self._service = self._client, None, None
        self.restore_cached_tokens()
        return old

    def start_profile(self) -> tuple[str | None, str]:
        """The profile to select first: the default ($CSAUTH_PROFILE, else default_profile)
        when it is one of the file, else the first; with what to say when an unknown
        default was asked for (never silently replaced). The demo has no default."""
        from ..core.defaults import check, default_of

        first = self.pf.order[0] if self.pf.order else None
        default = None if self.demo else default_of(self.pf)
        if default is None:
            return first, ""
        try:
            return check(self.pf, default).name, ""
        except ConfigError as exc:
            if default.name in self.pf.order:
                return default.name, ""  # an invalid profile: selected, its errors shown
            return first, str(exc)

    def _parse_cache_dir(self) -> Path | None:
        """Where the parse of a big profiles file is kept (never when the tests say no cache)."""
        return None if self._cache_option is False else paths.cache_dir()

    def store(self) -> ProfileStore:
        if self._store is None:
            from ..core.store import ProfileStore

            self._store = ProfileStore(self.config_path)
        return self._store

    def remember_file(self) -> None:
        self._file_seen = file_signature(self.config_path)

    @contextlib.asynccontextmanager
    async def writing(self):
        """Our own write: the file changing meanwhile is not someone else's edit."""
        self._writing += 1
        try:
            yield self.store()
        finally:
            self._writing -= 1
            self.remember_file()

    def file_changed(self) -> bool:
        """Someone else changed the profiles file since we last read or wrote it."""
        if self._writing:
            return False
        now = file_signature(self.config_path)
        if now == self._file_seen:
            return False
        self._file_seen = now
        return True

    def forget_profile(self, name: str) -> None:
        """A profile deleted or renamed: its tokens, choices and /me answer go."""
        self.live.drop_profile(name)
        self.choices.pop(name, None)
        self.me_info.pop(name, None)

    # --- what each profile asks for -------------------------------------------------------

    def choice(self, profile: Profile) -> RequestChoice:
        if profile.name not in self.choices:
            self.choices[profile.name] = RequestChoice(profile.scopes, profile.project_id)
        return self.choices[profile.name]

    def choose(self, name: str, scopes: tuple[str, ...], project_id: int | None) -> None:
        self.choices[name] = RequestChoice(tuple(scopes), project_id)

    def request_for(self, profile: Profile) -> TokenRequest:
        """The token request the panel describes now, or RuleError saying what is missing.
        An emptied project field means no project (never the profile's default)."""
        chosen = self.choice(profile)
        if profile.is_account and chosen.project_id is None:
            raise RuleError(
                f"profile '{profile.name}' is an account-level credential: type "
                "the project_id the token is for (p focuses it)"
            )
        return plan(profile, self.settings, chosen.scopes, chosen.project_id)

    def current_key(self, profile: Profile) -> str:
        chosen = self.choice(profile)
        # asked for every live profile every second: worked out again only when the
        # profile, the user's choice or the settings changed
        known = self._current_keys.get(profile.name)
        if (
            known is not None
            and known[0] is profile
            and known[1] is self.settings
            and known[2] == (chosen.scopes, chosen.project_id)
        ):
            return known[3]
        try:
            key = self.request_for(profile).cache_key
        except CsauthError:
            key = cache_key(
                profile.effective_auth_url(self.settings),
                profile.client_id,
                chosen.scopes,
                chosen.project_id,
            )
        self._current_keys[profile.name] = (
            profile,
            self.settings,
            (chosen.scopes, chosen.project_id),
            key,
        )
        return key

    def live_for(self, profile: Profile | None) -> LiveToken | None:
        """The token for the profile's current choice, else its newest."""
        if profile is None:
            return None
        live = self.live.get(self.current_key(profile))
        if live is None:
            tokens = self.live.for_profile(profile.name)
            live = max(tokens, key=lambda lv: lv.token.issued_at) if tokens else None
        return live

    def table_states(self, names) -> dict[str, str]:
        """The token column for `names`: countdown, 'renewing', '--'."""
        now = self.clock()
        states = {}
        for name in names:
            profile = self.pf.profiles.get(name or "")
            if profile is not None:
                states[profile.name] = self.live.table_state(
                    profile.name, self.current_key(profile), now
                )
        return states

    # --- services ------------------------------------------------------------------------

    def service(self) -> TokenService:
        """The token service; ConfigError while [settings] is invalid (a dropped setting
        must never fall back to a default that sends a secret)."""
        wrong = self.pf.settings_errors()
        if wrong:
            raise ConfigError(
                settings_message(wrong),
                hint="fix [settings] in the profiles file; nothing was sent",
            )
        if self._service is None:
            from ..core.api import AuthClient
            from ..core.service import TokenService

            self._client = AuthClient(
                settings=self.settings, clock=self.clock, transport=self.transport
            )
            self._service = TokenService(self.settings, self._client, cache=self.token_cache())
        return self._service

    def client(self) -> AuthClient:
        self.service()
        assert self._client is not None
        return self._client

    def token_cache(self) -> TokenCache | None:
        if self._cache_option is False or not self.settings.token_cache:
            return None
        if isinstance(self._cache_option, TokenCache):
            return self._cache_option
        return TokenCache(paths.token_cache_path(), clock=self.clock)

    def restore_cached_tokens(self) -> None:
        """Tokens cached by earlier runs (or the CLI) show up with their countdowns."""
        cache = self.token_cache()
        if cache is None:
            return
        now = self.clock()
        owner: dict[tuple[str, str], str] = {}  # the first profile of a credential owns it
        for profile in self.pf.profiles.values():
            owner.setdefault(
                (profile.client_id, profile.effective_auth_url(self.settings)), profile.name
            )
        for token in cache.all():
            if token.seconds_left(now) <= 0 or not token.trusted:
                continue
            name = owner.get((token.client_id, token.auth_url))
            if name is not None and self.live.get(token.key) is None:
                self.live.put(dataclasses.replace(token, profile=name))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- tokens, probes, /me -------------------------------------------------------------

    async def fetch(
        self, profile: Profile, scopes, project_id, *, force: bool = False, auto: bool = False
    ) -> Fetched:
        """A token for `profile`; never raises (the error is worded by the core)."""
        try:
            token = await self.service().token(profile, scopes, project_id, force=force)
        except Exception as exc:  # worded by the core; never re-raised into Textual
            old = self.live.get(
                cache_key(
                    profile.effective_auth_url(self.settings), profile.client_id, scopes, project_id
                )
            )
            note = ""
            if old is not None and auto:  # auto-renew stays on and tries again later
                delay = old.renewal_failed(self.clock())
                note = f" (auto-renew tries again in {delay:.0f} s)"
            elif old is not None:
                old.renewing = False
                old.auto_renew = False
            return Fetched(error=exc, note=note)
        if token.profile != profile.name:
            token = dataclasses.replace(token, profile=profile.name)
        live = self.live.put(token)
        warning = ""
        if auto:
            now = self.clock()
            if live.token.fresh_enough(self.settings.renew_before_seconds, now):
                live.renewed(now)
            else:  # a token already due for renewal: renewing at once would loop
                delay = live.renewal_failed(now)
                warning = (
                    f"auto-renew for {profile.name}: the new token lives only "
                    f"{live.token.lifetime:.0f} s; next try in {delay:.0f} s"
                )
        return Fetched(live=live, warning=warning)

    def renewals_due(self, now: datetime) -> list[LiveToken]:
        """The live tokens auto-renew must fetch again now (each marked as renewing): once
        per renewal window at most, with a back-off after a failure (live.py); none while
        [settings] is invalid."""
        if self.pf.settings_errors():
            return []
        due = [
            live
            for live in self.live.by_key.values()
            if live.due_for_renewal(self.settings.renew_before_seconds, now)
        ]
        for live in due:
            live.renewing = True
        return due

    def stop_renewing(self) -> None:
        for live in self.live.by_key.values():
            live.renewing = False

    async def probe(self, live: LiveToken):
        return await self.client().probe(live.token)  # refuses while [settings] is invalid

    async def me(self, profile: Profile):
        import asyncio

        resolve = self.service().resolve_secret  # the one resolver the app uses
        secret = await asyncio.to_thread(resolve, profile)  # keyring/cmd may block
        info = await self.client().me(profile, secret)
        self.me_info[profile.name] = info
        return info

    async def verify_credential(self, profile: Profile, secret: Secret | None):
        import asyncio

        service = self.service()
        if secret is None:
            secret = await asyncio.to_thread(service.resolve_secret, profile)
        return await self.client().me(profile, secret)

    async def prove_secret(self, profile: Profile, secret: Secret) -> None:
        """A token request with `secret` at the profile's auth_url (an account-level
        profile without a project asks /me: a token needs a project); its error if refused."""
        client = self.client()
        try:
            request = plan(profile, self.settings)
        except RuleError:
            await client.me(profile, secret)
            return
        await client.fetch_token(
            profile, secret, scopes=request.scopes, project_id=request.project_id
        )

    def forget_tokens_of(self, client_id: str, also: str) -> None:
        """A replaced secret: no token fetched with the old one may hide whether it works."""
        cache = self.token_cache()
        if cache is not None:
            cache.forget(client_id)
        for name, profile in self.pf.profiles.items():
            if profile.client_id == client_id:
                self.live.drop_profile(name)
        self.live.drop_profile(also)

    async def audit(
        self, names: list[str] | None, on_result: Callable[[ProfileResult], None]
    ) -> AuditReport:
        from ..core.audit import run_audit

        service = self.service()  # refuses while [settings] is invalid
        cache = self.token_cache()
        return await run_audit(
            self.pf,
            service=service,
            client=self.client(),
            names=names,
            cache_path=cache.path if cache is not None else None,
            on_result=on_result,
            clock=self.clock,
            today=self.today,
        )

    # --- the clipboard -------------------------------------------------------------------

    def copy(self, text: str, *, secret: bool = True) -> list[str]:
        """Copy `text`; a secret is wiped after clipboard_clear_seconds. The tools used."""
        return self.clip.copy(
            text, secret=secret, now=self.clock(), clear_after=self.settings.clipboard_clear_seconds
        )


@contextlib.contextmanager
def gc_paused(freeze: bool = False):
    """Python's cyclic GC off while a profiles file becomes profiles and table rows: tens of
    thousands of objects, all kept, that full collections would walk two or three times
    over to free nothing (~90 ms of a 10,000-profile start). Textual pauses it the same way
    while scrolling. `freeze` (once, at start): what exists then (the app, its widgets, the
    profiles) moves out of the collector's sight until the app ends, so it is not walked
    afterwards either; it is still freed as usual when no longer referenced."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _without_keys(settings):
    return dataclasses.replace(settings, keys={})
