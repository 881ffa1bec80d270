"""Each built-in rule kind at its boundaries, through both engines (which must agree every time).

The pack tests/fixtures/kinds.yaml has one rule per kind variant; each test states which of its
rules fire for a visit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policyengine import check, load_pack, merge_patch
from tests.conftest import ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, arrived, visit

PACK = str(Path(__file__).parent / "fixtures" / "kinds.yaml")


def fired(v: dict) -> set[str]:
    decisions = [check(v, school=PACK, engine=e, today=TODAY) for e in ENGINES_HERE]
    assert all(d == decisions[0] for d in decisions), "the engines disagree"
    return {f.rule for f in decisions[0].findings}


def at(local: str, **extra) -> dict:
    return visit({"start": local}, extra)


# -- time windows ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start, fires",
    [
        ("2026-11-23T16:00:00", False),
        ("2026-11-23T16:01:00", True),
        ("2026-11-23T16:00:00Z", False),  # GMT in November: 16:00 local
        ("2026-07-06T15:00:00Z", False),  # BST: 16:00 local
        ("2026-07-06T15:01:00Z", True),  # BST: 16:01 local, though 15:01 UTC
        ("2026-07-06T16:01:00+01:00", True),
        ("2026-11-23T23:59:00", True),
        ("2026-11-24T00:00:00", True),  # night counts as after the cut-off
        ("2026-11-24T05:59:00", True),
        ("2026-11-24T06:00:00", False),
    ],
)
def test_cutoff_boundary(start, fires):
    assert ("cutoff" in fired(at(start, approvals=["headteacher"]))) is fires


def test_cutoff_lifted_by_slt_approval():
    assert "cutoff" not in fired(visit({"start": "2026-11-23T17:00:00"}, {"approvals": ["slt"]}))
    assert "cutoff" in fired(visit({"start": "2026-11-23T17:00:00"}, {"approvals": ["headteacher"]}))


@pytest.mark.parametrize(
    "start, minutes, inside",
    [
        ("2026-11-23T08:30:00", 60, True),
        ("2026-11-23T08:29:00", 60, False),
        ("2026-11-23T14:30:00", 60, True),  # ends 15:30 exactly
        ("2026-11-23T14:31:00", 60, False),  # ends 15:31
        ("2026-11-21T10:00:00", 30, False),  # Saturday
        ("2026-12-25T10:00:00", 30, False),  # Christmas Day
        ("2026-08-31T10:00:00", 30, False),  # summer bank holiday (England only)
        ("2026-04-06T10:00:00", 30, False),  # Easter Monday (England only)
    ],
)
def test_school_day_window(start, minutes, inside):
    assert ("school-hours" not in fired(at(start, duration_minutes=minutes))) is inside


def test_unknown_duration_cannot_be_inside_school_hours():
    v = at("2026-11-23T10:00:00")
    v.pop("duration_minutes")
    assert "school-hours" in fired(v)


def test_out_of_hours_needs_both_justification_and_contact():
    late = at("2026-11-23T15:45:00")
    assert "school-hours" in fired(merge_patch(late, {"out_of_hours": {"justification": "parent works days"}}))
    assert "school-hours" in fired(merge_patch(late, {"out_of_hours": {"justification": "  ", "responsible_contact": True}}))
    assert "school-hours" not in fired(
        merge_patch(late, {"out_of_hours": {"justification": "parent works days", "responsible_contact": True}})
    )


@pytest.mark.parametrize(
    "start, minutes, fires",
    [
        ("2026-11-23T17:59:00", 1, False),  # ends 18:00
        ("2026-11-23T18:00:00", 1, True),
        ("2026-11-24T02:00:00", 1, True),
        ("2026-11-24T06:00:00", 1, False),
        ("2026-11-23T17:15:00", 45, False),  # ends 18:00
        ("2026-11-23T17:15:00", 46, True),  # runs into the evening
        ("2026-11-23T17:45:00", 120, True),
        ("2026-11-23T10:00:00", None, True),  # not known to end before the evening
    ],
)
def test_evening_starts_at_18_and_a_visit_that_runs_into_it_is_an_evening_visit(start, minutes, fires):
    assert ("evening" in fired(at(start, duration_minutes=minutes))) is fires


def test_a_time_window_offers_another_time_first_and_an_emergency_its_exception():
    from policyengine._policy import decide
    from policyengine._visits import parse_visit

    pack = load_pack(PACK)

    def remedy(v, rule):
        return next(f.remedy for f in decide(pack, parse_visit(v), "python", TODAY).findings if f.rule == rule)

    # Runs into the evening from the afternoon: the same length, ending at 18:00.
    assert remedy(at("2026-11-23T17:45:00", duration_minutes=120), "evening") == {"start": "2026-11-23T16:00:00+00:00"}
    # Not known how long: the same start, a length that ends at 18:00.
    assert remedy(at("2026-11-23T17:00:00", duration_minutes=None), "evening") == {
        "start": "2026-11-23T17:00:00+00:00", "duration_minutes": 60}
    # Starts in the evening: the start of the school day, the same length.
    assert remedy(at("2026-11-23T19:00:00"), "evening") == {"start": "2026-11-23T08:30:00+00:00"}
    # An emergency cannot wait: the justification the window allows instead.
    emergency = at("2026-11-23T19:00:00", urgency="emergency")
    assert remedy(emergency, "evening") == {"out_of_hours": {"justification": "recorded: no reasonable alternative to this time"}}


def test_office_hours_reminder_only_outside():
    assert "office-hours" not in fired(at("2026-11-23T15:00:00", duration_minutes=60))
    assert "office-hours" in fired(at("2026-11-23T15:01:00", duration_minutes=60))


# -- pairing and staffing --------------------------------------------------------------------------

def test_pairing_counts_staff():
    assert "pairs-always" not in fired(visit())
    assert "pairs-always" in fired(visit(ONE_STAFF))


def test_pairing_for_first_visits_only():
    assert "pairs-first" not in fired(visit(ONE_STAFF, {"first_visit": False}))
    assert "pairs-first" in fired(visit(ONE_STAFF, {"first_visit": True}))
    assert "pairs-first" in fired(visit(ONE_STAFF, {"first_visit": None}))  # not known counts as first


def test_lone_visit_agreed_by_headteacher_with_risk_assessment():
    lone = visit(ONE_STAFF)
    assert "pairs-lone-ht" in fired(lone)
    assert "pairs-lone-ht" in fired(merge_patch(lone, {"lone_visit_approved_by": "dsl"}))
    assert "pairs-lone-ht" in fired(merge_patch(lone, {"lone_visit_approved_by": "headteacher", "risk_assessment": "none"}))
    assert "pairs-lone-ht" not in fired(merge_patch(lone, {"lone_visit_approved_by": "headteacher", "risk_assessment": "completed"}))


def test_pairing_where_risks_known_or_not_known():
    assert "pairs-risks" not in fired(visit(ONE_STAFF))
    assert "pairs-risks" in fired(visit(ONE_STAFF, {"household": {"known_risks": True}}))
    assert "pairs-risks" in fired(visit(ONE_STAFF, {"household": {"known_risks": None}}))


def test_training_dbs_and_roles():
    untrained = {"staff": [{"role": "pastoral", "home_visit_trained": False, "dbs": "enhanced"}, {"role": "dsl", "dbs": "basic"}]}
    got = fired(visit(untrained))
    assert {"trained", "all-trained", "dbs"} <= got
    assert "roles" not in got
    half = {"staff": [{"role": "pastoral", "home_visit_trained": True, "dbs": "enhanced"}, {"role": "teacher", "dbs": "enhanced_barred"}]}
    got = fired(visit(half))
    assert "trained" not in got and "all-trained" in got and "dbs" not in got and "roles" in got


# -- authorisation ---------------------------------------------------------------------------------

def test_authorisation_any_of_and_by_purpose():
    assert "auth" not in fired(visit({"approvals": ["senior_attendance_lead"]}))
    assert "auth" in fired(visit({"approvals": ["dsl"]}))
    assert "auth-safeguarding" not in fired(visit({"approvals": ["headteacher"], "purpose": "attendance"}))
    assert "auth-safeguarding" in fired(visit({"approvals": ["headteacher"], "purpose": "safeguarding"}))


# -- at the door -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "waited, rule",
    [(0, "wait"), (20, "wait"), (21, "wait-over"), (240, "wait-over")],
)
def test_wait_limit_20_vs_21_minutes(waited, rule):
    got = fired(arrived({"parents_present": False, "minutes_waited": waited}))
    assert rule in got
    assert ({"wait", "wait-over"} - {rule}).isdisjoint(got)


def test_no_wait_when_parents_present_or_before_arrival():
    assert {"wait", "wait-over"}.isdisjoint(fired(arrived({"parents_present": True, "minutes_waited": 30})))
    assert {"wait", "wait-over"}.isdisjoint(fired(visit()))


def findings(v: dict) -> dict:
    """Rule id -> (outcome, remedy) of each finding, both engines agreeing."""
    decisions = [check(v, school=PACK, engine=e, today=TODAY) for e in ENGINES_HERE]
    assert all(d == decisions[0] for d in decisions), "the engines disagree"
    return {f.rule: (f.outcome.value, f.remedy) for f in decisions[0].findings}


ANIMALS = {"household": {"animals": "present"}}


def test_animals_stages():
    assert "animals" not in fired(visit())
    assert "animals" in fired(visit(ANIMALS))
    assert "animals" in fired(visit({"household": {"animals": "unknown"}}))
    assert "animals" not in fired(merge_patch(arrived({"animals_secured": True}), ANIMALS))
    assert "animals" in fired(merge_patch(arrived({"animals_secured": False}), ANIMALS))
    # "no animals" answers the question: whether they are secured then says nothing.
    assert "animals" not in fired(arrived({"animals_secured": False}))
    assert {"animals", "animals-refused"} <= fired(merge_patch(arrived({"animal_request_refused": True}), ANIMALS))
    assert "animals-refused" not in fired(merge_patch(arrived({"animal_request_refused": True, "animals_secured": True}), ANIMALS))


def test_animals_are_asked_for_at_the_door_so_a_plan_only_reminds():
    plan = findings(visit(ANIMALS))
    assert plan["animals"] == ("permitted", None) and plan["animals-room"] == ("permitted", None)
    door = findings(visit(ANIMALS, {"on_arrival": {}}))
    assert door["animals"] == ("conditional", {"on_arrival": {"animals_secured": True}})


def test_after_a_refusal_only_the_doorstep_is_left_and_only_where_the_policy_allows_it():
    refused = merge_patch(arrived({"animal_request_refused": True}), ANIMALS)
    got = findings(refused)
    assert got["animals-refused"] == ("blocked", None)  # final: the policy cancels the visit
    assert got["animals"] == ("conditional", None)  # never "animals_secured: true" after a refusal
    assert got["animals-room"] == ("conditional", {"on_arrival": {"meeting_room": "doorstep"}})
    assert got["animals-room-refused"] == ("blocked", {"on_arrival": {"meeting_room": "doorstep"}})
    at_the_door = findings(merge_patch(refused, {"on_arrival": {"meeting_room": None}}))
    assert at_the_door["animals-room-refused"] == ("conditional", {"on_arrival": {"meeting_room": "doorstep"}})
    on_the_doorstep = fired(merge_patch(refused, {"on_arrival": {"meeting_room": "doorstep"}}))
    assert {"animals-room", "animals-room-refused"}.isdisjoint(on_the_doorstep)
    assert "animals-refused" in on_the_doorstep


@pytest.mark.parametrize(
    "room, escort, expected",
    [
        ("ground_floor", False, set()),
        ("upstairs", False, {"upstairs-alone"}),
        ("upstairs", True, {"upstairs-escorted"}),
        ("child_bedroom", True, {"bedroom"}),
        ("doorstep", False, set()),
    ],
)
def test_rooms(room, escort, expected):
    got = fired(arrived({"meeting_room": room, "upstairs_escort": escort}))
    assert got & {"upstairs-alone", "upstairs-escorted", "bedroom"} == expected


def test_a_room_not_yet_known_at_the_door_is_not_a_room_the_policy_allows():
    got = findings(arrived({"meeting_room": None}))
    doorstep_or_downstairs = {"on_arrival": {"meeting_room": "ground_floor"}}
    assert got["upstairs-alone"] == ("conditional", doorstep_or_downstairs)  # blocked once inside
    assert got["bedroom"] == ("conditional", doorstep_or_downstairs)
    assert "upstairs-escorted" not in got  # the escort is not known either: the stricter rule asks


def test_entry_checks():
    assert {"invited", "adult-present", "not-in", "unsafe", "occupant", "safety"}.isdisjoint(fired(arrived()))
    assert "invited" in fired(arrived({"invited_in_by": "child"}))
    assert "invited" not in fired(arrived({"invited_in_by": "child", "meeting_room": "doorstep"}))
    # An invitation from a responsible adult staff know is not there is not one.
    assert "invited" in fired(arrived({"responsible_adult_present": False}))
    assert "adult-present" in fired(arrived({"responsible_adult_present": False}))
    assert "not-in" in fired(arrived({"parents_present": False}))
    assert "unsafe" in fired(arrived({"staff_feel_unsafe": True, "meeting_room": "doorstep"}))
    assert "occupant" in fired(arrived({"occupant_concern": True}))


def test_going_in_is_conditional_at_the_door_and_blocked_inside():
    inside = findings(arrived({"responsible_adult_present": False}))
    at_the_door = findings(arrived({"responsible_adult_present": False, "meeting_room": None}))
    doorstep = {"on_arrival": {"meeting_room": "doorstep"}}
    for rule in ("invited", "adult-present"):
        assert inside[rule] == ("blocked", doorstep)
        assert at_the_door[rule] == ("conditional", doorstep)


def test_safety_not_said_is_not_safety_confirmed():
    got = findings(arrived({"staff_feel_unsafe": None, "occupant_concern": False, "meeting_room": "doorstep"}))
    assert got["safety"] == ("conditional", {"on_arrival": {"staff_feel_unsafe": False}})
    assert "safety" not in fired(arrived({"staff_feel_unsafe": True, "occupant_concern": False}))  # answered: unsafe
    assert "safety" not in fired(visit())  # a plan asks nothing at the door


def test_a_wait_the_parents_are_seen_missing_from_has_no_remedy_but_an_unknown_is_confirmed():
    waiting = findings(arrived({"parents_present": False, "minutes_waited": 19, "meeting_room": "doorstep"}))
    assert waiting["wait"] == ("conditional", None)
    not_known = findings(arrived({"parents_present": None, "minutes_waited": 19, "meeting_room": "doorstep"}))
    assert not_known["wait"] == ("conditional", {"on_arrival": {"parents_present": True}})


def test_contagious_illness():
    assert "illness-before" in fired(visit({"household": {"contagious_illness": True}, "approvals": ["headteacher"]}))
    assert "illness-before" in fired(visit({"household": {"contagious_illness": None}, "approvals": ["headteacher"]}))
    assert "illness-before" not in fired(visit({"household": {"contagious_illness": True}}))  # SLT approved
    ill = merge_patch(arrived(), {"household": {"contagious_illness": True}})
    assert "illness-entry" in fired(ill)
    assert "illness-entry" not in fired(merge_patch(ill, {"on_arrival": {"meeting_room": "doorstep"}}))
    assert findings(merge_patch(ill, {"on_arrival": {"meeting_room": None}}))["illness-entry"][0] == "conditional"


def test_not_known_is_found_out_before_it_is_approved():
    not_known = findings(visit({"household": {"contagious_illness": None}, "approvals": ["headteacher"]}))
    assert not_known["illness-before"] == ("conditional", {"household": {"contagious_illness": False}})
    ill = findings(visit({"household": {"contagious_illness": True}, "approvals": ["headteacher"]}))
    assert ill["illness-before"] == ("conditional", {"approvals": ["headteacher", "slt"]})


def test_pairing_offers_a_second_member_of_staff_first():
    lone = findings(visit(ONE_STAFF))
    assert lone["pairs-lone-ht"][1] == {"staff": ONE_STAFF["staff"] * 2}
    agreed = findings(visit(ONE_STAFF, {"lone_visit_approved_by": "headteacher", "risk_assessment": "none"}))
    assert agreed["pairs-lone-ht"][1] == {"risk_assessment": "completed"}  # the agreement is kept


# -- preparation -----------------------------------------------------------------------------------

def test_preparation_requirements():
    assert {"risk-assessment", "plan", "phone", "badge", "check-in", "code-word", "parents-informed"}.isdisjoint(fired(visit()))
    bare = visit({"risk_assessment": "completed", "visit_plan_lodged": None, "check_in": None, "parents_informed": False})
    assert {"risk-assessment", "plan", "check-in", "code-word", "parents-informed"} <= fired(bare)
    assert "phone" in fired(visit({"staff": [{"role": "pastoral", "school_phone": True}, {"role": "dsl"}]}))
    assert "badge" in fired(visit({"staff": [{"role": "pastoral", "id_badge": False}]}))


@pytest.mark.parametrize("interval, fires", [(30, False), (31, True), (5, False)])
def test_check_in_interval(interval, fires):
    assert ("check-in" in fired(visit({"check_in": {"interval_minutes": interval}}))) is fires


@pytest.mark.parametrize("check_in, fires", [({"interval_minutes": 240}, False), ({"interval_minutes": 1}, False), ({"interval_minutes": None}, True), (None, True)])
def test_check_in_any_interval(check_in, fires):
    """max_interval_minutes: null accepts any agreed interval, but not none at all."""
    assert ("check-in-any" in fired(visit({"check_in": check_in}))) is fires


@pytest.mark.parametrize(
    "phones, fires",
    [
        ([{"school_phone": True}, {"school_phone": True}], False),
        ([{"school_phone": False, "mobile_phone": True}, {"school_phone": True}], False),  # own phone counts
        ([{"mobile_phone": True}, {"mobile_phone": False, "school_phone": True}], False),
        ([{"school_phone": False}, {"school_phone": True}], True),  # own phone not known: not confirmed
        ([{"school_phone": False, "mobile_phone": False}, {"mobile_phone": True}], True),
    ],
)
def test_mobile_phone_accepts_a_school_or_own_phone(phones, fires):
    staff = [dict({"role": "pastoral", "home_visit_trained": True, "dbs": "enhanced", "id_badge": True}, **p) for p in phones]
    found = fired(visit({"staff": staff}))
    assert ("mobile" in found) is fires
    assert ("phone" in found) is not all(p.get("school_phone") for p in phones)  # the school-phone rule is stricter


def test_parents_informed_not_needed_in_an_emergency():
    assert "parents-informed" not in fired(visit({"parents_informed": False, "urgency": "emergency"}))


def test_generic_condition_and_its_remedy():
    v = visit({"duration_minutes": 120})
    assert "long-visit" in fired(v)
    d = check(v, school=PACK, today=TODAY)
    remedy = next(f.remedy for f in d.findings if f.rule == "long-visit")
    assert "long-visit" not in fired(merge_patch(v, remedy))


def test_every_kind_remedy_removes_its_finding():
    """For each finding with a remedy on a badly prepared visit, the remedy removes that finding."""
    bad = [
        visit(ONE_STAFF, {"first_visit": True, "approvals": [], "start": "2026-11-23T18:30:00", "household": {"animals": "present", "contagious_illness": True}}),
        arrived({"parents_present": False, "minutes_waited": 5, "invited_in_by": "child", "meeting_room": "upstairs"}),
        visit({"staff": [{"role": "teacher"}], "risk_assessment": "none", "check_in": None, "parents_informed": False}),
    ]
    seen = 0
    for v in bad:
        d = check(v, school=PACK, today=TODAY)
        for finding in d.findings:
            if finding.remedy is None:
                continue
            seen += 1
            assert finding.rule not in fired(merge_patch(v, finding.remedy)), finding.rule
    assert seen >= 20


def test_pack_loads_with_every_kind():
    kinds = {r.kind for r in load_pack(PACK).rules}
    assert kinds == {"time_window", "pairing", "staffing", "authorisation", "wait_limit", "animals", "rooms", "entry", "household", "preparation", "condition"}


def test_a_lone_visit_agreement_covers_any_number_short_of_min_staff():
    """Found by the monotonic-safety property: with min_staff 3, one member with the agreement was
    permitted while two with it were blocked. The agreement now covers any number below three."""
    from policyengine._yaml import from_mapping
    from policyengine.packs.load import parse_pack

    rule = {"id": "three", "kind": "pairing", "min_staff": 3, "lone_agreed_by": ["headteacher"], "outcome": "blocked",
            "message": "m", "citation": {"section": "s", "quote": "three staff"}}
    pack = parse_pack(from_mapping({"id": "p", "school": "S", "document": "D", "version": "1", "source": "p.txt",
                                    "rules": [rule]}, "p"), source="three staff")
    from policyengine._policy import decide
    from policyengine._visits import parse_visit

    member = visit()["staff"][0]
    outcomes = {
        n: decide(pack, parse_visit(visit({"staff": [member] * n, "lone_visit_approved_by": "headteacher"})), "python", TODAY).outcome.value
        for n in (1, 2, 3)
    }
    assert outcomes == {1: "permitted", 2: "permitted", 3: "permitted"}
    assert decide(pack, parse_visit(visit({"staff": [member] * 2})), "python", TODAY).outcome.value == "blocked"
