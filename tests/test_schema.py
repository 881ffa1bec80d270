"""The committed JSON Schemas are generated from the models, current, and agree with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from policyengine import available_packs
from policyengine._builtin_packs import schools_dir
from policyengine._yaml import load_file
from policyengine.cli.schema import render

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
             "number_not_quoted", "plan_remedy_sets_door",
             # `in: null`: the schema lets a comparison be null (not given); the model refuses it
             "in_null"]


def test_every_broken_pack_is_classified():
    assert sorted(STRUCTURAL + LINT_ONLY) == sorted(p.stem for p in BROKEN.glob("*.yaml"))


@pytest.mark.parametrize("name", STRUCTURAL)
def test_schema_rejects_structurally_broken_packs(name):
    data = load_file(BROKEN / f"{name}.yaml").data
    assert list(_validator("pack").iter_errors(data)), f"the schema accepted {name}"


# -- generic validators name the rule's own kind (no OpenAPI discriminator) -----------------------


def _tcat_with(index: int, **changes) -> dict:
    data = load_file(schools_dir() / "tcat.yaml").data
    data["rules"][index] = {**data["rules"][index], **changes}
    return data


def _errors(data: dict) -> list[tuple[list, str]]:
    return [(list(e.absolute_path), e.message) for e in _validator("pack").iter_errors(data)]


def test_a_wrong_outcome_in_a_pairing_rule_is_reported_against_the_pairing_kind_alone():
    data = _tcat_with(3, outcome="deny")
    assert data["rules"][3]["kind"] == "pairing"
    assert _errors(data) == [(["rules", 3, "outcome"], "'deny' is not one of ['permitted', 'conditional', 'blocked']")]
    best = jsonschema.exceptions.best_match(_validator("pack").iter_errors(data))
    assert list(best.absolute_path) == ["rules", 3, "outcome"]


def test_an_unknown_field_names_the_fields_of_the_rule_s_own_kind_and_an_unknown_kind_lists_the_kinds():
    assert _errors(_tcat_with(3, min_staf=2)) == [
        (["rules", 3], "Additional properties are not allowed ('min_staf' was unexpected)")
    ]
    ((path, message),) = _errors(_tcat_with(3, kind="pairng"))
    assert path == ["rules", 3, "kind"] and message.startswith("'pairng' is not one of ['animals', 'authorisation'")


def test_a_condition_is_checked_as_the_form_its_key_names():
    data = load_file(schools_dir() / "tcat.yaml").data
    rule = next(r for r in data["rules"] if r["kind"] == "condition")
    rule["when"] = {"fact": "staff_count", "lt": "two"}
    ((path, message),) = _errors(data)  # one error, at the comparison: not one per form of condition
    assert path[-2:] == ["when", "lt"] and message.startswith("'two' is not valid")


def test_no_schema_relies_on_the_openapi_discriminator():
    for which in ("visit", "pack", "decision"):
        assert '"discriminator"' not in (ROOT / "schemas" / f"{which}.schema.json").read_text(), which


def test_the_pack_and_visit_schemas_include_the_installed_plugins_kinds_and_facts():
    from policyengine import Registry
    from policyengine.cli.schema import schema
    from tests.test_plugins import DEVICE, Facts, Kinds, LoneWorker

    reg = Registry(plugins=[Kinds(LoneWorker), Facts(DEVICE)], entry_points=False)
    pack = schema("pack", reg)
    kinds = pack["properties"]["rules"]["items"]["properties"]["kind"]["enum"]
    assert "lone_worker" in kinds and "pairing" in kinds
    assert "lone_worker_device" in pack["$defs"]["FactTest"]["properties"]["fact"]["enum"]
    facts = schema("visit", reg)["properties"]["facts"]
    assert facts["properties"]["lone_worker_device"]["anyOf"][0] == {"type": "boolean"}
    validator = jsonschema.Draft202012Validator(schema("visit", reg))
    assert not list(validator.iter_errors({**load_file(ROOT / "examples" / "tcat-lone-first-visit.yaml").data,
                                           "facts": {"lone_worker_device": True}}))
    assert list(validator.iter_errors({**load_file(ROOT / "examples" / "tcat-lone-first-visit.yaml").data,
                                       "facts": {"lone_worker_device": "yes"}}))
