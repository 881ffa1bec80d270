"""The committed JSON Schemas are generated from the models, current, and agree with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from policyengine import available_packs
from policyengine._builtin_packs import schools_dir
from policyengine._cli_schema import render
from policyengine._yaml import load_file

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).parent / "lint" / "broken"


@pytest.mark.parametrize("which", ["visit", "pack", "decision"])
def test_committed_schema_is_current(which):
    committed = (ROOT / "schemas" / f"{which}.schema.json").read_text()
    assert committed == render(which), (
        f"schemas/{which}.schema.json is stale: run `policyengine schema {which} > schemas/{which}.schema.json`"
    )


def _validator(which):
    schema = json.loads((ROOT / "schemas" / f"{which}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("pack_id", available_packs())
def test_schema_accepts_built_in_packs(pack_id):
    data = load_file(schools_dir() / f"{pack_id}.yaml").data
    errors = list(_validator("pack").iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_schema_accepts_the_valid_lint_pack_and_example_visits():
    # Loaded as editors' YAML language servers read it (YAML 1.2: dates and times stay text).
    assert not list(_validator("pack").iter_errors(load_file(BROKEN.parent / "valid.yaml").data))
    for f in (ROOT / "examples").glob("*.yaml"):
        assert not list(_validator("visit").iter_errors(load_file(f).data)), f


# Mistakes in the structure of a pack, which the schema (and so an editor) flags as one types.
STRUCTURAL = ["unknown_top_field", "unknown_rule_field", "unknown_kind", "wrong_type", "negative_wait", "cutoff_25", "missing_citation"]
# Mistakes a JSON Schema cannot see: YAML syntax and tags (gone once parsed), duplicate keys (the parser
# keeps one), and facts about the pack as a whole or its policy text. `policyengine lint` reports these.
LINT_ONLY = ["malformed_yaml", "yaml_tag", "duplicate_key", "duplicate_rule_id", "quote_not_in_source", "review_overdue", "never_fires", "shadowed",
             "number_not_quoted", "plan_remedy_sets_door"]


def test_every_broken_pack_is_classified():
    assert sorted(STRUCTURAL + LINT_ONLY) == sorted(p.stem for p in BROKEN.glob("*.yaml"))


@pytest.mark.parametrize("name", STRUCTURAL)
def test_schema_rejects_structurally_broken_packs(name):
    data = load_file(BROKEN / f"{name}.yaml").data
    assert list(_validator("pack").iter_errors(data)), f"the schema accepted {name}"
