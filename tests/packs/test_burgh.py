"""Burgh School: scenarios, each a visit patch, its outcome and the words cited."""

from __future__ import annotations

from tests.scenarios import TODAY, Scenario, parametrize, run
from tests.visits import AT_THE_DOOR, ONE_STAFF, arrived, visit

RISKS = {"household": {"known_risks": True}}
ANIMALS = {"household": {"animals": "present"}}
STAFF = visit()["staff"]
FORM_TUTOR = {"role": "form_tutor", "home_visit_trained": True, "dbs": "enhanced", "school_phone": True, "id_badge": True}
NOBODY_IN = {"parents_present": False, "responsible_adult_present": False, "invited_in_by": "nobody", "meeting_room": "doorstep"}

SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted", None, ("tell-office-leaving-returning", "record-the-visit")),
    Scenario("prepared, at the door", arrived(), "permitted"),
    # No wait limit: the policy sets none (TCAT cancels after 20 minutes).
    Scenario("parents not there, waited 20 minutes", arrived({"parents_present": False, "minutes_waited": 20}), "permitted"),
    Scenario("parents not there, waited 21 minutes", arrived({"parents_present": False, "minutes_waited": 21}), "permitted"),
    Scenario("no one answers after 45 minutes", arrived(dict(NOBODY_IN, minutes_waited=45)), "permitted", None, ("we-called-today-card",)),
    # Time of day: no cut-off and no evening rule; the office (the check-in contact) hours are a reminder.
    Scenario("ends 16:00, inside office hours", visit({"start": "2026-11-23T15:15:00"}), "permitted"),
    Scenario("ends 16:01, outside office hours", visit({"start": "2026-11-23T15:16:00"}), "permitted", None, ("office-is-check-in-contact",)),
    Scenario("starts 16:01", visit({"start": "2026-11-23T16:01:00"}), "permitted", None, ("office-is-check-in-contact",)),
    Scenario("16:01 in BST given in UTC", visit({"start": "2026-07-06T15:01:00Z"}), "permitted", None, ("office-is-check-in-contact",)),
    Scenario("starts 17:59", visit({"start": "2026-11-23T17:59:00"}), "permitted"),
    Scenario("starts 18:00, the evening", visit({"start": "2026-11-23T18:00:00"}), "permitted", None, ("office-is-check-in-contact",)),
    # Pairing: only where risks are known or suspected; nobody can waive it.
    Scenario("lone, no known risks", visit(ONE_STAFF), "permitted"),
    Scenario("lone first visit, no known risks", visit(ONE_STAFF, {"first_visit": True}), "permitted"),
    Scenario("lone, risks known", visit(ONE_STAFF, RISKS), "conditional", "plan a paired visit", ("paired-where-risks",)),
    Scenario("lone, risks not known", visit(ONE_STAFF, {"household": {"known_risks": None}}), "conditional", "plan a paired visit", ("paired-where-risks",)),
    Scenario("lone, risks known, headteacher agreed", visit(ONE_STAFF, RISKS, {"lone_visit_approved_by": "headteacher"}), "conditional", "plan a paired visit"),
    Scenario("paired, risks known", visit(RISKS), "permitted", None, ("reasonable-doubt",)),
    # Authorisation: the Headteacher, with the DSL where safeguarding is involved.
    Scenario("attendance, no approval", visit({"approvals": []}), "conditional", "Authorises home visits", ("authorised-by-headteacher",)),
    Scenario("attendance, headteacher", visit({"approvals": ["headteacher"]}), "permitted"),
    Scenario("attendance, senior attendance lead only", visit({"approvals": ["senior_attendance_lead"]}), "conditional", "Authorises home visits", ("authorised-by-headteacher",)),
    Scenario("attendance, DSL only", visit({"approvals": ["dsl"]}), "conditional", "Authorises home visits", ("authorised-by-headteacher",)),
    Scenario("attendance, SLT and line manager only", visit({"approvals": ["slt", "line_manager"]}), "conditional", "Authorises home visits", ("authorised-by-headteacher",)),
    Scenario("safeguarding, headteacher only", visit({"purpose": "safeguarding", "approvals": ["headteacher"]}), "conditional", "with the DSL where safeguarding is involved", ("dsl-where-safeguarding",)),
    Scenario("safeguarding, headteacher and deputy DSL", visit({"purpose": "safeguarding", "approvals": ["headteacher", "deputy_dsl"]}), "conditional", "with the DSL where safeguarding is involved", ("dsl-where-safeguarding",)),
    Scenario("safeguarding, headteacher and DSL", visit({"purpose": "safeguarding", "approvals": ["headteacher", "dsl"]}), "permitted"),
    Scenario("welfare check, headteacher only", visit({"purpose": "welfare_check", "approvals": ["headteacher"]}), "conditional", "with the DSL where safeguarding is involved", ("dsl-where-safeguarding",)),
    Scenario("emergency attendance, headteacher only", visit({"urgency": "emergency", "approvals": ["headteacher"]}), "conditional", "with the DSL where safeguarding is involved", ("dsl-emergency",)),
    Scenario("emergency, headteacher and DSL", visit({"urgency": "emergency", "approvals": ["headteacher", "dsl"]}), "permitted"),
    # At the door.
    Scenario("invited in by a child", arrived({"parents_present": False, "invited_in_by": "child", "responsible_adult_present": False}), "blocked", "do not enter if only a child is present", ("invited-by-responsible-adult", "not-if-only-a-child")),
    Scenario("adult there, but a child invited us in", arrived({"invited_in_by": "child"}), "blocked", "Only enter when invited by a responsible adult", ("invited-by-responsible-adult",)),
    Scenario("only a child, on the doorstep", arrived({"parents_present": False, "invited_in_by": "nobody", "responsible_adult_present": False, "meeting_room": "doorstep"}), "permitted"),
    Scenario("staff feel unsafe", arrived({"staff_feel_unsafe": True, "meeting_room": "doorstep"}), "blocked", "feel uncomfortable or at risk", ("feel-unsafe",)),
    Scenario("occupant under the influence", arrived({"occupant_concern": True, "meeting_room": "doorstep"}), "blocked", "withdraw if unsafe", ("occupant-concern",)),
    # Rooms: the ground floor only, no exception for an escort upstairs; never bedrooms.
    Scenario("ground floor", arrived({"meeting_room": "ground_floor"}), "permitted"),
    Scenario("invited in, the room not yet known", arrived({"meeting_room": None}), "conditional", "Remain on the ground floor", ("ground-floor-only", "no-bedrooms")),
    Scenario("invited in by a child, at the door", arrived({"parents_present": False, "invited_in_by": "child", "responsible_adult_present": False, "meeting_room": None}), "conditional", "do not enter if only a child is present", ("invited-by-responsible-adult", "not-if-only-a-child")),
    Scenario("nothing said about feeling at risk", arrived({"staff_feel_unsafe": None, "meeting_room": "doorstep"}), "conditional", "dynamic risk assessment", ("safety-confirmed",)),
    Scenario("upstairs with the parent", arrived({"meeting_room": "upstairs", "upstairs_escort": True}), "blocked", "Remain on the ground floor", ("ground-floor-only",)),
    Scenario("a child's bedroom", arrived({"meeting_room": "child_bedroom", "upstairs_escort": True}), "blocked", "do not enter bedrooms", ("no-bedrooms",)),
    # Animals: a request; a refusal leaves the condition unmet but does not cancel (TCAT cancels).
    Scenario("animals present, planning", visit(ANIMALS), "permitted", None, ("animals-secured",)),
    Scenario("animals not known, planning", visit({"household": {"animals": "unknown"}}), "permitted", None, ("animals-secured",)),
    Scenario("animals present, going in", visit(AT_THE_DOOR, ANIMALS), "conditional", "secured in another room", ("animals-secured",)),
    Scenario("animals present, on the doorstep", visit(AT_THE_DOOR, ANIMALS, {"on_arrival": {"meeting_room": "doorstep"}}), "permitted"),
    Scenario("animals secured at the door", visit(AT_THE_DOOR, ANIMALS, {"on_arrival": {"animals_secured": True}}), "permitted"),
    Scenario("animal request refused", visit(AT_THE_DOOR, ANIMALS, {"on_arrival": {"animals_secured": False, "animal_request_refused": True}}), "conditional", "secured in another room", ("animals-secured",)),
    # Contagious illness: the policy says nothing (Wirksworth keeps staff out); a reminder only.
    Scenario("contagious illness at home", visit(AT_THE_DOOR, {"household": {"contagious_illness": True}}), "permitted", None, ("reasonable-doubt",)),
    # Planning and preparation.
    Scenario("no risk assessment", visit({"risk_assessment": "none"}), "conditional", "Home Visit Risk Assessment", ("risk-assessment",)),
    Scenario("risk assessment completed, not approved", visit({"risk_assessment": "completed"}), "permitted"),
    Scenario("no visit plan with the office", visit({"visit_plan_lodged": False}), "conditional", "leave a visit plan with the office", ("visit-plan-with-office",)),
    Scenario("no check-in times agreed", visit({"check_in": None}), "conditional", "agree check-in times", ("check-in-times",)),
    Scenario("check-in every 60 minutes", visit({"check_in": {"interval_minutes": 60}}), "permitted"),
    Scenario("no code word", visit({"check_in": {"code_word_agreed": False}}), "permitted"),
    Scenario("no phone", visit({"staff": [dict(s, school_phone=False) for s in STAFF]}), "conditional", "charged mobile phone", ("charged-mobile-phone",)),
    Scenario("own charged phones (tcat asks for school ones)", visit({"staff": [dict(s, school_phone=False, mobile_phone=True) for s in STAFF]}), "permitted"),
    Scenario("repeat visit without ID", visit({"staff": [dict(s, id_badge=False) for s in STAFF]}), "conditional", "show school ID", ("school-id",)),
    Scenario("parents not told: a reminder", visit({"parents_informed": False}), "permitted", None, ("arrange-with-parents",)),
    # Staffing: the policy asks for no DBS level and limits no role; training is a reminder.
    Scenario("a basic DBS check", visit({"staff": [dict(s, dbs="basic") for s in STAFF]}), "permitted"),
    Scenario("a form tutor goes", visit({"staff": [STAFF[0], FORM_TUTOR]}), "permitted"),
    Scenario("nobody trained is only a reminder", visit({"staff": [dict(s, home_visit_trained=False) for s in STAFF]}), "permitted", "ensures staff training", ("staff-training",)),
]


@parametrize(SCENARIOS)
def test_burgh(scenario):
    run("burgh", scenario)


def test_after_a_refusal_the_remedy_is_the_doorstep():
    from policyengine import check

    refused = visit(AT_THE_DOOR, ANIMALS, {"on_arrival": {"animals_secured": False, "animal_request_refused": True}})
    (f,) = [f for f in check(refused, school="burgh", today=TODAY).findings if f.rule == "animals-secured"]
    assert f.outcome.value == "conditional" and f.remedy == {"on_arrival": {"meeting_room": "doorstep"}}
