"""TCAT (The Consortium Academy Trust): scenarios, each a visit patch, its outcome and the words cited."""

from __future__ import annotations

from policyengine import check, combined_remedy
from tests.scenarios import TODAY, Scenario, parametrize, run
from tests.visits import ONE_STAFF, PREPARED, arrived, at_door, visit

LONE_AGREED = {**ONE_STAFF, "lone_visit_approved_by": "headteacher"}
UNTRAINED_TUTOR = {"role": "form_tutor", "home_visit_trained": True, "dbs": "enhanced", "school_phone": True, "id_badge": True}

SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted"),
    # The 20-minute wait, at its boundary.
    Scenario("waited 19 minutes", arrived({"parents_present": False, "minutes_waited": 19}), "conditional", "wait no longer than 20 minutes", ("wait-within-limit",)),
    Scenario("waited 20 minutes", arrived({"parents_present": False, "minutes_waited": 20}), "conditional", "wait no longer than 20 minutes", ("wait-within-limit",)),
    Scenario("waited 21 minutes", arrived({"parents_present": False, "minutes_waited": 21}), "blocked", "wait no longer than 20 minutes. If the learner's parents do not arrive, the visit will be cancelled", ("wait-exceeded",)),
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
    Scenario("lone, agreed, no risk assessment", visit(LONE_AGREED, {"risk_assessment": "none"}), "conditional", "approved by the Headteacher", ("risk-assessment-approved",)),
    # Animals: a request at the door (a reminder on a plan); refusal cancels.
    Scenario("animals present, planning", visit({"household": {"animals": "present"}}), "permitted", None, ("animals-separate-room",)),
    Scenario("animals present, at the door", visit({"household": {"animals": "present"}}, at_door({"meeting_room": None})), "conditional", "kept in a separate room", ("animals-separate-room",)),
    Scenario("animals not known, at the door", visit({"household": {"animals": "unknown"}}, at_door()), "conditional", "kept in a separate room"),
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
    Scenario("nobody trained", visit({"staff": [dict(s, home_visit_trained=False) for s in visit()["staff"]]}), "conditional", "undergo the appropriate training", ("staff-trained", "trained-member")),
    # Issue 13, class 1: at the door, waiting is allowed; going in waits for an appropriate adult.
    Scenario("at the door, 19 minutes, no adult yet, no room", visit({"on_arrival": {"parents_present": False, "minutes_waited": 19, "responsible_adult_present": False, "staff_feel_unsafe": False, "occupant_concern": False}}), "conditional", "wait no longer than 20 minutes", ("wait-within-limit", "appropriate-adult")),
    Scenario("at the door, 21 minutes, no room", visit({"on_arrival": {"parents_present": False, "minutes_waited": 21, "staff_feel_unsafe": False, "occupant_concern": False}}), "blocked", "wait no longer than 20 minutes", ("wait-exceeded",)),
    Scenario("at the door, nothing said about safety", visit({"on_arrival": {"parents_present": True, "responsible_adult_present": True, "meeting_room": "doorstep"}}), "conditional", "avoid any situations that may risk their safety", ("safety-confirmed",)),
    # Class 4: the visit's purpose.
    Scenario("planned safeguarding visit, parents not told", visit({"purpose": "safeguarding", "parents_informed": False}), "permitted"),
    Scenario("planned welfare check, parents not told", visit({"purpose": "welfare_check", "parents_informed": False}), "permitted"),
    Scenario("a teacher takes work home", visit({"purpose": "work_drop_off", "staff": [visit()["staff"][0], UNTRAINED_TUTOR | {"role": "teacher"}]}), "permitted"),
    Scenario("a teacher on an attendance visit", visit({"staff": [visit()["staff"][0], UNTRAINED_TUTOR | {"role": "teacher"}]}), "conditional", "related to their role", ("staff-roles",)),
    Scenario("office staff take work home", visit({"purpose": "work_drop_off", "staff": [visit()["staff"][0], UNTRAINED_TUTOR | {"role": "office"}]}), "conditional", "related to their role", ("staff-roles-teaching",)),
    # Class 5: checkable sentences.
    Scenario("check in every hour", visit({"check_in": {"interval_minutes": 60, "code_word_agreed": True}}), "conditional", "every 30 minutes", ("check-in-interval-agreed",)),
    Scenario("no check-in agreed", visit({"check_in": {"interval_minutes": None}}), "conditional", "every 30 minutes", ("check-in-interval-agreed",)),
    # Class 6 and 9: after a refusal the visit is cancelled, on the doorstep too (the policy's words).
    Scenario("animals refused, on the doorstep", visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True, "meeting_room": "doorstep"})), "blocked", "the visit will be cancelled", ("animals-refused",)),
]


@parametrize(SCENARIOS)
def test_tcat(scenario):
    run("tcat", scenario)


def test_a_plans_remedy_arranges_only_what_can_be_arranged_in_advance():
    """Class 2: a plan with animals (or not known) is not patched with what staff will find at the door."""
    for animals in ("present", "unknown"):
        plan = visit({"household": {"animals": animals}, "parents_informed": False, "staff": ONE_STAFF["staff"]})
        patch = combined_remedy(plan, school="tcat", today=TODAY)
        assert "on_arrival" not in patch
        assert patch["parents_informed"] is True and len(patch["staff"]) == 2


def test_no_remedy_contradicts_a_refusal():
    """Class 6: after the parent refused, nothing says the animals are secured; the visit is cancelled."""
    refused = visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True}))
    d = check(refused, school="tcat", today=TODAY)
    assert d.phase == "inside" and d.outcome.value == "blocked"
    assert d.findings[0].rule == "animals-refused" and d.findings[0].final
    assert all((f.remedy or {}).get("on_arrival", {}).get("animals_secured") is None for f in d.findings)
    assert combined_remedy(refused, school="tcat", today=TODAY) is None


def test_a_lone_visit_is_offered_a_second_member_of_staff_first():
    """Class 7: "Wherever possible, lone working will be avoided"."""
    d = check(visit(ONE_STAFF), school="tcat", today=TODAY)
    (pairing,) = [f for f in d.findings if f.rule == "pairs-unless-headteacher-agrees"]
    assert pairing.remedy == {"staff": [PREPARED["staff"][0]] * 2}
    assert "Wherever possible, lone working will be avoided" in pairing.citation.quote


def test_a_visit_after_school_is_offered_school_hours_first():
    """Class 7: "Home visits will take place during school hours wherever possible"."""
    late = visit({"start": "2026-11-23T16:30:00"})
    (f,) = [f for f in check(late, school="tcat", today=TODAY).findings if f.rule == "outside-school-hours"]
    assert f.remedy == {"start": "2026-11-23T08:30:00+00:00"}
    emergency = visit({"start": "2026-11-23T16:30:00", "urgency": "emergency"})
    (f,) = [f for f in check(emergency, school="tcat", today=TODAY).findings if f.rule == "outside-school-hours"]
    assert set(f.remedy["out_of_hours"]) == {"justification", "responsible_contact"}


def test_waiting_at_the_door_has_no_remedy_staff_can_make():
    d = check(visit({"on_arrival": {"parents_present": False, "minutes_waited": 19, "staff_feel_unsafe": False,
                                    "occupant_concern": False, "meeting_room": "doorstep"}}), school="tcat", today=TODAY)
    assert d.phase == "door" and d.outcome.value == "conditional"
    (wait,) = d.findings[:1]
    assert wait.rule == "wait-within-limit" and wait.remedy is None and not wait.final
