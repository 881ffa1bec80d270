"""The README's "Writing a plugin" example is a plugin that works: its code, pack and pyproject.toml."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib

import pytest

from policyengine import InputError, Registry, check, load_pack
from policyengine._decide import visit_digest
from policyengine._plugins import ENTRY_POINT_GROUP, HOOKS
from policyengine import Visit
from tests.scenarios import TODAY
from tests.test_readme import blocks, section
from tests.visits import visit

SECTION = section("Writing a plugin")
(CODE,) = blocks(SECTION, "python")
(PACK,) = blocks(SECTION, "yaml")
(TEXT,) = blocks(SECTION, "text")
(PYPROJECT,) = blocks(SECTION, "toml")
MONDAY, FRIDAY = "2026-11-23T10:00:00", "2026-11-27T10:00:00"


@pytest.fixture
def riverside(tmp_path):
    """The README's plugin, written out as its package and imported under its own name."""
    package = tmp_path / "policyengine_riverside"
    package.mkdir()
    (package / "__init__.py").write_text(CODE, encoding="utf-8")
    (package / "riverside.yaml").write_text(PACK, encoding="utf-8")
    (package / "sources").mkdir()
    (package / "sources" / "riverside.txt").write_text(TEXT, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("policyengine_riverside", package / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the kind's annotations through its module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_the_readme_plugin_provides_its_kind_and_pack_and_logs_decisions(riverside, tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("RIVERSIDE_AUDIT_LOG", str(log))
    registry = Registry(plugins=[riverside], entry_points=False)
    assert "weekdays" in registry.kinds() and "riverside" in registry.packs()

    friday = visit({"start": FRIDAY})
    blocked = check(friday, school="riverside", registry=registry, today=TODAY)
    assert blocked.outcome.value == "blocked"
    (finding,) = blocked.findings
    assert finding.rule == "weekdays-only"
    assert finding.citation.quote == "Home visits take place from Monday to Thursday."
    assert check(visit({"start": MONDAY}), school="riverside", registry=registry, today=TODAY).outcome.value == "permitted"

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == [
        {"school": "riverside", "outcome": "blocked", "visit": visit_digest(Visit.model_validate(friday))},
        {"school": "riverside", "outcome": "permitted", "visit": visit_digest(Visit.model_validate(visit({"start": MONDAY})))},
    ]


def test_the_readme_plugin_kind_is_validated_with_line_and_column(riverside, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PACK.replace("allowed: [monday, tuesday, wednesday, thursday]", "allowed: [monday, funday]"))
    with pytest.raises(InputError) as caught:
        load_pack(bad, registry=Registry(plugins=[riverside], entry_points=False))
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:9:23: rule 'weekdays-only': 'allowed[1]' cannot be 'funday'; it must be one of: 'monday', 'tuesday', "
        "'wednesday', 'thursday', 'friday', 'saturday' or 'sunday'"
    ]


def test_the_readme_pyproject_has_an_entry_point_in_the_policyengine_group():
    data = tomllib.loads(PYPROJECT)
    assert data["project"]["entry-points"][ENTRY_POINT_GROUP] == {"riverside": "policyengine_riverside"}
    assert "policyengine" in data["project"]["dependencies"]
    assert data["build-system"]["build-backend"]


def test_the_readme_names_every_hook():
    for hook in HOOKS:
        assert f"`{hook}(" in SECTION, hook
