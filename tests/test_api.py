"""The public API: what is exported, and the decision's JSON contract (design.md section 3)."""

from __future__ import annotations

from pathlib import Path

import policyengine
from policyengine import Decision, Outcome, Visit, check
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, visit

PACK = str(Path(__file__).parent / "fixtures" / "kinds.yaml")


def test_public_names_are_pinned():
    core = {"check", "load_pack", "available_packs", "Visit", "Decision", "Outcome", "InputError", "DecisionError"}
    assert core <= set(policyengine.__all__)
    for name in policyengine.__all__:
        assert hasattr(policyengine, name), name
        assert not name.startswith("_")


def test_exceptions_subclass_builtins():
    assert issubclass(policyengine.InputError, ValueError)
    assert issubclass(policyengine.UnknownSchoolError, LookupError)
    assert issubclass(policyengine.DecisionError, RuntimeError)
    assert issubclass(policyengine.InputError, policyengine.PolicyEngineError)


def test_decision_json_shape():
    d = check(visit(ONE_STAFF, {"approvals": []}), school=PACK, today=TODAY)
    data = d.model_dump(mode="json")
    assert set(data) == {"school", "pack_version", "pack_digest", "outcome", "findings"}
    assert data["outcome"] in ("permitted", "conditional", "blocked")
    for f in data["findings"]:
        assert set(f) == {"rule", "outcome", "message", "conditions", "remedy", "citation", "final"}
        assert set(f["citation"]) == {"document", "section", "quote"}
    assert Decision.model_validate(data) == d


def test_check_accepts_a_visit_model_or_a_mapping():
    v = visit(ONE_STAFF)
    assert check(Visit.model_validate(v), school=PACK, today=TODAY) == check(v, school=PACK, today=TODAY)


def test_outcome_order():
    assert Outcome.PERMITTED.severity < Outcome.CONDITIONAL.severity < Outcome.BLOCKED.severity
    assert str(Outcome.BLOCKED) == "blocked"
