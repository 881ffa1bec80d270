"""What every built-in pack must do, and where the five policies differ, side by side."""

from __future__ import annotations

import importlib

import pytest

from policyengine import available_packs, check, load_pack
from policyengine._examples import run_examples
from tests.conftest import ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import AT_THE_DOOR, ONE_STAFF, PREPARED, at_door, visit

PACKS = ("burgh", "ellesmere", "tcat", "washwood", "wirksworth")
NO_SLT = {"approvals": ["headteacher", "dsl", "deputy_dsl", "senior_attendance_lead", "line_manager"]}
WELFARE = {"purpose": "welfare_check"}


def outcome(school: str, v: dict) -> str:
    decisions = [check(v, school=school, engine=e, today=TODAY) for e in ENGINES_HERE]
    assert all(d == decisions[0] for d in decisions), "the engines disagree"
    return decisions[0].outcome.value


def test_the_five_packs_are_built_in():
    assert set(PACKS) <= set(available_packs())


@pytest.mark.parametrize("school", PACKS)
def test_a_prepared_paired_authorised_daytime_visit_is_permitted(school):
    assert outcome(school, PREPARED) == "permitted"
    assert outcome(school, visit(AT_THE_DOOR)) == "permitted"


@pytest.mark.parametrize("school", PACKS)
def test_each_pack_has_at_least_15_scenarios_examples_and_a_full_catalogue(school):
    scenarios = importlib.import_module(f"tests.packs.test_{school}").SCENARIOS
    assert len(scenarios) >= 15
    pack = load_pack(school)
    count, failures = run_examples(pack, today=TODAY)
    assert count >= 5 and not failures, [str(f) for f in failures]
    catalogued = {rid for entry in pack.catalogue for rid in entry.rules}
    assert {r.id for r in pack.rules} <= catalogued, "every rule encodes some statement in the catalogue"
    assert any(entry.not_checkable for entry in pack.catalogue), "the catalogue says what could not be checked"


#: One visit, five policies: the outcome each pack must give (design.md section 5 and the packs' notes).
DIFFERENCES = [
    ("a lone first visit", visit(ONE_STAFF, {"first_visit": True}),
     {"burgh": "permitted", "ellesmere": "blocked", "tcat": "conditional", "washwood": "blocked", "wirksworth": "conditional"}),
    ("a lone repeat visit", visit(ONE_STAFF),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "conditional", "washwood": "blocked", "wirksworth": "conditional"}),
    ("a lone visit where risks are known", visit(ONE_STAFF, {"household": {"known_risks": True}}),
     {"burgh": "conditional", "ellesmere": "conditional", "tcat": "conditional", "washwood": "blocked", "wirksworth": "conditional"}),
    ("a 16:30 start without SLT", visit(NO_SLT, {"start": "2026-11-23T16:30:00"}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "conditional", "washwood": "blocked", "wirksworth": "permitted"}),
    ("an 18:30 start without a justification", visit(NO_SLT, {"start": "2026-11-23T18:30:00"}),
     {"burgh": "permitted", "ellesmere": "conditional", "tcat": "conditional", "washwood": "blocked", "wirksworth": "conditional"}),
    ("21 minutes waited on the doorstep", visit(at_door({"parents_present": False, "minutes_waited": 21, "meeting_room": "doorstep"})),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "blocked", "washwood": "permitted", "wirksworth": "permitted"}),
    ("upstairs with a responsible adult", visit(at_door({"meeting_room": "upstairs", "upstairs_escort": True})),
     {"burgh": "blocked", "ellesmere": "conditional", "tcat": "permitted", "washwood": "permitted", "wirksworth": "conditional"}),
    ("a child's bedroom", visit(at_door({"meeting_room": "child_bedroom", "upstairs_escort": True})),
     {"burgh": "blocked", "ellesmere": "blocked", "tcat": "permitted", "washwood": "permitted", "wirksworth": "blocked"}),
    ("animals the family will not move", visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True})),
     {"burgh": "conditional", "ellesmere": "blocked", "tcat": "blocked", "washwood": "permitted", "wirksworth": "blocked"}),
    ("contagious illness, a welfare check not discussed with SLT", visit(NO_SLT, WELFARE, {"household": {"contagious_illness": True}}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "permitted", "washwood": "permitted", "wirksworth": "conditional"}),
    ("contagious illness, an attendance visit", visit({"household": {"contagious_illness": True}}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "permitted", "washwood": "permitted", "wirksworth": "blocked"}),
    ("contagious illness, going in", visit({"household": {"contagious_illness": True}}, at_door()),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "permitted", "washwood": "permitted", "wirksworth": "blocked"}),
    ("approved by the line manager only", visit({"approvals": ["line_manager"]}),
     {"burgh": "conditional", "ellesmere": "conditional", "tcat": "conditional", "washwood": "permitted", "wirksworth": "conditional"}),
    ("invited in by a child alone", visit(at_door({"invited_in_by": "child", "responsible_adult_present": False, "parents_present": False})),
     {"burgh": "blocked", "ellesmere": "blocked", "tcat": "blocked", "washwood": "blocked", "wirksworth": "blocked"}),
    ("a child shows staff in to the parents", visit(at_door({"invited_in_by": "child"})),
     {"burgh": "blocked", "ellesmere": "blocked", "tcat": "permitted", "washwood": "permitted", "wirksworth": "blocked"}),
    # Issue 13: the phase of the visit, and the classes of mistakes it fixed.
    ("at the door, 19 minutes waited, no adult yet, no room", visit(at_door({"parents_present": False, "minutes_waited": 19, "responsible_adult_present": False, "invited_in_by": None, "meeting_room": None})),
     {"burgh": "conditional", "ellesmere": "conditional", "tcat": "conditional", "washwood": "conditional", "wirksworth": "conditional"}),
    ("invited in, the room not yet known", visit(at_door({"meeting_room": None})),
     {"burgh": "conditional", "ellesmere": "conditional", "tcat": "permitted", "washwood": "permitted", "wirksworth": "conditional"}),
    ("animals the family will not move, on the doorstep", visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True, "meeting_room": "doorstep"})),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "blocked", "washwood": "permitted", "wirksworth": "permitted"}),
    ("a plan where there may be animals", visit({"household": {"animals": "unknown"}}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "permitted", "washwood": "permitted", "wirksworth": "permitted"}),
    ("a planned safeguarding visit the parents were not told of", visit({"purpose": "safeguarding", "parents_informed": False}),
     {"burgh": "permitted", "ellesmere": "conditional", "tcat": "permitted", "washwood": "permitted", "wirksworth": "conditional"}),
    ("a form tutor on an attendance visit", visit({"staff": [PREPARED["staff"][0], dict(PREPARED["staff"][1], role="form_tutor")]}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "conditional", "washwood": "permitted", "wirksworth": "permitted"}),
    ("staff not trained in home visiting", visit({"staff": [dict(m, home_visit_trained=False) for m in PREPARED["staff"]]}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "conditional", "washwood": "permitted", "wirksworth": "permitted"}),
    ("check-ins every hour", visit({"check_in": {"interval_minutes": 60}}),
     {"burgh": "permitted", "ellesmere": "permitted", "tcat": "conditional", "washwood": "permitted", "wirksworth": "permitted"}),
    ("from 17:45 for two hours, with SLT", visit({"start": "2026-11-23T17:45:00", "duration_minutes": 120}),
     {"burgh": "permitted", "ellesmere": "conditional", "tcat": "conditional", "washwood": "permitted", "wirksworth": "conditional"}),
    ("staff feel unsafe at the door", visit(at_door({"staff_feel_unsafe": True, "meeting_room": "doorstep"})),
     {"burgh": "blocked", "ellesmere": "blocked", "tcat": "blocked", "washwood": "blocked", "wirksworth": "blocked"}),
    ("a person at the door under the influence", visit(at_door({"occupant_concern": True, "meeting_room": "doorstep"})),
     {"burgh": "blocked", "ellesmere": "blocked", "tcat": "blocked", "washwood": "blocked", "wirksworth": "blocked"}),
]


@pytest.mark.parametrize("name, v, expected", DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_where_the_policies_differ(name, v, expected):
    assert {school: outcome(school, v) for school in PACKS} == expected


@pytest.mark.parametrize("school", PACKS)
def test_each_pack_lints_without_warnings_but_an_overdue_review(school):
    """A rule conditional in some phase lists its conditions, and none is shadowed phase by phase."""
    from datetime import date

    from policyengine.packs.lint import lint_file

    problems = lint_file(load_pack(school).file, today=date(2026, 11, 22))
    assert [p.message for p in problems if "due for review" not in p.message] == []
