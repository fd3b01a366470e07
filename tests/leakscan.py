"""Never leak a secret: a pytest plugin on every run of the suite (tests/conftest.py loads it).

It tracks the strings that must never show up where a person or a log could see them:

- every client secret registered with an in-process FakeContentsquare,
- every access token such a fake signs, and any JWT-shaped string at all,
- every Secret and Token built during the current test (values of 12 or more characters,
  or with a digit: `Secret("password")` would match innocent words),
- the fixed sentinel strings of the test modules (module-level strings that say
  "sentinel"), and the demo credentials' secrets;

and it fails the test (or, for end-of-session scans, the session) that let one through:

- each test's captured stdout / stderr / log sections, its failure report, its skip reason;
- every log record of every logger, down to DEBUG;
- the message of every CsauthError csauth code creates (pytest.raises would hide it);
- the argv of every child process csauth code starts;
- files csauth writes, the moment it writes them: the profiles file (a secret only as a
  plaintext `client_secret` or inside the user's own `cmd:` command), the token cache
  (tokens, never a client secret), anything else (reports, exports: neither); all 0600;
- at teardown, the test's token cache files, and the profiles file csauth wrote;
- CLI runs (tests/e2e/conftest.py CliEnv.run calls `cli_run`): stderr, stdout, the files;
- at the end, the test ids, the snapshot SVGs and the screenshots.

A hit names where it was and which tracked string it was (by origin, e.g. "the secret of
fake credential 'proj-client-1'", "tests.ui.conftest.PROD_SECRET"), never the value.
Reports that would print a tracked string (a failing leak assertion shows what it
compared) are redacted. Hits in a test that xfailed are listed as known leaks, not failed
(a test marked xfail that passes, XPASS, fails on them like any other).
Figures: "secrets" rows in the table of tests/figures.py. CSAUTH_LEAKSCAN_TIMING=1 prints
the time the plugin's own checks took.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests import figures

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
SVG_DIRS = (TESTS_DIR / "snapshots" / "__snapshots__", REPO / "screenshots")
AREA = "secrets"
MIN_LENGTH = 8  # shorter strings (or ones with fewer than 4 distinct characters) are not
MIN_DISTINCT = 4  # tracked: "secret" or "xxxxxxxx" would match innocent text
HELD_MIN_LENGTH = 12  # a Secret or Token a test builds: shorter only with a digit in it
RECENT_MAX = 64  # values added since the last compile that are searched for one by one
MASK = "«redacted by leakscan»"
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
# before a secret on its line, in a profiles file: where a user put it on purpose
ALLOWED_IN_PROFILES = re.compile(
    r"""(?:client_secret\s*=\s*(?:"{1,3}|'{1,3})|\bsecret\s*=\s*(?:"{1,3}|'{1,3})cmd:[^\n]*)$"""
)
TOKEN_PRINTING_COMMANDS = ("token", "exec")
# what pytest's saferepr keeps on either side of the `...` of a string it shortened
TRUNCATED_HEAD = re.compile(r"[A-Za-z0-9_.-]{6,}(?=\.\.\.)")
TRUNCATED_TAIL = re.compile(r"(?<=\.\.\.)[A-Za-z0-9_.-]{6,}")


@dataclasses.dataclass(frozen=True)
class Hit:
    where: str
    what: str  # the tracked string's origin, never its value

    def __str__(self) -> str:
        return f"{self.what} in {self.where}"


class _Group:
    """Tracked strings of one kind: value -> origin.

    Matched with one compiled alternation, rebuilt only now and then: the values added
    since are searched for one by one until they outnumber RECENT_MAX and a quarter of the
    compiled ones. A fuzz test that builds thousands of secrets keeps every one tracked,
    and the compiling costs a few times the last compile, not one compile per value.
    `limit` caps the number of values (None: no cap); those past it are counted, not
    tracked."""

    def __init__(self, limit: int | None = None) -> None:
        self.values: dict[str, str] = {}
        self.limit = limit
        self.dropped = 0
        self._pattern: re.Pattern[str] | None = None
        self._compiled: dict[str, str] = {}  # the values _pattern matches
        self._recent: dict[str, str] = {}  # added since _pattern was compiled
        self._lock = threading.Lock()

    def add(self, value: str, origin: str) -> bool:
        with self._lock:
            if value in self.values:
                return False
            if self.limit is not None and len(self.values) >= self.limit:
                self.dropped += 1
                return False
            self.values[value] = origin
            self._recent[value] = origin
            return True

    def clear(self) -> None:
        with self._lock:
            self.values.clear()
            self._recent.clear()
            self._pattern, self._compiled = None, {}

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        with self._lock:
            if not self.values:
                return []
            if len(self._recent) > max(RECENT_MAX, len(self._compiled) // 4):
                ordered = sorted(self.values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
                self._compiled, self._recent = dict(self.values), {}
            pattern, compiled, recent = self._pattern, self._compiled, list(self._recent.items())
        found = (
            []
            if pattern is None
            else [(m.start(), m.end(), compiled[m.group()]) for m in pattern.finditer(text)]
        )
        for value, origin in recent:
            start = text.find(value)
            while start >= 0:
                found.append((start, start + len(value), origin))
                start = text.find(value, start + 1)
        return found


class Registry:
    """The tracked strings, and the scans.

    Two kinds of output are scanned differently. What csauth *produces* (error messages,
    log records, child argv) is checked against what csauth could know: the fakes' secrets
    and tokens, the demo secrets, and every Secret / Token built during the current test.
    What a person or CI *sees* (captured output, failure reports, CLI output, files, SVGs)
    is also checked against the fixed sentinels of the test modules. (A test may feed a
    sentinel to csauth as hostile server text csauth never held: echoing it back is then
    not a leak, but printing it in the test's own output still is.)
    """

    def __init__(self) -> None:
        self.secrets = _Group(2000)  # the fakes' client secrets and the demo secrets
        self.fixed = _Group(2000)  # module-level "sentinel" strings of the test modules
        self.held = _Group()  # Secret and Token values built during the current test: all
        self.tokens: dict[str, str] = {}  # JWTs the fakes signed: value -> origin
        self.ignored = 0  # too short or too plain to track
        self.held_total = 0  # Secret / Token values tracked over the session, test by test
        self.scanned = 0
        self.hits: list[Hit] = []  # every hit of the session, for the figures

    @staticmethod
    def trackable(value: Any) -> bool:
        return (
            isinstance(value, str) and len(value) >= MIN_LENGTH and len(set(value)) >= MIN_DISTINCT
        )

    def add(self, group: _Group, value: Any, origin: str) -> None:
        if not self.trackable(value) or (group is self.held and not _held_worth_tracking(value)):
            self.ignored += 1
            return
        group.add(value, origin)

    def add_token(self, value: str, origin: str) -> None:
        self.tokens.setdefault(value, origin)

    @property
    def size(self) -> int:
        distinct = set(self.secrets.values) | set(self.fixed.values) | set(self.tokens)
        return len(distinct) + self.held_total + len(self.held.values)

    def new_test(self) -> None:
        self.held_total += len(self.held.values)
        self.held.clear()

    def find(
        self, text: str, *, tokens: bool = True, fixed: bool = True
    ) -> list[tuple[int, int, str]]:
        """(start, end, origin) of every tracked string in `text`. Without `tokens`, client
        secrets only (a token cache holds tokens). Without `fixed`, not the test modules'
        sentinels (see the class docstring)."""
        if not text:
            return []
        found = []
        if fixed:
            found += [m for m in self.fixed.matches(text) if tokens or not _is_token_sentinel(m[2])]
        found += self.secrets.matches(text)
        found += [m for m in self.held.matches(text) if tokens or "Secret" in m[2]]
        if tokens:
            for m in JWT_RE.finditer(text):
                origin = self.tokens.get(m.group()) or "a JWT (eyJ...) not issued by a fake"
                found.append((m.start(), m.end(), origin))
        first: dict[tuple[int, int], str] = {}  # one origin per place: the most telling
        for start, end, origin in found:
            first.setdefault((start, end), origin)
        return [(start, end, origin) for (start, end), origin in first.items()]

    def scan(self, where: str, text: Any, *, tokens: bool = True, fixed: bool = True) -> list[Hit]:
        """Count one output scanned; record (and return) its hits."""
        self.scanned += 1
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        hits = _unique(
            Hit(where, origin) for _, _, origin in self.find(text or "", tokens=tokens, fixed=fixed)
        )
        self.report(hits)
        return hits

    def report(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.hits.append(hit)
            STATE.pending.append(hit)

    def redact(self, text: str) -> str:
        return _masked(text, self.find(text))

    def truncated(self, text: str) -> list[tuple[int, int, str]]:
        """Pieces of tracked strings that pytest's `...` truncation left in a report."""
        values = {**self.tokens, **self.fixed.values, **self.held.values, **self.secrets.values}
        found = []
        for pattern, fits in ((TRUNCATED_HEAD, str.startswith), (TRUNCATED_TAIL, str.endswith)):
            for m in pattern.finditer(text):
                piece = m.group().strip(".")
                origin = next(
                    (o for v, o in values.items() if len(piece) >= 6 and fits(v, piece)), None
                )
                if origin is not None:
                    found.append((m.start(), m.end(), f"a part of {origin}"))
        return found


TOKEN_SENTINEL = " (a token)"


def _held_worth_tracking(value: str) -> bool:
    """A value a test wraps in Secret or Token may be a plain word ("password"): tracked
    only when it is long enough, or has a digit, to be unlikely in innocent text."""
    return len(value) >= HELD_MIN_LENGTH or any(c.isdigit() for c in value)


def _is_token_sentinel(origin: str) -> bool:
    return origin.endswith(TOKEN_SENTINEL)


def _masked(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """`text` with every span replaced by MASK (overlapping spans merged first)."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + MASK + text[end:]
    return text


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    return list(dict.fromkeys(hits))


REGISTRY = Registry()


@dataclasses.dataclass
class _State:
    pending: list[Hit] = dataclasses.field(default_factory=list)  # not yet given to a test
    session_hits: list[Hit] = dataclasses.field(default_factory=list)
    # files csauth wrote during the current test, by (device, inode, mtime): their role
    written: dict[tuple[int, int, int], str] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0  # time spent in this plugin's own checks (reported at the end)
    undo: list[Any] = dataclasses.field(default_factory=list)
    not_wrapped: list[str] = dataclasses.field(default_factory=list)
    known: list[Hit] = dataclasses.field(default_factory=list)  # in xfail tests

    def take(self) -> list[Hit]:
        taken, self.pending[:] = list(self.pending), []
        return _unique(taken)


STATE = _State()


class timed:  # noqa: N801 - used as `with timed():`
    """Adds the time spent inside to STATE.seconds (the plugin's own cost)."""

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        STATE.seconds += time.perf_counter() - self.started


# --- files csauth writes --------------------------------------------------------------


def _inode(path: Path) -> tuple[int, int, int] | None:
    """Which file this is, and which version of it (inode numbers get reused)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


def check_file(path: Path, role: str, where: str) -> None:
    """A file csauth wrote: mode 0600, and what it holds fits its role ("profiles",
    "cache" or "other")."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        data = Path(path).read_bytes()
    except OSError:
        return
    if mode != 0o600:
        REGISTRY.report([Hit(where, f"mode {mode:04o} instead of 0600")])
    check_content(data, role, where)


def check_content(data: str | bytes, role: str, where: str) -> None:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if role == "profiles":
        REGISTRY.scanned += 1
        REGISTRY.report(
            _unique(
                Hit(where, origin)
                for start, _, origin in REGISTRY.find(text, tokens=True)
                if not ALLOWED_IN_PROFILES.search(text[text.rfind("\n", 0, start) + 1 : start])
            )
        )
    elif role == "cache":
        REGISTRY.scan(where, text, tokens=False)
    else:
        REGISTRY.scan(where, text)


def note_written(path: Path, role: str, where: str) -> None:
    """csauth (this process or a CLI run) wrote `path` just now: check it, remember it."""
    inode = _inode(path)
    if inode is None:
        return
    STATE.written[inode] = role
    check_file(path, role, where)


def _role_of_caller(frame) -> str | None:
    """What csauth code is writing ("profiles", "cache", "other"); None for a test."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("tests") or module == "__main__":
            return None
        if module.startswith("csauth_tui") and module != "csauth_tui.core.fsutil":
            break
        frame = frame.f_back
    else:
        return None
    if module in ("csauth_tui.core.store", "csauth_tui.demo"):
        return "profiles"
    if module == "csauth_tui.core.tokens":
        return "cache"
    return "other"


def _wrap_atomic_write() -> None:
    from csauth_tui.core import fsutil

    original = fsutil.atomic_write

    def atomic_write(path, data, *args, **kwargs):
        original(path, data, *args, **kwargs)
        with timed():
            role = _role_of_caller(sys._getframe(1))
            if role is not None:
                target = Path(path).resolve()
                note_written(target, role, f"{target.name} as csauth wrote it ({role} file)")

    atomic_write.__wrapped__ = original  # type: ignore[attr-defined]
    fsutil.atomic_write = atomic_write
    STATE.undo.append(lambda: setattr(fsutil, "atomic_write", original))


def teardown_files(config: str | None, cache_dir: str | None) -> None:
    """At a test's end: its token cache never holds a client secret; the profiles file
    and cache files csauth wrote are still 0600 and clean."""
    if cache_dir and os.path.isdir(cache_dir):
        for root, _, names in os.walk(cache_dir):
            for name in names:
                path = Path(root, name)
                role = STATE.written.get(_inode(path))
                if role is not None:
                    check_file(path, role, f"token cache file {name} at teardown")
                else:  # written by someone else: still never a client secret
                    try:
                        REGISTRY.scan(
                            f"token cache file {name} at teardown", path.read_bytes(), tokens=False
                        )
                    except OSError:
                        pass
    if config and os.path.isfile(config):
        inode = _inode(Path(config))
        if inode in STATE.written:
            check_file(Path(config), "profiles", "the profiles file at teardown")


# --- CLI runs (tests/e2e/conftest.py) -------------------------------------------------


TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[^.]+\.tmp$")  # fsutil.atomic_write's temp files


def role_by_name(path: Path, config: Path) -> str:
    name = TEMP_NAME.sub(r"\g<target>", path.name)
    if path.parent == config.parent and name == config.name:
        return "profiles"
    return "cache" if name == "tokens.json" else "other"


def subcommand(args: Iterable[str]) -> str | None:
    args = list(args)
    i = 0
    while i < len(args):
        if args[i] == "--config":
            i += 2
            continue
        if args[i].startswith("-"):
            i += 1
            continue
        return args[i]
    return None


def file_states(*paths: Path) -> dict[Path, tuple[int, int, int]]:
    """(inode, mtime, size) of every file at or under `paths`, to see what a run wrote."""
    states = {}
    for path in paths:
        candidates = (
            [path]
            if path.is_file()
            else ([p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [])
        )
        for file in candidates:
            try:
                st = file.stat()
            except OSError:
                continue
            states[file] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return states


def cli_run(
    args: Iterable[str],
    stdout: str,
    stderr: str,
    *,
    before: dict[Path, tuple[int, int, int]],
    config: Path,
    cache_dir: Path,
) -> None:
    """Scan a `csauth` run: stderr never shows a secret or a token; stdout never a client
    secret, and no token unless the command prints one (token; exec, whose output is the
    child's, and the child holds the token in its environment); files the run changed are
    checked like in-process ones."""
    with timed():
        args = list(args)
        command = subcommand(args) or "(no command)"
        REGISTRY.scan(f"stderr of `csauth {command}`", stderr)
        REGISTRY.scan(
            f"stdout of `csauth {command}`", stdout, tokens=command not in TOKEN_PRINTING_COMMANDS
        )
        after = file_states(config, cache_dir)
        for path, state in after.items():
            if before.get(path) != state and not path.name.endswith(".lock"):
                role = role_by_name(path, config)
                note_written(path, role, f"{path.name} as `csauth {command}` wrote it")


# --- session-wide wrappers ------------------------------------------------------------


def _patch(owner: Any, name: str, make: Any) -> None:
    """Replace owner.name with make(original). A name that is gone (the code moved on) is
    reported at the end, never an error: the rest of the scans still run."""
    original = owner.__dict__.get(name)
    if original is None:
        STATE.not_wrapped.append(f"{owner.__name__}.{name}")
        return
    setattr(owner, name, make(original))
    STATE.undo.append(lambda: setattr(owner, name, original))


def _wrap_fakes() -> None:
    from csauth_tui.fake.server import FakeContentsquare

    def add_credential(original):
        def tracked(self, cred):
            REGISTRY.add(
                REGISTRY.secrets,
                cred.client_secret,
                f"the secret of fake credential {cred.client_id!r}",
            )
            return original(self, cred)

        return tracked

    def sign(original):
        def tracked(self, claims):
            token = original(self, claims)
            REGISTRY.add_token(token, f"an access token a fake issued to {claims.get('sub')!r}")
            return token

        return tracked

    _patch(FakeContentsquare, "add_credential", add_credential)
    _patch(FakeContentsquare, "_sign", sign)


def _wrap_held_values() -> None:
    """Every Secret and Token built during a test is tracked until the test ends."""
    from csauth_tui.core.redact import Secret
    from csauth_tui.core.tokens import Token

    def secret_init(original):
        def tracked(self, value):
            original(self, value)
            REGISTRY.add(REGISTRY.held, self.reveal(), "a value csauth held as a Secret")

        return tracked

    def token_init(original):
        def tracked(self, *args, **kwargs):
            original(self, *args, **kwargs)
            REGISTRY.add(REGISTRY.held, self.access_token, "an access token csauth held")

        return tracked

    _patch(Secret, "__init__", secret_init)
    _patch(Token, "__init__", token_init)


def _created_by_csauth(frame) -> bool:
    """Was this error raised by csauth code (not built by a test to feed to csauth)?"""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "csauth_tui.core.errors":
            return module.startswith("csauth_tui")
        frame = frame.f_back
    return False


def _wrap_errors() -> None:
    from csauth_tui.core.errors import CsauthError

    def error_init(original):
        def scanned(self, *args, **kwargs):
            original(self, *args, **kwargs)
            with timed():
                if _created_by_csauth(sys._getframe(1)):
                    REGISTRY.scan(f"the message of a {type(self).__name__}", str(self), fixed=False)

        return scanned

    _patch(CsauthError, "__init__", error_init)


def _started_by_csauth(frame) -> bool:
    """Is the nearest caller that is csauth or a test csauth code? (A test may start what
    it likes; a `cmd:` secret source runs the user's own command line, secret and all.)"""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("tests") or module == "__main__":
            return False
        if module.startswith("csauth_tui"):
            return not (
                module == "csauth_tui.core.secrets" and frame.f_code.co_name == "_from_command"
            )
        frame = frame.f_back
    return False


def _wrap_popen() -> None:
    def popen_init(original):
        def scanned(self, args, *rest, **kwargs):
            with timed():
                argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
                text = "\0".join(
                    os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in argv
                )
                if REGISTRY.find(text, fixed=False) and _started_by_csauth(sys._getframe(1)):
                    REGISTRY.scan(
                        f"the argv of a child process csauth started ({Path(str(argv[0])).name})",
                        text,
                        fixed=False,
                    )
                else:
                    REGISTRY.scanned += 1
            original(self, args, *rest, **kwargs)

        return scanned

    _patch(subprocess.Popen, "__init__", popen_init)


class _LogScanner(logging.Handler):
    """Sees every record of every logger (the root logger is set to DEBUG for the run)."""

    def emit(self, record: logging.LogRecord) -> None:
        with timed():
            try:
                text = record.getMessage()
            except Exception:  # a broken format string is the logger's problem, not ours
                text = str(record.msg)
            if record.exc_info and record.exc_info[1] is not None:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            REGISTRY.scan(
                f"a {record.levelname} record of logger '{record.name}'", text, fixed=False
            )


def _log_everything() -> None:
    root = logging.getLogger()
    handler = _LogScanner(logging.DEBUG)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    STATE.undo.append(lambda: (root.removeHandler(handler), root.setLevel(level)))


def _keep_pytest_log_capture_at_warning(config: pytest.Config) -> None:
    """The root logger now passes DEBUG records: pytest's own capture handlers keep to
    what they showed before (WARNING and up), unless --log-level / log_level says more.
    caplog.set_level / at_level still lower them for the test that asks."""
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    if plugin is None:
        return
    if getattr(plugin, "log_level", None) is None:
        for name in ("caplog_handler", "report_handler"):
            handler = getattr(plugin, name, None)
            if handler is not None:
                handler.setLevel(logging.WARNING)
    if getattr(plugin, "log_file_level", None) is None:
        handler = getattr(plugin, "log_file_handler", None)
        if handler is not None:
            handler.setLevel(logging.WARNING)


def _track_demo_and_module_sentinels() -> None:
    from csauth_tui.fake.demo import DEMO_CREDENTIALS

    for cred in DEMO_CREDENTIALS:
        REGISTRY.add(REGISTRY.secrets, cred.client_secret, f"the demo secret of {cred.client_id!r}")
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(str(TESTS_DIR)):
            continue
        for attr, value in list(vars(module).items()):
            if attr.startswith("__"):
                continue
            for found in _strings(value, depth=2):
                # a sentinel is one word ("sentinel-ui-prod-secret-9d41c7"), not a document
                if (
                    "sentinel" in found.lower()
                    and len(found) <= 200
                    and not any(c.isspace() for c in found)
                ):
                    origin = f"{name}.{attr}"
                    if "token" in found.lower() or re.search(r"TOKEN|ACCESS|JWT", attr):
                        origin += TOKEN_SENTINEL
                    REGISTRY.add(REGISTRY.fixed, found, origin)


def _strings(value: Any, depth: int) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif depth > 0 and isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from _strings(item, depth - 1)
    elif depth > 0 and isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, depth - 1)
            yield from _strings(item, depth - 1)


# --- hooks ----------------------------------------------------------------------------

_ENV_KEY = pytest.StashKey[tuple]()


def pytest_configure(config: pytest.Config) -> None:
    _wrap_fakes()
    _wrap_errors()
    _wrap_atomic_write()
    _wrap_popen()
    _wrap_held_values()
    _log_everything()


def pytest_unconfigure(config: pytest.Config) -> None:
    while STATE.undo:
        STATE.undo.pop()()


def pytest_sessionstart(session: pytest.Session) -> None:
    _keep_pytest_log_capture_at_warning(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    with timed():
        _track_demo_and_module_sentinels()
        STATE.session_hits += STATE.take()  # anything that leaked while collecting


def _remember_env(item: pytest.Item) -> None:
    item.stash[_ENV_KEY] = (os.environ.get("CSAUTH_CONFIG"), os.environ.get("CSAUTH_CACHE_DIR"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    STATE.session_hits += STATE.take()  # leaked between tests (a thread of the last one)
    STATE.written.clear()
    REGISTRY.new_test()
    try:
        return (yield)
    finally:
        _remember_env(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    try:
        return (yield)
    finally:
        _remember_env(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    with timed():
        if report.when == "teardown" and _ENV_KEY in item.stash:
            teardown_files(*item.stash[_ENV_KEY])
        sections = []
        for title, content in report.sections:
            if title.endswith(f" {report.when}"):  # earlier phases' were scanned already
                REGISTRY.scan(title.lower(), content)
            if REGISTRY.find(content):  # but every report carries them all: redact each
                content = REGISTRY.redact(content)
            sections.append((title, content))
        report.sections = sections
        if report.failed and report.longrepr is not None:
            text = report.longreprtext
            if REGISTRY.scan("the failure report", text):
                text = REGISTRY.redact(text)
            pieces = REGISTRY.truncated(text)
            REGISTRY.report(_unique(Hit("the failure report", o) for _, _, o in pieces))
            if text != report.longreprtext or pieces:
                report.longrepr = _masked(text, pieces)
        elif report.skipped:  # what -rs / -rx print: the reason
            reason = getattr(report, "wasxfail", None)
            if reason is None and isinstance(report.longrepr, tuple):
                reason = report.longrepr[2]
            REGISTRY.scan("the skip / xfail reason", str(reason or ""))
        hits = STATE.take()
        if hits and report.skipped and hasattr(report, "wasxfail"):
            # a test that xfailed may document a known leak: reported at the end, not
            # failed. One that passed (XPASS) also carries wasxfail: its hits fail it.
            STATE.known += [Hit(f"{hit.where} (xfail {item.nodeid})", hit.what) for hit in hits]
        elif hits:
            _fail(report, hits)
    return report


def _fail(report: pytest.TestReport, hits: list[Hit]) -> None:
    lines = [
        "leakscan: a secret or token got out, or a file csauth wrote is not private "
        "(values not shown):"
    ]
    lines += [f"  - {hit}" for hit in hits]
    message = "\n".join(lines)
    if report.failed and report.longrepr is not None:
        report.longrepr = f"{report.longreprtext}\n\n{message}"
    else:
        report.outcome = "failed"
        report.longrepr = message


def scan_svgs() -> None:
    """The snapshot SVGs and the README screenshots: no tracked string, no JWT."""
    for directory in SVG_DIRS:
        for svg in sorted(directory.rglob("*.svg")) if directory.is_dir() else []:
            try:
                text = svg.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            REGISTRY.scan(f"{svg.relative_to(REPO)}", text)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    with timed():
        scan_svgs()  # and the test ids, now that every secret of the run is known
        REGISTRY.scan("the test ids", "\n".join(item.nodeid for item in session.items))
        STATE.session_hits = _unique(STATE.session_hits + STATE.take())
    figures.count(AREA, "sentinel strings tracked", REGISTRY.size)
    figures.count(AREA, "outputs scanned", REGISTRY.scanned)
    known = {(hit.what, hit.where.split(" (xfail ")[0]) for hit in STATE.known}
    hits = [hit for hit in _unique(REGISTRY.hits) if (hit.what, hit.where) not in known]
    figures.count(AREA, "sentinel hits", len(hits))
    figures.count(AREA, "known leaks (in xfail tests)", len(_unique(STATE.known)))
    dropped = REGISTRY.secrets.dropped + REGISTRY.fixed.dropped
    if dropped:  # the fakes' and modules' strings are kept for the whole session: capped
        figures.count(AREA, "strings past the tracking limit (not tracked)", dropped)
    if STATE.session_hits and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    write = terminalreporter.write_line
    if STATE.session_hits:
        terminalreporter.section("leakscan: secrets or tokens outside any one test", red=True)
        for hit in STATE.session_hits:
            write(f"  - {hit}")
    if STATE.known:
        terminalreporter.section("leakscan: known leaks, in xfail tests", yellow=True)
        for hit in _unique(STATE.known):
            write(f"  - {hit}")
    if STATE.not_wrapped:
        write(
            f"leakscan: could not wrap {', '.join(STATE.not_wrapped)} (renamed?): "
            "those strings are not tracked"
        )
    if os.environ.get("CSAUTH_LEAKSCAN_TIMING"):
        write(
            f"leakscan: {STATE.seconds:.2f} s in its own checks, {REGISTRY.scanned:,} "
            f"outputs scanned; tracked: {len(REGISTRY.secrets.values)} fake/demo secrets, "
            f"{len(REGISTRY.fixed.values)} module sentinels, {len(REGISTRY.tokens)} issued "
            f"tokens, {REGISTRY.held_total + len(REGISTRY.held.values)} held values"
        )
