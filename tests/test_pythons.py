"""Python 3.11 to 3.13: where durable-rules does not import (3.13), the python engine is the default,
every feature works, and asking for the durable engine is a clear error, never a traceback.

The missing durable-rules is simulated here (so these run on every Python); on 3.13 the whole suite
runs with it really missing (``.ci/run``'s second leg).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import policyengine
from policyengine import EngineUnavailableError, available_engines, check, check_many, default_engine
from policyengine.cli.main import main
from policyengine.engines import durable as _engine_durable
from tests.scenarios import TODAY
from tests.visits import arrived

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "tcat-lone-first-visit.yaml")


@pytest.fixture
def no_durable(monkeypatch):
    """This Python as 3.13 sees it: durable-rules not importable."""
    monkeypatch.setattr(_engine_durable, "_Host", None)
    monkeypatch.setattr(_engine_durable, "_IMPORT_ERROR", ImportError("No module named 'durable_rules_engine'"))


def test_the_engines_here_and_the_default():
    if _engine_durable.available():
        assert available_engines() == ("durable", "python") and default_engine() == "durable"
    else:
        assert available_engines() == ("python",) and default_engine() == "python"


def test_without_durable_rules_the_python_engine_decides_by_default(no_durable):
    assert available_engines() == ("python",) and default_engine() == "python"
    unsafe = arrived({"staff_feel_unsafe": True})
    assert check(unsafe, school="tcat", today=TODAY) == check(unsafe, school="tcat", engine="python", today=TODAY)
    assert check_many([unsafe], school="tcat", today=TODAY)[0].outcome.value == "blocked"


def test_without_durable_rules_asking_for_it_says_why_and_what_to_do(no_durable, capsys):
    with pytest.raises(EngineUnavailableError) as caught:
        check(arrived(), school="tcat", engine="durable")
    message = str(caught.value)
    assert "not available" in message and "No module named 'durable_rules_engine'" in message
    if sys.version_info >= (3, 13):
        assert "PyEval_CallObject" in message and "not released" in message
    assert "'python' engine" in message and "same decisions" in message
    assert isinstance(caught.value, policyengine.InputError)
    assert main(["check", EXAMPLE, "--school", "tcat", "--engine", "durable"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("--engine: the 'durable' engine is not available")
    assert "Traceback" not in err


def test_without_durable_rules_every_command_still_works(no_durable, capsys, tmp_path):
    assert main(["check", EXAMPLE, "--school", "tcat"]) == 0
    assert re.search(r"\b(CONDITIONAL|BLOCKED|PERMITTED):", capsys.readouterr().out.splitlines()[0])
    assert main(["test", "tcat"]) == 0
    source = tmp_path / "term.jsonl"
    source.write_text('{"purpose": "attendance", "start": "2026-11-23T10:00", "staff": [{"role": "dsl"}]}\n', encoding="utf-8")
    assert main(["audit", str(source), "--school", "tcat"]) == 0


def test_version_and_plugins_name_the_engines_and_why_one_is_missing(no_durable, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"policyengine {policyengine.__version__}\nengines: python (default); durable unavailable: ")
    assert "durable-rules" in out
    assert main(["plugins"]) == 0
    assert capsys.readouterr().out.startswith("engines: python (default); durable unavailable: ")


@pytest.mark.skipif(not _engine_durable.available(), reason="durable-rules is not installed on this Python")
def test_version_names_both_engines_where_durable_rules_imports(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.splitlines()[1] == "engines: durable (default), python"


def test_pyproject_installs_durable_rules_only_where_it_imports():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'requires-python = ">=3\.11,<3\.14"', text)
    assert "\"durable-rules==2.0.28; python_version < '3.13'\"" in text


def test_on_3_13_durable_rules_is_really_missing():
    if sys.version_info >= (3, 13):
        assert not _engine_durable.available() and available_engines() == ("python",)
    else:
        assert _engine_durable.available()
