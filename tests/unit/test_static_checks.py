"""Static checks `make test` enforces, each run as its own tool would run it, with the
project's configuration (pyproject.toml): mypy, ruff (lint and format) and import-linter's
contracts. One test per tool: another is one more entry of CHECKS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# name -> the command, run from the project's root; the tool reads its settings from
# pyproject.toml (mypy: strict on csauth_tui/core, its defaults elsewhere)
LINTED = ["csauth_tui", "tests", "bench", "tools"]
CHECKS = {
    "mypy": [sys.executable, "-m", "mypy"],
    "ruff check": [sys.executable, "-m", "ruff", "check", *LINTED],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", *LINTED],
    # the layers: core -> no Textual/ui/cli/fake, fake -> no ui, ui -> no cli
    "import-linter": [str(Path(sys.executable).with_name("lint-imports"))],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_static_check_is_clean(name):
    command = CHECKS[name]
    found = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert found.returncode == 0, (
        f"`{' '.join(command[2:] or command)}` found problems:\n{found.stdout}{found.stderr}"
    )


def test_mypy_is_strict_on_the_core_only(tmp_path):
    """The core's strictness is configured, not assumed: the same unannotated function
    fails the check in a core module and passes outside it."""
    package = tmp_path / "csauth_tui"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    probe = "def twice(x):\n    return x * 2\n"
    (package / "core" / "probe.py").write_text(probe)
    (package / "elsewhere.py").write_text(probe)
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "csauth_tui/core/probe.py",
            "csauth_tui/elsewhere.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (
        "csauth_tui/core/probe.py:1: error: Function is missing a type annotation" in found.stdout
    )
    assert "elsewhere.py" not in found.stdout
