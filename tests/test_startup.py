"""Start-up: `import policyengine` and one command load only what they use (issue 15).

Each case runs in a fresh interpreter, since this process has long since imported everything. The
figures themselves are measured by benchmarks/bench.py, not here: these tests guard the laziness.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import policyengine

ROOT = Path(__file__).resolve().parent.parent

#: Modules a caller who only checks visits never needs at import.
NOT_AT_IMPORT = ("policyengine.monitor", "policyengine.cli", "policyengine.packs.witness", "holidays", "jinja2", "durable")


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object, returned here."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _loaded(prefixes: tuple[str, ...]) -> str:
    """Code printing which modules starting with one of ``prefixes`` are loaded."""
    return (f"import json, sys; print(json.dumps({{'loaded': sorted(m for m in sys.modules "
            f"if any(m == p or m.startswith(p + '.') for p in {list(prefixes)!r}))}}))")


def test_import_loads_no_optional_layer():
    found = _fresh("import policyengine; " + _loaded(NOT_AT_IMPORT))
    assert found["loaded"] == []


def test_lazy_names_still_import_and_list():
    found = _fresh(
        "import json, policyengine\n"
        "from policyengine import Monitor, due, SchoolCalendar\n"
        "from policyengine.monitor.monitor import Monitor as M\n"
        "print(json.dumps({'same': Monitor is M, 'due': callable(due), 'cal': SchoolCalendar.__name__,"
        " 'dir': sorted(set(policyengine.__all__) - set(dir(policyengine)))}))"
    )
    assert found == {"same": True, "due": True, "cal": "SchoolCalendar", "dir": []}


def test_every_public_name_resolves_and_unknown_names_raise():
    for name in policyengine.__all__:
        assert getattr(policyengine, name) is not None, name
    try:
        policyengine.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_one_command_imports_only_its_module():
    found = _fresh(
        "from policyengine.cli.main import main\n"
        "status = main(['check', 'examples/tcat-lone-first-visit.yaml', '--school', 'tcat'])\n"
        + _loaded(("policyengine.cli", "policyengine.monitor", "policyengine.packs.witness", "jinja2")).replace("'loaded'", "'status': status, 'loaded'")
    )
    assert found == {"status": 0, "loaded": ["policyengine.cli", "policyengine.cli.check", "policyengine.cli.main"]}


def test_help_still_lists_every_command():
    from policyengine.cli.main import COMMANDS

    done = subprocess.run([sys.executable, "-m", "policyengine", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in COMMANDS)
    wrong = subprocess.run([sys.executable, "-m", "policyengine", "chek"], capture_output=True, text=True, cwd=ROOT,
                           timeout=120)
    assert wrong.returncode == 2 and "invalid choice: 'chek'" in wrong.stderr and "'check'" in wrong.stderr
