"""Never lose data: kill -9 mid-save, several writers at once, and writes that fail.

The saving happens in child processes running tests/reliability/save_worker.py through the
real ProfileStore; this file judges what is left on disk the way a user would (the file
parses, holds one whole version, is private; nothing stray is left beside it).
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from csauth_tui.core import fsutil, profiles
from csauth_tui.core.errors import CsauthError
from csauth_tui.core.store import ProfileStore
from tests import figures
from tests.files import HandleStandIn, mode
from tests.reliability import save_worker
from tests.reliability.save_worker import ORIGINAL, PAUSE_POINTS, expected_data

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "tests.reliability.save_worker"]
AREA = "durability"
WRITE_FAILURE = "write failures: clear error, old file intact"
STEADY_TABLE = ORIGINAL[ORIGINAL.index("[profiles.steady]") : ORIGINAL.index("[profiles.q-1]")]


def worker_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def temp_files(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.name.endswith(fsutil.TEMP_SUFFIX)}


# --- kill -9 during saves -----------------------------------------------------------------


def kill_round(path: Path, start: int, rng: random.Random, pause_point: str | None):
    """One fresh child saving versions start+1, ...; SIGKILL after a random delay, or once
    it stopped at `pause_point`. Returns (saved versions, the pause's save number, phase)."""
    phase_file = path.parent.parent / "phase"
    pause_save = rng.randint(1, 4)
    args = [str(path), str(start), str(phase_file)]
    if pause_point:
        args += [pause_point, str(pause_save)]
    child = subprocess.Popen(
        [*WORKER, "loop", *args],
        cwd=REPO,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, child.kill)
    watchdog.start()
    try:
        assert child.stdout.readline() == "started\n", child.communicate()[1]
        if pause_point:
            line = child.stdout.readline()
            while line.startswith("saved "):
                line = child.stdout.readline()
            assert line == "paused\n", f"child never paused: {line!r} {child.stderr.read()}"
        else:
            # a save takes a few milliseconds: this spreads kills over the first few saves
            time.sleep(rng.uniform(0, 0.03))
        os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate()
    finally:
        watchdog.cancel()
    assert child.returncode == -signal.SIGKILL, err
    saved = [int(line.split()[1]) for line in out.splitlines() if line.startswith("saved ")]
    phase = phase_file.read_text().strip() if phase_file.exists() else "starting"
    return saved, start + pause_save, phase


def version_problems(path: Path, candidates: list[int]) -> tuple[int | None, list[str]]:
    """Which of `candidates` the file holds, judged by tomllib and the project's loader."""
    text = path.read_text()
    try:
        data = tomllib.loads(text)
        loaded = profiles.load(path)
    except (tomllib.TOMLDecodeError, CsauthError) as exc:
        return None, [f"the file does not parse: {exc}"]
    found = next((k for k in candidates if data == expected_data(k)), None)
    if found is None:
        return None, [f"the file is none of versions {candidates}"]
    problems = []
    if any(p.severity == "error" for p in loaded.problems):
        problems.append(f"the loader reports {loaded.problems}")
    if set(loaded.profiles) != set(expected_data(found)["profiles"]):
        problems.append(f"the loader sees profiles {sorted(loaded.profiles)}")
    if not text.startswith(save_worker.FIRST_LINE):
        problems.append("the hand-written comment at the top is gone")
    return found, problems


def test_kill_9_during_saves_leaves_the_old_or_the_new_version(tmp_path):
    path = tmp_path / "conf" / "profiles.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(ORIGINAL)
    path.chmod(0o644)  # every save must leave it 0600
    seed = int(os.environ.get("CSAUTH_DURABILITY_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    points = list(PAUSE_POINTS)
    version, left_before, highest = 0, set(), 0
    for round_no in range(figures.scale(30, 300)):
        # even rounds: a kill at a random moment; odd rounds: at each point of a save in turn
        pause_point = None if round_no % 2 == 0 else points[(round_no // 2) % len(points)]
        saved, paused_save, phase = kill_round(path, version, rng, pause_point)
        if pause_point:
            side = PAUSE_POINTS[pause_point]
            candidates = [paused_save - 1 if side == "old" else paused_save]
        else:
            last = saved[-1] if saved else version
            candidates = [last, last + 1]
        highest = max(highest, *candidates, *saved)
        found, problems = version_problems(path, candidates)
        left = temp_files(path.parent)
        if len(left) > 1:
            problems.append(f"temp files pile up: {sorted(left)}")
        if saved and left & left_before:
            problems.append(f"a later save did not clean up {sorted(left & left_before)}")
        others = {p.name for p in path.parent.iterdir()} - left
        if not {"profiles.toml"} <= others <= {"profiles.toml", "profiles.toml.lock"}:
            problems.append(f"unexpected files: {sorted(others)}")
        if found and mode(path) != 0o600:
            problems.append(f"mode {oct(mode(path))} after a save")
        figures.outcome(AREA, "kill -9 during save: file intact", not problems)
        figures.count(AREA, f"kill -9 landed: {phase}")
        assert not problems, (
            f"seed {seed}, round {round_no}, killed at {pause_point or phase}, "
            f"saves reported {saved[-3:]}: {problems}"
        )
        version, left_before = found, left
    # a file is told apart by its data alone: every version this run met must differ
    assert versions_all_differ(highest + 1), f"two of versions 0..{highest + 1} are equal"

    # the next save after all that: the right version, private, and nothing left over
    save_worker.save_version(ProfileStore(path), version + 1)
    assert tomllib.loads(path.read_text()) == expected_data(version + 1)
    assert temp_files(path.parent) == set()
    assert mode(path) == 0o600


# --- several writers at once ------------------------------------------------------------


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_writers_keep_every_change(tmp_path, writers):
    path = tmp_path / "conf" / "profiles.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(ORIGINAL)
    rounds = figures.scale(12, 40)
    children = [
        subprocess.Popen(
            [*WORKER, "churn", str(path), str(i), str(rounds)],
            cwd=REPO,
            env=worker_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(writers)
    ]
    for child in children:
        assert child.stdout.readline() == "ready\n", child.communicate()[1]
    for child in children:  # the barrier: everyone starts as soon as it reads this line
        child.stdin.write("go\n")
        child.stdin.flush()
    failures = []
    for i, child in enumerate(children):
        out, err = child.communicate(timeout=300)
        if child.returncode != 0:
            failures.append(f"writer {i} failed: {err.strip().splitlines()[-1:]}")

    expected = save_worker.Model(save_worker.BASE_DATA)
    edits = 0
    for i in range(writers):
        ops = save_worker.churn_ops(i, rounds)
        edits += len(ops)
        for op in ops:
            expected.apply(*op)
    text = path.read_text()
    data = tomllib.loads(text)
    missing = {name for name in expected.profiles if name not in data.get("profiles", {})}
    wrong = {
        name
        for name, fields in expected.profiles.items()
        if name not in missing and data["profiles"][name] != fields
    }
    untouched = STEADY_TABLE in text and text.startswith(save_worker.FIRST_LINE)
    ok = not failures and data == expected.data and untouched
    figures.outcome(AREA, f"{writers} processes: every change kept", ok)
    figures.count(AREA, "concurrent edits checked", edits)
    assert not failures
    assert not missing, f"profiles lost: {sorted(missing)}"
    assert not wrong, {name: (data["profiles"][name], expected.profiles[name]) for name in wrong}
    assert data.get("settings") == expected.data["settings"]
    assert data == expected.data
    assert untouched, "the hand-written comment or the untouched table changed"
    assert not [p for p in profiles.load(path).problems if p.severity == "error"]
    assert temp_files(path.parent) == set()


# --- writes that fail: the old file stays, the error says why ----------------------------


def failure_problems(
    result: dict, names: Path, reason: str, before: bytes, after: bytes, left: set[str]
) -> list[str]:
    """What a user would hold against a failed save: a vague or missing error, a changed
    file, or debris left beside it."""
    problems = []
    if result["error"] is None:
        problems.append("the save did not fail")
    message = result["message"]
    if str(names) not in message and str(names.resolve()) not in message:
        problems.append(f"the message does not name {names}: {message!r}")
    if reason not in message:
        problems.append(f"the message does not say {reason!r}: {message!r}")
    if "\n" in message or "Traceback" in message:
        problems.append(f"not one clear line: {message!r}")
    if after != before:
        problems.append("the old file changed")
    if left:
        problems.append(f"temp files left behind: {sorted(left)}")
    return problems


def save_in_process(path: Path, op: str) -> dict:
    try:
        save_worker.SAVES[op](ProfileStore(path))
    except CsauthError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None, "message": ""}


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FillsUpHalfway(HandleStandIn):
    """The temp file's handle on a disk that fills up: half the data lands, then ENOSPC."""

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise _no_space()


def _fail_mkstemp(monkeypatch):
    def mkstemp(*args, **kwargs):
        raise _no_space()

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def _fail_write(monkeypatch):
    real = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _FillsUpHalfway(real(fd, *a, **k)))


def _fail_fsync(monkeypatch):  # delayed allocation: the space runs out at fsync
    def fsync(fd):
        raise _no_space()

    monkeypatch.setattr(os, "fsync", fsync)


def _fail_rename(monkeypatch):  # the directory needs a new block for the entry
    def replace(src, dst, **kwargs):
        raise _no_space()

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize(
    ("fault", "op"),
    [
        (_fail_mkstemp, "add"),
        (_fail_write, "update"),
        (_fail_fsync, "rename"),
        (_fail_rename, "remove"),
    ],
    ids=["creating-temp", "mid-write", "fsync", "rename"],
)
def test_disk_full_injected_keeps_the_old_file(tmp_path, monkeypatch, fault, op):
    """ENOSPC injected in-process where each system call of a save can meet it."""
    path = tmp_path / "conf" / "profiles.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(ORIGINAL)
    before = path.read_bytes()
    fault(monkeypatch)
    result = save_in_process(path, op)
    monkeypatch.undo()
    problems = failure_problems(
        result, path, "No space left on device", before, path.read_bytes(), temp_files(path.parent)
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems
    # once there is room again, the same save works: the lock was released
    assert save_in_process(path, op) == {"error": None, "message": ""}


def test_file_size_limit_fails_the_write_for_real(tmp_path):
    """ulimit -f: the kernel itself refuses the write halfway (EFBIG), no privileges needed."""
    import resource

    path = tmp_path / "conf" / "profiles.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(ORIGINAL)
    before = path.read_bytes()

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill us
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before), len(before)))

    run = subprocess.run(
        [*WORKER, "save", str(path), "add"],
        cwd=REPO,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit_file_size,
    )
    assert run.returncode == 0, run.stderr
    problems = failure_problems(
        json.loads(run.stdout),
        path,
        "File too large",
        before,
        path.read_bytes(),
        temp_files(path.parent),
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


def _in_mount_namespace(shell: str, *args: str) -> list[str]:
    return ["unshare", "--mount", "sh", "-c", shell, "sh", *args]


def _mounting_works(tmp_path: Path) -> str | None:
    """None when this process may mount in a private mount namespace; else why not."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = tmp_path / "mount-probe"
    probe.mkdir()
    run = subprocess.run(
        _in_mount_namespace('mount -t tmpfs -o size=4k tmpfs "$1"', str(probe)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    return None if run.returncode == 0 else f"cannot mount here: {run.stderr.strip()}"


def test_a_really_full_tmpfs_keeps_the_old_file(tmp_path):
    why_not = _mounting_works(tmp_path)
    if why_not:
        pytest.skip(f"{why_not} (test_disk_full_injected_keeps_the_old_file covers ENOSPC)")
    directory = tmp_path / "tiny"
    directory.mkdir()
    run = subprocess.run(
        _in_mount_namespace(
            'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$1" && shift && exec "$@"',
            str(directory),
            *WORKER,
            "fill-and-save",
            str(directory),
            "add",
        ),
        cwd=REPO,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["filled_bytes"] > 0
    left = {name for name in result["listing"] if name.endswith(fsutil.TEMP_SUFFIX)}
    problems = failure_problems(
        result,
        Path(result["path"]),
        "No space left on device",
        ORIGINAL.encode(),
        result["after"].encode(),
        left,
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


# Read-only: the mode bits do not stop root (CAP_DAC_OVERRIDE), and the tests run as root
# here and in CI. As root, the save runs in a child that drops CAP_DAC_OVERRIDE from its
# capability bounding set before exec: still uid 0, but now the kernel applies the mode
# bits to it the way it applies them to everybody else. That holds unless the capability
# is also inheritable or ambient (it then survives the exec): a child first reads its own
# effective set, and the test skips if the override is still there.

CAP_DAC_OVERRIDE = 1
PR_CAPBSET_DROP = 24
PRINT_CAP_EFF = (
    "print(next(line.split()[1] for line in open('/proc/self/status') "
    "if line.startswith('CapEff:')))"
)


def _drop_dac_override() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def _still_overrides_modes(preexec) -> str | None:
    """Why a child started with `preexec` would still ignore the mode bits, or None."""
    if not Path("/proc/self/status").exists():
        return None if os.geteuid() != 0 else "no /proc/self/status to check capabilities"
    run = subprocess.run(
        [sys.executable, "-c", PRINT_CAP_EFF],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec,
    )
    if run.returncode != 0:
        return f"cannot read the child's capabilities: {run.stderr.strip()}"
    if int(run.stdout, 16) >> CAP_DAC_OVERRIDE & 1:
        return (
            "the child keeps CAP_DAC_OVERRIDE in its effective set (inheritable or "
            "ambient here), so the mode bits cannot bind it"
        )
    return None


def run_bound_by_modes(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `command` so that permission bits bind it, even when we are root."""
    preexec = _drop_dac_override if os.geteuid() == 0 else None
    try:
        why_not = _still_overrides_modes(preexec)
        if why_not:
            pytest.skip(why_not)
        return subprocess.run(
            command,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=preexec,
        )
    except subprocess.SubprocessError as exc:  # the preexec_fn failed
        pytest.skip(f"cannot give up root's override of permission bits here: {exc}")


@pytest.fixture
def read_only_config(tmp_path):
    """Make conf/profiles.toml in a 0555 directory: call it with lock_file_exists."""
    directory = tmp_path / "conf"

    def make(lock_file_exists: bool) -> Path:
        directory.mkdir(mode=0o700)
        path = directory / "profiles.toml"
        path.write_text(ORIGINAL)
        path.chmod(0o600)
        if lock_file_exists:  # left by an earlier csauth run
            (directory / "profiles.toml.lock").touch(mode=0o600)
        directory.chmod(0o555)
        return path

    yield make
    if directory.exists():
        directory.chmod(0o700)


@pytest.mark.parametrize("op", ["add", "set_setting"])
@pytest.mark.parametrize("lock_file_exists", [False, True], ids=["no-lock-file", "lock-file"])
def test_a_read_only_directory_keeps_the_old_file(read_only_config, op, lock_file_exists):
    path = read_only_config(lock_file_exists)
    before = path.read_bytes()
    run = run_bound_by_modes([*WORKER, "save", str(path), op], worker_env())
    assert run.returncode == 0, run.stderr
    problems = failure_problems(
        json.loads(run.stdout),
        path,
        "Permission denied",
        before,
        path.read_bytes(),
        temp_files(path.parent),
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


def test_a_read_only_file_system_keeps_the_old_file(tmp_path):
    """A read-only bind mount: refuses root too (EROFS), unlike the mode bits."""
    why_not = _mounting_works(tmp_path)
    if why_not:
        pytest.skip(why_not)
    path = tmp_path / "conf" / "profiles.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(ORIGINAL)
    before = path.read_bytes()
    run = subprocess.run(
        _in_mount_namespace(
            'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
            str(path.parent),
            *WORKER,
            "save",
            str(path),
            "update",
        ),
        cwd=REPO,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    problems = failure_problems(
        json.loads(run.stdout),
        path,
        "Read-only file system",
        before,
        path.read_bytes(),
        temp_files(path.parent),
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


def test_a_directory_where_the_file_should_be(tmp_path):
    path = tmp_path / "conf" / "profiles.toml"
    path.mkdir(parents=True)
    (path / "inside").write_text("mine")
    result = save_in_process(path, "add")
    problems = failure_problems(
        result,
        path,
        "is a directory",
        b"mine",
        (path / "inside").read_bytes(),
        temp_files(path.parent),
    )
    if sorted(p.name for p in path.iterdir()) != ["inside"]:
        problems.append("the directory's content changed")
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


def test_a_file_where_the_config_directory_should_be(tmp_path):
    directory = tmp_path / "conf"
    directory.write_text(ORIGINAL)
    before = directory.read_bytes()
    result = save_in_process(directory / "profiles.toml", "add")
    problems = failure_problems(
        result, directory, "not a directory", before, directory.read_bytes(), temp_files(tmp_path)
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems


# --- the same through the CLI -------------------------------------------------------------


def csauth_command() -> list[str]:
    script = Path(sys.executable).with_name("csauth")
    return [str(script)] if script.exists() else [sys.executable, "-m", "csauth_tui.cli"]


@pytest.mark.parametrize(
    "argv",
    [
        [
            "add",
            "newone",
            "--level",
            "project",
            "--client-id",
            "new-client",
            "--secret",
            "env:NEW_SECRET",
        ],
        ["rm", "steady", "--keep-secret"],
    ],
    ids=["add", "rm"],
)
def test_the_cli_in_a_read_only_directory_says_so_in_one_line(read_only_config, argv):
    path = read_only_config(lock_file_exists=False)
    before = path.read_bytes()
    run = run_bound_by_modes(
        [*csauth_command(), *argv], {**worker_env(), "CSAUTH_CONFIG": str(path)}
    )
    lines = run.stderr.splitlines()
    problems = []
    if run.returncode != 3:
        problems.append(f"exit code {run.returncode}, not 3")
    if len(lines) != 1 or not lines[0].startswith("csauth: error: "):
        problems.append(f"not one error line: {run.stderr!r}")
    if "Traceback" in run.stderr:
        problems.append("a traceback")
    message = {"error": "cli", "message": lines[0] if lines else ""}
    problems += failure_problems(
        message, path, "Permission denied", before, path.read_bytes(), temp_files(path.parent)
    )
    figures.outcome(AREA, WRITE_FAILURE, not problems)
    assert not problems
    assert tomllib.loads(path.read_text()) == expected_data(0)


def versions_all_differ(upto: int) -> bool:
    """Are versions 0..upto all different data (so a file holds exactly one of them)?"""
    seen = [json.dumps(expected_data(k), sort_keys=True, default=str) for k in range(upto + 1)]
    return len(set(seen)) == len(seen)


def test_version_0_is_the_original_file():
    assert expected_data(0) == tomllib.loads(ORIGINAL)
