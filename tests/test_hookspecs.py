"""Every hookspec's example (policyengine/hookspecs.py) is a plugin module that works.

Each example is run as the body of a module in a package folder of its own, registered in a fresh
registry, and then used: its kind decides, its pack loads, its facts are known, its listener logs.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from pathlib import Path

import pytest

from policyengine import Registry, check, load_pack
from policyengine.plugins import hookspecs
from policyengine.plugins.registry import HOOKS
from tests.conftest import ENGINE_PARAMS
from tests.scenarios import TODAY
from tests.visits import visit


def example(hook: str) -> str:
    doc = inspect.getdoc(getattr(hookspecs, hook))
    found = re.search(r"Example[^\n]*::\n\n(.*)", doc, re.S)
    assert found, f"{hook} has no example"
    return textwrap.dedent(found.group(1))


def plugin(hook: str, folder: Path) -> types.ModuleType:
    """The example of ``hook`` run as ``folder/__init__.py``."""
    module = types.ModuleType(f"example_{hook}")
    module.__file__ = str(folder / "__init__.py")
    # dont_inherit: this file's "from __future__ import annotations" must not apply to the example.
    exec(compile(example(hook), f"<example of {hook}>", "exec", dont_inherit=True), module.__dict__)
    return module


def test_every_hook_has_an_example():
    assert all(example(hook) for hook in HOOKS)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_the_rule_kinds_example_gives_a_kind_that_decides(tmp_path, engine):
    reg = Registry(plugins=[plugin("policyengine_rule_kinds", tmp_path)], entry_points=False)
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "p.txt").write_text("Visits are made from Monday to Thursday.")
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        id: p
        school: S
        document: D
        version: '1'
        source: p.txt
        rules:
          - id: days
            kind: weekdays
            allowed: [monday, tuesday, wednesday, thursday]
            outcome: blocked
            message: Not on a Friday.
            citation: {section: '1', quote: Visits are made from Monday to Thursday.}
        """))
    friday = visit({"start": "2026-11-27T10:00:00"})
    assert check(friday, school=str(tmp_path / "p.yaml"), engine=engine, registry=reg, today=TODAY).outcome.value == "blocked"


def test_the_rule_packs_example_offers_its_pack_and_policy_text_as_package_data(tmp_path):
    packs = tmp_path / "packs"
    (packs / "sources").mkdir(parents=True)
    (packs / "sources" / "oak-hill.txt").write_text("Staff never visit alone.")
    (packs / "oak-hill.yaml").write_text(
        "id: oak-hill\nschool: Oak Hill\ndocument: Procedure\nversion: '1'\nsource: oak-hill.txt\nrules:\n"
        "  - {id: pairs, kind: pairing, outcome: blocked, message: Go in pairs.,\n"
        "     citation: {section: '1', quote: Staff never visit alone.}}\n"
    )
    reg = Registry(plugins=[plugin("policyengine_rule_packs", tmp_path)], entry_points=False)
    assert load_pack("oak-hill", registry=reg).rule("pairs").kind == "pairing"


def test_the_visit_facts_example_adds_facts_a_visit_can_give(tmp_path):
    reg = Registry(plugins=[plugin("policyengine_visit_facts", tmp_path)], entry_points=False)
    assert set(reg.facts()) == {"lone_worker_device", "weather_warning"}
    check(visit({"facts": {"weather_warning": "amber", "lone_worker_device": True}}), school="tcat", registry=reg,
          today=TODAY)


def test_the_decision_made_example_logs_a_line_per_decision(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("AUDIT_LOG", str(log))
    reg = Registry(plugins=[plugin("policyengine_decision_made", tmp_path)], entry_points=False)
    decision = check(visit(), school="tcat", registry=reg, today=TODAY)
    assert log.read_text().count("\n") == 1 and f'"outcome": "{decision.outcome.value}"' in log.read_text()
