"""Wirksworth Junior School: scenarios, each a visit patch, its outcome and the words cited."""

from __future__ import annotations

from datetime import date

from policyengine import check
from tests.scenarios import TODAY, Scenario, parametrize, run
from tests.visits import AT_THE_DOOR, ONE_STAFF, arrived, visit

LONE_DSL = {**ONE_STAFF, "lone_visit_approved_by": "dsl"}
DSL_ONLY = {"approvals": ["dsl"]}
SLT_TOO = {"approvals": ["dsl", "slt"]}
ILL = {"household": {"contagious_illness": True}}
ILL_NOT_KNOWN = {"household": {"contagious_illness": None}}
WELFARE = {"purpose": "welfare_check"}
STAFF = visit()["staff"]


def door(patch: dict | None = None) -> dict:
    """A patch putting staff at the door (as AT_THE_DOOR, with ``patch`` on ``on_arrival``), which,
    unlike ``arrived()``, keeps the household facts set by earlier patches."""
    return {"on_arrival": {**AT_THE_DOOR["on_arrival"], **(patch or {})}}

SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted"),
    Scenario("prepared, at the door", arrived(), "permitted"),
    # Evening visits are strongly discouraged (conditional on a reason); no 4pm cut-off, no school hours.
    Scenario("16:00, no 4pm cut-off here", visit({"start": "2026-11-23T16:00:00"}), "permitted"),
    Scenario("16:01, no 4pm cut-off here", visit({"start": "2026-11-23T16:01:00"}), "permitted"),
    Scenario("17:59 for a minute is not evening", visit({"start": "2026-11-23T17:59:00", "duration_minutes": 1}), "permitted"),
    Scenario("17:45 for two hours runs into the evening", visit({"start": "2026-11-23T17:45:00", "duration_minutes": 120}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("18:00 is evening", visit({"start": "2026-11-23T18:00:00"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("17:59 BST given in UTC", visit({"start": "2026-07-06T16:59:00Z", "duration_minutes": 1}), "permitted"),
    Scenario("18:00 BST given in UTC", visit({"start": "2026-07-06T17:00:00Z"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("05:30 counts as evening", visit({"start": "2026-11-23T05:30:00"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("evening with a reason recorded", visit({"start": "2026-11-23T18:30:00", "out_of_hours": {"justification": "parent works days"}}), "permitted"),
    Scenario("a Saturday morning, no school-hours rule", visit({"start": "2026-11-21T10:00:00"}), "permitted"),
    # No wait limit in this policy: parents absent is about who invites staff in, not the clock.
    Scenario("parents absent 21 minutes, adult invites in", arrived({"parents_present": False, "minutes_waited": 21}), "permitted"),
    Scenario("parents absent 45 minutes, on the doorstep", arrived({"parents_present": False, "minutes_waited": 45, "responsible_adult_present": False, "invited_in_by": "nobody", "meeting_room": "doorstep"}), "permitted"),
    # Pairs where possible; only the DSL may agree a lone visit.
    Scenario("lone, nobody agreed", visit(ONE_STAFF), "conditional", "agreed by the Designated Safeguarding Lead", ("pairs-where-possible",)),
    Scenario("lone, agreed by the DSL", visit(LONE_DSL), "permitted"),
    Scenario("lone first visit, agreed by the DSL", visit(LONE_DSL, {"first_visit": True}), "permitted"),
    Scenario("paired first visit", visit({"first_visit": True}), "permitted"),
    Scenario("lone, agreed by the headteacher only", visit(ONE_STAFF, {"lone_visit_approved_by": "headteacher"}), "conditional", "agreed by the Designated Safeguarding Lead", ("pairs-where-possible",)),
    Scenario("lone, agreed by the deputy DSL only", visit(ONE_STAFF, {"lone_visit_approved_by": "deputy_dsl"}), "conditional", "agreed by the Designated Safeguarding Lead"),
    Scenario("lone, DSL agreed, risks known", visit(LONE_DSL, {"household": {"known_risks": True}}), "conditional", "2 people visit", ("pairs-where-risks-known",)),
    Scenario("lone, DSL agreed, risks not known", visit(LONE_DSL, {"household": {"known_risks": None}}), "conditional", "2 people visit", ("pairs-where-risks-known",)),
    Scenario("paired, risks known", visit({"household": {"known_risks": True}}), "permitted"),
    # Authorisation: the Safeguarding Lead, for every visit.
    Scenario("no approval", visit({"approvals": []}), "conditional", "AUTHORISED BY THE SAFEGUARDING LEAD", ("dsl-authorises",)),
    Scenario("headteacher only", visit({"approvals": ["headteacher"]}), "conditional", "AUTHORISED BY THE SAFEGUARDING LEAD", ("dsl-authorises",)),
    Scenario("deputy DSL only", visit({"approvals": ["deputy_dsl"]}), "conditional", "AUTHORISED BY THE SAFEGUARDING LEAD", ("dsl-authorises",)),
    Scenario("SLT only", visit({"approvals": ["slt"]}), "conditional", "AUTHORISED BY THE SAFEGUARDING LEAD", ("dsl-authorises",)),
    Scenario("DSL only", visit({"approvals": ["dsl"]}), "permitted"),
    Scenario("emergency, not authorised by the DSL", visit({"urgency": "emergency", "approvals": ["headteacher"]}), "conditional", "AUTHORISED BY THE SAFEGUARDING LEAD", ("dsl-authorises",)),
    # At the door.
    Scenario("invited in by a child", arrived({"invited_in_by": "child"}), "blocked", "invited in by a responsible adult", ("invited-by-responsible-adult",)),
    Scenario("invited in by a child, stays on the doorstep", arrived({"invited_in_by": "child", "meeting_room": "doorstep"}), "permitted"),
    Scenario("not invited, going in", arrived({"invited_in_by": "nobody"}), "blocked", "invited in by a responsible adult", ("invited-by-responsible-adult",)),
    Scenario("staff feel unsafe", arrived({"staff_feel_unsafe": True, "meeting_room": "doorstep"}), "blocked", "place of safety", ("feel-unsafe",)),
    Scenario("occupant under the influence at the door", arrived({"occupant_concern": True}), "blocked", "any concerns about personal safety", ("occupant-concern",)),
    # Rooms: upstairs only with a responsible adult, and then only if completely safe and necessary.
    Scenario("upstairs, escorted", arrived({"meeting_room": "upstairs", "upstairs_escort": True}), "conditional", "ONLY if you deem it completely safe", ("upstairs-only-if-safe-and-necessary",)),
    Scenario("upstairs, not escorted", arrived({"meeting_room": "upstairs"}), "blocked", "accompanied by a responsible adult", ("upstairs-unaccompanied",)),
    Scenario("child's bedroom, escorted", arrived({"meeting_room": "child_bedroom", "upstairs_escort": True}), "blocked", "bedroom", ("no-child-bedroom",)),
    # Animals: none in the meeting room; a refusal keeps staff on the doorstep, it does not cancel.
    Scenario("animals present, planning", visit({"household": {"animals": "present"}}), "permitted", None, ("no-animals-in-meeting-room",)),
    Scenario("animals not known, planning", visit({"household": {"animals": "unknown"}}), "permitted", None, ("no-animals-in-meeting-room",)),
    Scenario("animals present, going in", visit({"household": {"animals": "present"}}, door()), "conditional", "no animals in the room", ("no-animals-in-meeting-room",)),
    Scenario("animals not known, at the door", visit({"household": {"animals": "unknown"}}, door({"meeting_room": None})), "conditional", "no animals in the room"),
    Scenario("animals shut away at the door", visit({"household": {"animals": "present"}}, door({"animals_secured": True})), "permitted"),
    Scenario("animals not moved, going in", visit({"household": {"animals": "present"}}, door({"animal_request_refused": True})), "blocked", "no animals in the room", ("animals-not-moved-stay-outside",)),
    Scenario("animals not moved, on the doorstep", visit({"household": {"animals": "present"}}, door({"animal_request_refused": True, "meeting_room": "doorstep"})), "permitted"),
    Scenario("animals not moved, at the door", visit({"household": {"animals": "present"}}, door({"animal_request_refused": True, "meeting_room": None})), "conditional", "no animals in the room", ("animals-not-moved-stay-outside",)),
    # Contagious illness: discussed with SLT before going; doorstep only, two metres back.
    # Contagious illness: visits only for welfare concerns (the policy's reason for them), after SLT, doorstep only.
    Scenario("contagious, an attendance visit", visit(ILL, SLT_TOO), "blocked", "unable to make contact with parents or carers", ("contagious-only-for-welfare-concerns",)),
    Scenario("contagious, an emergency attendance visit", visit(ILL, SLT_TOO, {"urgency": "emergency"}), "permitted"),
    Scenario("contagious, not discussed with SLT", visit(ILL, DSL_ONLY, WELFARE), "conditional", "discussed with someone on the SLT", ("contagious-discuss-with-slt",)),
    Scenario("contagious, SLT agreed, before going", visit(ILL, SLT_TOO, WELFARE), "permitted", None, ("contagious-two-metres",)),
    Scenario("contagious, SLT agreed, going in", visit(ILL, SLT_TOO, WELFARE, door()), "blocked", "no school staff should be entering homes", ("contagious-do-not-enter",)),
    Scenario("contagious, SLT agreed, at the door", visit(ILL, SLT_TOO, WELFARE, door({"meeting_room": None})), "conditional", "no school staff should be entering homes", ("contagious-do-not-enter",)),
    Scenario("contagious, SLT agreed, on the doorstep", visit(ILL, SLT_TOO, WELFARE, door({"meeting_room": "doorstep"})), "permitted", None, ("contagious-two-metres",)),
    Scenario("illness not known, no SLT", visit(ILL_NOT_KNOWN, DSL_ONLY), "conditional", "discussed with someone on the SLT", ("contagious-discuss-with-slt",)),
    Scenario("illness not known, SLT agreed, going in", visit(ILL_NOT_KNOWN, SLT_TOO, door()), "conditional", "no school staff should be entering homes", ("contagious-unknown-at-door",)),
    Scenario("illness not known, SLT agreed, doorstep", visit(ILL_NOT_KNOWN, SLT_TOO, door({"meeting_room": "doorstep"})), "permitted"),
    # Preparation.
    Scenario("no risk assessment", visit({"risk_assessment": "none"}), "conditional", "Step Analysis of Risk Assessment", ("risk-assessment",)),
    Scenario("risk assessment completed, not approved", visit({"risk_assessment": "completed"}), "permitted"),
    Scenario("location not given to the office", visit({"visit_plan_lodged": False}), "conditional", "intended location", ("tell-dsl-and-office-where",)),
    Scenario("no phone", visit({"staff": [dict(s, school_phone=False) for s in STAFF]}), "conditional", "mobile phone", ("mobile-phone",)),
    Scenario("own mobile phones (tcat asks for school ones)", visit({"staff": [dict(s, school_phone=False, mobile_phone=True) for s in STAFF]}), "permitted"),
    Scenario("no identification", visit({"staff": [dict(s, id_badge=False) for s in STAFF]}), "conditional", "identification", ("identification",)),
    Scenario("lone, DSL agreed, no safe word", visit(LONE_DSL, {"check_in": {"code_word_agreed": False}}), "conditional", "Safe word", ("safe-word",)),
    Scenario("planned, parents not told", visit({"parents_informed": False}), "conditional", "informed of the home visit", ("parents-informed",)),
    Scenario("emergency, parents not told", visit({"urgency": "emergency", "parents_informed": False}), "permitted"),
    Scenario("welfare check, parents not told", visit({"purpose": "welfare_check", "parents_informed": False}), "permitted"),
    # The policy says nothing of DBS checks, training or roles.
    Scenario("basic DBS, untrained teaching assistant", visit({"staff": [STAFF[0], dict(STAFF[1], role="teaching_assistant", dbs="basic", home_visit_trained=False)]}), "permitted"),
    # Reminders never change the outcome.
    Scenario("reminders on every paired visit", visit(), "permitted", None, ("pair-wait-outside", "phone-school-after", "write-up-on-my-concern")),
]


@parametrize(SCENARIOS)
def test_wirksworth(scenario):
    run("wirksworth", scenario)


def test_review_due_is_end_of_november_2026():
    # "Review Due: November 2026": no reminder on the scenario day or on the last day of the month,
    # then a reminder that never changes the outcome.
    for day in (TODAY, date(2026, 11, 30)):
        assert "policy-review-overdue" not in {f.rule for f in check(visit(), school="wirksworth", today=day).findings}
    late = check(visit(), school="wirksworth", today=date(2026, 12, 1))
    assert late.outcome.value == "permitted"
    assert "policy-review-overdue" in {f.rule for f in late.findings}
