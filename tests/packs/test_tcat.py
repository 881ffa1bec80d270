"""TCAT (The Consortium Academy Trust): scenarios, each a visit patch, its outcome and the words cited."""

from __future__ import annotations

from tests.scenarios import Scenario, parametrize, run
from tests.visits import ONE_STAFF, arrived, visit, at_door

LONE_AGREED = {**ONE_STAFF, "lone_visit_approved_by": "headteacher"}
UNTRAINED_TUTOR = {"role": "form_tutor", "home_visit_trained": True, "dbs": "enhanced", "school_phone": True, "id_badge": True}

SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted"),
    # The 20-minute wait, at its boundary.
    Scenario("waited 19 minutes", arrived({"parents_present": False, "minutes_waited": 19}), "conditional", "wait no longer than 20 minutes", ("wait-within-limit",)),
    Scenario("waited 20 minutes", arrived({"parents_present": False, "minutes_waited": 20}), "conditional", "wait no longer than 20 minutes", ("wait-within-limit",)),
    Scenario("waited 21 minutes", arrived({"parents_present": False, "minutes_waited": 21}), "blocked", "the visit will be cancelled", ("wait-exceeded",)),
    Scenario("parents present after a wait", arrived({"parents_present": True, "minutes_waited": 35}), "permitted"),
    # School hours: conditional on a justification and a responsible contact (no 4pm block here).
    Scenario("ends 15:30, inside school hours", visit({"start": "2026-11-23T14:45:00"}), "permitted"),
    Scenario("ends 15:31, outside school hours", visit({"start": "2026-11-23T14:46:00"}), "conditional", "responsible contact", ("outside-school-hours",)),
    Scenario("16:01 in BST given in UTC", visit({"start": "2026-07-06T15:01:00Z"}), "conditional", "outside of school hours", ("outside-school-hours",)),
    Scenario("evening, justified with a responsible contact", visit({"start": "2026-11-23T18:30:00", "out_of_hours": {"justification": "parent works days", "responsible_contact": True}}), "permitted"),
    Scenario("justified but no responsible contact", visit({"start": "2026-11-23T18:30:00", "out_of_hours": {"justification": "parent works days"}}), "conditional", "responsible contact"),
    Scenario("a Saturday", visit({"start": "2026-11-21T10:00:00"}), "conditional", "outside of school hours"),
    # Pairing: lone visits are conditional on the Headteacher's agreement and a lone risk assessment.
    Scenario("lone, nobody agreed", visit(ONE_STAFF), "conditional", "At least two staff members", ("pairs-unless-headteacher-agrees",)),
    Scenario("lone, agreed by the headteacher", visit(LONE_AGREED), "permitted"),
    Scenario("lone, agreed by the DSL only", visit(ONE_STAFF, {"lone_visit_approved_by": "dsl"}), "conditional", "unless the Headteacher decides"),
    Scenario("lone, agreed, no risk assessment", visit(LONE_AGREED, {"risk_assessment": "none"}), "conditional", "At least two staff members"),
    # Animals: a request first; refusal cancels.
    Scenario("animals present", visit({"household": {"animals": "present"}}), "conditional", "kept in a separate room", ("animals-separate-room",)),
    Scenario("animals not known", visit({"household": {"animals": "unknown"}}), "conditional", "kept in a separate room"),
    Scenario("animals secured at the door", visit({"household": {"animals": "present"}}, at_door({"animals_secured": True})), "permitted"),
    Scenario("animal request refused", visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True})), "blocked", "refuses, or is unable", ("animals-refused",)),
    # Upstairs: TCAT's policy says nothing about rooms.
    Scenario("upstairs with the parent", arrived({"meeting_room": "upstairs", "upstairs_escort": True}), "permitted"),
    # Authorisation: the Headteacher or a delegate by purpose.
    Scenario("attendance, no approval", visit({"approvals": []}), "conditional", "senior attendance lead", ("authorised-attendance",)),
    Scenario("attendance, senior attendance lead", visit({"approvals": ["senior_attendance_lead"]}), "permitted"),
    Scenario("welfare check, attendance lead only", visit({"purpose": "welfare_check", "approvals": ["senior_attendance_lead"]}), "conditional", "designated safeguarding lead for child welfare checks", ("authorised-welfare",)),
    Scenario("welfare check, DSL", visit({"purpose": "welfare_check", "approvals": ["dsl"]}), "permitted"),
    Scenario("exam invigilation, DSL only", visit({"purpose": "exam_invigilation", "approvals": ["dsl"]}), "conditional", "Approving all home visits", ("authorised-other",)),
    # At the door.
    Scenario("staff feel unsafe", arrived({"staff_feel_unsafe": True}), "blocked", "if they feel unsafe", ("feel-unsafe", "unsafe-cancellation-in-writing")),
    Scenario("occupant under the influence at the door", arrived({"occupant_concern": True, "meeting_room": "doorstep"}), "blocked", "avoid any situations", ("occupant-concern",)),
    Scenario("no appropriate adult, going in", arrived({"responsible_adult_present": False}), "blocked", "appropriate adult present", ("appropriate-adult",)),
    Scenario("no appropriate adult, on the doorstep", arrived({"responsible_adult_present": False, "meeting_room": "doorstep"}), "permitted"),
    # Preparation and staffing.
    Scenario("emergency, parents not told", visit({"urgency": "emergency", "parents_informed": False}), "permitted"),
    Scenario("planned, parents not told", visit({"parents_informed": False}), "conditional", "agreement of the parents", ("parents-agree",)),
    Scenario("risk assessment only completed", visit({"risk_assessment": "completed"}), "conditional", "approved by the Headteacher", ("risk-assessment-approved",)),
    Scenario("first visit without ID badges", visit({"first_visit": True, "staff": [dict(s, id_badge=False) for s in visit()["staff"]]}), "conditional", "identity badge", ("id-badge-first-visit",)),
    Scenario("repeat visit without ID badges", visit({"staff": [dict(s, id_badge=False) for s in visit()["staff"]]}), "permitted"),
    Scenario("a form tutor goes", visit({"staff": [visit()["staff"][0], UNTRAINED_TUTOR]}), "conditional", "form tutors", ("staff-roles",)),
    Scenario("own mobile phones, not the school's", visit({"staff": [dict(s, school_phone=False, mobile_phone=True) for s in visit()["staff"]]}), "conditional", "school-issued mobile phone", ("school-phone",)),
    Scenario("a basic DBS check", visit({"staff": [dict(s, dbs="basic") for s in visit()["staff"]]}), "conditional", "appropriate level of DBS check", ("dbs-check",)),
    Scenario("nobody trained is only a reminder", visit({"staff": [dict(s, home_visit_trained=False) for s in visit()["staff"]]}), "permitted", None, ("trained-member",)),
]


@parametrize(SCENARIOS)
def test_tcat(scenario):
    run("tcat", scenario)
