"""The public API: what is exported, and the decision's JSON contract (design.md section 3)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

import policyengine
from policyengine import Decision, Outcome, Visit, check, load_pack
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
    assert set(data) == {"school", "pack_version", "pack_digest", "phase", "outcome", "findings"}
    assert data["phase"] == "plan"
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


@pytest.mark.parametrize("school, today", [("ellesmere", date(2026, 11, 22)), ("burgh", date(2027, 4, 1)), ("tcat", date(2027, 2, 1))])
def test_a_pack_past_its_review_date_adds_a_reminder_that_never_changes_the_outcome(school, today):
    from policyengine._quotes import quote_in

    pack = load_pack(school)
    before = pack.review_due - timedelta(days=1)
    for v in (visit(), visit(ONE_STAFF, {"approvals": []})):
        on_time, late = check(v, school=school, today=before), check(v, school=school, today=today)
        assert "policy-review-overdue" not in {f.rule for f in on_time.findings}
        (reminder,) = [f for f in late.findings if f.rule == "policy-review-overdue"]
        assert late.outcome == on_time.outcome and reminder.outcome.value == "permitted"
        assert f"{pack.review_due.day} {pack.review_due:%B %Y}" in reminder.message
        source = (Path(pack.file).parent / "sources" / pack.source).read_text()
        assert reminder.citation.quote == pack.review_due_text and quote_in(reminder.citation.quote, source)


def test_findings_are_most_severe_first_and_final_ones_lead_the_blocked():
    """At the door after 25 minutes, 'cancel the visit' is what staff must read first (going in without
    an appropriate adult is a condition while staff are still at the door)."""
    d = check(policyengine.load_visit(Path(__file__).parent.parent / "examples" / "at-the-door-waiting.yaml"), today=TODAY)
    order = [(f.outcome.value, f.final) for f in d.findings]
    assert d.findings[0].rule == "wait-exceeded" and d.findings[0].final
    assert order == sorted(order, key=lambda o: ({"blocked": 0, "conditional": 1, "permitted": 2}[o[0]], not o[1]))
    assert d.phase == "door"
    assert [f.rule for f in d.findings if f.outcome.value == "blocked"] == ["wait-exceeded"]
    assert [f.rule for f in d.findings if f.outcome.value == "conditional"] == ["appropriate-adult"]
