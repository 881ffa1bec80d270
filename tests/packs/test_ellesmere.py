"""Ellesmere Port Catholic High School: scenarios, each a visit patch, its outcome and the words cited.

The policy's review was due by September 2025 and the scenarios run as of 2026-11-22, so every
decision carries the policy-review-overdue reminder; it never changes an outcome.
"""

from __future__ import annotations

from policyengine import check, combined_remedy
from tests.scenarios import TODAY, Scenario, parametrize, run
from tests.visits import AT_THE_DOOR, ONE_STAFF, arrived, at_door, visit

LONE_FIRST = {**ONE_STAFF, "first_visit": True}
STAFF = visit()["staff"]
ANIMALS = {"household": {"animals": "present"}}
DOORSTEP_NO_PARENTS = {"parents_present": False, "meeting_room": "doorstep"}

SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted", "September 2025", ("policy-review-overdue", "report-back", "write-up-on-cpoms")),
    Scenario("prepared visit at the door", visit(AT_THE_DOOR), "permitted", "September 2025", ("policy-review-overdue",)),
    # Evening visits: strongly discouraged (conditional on a reason), from 18:00; no 4pm cut-off, no school-hours limit.
    Scenario("starts 16:01, no 4pm cut-off here", visit({"start": "2026-11-23T16:01:00"}), "permitted"),
    Scenario("17:59 for a minute, not yet evening", visit({"start": "2026-11-23T17:59:00", "duration_minutes": 1}), "permitted"),
    Scenario("17:15 for 45 minutes, ends at 18:00", visit({"start": "2026-11-23T17:15:00", "duration_minutes": 45}), "permitted"),
    Scenario("17:15 for 46 minutes, runs into the evening", visit({"start": "2026-11-23T17:15:00", "duration_minutes": 46}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("17:45 for two hours", visit({"start": "2026-11-23T17:45:00", "duration_minutes": 120}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("length not known", visit({"duration_minutes": None}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("starts 18:00, evening", visit({"start": "2026-11-23T18:00:00"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("17:59 in BST given in UTC", visit({"start": "2026-07-06T16:59:00Z", "duration_minutes": 1}), "permitted"),
    Scenario("18:00 in BST given in UTC", visit({"start": "2026-07-06T17:00:00Z"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("16:01 in BST given in UTC", visit({"start": "2026-07-06T15:01:00Z"}), "permitted"),
    Scenario("05:30, before dawn counts as evening", visit({"start": "2026-11-23T05:30:00"}), "conditional", "evening home visit", ("evening-visit",)),
    Scenario("evening with a reason recorded", visit({"start": "2026-11-23T18:30:00", "out_of_hours": {"justification": "parent works days"}}), "permitted"),
    Scenario("a Saturday morning", visit({"start": "2026-11-21T10:00:00"}), "permitted"),
    # Pairing: mandatory for a first visit (nobody can agree a lone one); a lone repeat visit gets a notice.
    Scenario("lone first visit", visit(LONE_FIRST), "blocked", "Accompaniment is mandatory for a first visit", ("first-visit-in-pairs",)),
    Scenario("lone first visit the DSL agreed", visit(LONE_FIRST, {"lone_visit_approved_by": "dsl"}), "blocked", "mandatory for a first visit", ("first-visit-in-pairs",)),
    Scenario("lone, first visit not known", visit(ONE_STAFF, {"first_visit": None}), "blocked", "mandatory for a first visit", ("first-visit-in-pairs",)),
    Scenario("paired first visit", visit({"first_visit": True}), "permitted"),
    Scenario("lone repeat visit", visit(ONE_STAFF), "permitted", "appropriate person to accompany you", ("accompany-you",)),
    Scenario("lone repeat visit, risks known", visit(ONE_STAFF, {"household": {"known_risks": True}}), "conditional", "Arrange for an appropriate person to accompany you", ("accompany-where-risks",)),
    Scenario("lone repeat visit, risks not known", visit(ONE_STAFF, {"household": {"known_risks": None}}), "conditional", "Arrange for an appropriate person to accompany you", ("accompany-where-risks",)),
    # Authorisation: the safeguarding lead, for every visit.
    Scenario("no approval", visit({"approvals": []}), "conditional", "SAFEGUARDINGLEAD", ("authorised-by-safeguarding-lead",)),
    Scenario("headteacher only", visit({"approvals": ["headteacher"]}), "conditional", "AUTHORISED BY THE SAFEGUARDINGLEAD", ("authorised-by-safeguarding-lead",)),
    Scenario("deputy DSL only", visit({"approvals": ["deputy_dsl"]}), "conditional", "SAFEGUARDINGLEAD", ("authorised-by-safeguarding-lead",)),
    Scenario("senior attendance lead only", visit({"approvals": ["senior_attendance_lead"]}), "conditional", "SAFEGUARDINGLEAD", ("authorised-by-safeguarding-lead",)),
    Scenario("SLT and line manager only", visit({"approvals": ["slt", "line_manager"]}), "conditional", "SAFEGUARDINGLEAD", ("authorised-by-safeguarding-lead",)),
    Scenario("safeguarding lead only", visit({"approvals": ["dsl"]}), "permitted"),
    Scenario("emergency, not authorised", visit({"urgency": "emergency", "approvals": []}), "conditional", "ALL HOME VISITS", ("authorised-by-safeguarding-lead",)),
    # Animals: none in the meeting room (asked for at the door: a plan only reminds).
    Scenario("animals present, planning", visit(ANIMALS), "permitted", None, ("animals-out-of-meeting-room",)),
    Scenario("animals not known, planning", visit({"household": {"animals": "unknown"}}), "permitted", None, ("animals-out-of-meeting-room",)),
    Scenario("animals present, going in", visit(ANIMALS, at_door()), "conditional", "no animals in the room", ("animals-out-of-meeting-room",)),
    Scenario("animals present, on the doorstep", visit(ANIMALS, at_door({"meeting_room": "doorstep"})), "permitted"),
    Scenario("animals kept out at the door", visit(ANIMALS, at_door({"animals_secured": True})), "permitted"),
    Scenario("animals not kept out, going in", visit(ANIMALS, at_door({"animal_request_refused": True})), "blocked", "no animals in the room", ("animals-not-removed",)),
    Scenario("animals not kept out, at the door", visit(ANIMALS, at_door({"animal_request_refused": True, "meeting_room": None})), "conditional", "no animals in the room", ("animals-not-removed",)),
    Scenario("animals not kept out, on the doorstep", visit(ANIMALS, at_door({"animal_request_refused": True, "meeting_room": "doorstep"})), "permitted"),
    # Rooms: upstairs only with a responsible adult and if completely safe; never a child's bedroom.
    Scenario("upstairs alone", arrived({"meeting_room": "upstairs"}), "blocked", "unless accompanied by a responsible adult", ("upstairs-unaccompanied",)),
    Scenario("upstairs with a responsible adult", arrived({"meeting_room": "upstairs", "upstairs_escort": True}), "conditional", "completely safe", ("upstairs-accompanied",)),
    Scenario("child's bedroom with a parent", arrived({"meeting_room": "child_bedroom", "upstairs_escort": True}), "blocked", "bedroom", ("child-bedroom",)),
    Scenario("on the doorstep", arrived({"meeting_room": "doorstep"}), "permitted"),
    Scenario("invited in, the room not yet known", arrived({"meeting_room": None}), "conditional", "upstairs", ("upstairs-unaccompanied", "child-bedroom")),
    # At the door: a responsible adult's invitation; not if staff are concerned for their safety.
    Scenario("invited in by a child alone", arrived({"invited_in_by": "child", "responsible_adult_present": False}), "blocked", "unless invited in by a responsible adult", ("invited-in-by-responsible-adult", "child-alone-tell-dsl")),
    Scenario("invited in by a child, at the door", arrived({"invited_in_by": "child", "responsible_adult_present": False, "meeting_room": None}), "conditional", "unless invited in by a responsible adult", ("invited-in-by-responsible-adult",)),
    Scenario("nothing said about safety at the door", arrived({"staff_feel_unsafe": None, "meeting_room": "doorstep"}), "conditional", "any concerns about personal safety", ("safety-confirmed",)),
    Scenario("invited in by a child, an adult at home", arrived({"invited_in_by": "child"}), "blocked", "unless invited in by a responsible adult", ("invited-in-by-responsible-adult",)),
    Scenario("nobody at home, speaking on the doorstep", arrived({"responsible_adult_present": False, "invited_in_by": "nobody", "meeting_room": "doorstep"}), "permitted", None, ("child-alone-tell-dsl",)),
    Scenario("staff feel unsafe", arrived({"staff_feel_unsafe": True}), "blocked", "concerned about your safety do not visit", ("feel-unsafe", "leave-and-inform-school")),
    Scenario("staff feel unsafe on the doorstep", arrived({"staff_feel_unsafe": True, "meeting_room": "doorstep"}), "blocked", "do not visit", ("feel-unsafe",)),
    Scenario("occupant gives concern", arrived({"occupant_concern": True}), "blocked", "any concerns about personal safety", ("occupant-concern", "leave-and-inform-school")),
    # Waiting: the policy sets no limit (TCAT cancels after 20 minutes); going in still needs an adult's invitation.
    Scenario("parents not in, waited 20 minutes", arrived({**DOORSTEP_NO_PARENTS, "minutes_waited": 20}), "permitted"),
    Scenario("parents not in, waited 21 minutes", arrived({**DOORSTEP_NO_PARENTS, "minutes_waited": 21}), "permitted"),
    Scenario("parents arrive after 35 minutes and invite staff in", arrived({"minutes_waited": 35}), "permitted"),
    # Contagious illness: the policy says nothing (Wirksworth keeps staff on the doorstep).
    Scenario("contagious illness in the household", visit({"household": {"contagious_illness": True}}), "permitted"),
    Scenario("contagious illness, meeting inside", visit({"household": {"contagious_illness": True}}, at_door()), "permitted"),
    # Known risks: a notice (concerned for your safety: do not visit).
    Scenario("risks known", visit({"household": {"known_risks": True}}), "permitted", "concerned about your safety", ("known-risks-concern",)),
    # Preparation.
    Scenario("planned, parents not told", visit({"parents_informed": False}), "conditional", "wherever possible parents", ("parents-informed",)),
    Scenario("emergency, parents not told", visit({"urgency": "emergency", "parents_informed": False}), "permitted"),
    Scenario("welfare check, parents not told", visit({"purpose": "welfare_check", "parents_informed": False}), "permitted"),
    Scenario("planned safeguarding visit, parents not told", visit({"purpose": "safeguarding", "parents_informed": False}), "conditional", "emergency safeguarding visits", ("parents-informed",)),
    Scenario("no risk assessment", visit({"risk_assessment": "none"}), "conditional", "Lone Working & Home Visits Risk Assessment", ("risk-assessment",)),
    Scenario("risk assessment completed, not approved", visit({"risk_assessment": "completed"}), "permitted"),
    Scenario("school not told where", visit({"visit_plan_lodged": False}), "conditional", "knows where you are going", ("location-with-student-services",)),
    Scenario("no mobile phone", visit({"staff": [dict(s, school_phone=False) for s in STAFF]}), "conditional", "mobile phone", ("mobile-phone",)),
    Scenario("own mobile phones (tcat asks for school ones)", visit({"staff": [dict(s, school_phone=False, mobile_phone=True) for s in STAFF]}), "permitted"),
    Scenario("no identification on a repeat visit", visit({"staff": [dict(s, id_badge=False) for s in STAFF]}), "conditional", "Carry identification", ("carry-identification",)),
    Scenario("no safe word, lone repeat visit", visit(ONE_STAFF, {"check_in": {"code_word_agreed": False}}), "conditional", "Safe word", ("code-word",)),
    Scenario("no safe word, paired visit", visit({"check_in": {"code_word_agreed": False}}), "conditional", "Safe word", ("code-word",)),
    Scenario("no contact time agreed", visit({"check_in": {"interval_minutes": None}}), "conditional", "prior agreed timeframe", ("contact-timeframe",)),
    Scenario("contact within two hours agreed", visit({"check_in": {"interval_minutes": 120}}), "permitted"),
    # Staffing: the policy sets no DBS level, training or roles (TCAT does).
    Scenario("a basic DBS check, untrained form tutors", visit({"staff": [dict(s, role="form_tutor", dbs="basic", home_visit_trained=False) for s in STAFF]}), "permitted"),
]


@parametrize(SCENARIOS)
def test_ellesmere(scenario):
    run("ellesmere", scenario)


def test_a_plan_with_animals_is_not_patched_with_door_facts():
    plan = visit(ANIMALS, {"parents_informed": False})
    assert combined_remedy(plan, school="ellesmere", today=TODAY) == {"parents_informed": True}


def test_after_a_refusal_the_remedy_is_the_doorstep_never_animals_secured():
    d = check(visit(ANIMALS, at_door({"animal_request_refused": True})), school="ellesmere", today=TODAY)
    remedies = {f.rule: f.remedy for f in d.findings if f.outcome.value != "permitted"}
    assert remedies == {"animals-not-removed": {"on_arrival": {"meeting_room": "doorstep"}},
                        "animals-out-of-meeting-room": {"on_arrival": {"meeting_room": "doorstep"}}}


def test_an_evening_visit_is_offered_another_time_first():
    d = check(visit({"start": "2026-11-23T17:45:00", "duration_minutes": 120}), school="ellesmere", today=TODAY)
    (f,) = [f for f in d.findings if f.rule == "evening-visit"]
    assert f.remedy == {"start": "2026-11-23T16:00:00+00:00"}  # the same two hours, ending at 18:00
