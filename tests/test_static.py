"""ruff and mypy, as configured in pyproject.toml, are clean: the test command runs them, so CI does.

Each runs as a subprocess of this Python (the test extras install both), from the repository root so
it reads pyproject.toml; a failure shows their own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=600
    )


def test_ruff_is_clean_on_the_package_tests_and_benchmarks():
    done = _run("ruff", "check", "--no-cache", "policyengine", "tests", "benchmarks")
    assert done.returncode == 0, f"ruff check found problems:\n{done.stdout}{done.stderr}"


def test_mypy_is_clean_on_the_package():
    # The files to check, strictness and the pydantic plugin all come from [tool.mypy] in pyproject.toml.
    done = _run("mypy")
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"


def test_the_checks_fail_on_code_broken_on_purpose(tmp_path):
    """The configuration is in force: ruff reads its rule selection, mypy its strictness."""
    late = "fns = []\nfor i in range(3):\n    fns.append(lambda: i)\n"  # every lambda sees the last i
    done = _run("ruff", "check", "--no-cache", "--stdin-filename", "policyengine/_broken.py", "-", stdin=late)
    assert done.returncode == 1 and "B023" in done.stdout, done.stdout + done.stderr

    # policyengine/__init__.py as it is, plus one function without annotations: strict mypy refuses
    # it, and nothing else.
    init = ROOT / "policyengine" / "__init__.py"
    broken = tmp_path / "__init__.py"
    broken.write_text(init.read_text(encoding="utf-8") + "\n\ndef untyped(visit):\n    return visit\n", encoding="utf-8")
    done = _run("mypy", "--shadow-file", str(init), str(broken))
    line = len(init.read_text(encoding="utf-8").splitlines()) + 3
    expected = f"policyengine/__init__.py:{line}: error: Function is missing a type annotation  [no-untyped-def]"
    assert done.returncode == 1 and expected in done.stdout.splitlines(), done.stdout + done.stderr
    assert "Found 1 error in 1 file" in done.stdout, done.stdout
