"""Child processes for test_durability.py: each one saves through the real ProfileStore.

    python -m tests.reliability.save_worker loop PATH START PHASE_FILE [PAUSE_POINT SAVE_NO]
        saves versions START+1, START+2, ... until killed; prints "started", then
        "saved K" after each save. With PAUSE_POINT it stops at that point of its
        SAVE_NO-th save, prints "paused", and waits to be killed.
    python -m tests.reliability.save_worker churn PATH WRITER ROUNDS
        prints "ready", waits for a line on stdin, then runs churn_ops(WRITER, ROUNDS).
    python -m tests.reliability.save_worker save PATH OP
        one save; prints {"error": ..., "message": ...} as JSON.
    python -m tests.reliability.save_worker fill-and-save DIR OP
        writes ORIGINAL in DIR, fills DIR's file system, then `save` (for a tiny tmpfs).

Every version the loop saves is a pure function of its number (`expected_data`), so the
parent can tell exactly which version a file holds after a kill.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from csauth_tui.core import fsutil
from csauth_tui.core.errors import CsauthError
from csauth_tui.core.store import ProfileStore
from tests.files import HandleStandIn

ORIGINAL = """\
# csauth profiles, kept by hand: this comment must survive every save.

[settings]
renew_before_seconds = 600  # ten minutes
token_cache = true

[profiles.steady]  # never touched by the loop
client_id = "steady-client"
scopes = ["metrics"]
description = "left alone"

[profiles.q-1]
client_id = "seed-client"
description = "the first profile the loop removes"

[profiles.shared-0]
client_id = "shared-client-0"

[profiles.shared-1]
client_id = "shared-client-1"
"""
FIRST_LINE = ORIGINAL.splitlines()[0]
BASE_DATA: dict[str, Any] = {
    "settings": {"renew_before_seconds": 600, "token_cache": True},
    "profiles": {
        "steady": {
            "client_id": "steady-client",
            "scopes": ["metrics"],
            "description": "left alone",
        },
        "q-1": {"client_id": "seed-client", "description": "the first profile the loop removes"},
        "shared-0": {"client_id": "shared-client-0"},
        "shared-1": {"client_id": "shared-client-1"},
    },
}

# --- the save loop: version K is a pure function of K -----------------------------------
# Saves come in cycles of five (cycle c, step 0..4), so add, add_many, update, rename,
# set_setting and remove all run and the file stays small:
#   0: add p{c} (add_many when c is odd)   1: update p{c}   2: rename p{c} -> q{c}
#   3: set renew_before_seconds = K         4: remove q{c-1} (q-1 is in ORIGINAL)


def save_version(store: ProfileStore, k: int) -> None:
    cycle, step = divmod(k - 1, 5)
    name = f"p{cycle}"
    if step == 0:
        fields = {"client_id": f"client-{cycle}", "description": f"added in save {k}"}
        if cycle % 2:
            store.add_many([(name, fields)])
        else:
            store.add(name, fields)
    elif step == 1:
        store.update(name, {"description": f"edited in save {k}", "project_id": k})
    elif step == 2:
        store.rename(name, f"q{cycle}")
    elif step == 3:
        store.set_setting("renew_before_seconds", k)
    else:
        store.remove(f"q{cycle - 1}")


def _finished(cycle: int) -> dict[str, Any]:
    if cycle == -1:
        return BASE_DATA["profiles"]["q-1"]
    k = 5 * cycle + 2
    return {"client_id": f"client-{cycle}", "description": f"edited in save {k}", "project_id": k}


def expected_data(k: int) -> dict[str, Any]:
    """What tomllib reads from the file once save K is done (K = 0: ORIGINAL)."""
    data = copy.deepcopy(BASE_DATA)
    if k == 0:
        return data
    last_setting = k - (k + 1) % 5  # saves 4, 9, 14, ... set renew_before_seconds
    if last_setting >= 4:
        data["settings"]["renew_before_seconds"] = last_setting
    cycle, step = divmod(k - 1, 5)
    del data["profiles"]["q-1"]
    if step < 4:
        data["profiles"][f"q{cycle - 1}"] = _finished(cycle - 1)
    if step == 0:
        data["profiles"][f"p{cycle}"] = {
            "client_id": f"client-{cycle}",
            "description": f"added in save {k}",
        }
    else:
        data["profiles"][f"p{cycle}" if step == 1 else f"q{cycle}"] = _finished(cycle)
    return data


# Where a paused child stops, and which version the file must then hold.
PAUSE_POINTS = {
    "lock held, nothing written yet": "old",
    "temp file created, empty": "old",
    "temp file half written": "old",
    "written, before fsync": "old",
    "fsynced, before rename": "old",
    "renamed, before directory fsync": "new",
    "lock held, file replaced": "new",
}


class Probe:
    """Wraps the functions a save goes through to record which phase it is in (in
    PHASE_FILE, for the parent to read after the kill) and, if asked, to stop at a point."""

    def __init__(self, phase_file: Path, pause_point: str | None, pause_save: int) -> None:
        self.fd = os.open(phase_file, os.O_RDWR | os.O_CREAT, 0o600)
        self.pause_point, self.pause_save = pause_point, pause_save
        self.save_no = 0
        self.renamed = False

    def phase(self, name: str) -> None:
        os.pwrite(self.fd, name.encode().ljust(64), 0)

    def maybe_pause(self, point: str) -> None:
        if point == self.pause_point and self.save_no == self.pause_save:
            print("paused", flush=True)
            time.sleep(120)  # the parent kills us here
            sys.exit("paused child was not killed")

    def install(self) -> None:
        real_lock, real_mkstemp = fsutil.file_lock, tempfile.mkstemp
        real_fdopen, real_fsync, real_replace = os.fdopen, os.fsync, os.replace
        probe = self

        @contextlib.contextmanager
        def file_lock(target, *args, **kwargs):
            probe.save_no += 1
            probe.renamed = False
            probe.phase("lock, read, compose")
            with real_lock(target, *args, **kwargs):
                probe.maybe_pause("lock held, nothing written yet")
                yield
                probe.maybe_pause("lock held, file replaced")
            probe.phase("outside the lock")

        def mkstemp(*args, **kwargs):
            probe.phase("writing the temp file")
            made = real_mkstemp(*args, **kwargs)
            probe.maybe_pause("temp file created, empty")
            return made

        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)
            if probe.pause_point == "temp file half written":
                return _HalfThenPause(handle, probe)
            return handle

        def fsync(fd):
            if probe.renamed:
                probe.phase("fsync of the directory")
            else:
                probe.maybe_pause("written, before fsync")
                probe.phase("fsync of the temp file")
            return real_fsync(fd)

        def replace(src, dst, **kwargs):
            probe.maybe_pause("fsynced, before rename")
            probe.phase("rename")
            real_replace(src, dst, **kwargs)
            probe.renamed = True
            probe.maybe_pause("renamed, before directory fsync")

        fsutil.file_lock, tempfile.mkstemp = file_lock, mkstemp
        os.fdopen, os.fsync, os.replace = fdopen, fsync, replace


class _HalfThenPause(HandleStandIn):
    """The temp file's handle: the first half reaches the file, then the child stops."""

    def __init__(self, handle, probe: Probe) -> None:
        super().__init__(handle)
        self.probe = probe

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self.handle.write(data[:half])
        self.handle.flush()
        self.probe.maybe_pause("temp file half written")
        return half + self.handle.write(data[half:])


def loop(
    path: Path, start: int, phase_file: Path, pause_point: str | None, pause_save: int
) -> None:
    probe = Probe(phase_file, pause_point, pause_save)
    probe.install()
    probe.phase("starting")
    store = ProfileStore(path)
    print("started", flush=True)
    deadline = time.monotonic() + 120  # never outlive a parent that forgot us
    k = start
    while time.monotonic() < deadline:
        k += 1
        save_version(store, k)
        print(f"saved {k}", flush=True)
    sys.exit("never killed")


# --- several writers at once ------------------------------------------------------------
# Writer i adds and edits its own profiles, and edits field FIELDS[i] of the shared
# profiles and setting SETTINGS[i]: no two writers touch the same key, so the end state is
# exactly every writer's operations applied in any order.

FIELDS = ("description", "project_id", "created", "auth_url")
SETTINGS = ("clipboard_clear_seconds", "renew_before_seconds", "ca_bundle", "token_cache")
MAX_WRITERS = len(FIELDS)


def _field_value(field: str, writer: int, rnd: int) -> Any:
    return {
        "description": f"writer {writer}, round {rnd}",
        "project_id": 1000 * (writer + 1) + rnd,
        "created": dt.date(2025, 1, 1) + dt.timedelta(days=rnd),
        "auth_url": f"https://auth-{rnd}.example.com",
        "clipboard_clear_seconds": rnd,
        "renew_before_seconds": 60 + rnd,
        "ca_bundle": f"/etc/ssl/ca-{rnd}.pem",
        "token_cache": rnd % 2 == 0,
    }[field]


class Model:
    """The profiles file's data, changed the way each store operation means to change it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = copy.deepcopy(data)

    @property
    def profiles(self) -> dict[str, Any]:
        return self.data.setdefault("profiles", {})

    def apply(self, op: str, *args: Any) -> None:
        if op == "add":
            name, fields = args
            self.profiles[name] = dict(fields)
        elif op == "add_many":
            for name, fields in args[0]:
                self.profiles[name] = dict(fields)
        elif op == "update":
            name, changes = args
            self.profiles[name].update(changes)
        elif op == "rename":
            old, new = args
            self.profiles[new] = self.profiles.pop(old)
        elif op == "remove":
            del self.profiles[args[0]]
        elif op == "set_setting":
            key, value = args
            self.data.setdefault("settings", {})[key] = value
        else:
            raise ValueError(op)


def churn_ops(writer: int, rounds: int) -> list[tuple[Any, ...]]:
    """Writer's operations: per round an add (add_many every fifth), a shared-field edit,
    a setting, an edit of its own profile; a rename every third, a remove every fourth."""
    own = Model(BASE_DATA)  # only to know the current names of this writer's profiles
    ops: list[tuple[Any, ...]] = []

    def do(*op: Any) -> None:
        own.apply(*op)
        ops.append(op)

    for rnd in range(rounds):
        name = f"own-{writer}-{rnd}"
        fields = {"client_id": f"client-{writer}-{rnd}"}
        if rnd % 5 == 4:
            do("add_many", [(name, fields), (f"{name}-b", {"client_id": f"b-{writer}-{rnd}"})])
        else:
            do("add", name, fields)
        field = FIELDS[writer]
        do("update", f"shared-{rnd % 2}", {field: _field_value(field, writer, rnd)})
        do("set_setting", SETTINGS[writer], _field_value(SETTINGS[writer], writer, rnd))
        do("update", name, {"description": f"mine, round {rnd}"})
        if rnd % 3 == 2:
            do("rename", name, f"moved-{writer}-{rnd}")
        if rnd % 4 == 3:
            oldest = next(n for n in own.profiles if n.startswith(("own-", "moved-")))
            do("remove", oldest)
    return ops


def churn(path: Path, writer: int, rounds: int) -> None:
    ops = churn_ops(writer, rounds)
    store = ProfileStore(path)
    print("ready", flush=True)
    sys.stdin.readline()  # the barrier: the parent writes one line to every writer at once
    for op, *args in ops:
        getattr(store, op)(*args)
    print(f"done {len(ops)}", flush=True)


# --- one save that is expected to fail ----------------------------------------------------

SAVES = {
    "add": lambda s: s.add("added", {"client_id": "added-client"}),
    "update": lambda s: s.update("steady", {"description": "changed"}),
    "remove": lambda s: s.remove("steady"),
    "rename": lambda s: s.rename("steady", "renamed"),
    "set_setting": lambda s: s.set_setting("token_cache", False),
}


def save(path: Path, op: str) -> dict[str, Any]:
    try:
        SAVES[op](ProfileStore(path))
    except CsauthError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None, "message": ""}


def fill_and_save(directory: Path, op: str) -> dict[str, Any]:
    path = directory / "profiles.toml"
    path.write_text(ORIGINAL)
    path.chmod(0o600)
    filled = 0
    with open(directory / "filler", "wb", buffering=0) as filler:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    filled += filler.write(b"\0" * chunk)
    result = save(path, op)
    result["filled_bytes"] = filled
    result["after"] = path.read_text()
    result["listing"] = sorted(os.listdir(directory))
    result["path"] = str(path)
    return result


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "loop":
        path, start, phase_file, *pause = args
        loop(
            Path(path),
            int(start),
            Path(phase_file),
            pause[0] if pause else None,
            int(pause[1]) if pause else 0,
        )
    elif command == "churn":
        path, writer, rounds = args
        churn(Path(path), int(writer), int(rounds))
    elif command == "save":
        print(json.dumps(save(Path(args[0]), args[1])))
    elif command == "fill-and-save":
        print(json.dumps(fill_and_save(Path(args[0]), args[1])))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
