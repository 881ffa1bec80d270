"""Washwood Heath Academy: scenarios, each a visit patch, its outcome and the words cited."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scenarios import Scenario, parametrize, run
from tests.visits import ONE_STAFF, arrived, at_door, visit

#: The example visit shipped in examples/: 16:30 BST given in UTC, approved by the line manager only.
AFTER_4PM = json.loads((Path(__file__).resolve().parents[2] / "examples" / "washwood-after-4pm.json").read_text())

LM_ONLY = {"approvals": ["line_manager"]}
WITH_SLT = {"approvals": ["line_manager", "slt"]}
NO_ID = {"staff": [dict(s, id_badge=False) for s in visit()["staff"]]}
FORM_TUTOR = {"role": "form_tutor", "home_visit_trained": False, "dbs": "basic", "school_phone": False, "id_badge": True}


def at(start: str, *patches: dict) -> dict:
    """PREPARED at ``start``, with ``patches`` applied (the 45-minute visit runs to start + 45)."""
    return visit({"start": start}, *patches)


SCENARIOS = [
    Scenario("prepared paired daytime visit", visit(), "permitted", "sign in at reception", ("sign-in-on-return", "record-on-cpoms")),
    Scenario("prepared, at the door", arrived(), "permitted"),
    # The 4pm cut-off: blocked unless arranged with SLT; out of office hours needs SLT too.
    Scenario("example file: 16:30 BST in UTC, line manager only", AFTER_4PM, "blocked", "should not be arranged after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("example file arranged with SLT", {**AFTER_4PM, **WITH_SLT}, "permitted", "returned home safely", ("tell-line-manager-home-safe",)),
    Scenario("16:00 local, line manager only", at("2026-11-23T16:00:00", LM_ONLY), "conditional", "relevant member of SLT", ("out-of-office-hours-slt",)),
    Scenario("16:01 local, line manager only", at("2026-11-23T16:01:00", LM_ONLY), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("16:01 BST given in UTC", at("2026-07-06T15:01:00Z", LM_ONLY), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("16:00 BST given in UTC", at("2026-07-06T15:00:00Z", LM_ONLY), "conditional", "relevant member of SLT", ("out-of-office-hours-slt",)),
    Scenario("15:01 UTC in winter is 15:01 GMT", at("2026-11-23T15:01:00Z", {"duration_minutes": 59}, LM_ONLY), "permitted"),
    Scenario("ends 16:00, inside office hours", at("2026-11-23T15:15:00", LM_ONLY), "permitted"),
    Scenario("ends 16:01, outside office hours", at("2026-11-23T15:16:00", LM_ONLY), "conditional", "out of office hours", ("out-of-office-hours-slt", "tell-line-manager-home-safe")),
    Scenario("starts 07:30, before office hours", at("2026-11-23T07:30:00", LM_ONLY), "conditional", "relevant member of SLT", ("out-of-office-hours-slt",)),
    Scenario("17:59, line manager only", at("2026-11-23T17:59:00", LM_ONLY), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("18:00, line manager only", at("2026-11-23T18:00:00", LM_ONLY), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("18:00 arranged with SLT", at("2026-11-23T18:00:00", WITH_SLT), "permitted", "returned home safely", ("tell-line-manager-home-safe",)),
    Scenario("01:00 at night, line manager only", at("2026-11-24T01:00:00", LM_ONLY), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("after 4pm, headteacher only", at("2026-11-23T16:30:00", {"approvals": ["headteacher"]}), "blocked", "after 4.00pm", ("after-4pm-without-slt",)),
    Scenario("a Saturday morning, line manager only", at("2026-11-21T10:00:00", LM_ONLY), "conditional", "relevant member of SLT", ("out-of-office-hours-slt",)),
    Scenario("a Saturday morning, with SLT", at("2026-11-21T10:00:00", WITH_SLT), "permitted", "returned home safely", ("tell-line-manager-home-safe",)),
    # Always accompanied: a lone visit is blocked, whoever agrees it.
    Scenario("lone, nobody agreed", visit(ONE_STAFF), "blocked", "accompanied by another member", ("always-accompanied",)),
    Scenario("lone, agreed by the line manager", visit(ONE_STAFF, {"lone_visit_approved_by": "line_manager"}), "blocked", "accompanied by another member", ("always-accompanied",)),
    Scenario("lone, agreed by SLT", visit(ONE_STAFF, {"lone_visit_approved_by": "slt"}), "blocked", "accompanied by another member", ("always-accompanied",)),
    Scenario("lone, agreed by the headteacher, repeat visit", visit(ONE_STAFF, {"lone_visit_approved_by": "headteacher"}), "blocked", "accompanied by another member", ("always-accompanied",)),
    Scenario("lone emergency", visit(ONE_STAFF, {"urgency": "emergency"}), "blocked", "accompanied by another member", ("always-accompanied",)),
    Scenario("paired first visit", visit({"first_visit": True}), "permitted"),
    # Planned through the line manager or a member of the leadership team.
    Scenario("not planned with anyone", visit({"approvals": []}), "conditional", "Line Manager or a member of the leadership team", ("planned-with-line-manager-or-leadership",)),
    Scenario("planned with the line manager", visit(LM_ONLY), "permitted"),
    Scenario("planned with SLT", visit({"approvals": ["slt"]}), "permitted"),
    Scenario("planned with the headteacher", visit({"approvals": ["headteacher"]}), "permitted"),
    Scenario("approved by the DSL only", visit({"approvals": ["dsl"]}), "conditional", "leadership team", ("planned-with-line-manager-or-leadership",)),
    Scenario("approved by the senior attendance lead only", visit({"approvals": ["senior_attendance_lead"]}), "conditional", "leadership team", ("planned-with-line-manager-or-leadership",)),
    # Preparation.
    Scenario("no identification cards", visit(NO_ID), "conditional", "identification card", ("identification-card",)),
    Scenario("not signed out at reception", visit({"visit_plan_lodged": False}), "conditional", "sign out at reception", ("sign-out-at-reception",)),
    Scenario("sign-out not known", visit({"visit_plan_lodged": None}), "conditional", "sign out at reception", ("sign-out-at-reception",)),
    # At the door: the person arranged to visit not in, the person at the door, doubts, being shown in.
    Scenario("person not in, going in", arrived({"parents_present": False}), "blocked", "the person you have arranged to visit is not in", ("person-not-in",)),
    Scenario("person not known to be in, going in", arrived({"parents_present": None}), "blocked", "arranged to visit is not in", ("person-not-in",)),
    Scenario("person not in, 20 minutes on the doorstep", arrived({"parents_present": False, "minutes_waited": 20, "meeting_room": "doorstep"}), "permitted"),
    Scenario("person not in, 21 minutes on the doorstep", arrived({"parents_present": False, "minutes_waited": 21, "meeting_room": "doorstep"}), "permitted"),
    Scenario("person in after a 45-minute wait", arrived({"minutes_waited": 45}), "permitted"),
    Scenario("occupant under the influence", arrived({"occupant_concern": True}), "blocked", "under the influence of alcohol or drugs", ("occupant-gives-concern", "leave-and-rearrange")),
    Scenario("occupant concern, on the doorstep", arrived({"occupant_concern": True, "meeting_room": "doorstep"}), "blocked", "known to be violent", ("occupant-gives-concern",)),
    Scenario("staff doubt their safety", arrived({"staff_feel_unsafe": True}), "blocked", "any doubts concerning your safety", ("doubts-about-safety", "leave-and-rearrange")),
    # Who invites staff in: this policy has no such sentence (the other four do), so a child answering
    # the door does not stop a visit to parents who are in; parents who are not in stop it.
    Scenario("a child shows staff in to the parents", arrived({"invited_in_by": "child"}), "permitted", "follow the occupants into the room", ("follow-the-occupants-in",)),
    Scenario("nobody invited them in, parents in", arrived({"invited_in_by": "nobody"}), "permitted", None, ("follow-the-occupants-in",)),
    Scenario("a child alone invites them in", arrived({"invited_in_by": "child", "parents_present": False, "responsible_adult_present": False}), "blocked", "the person you have arranged to visit is not in", ("person-not-in",)),
    Scenario("the person arranged is not in, at the door", arrived({"parents_present": False, "meeting_room": None}), "conditional", "the person you have arranged to visit is not in", ("person-not-in",)),
    Scenario("nothing said about doubts at the door", arrived({"staff_feel_unsafe": None, "meeting_room": "doorstep"}), "conditional", "consider if it is safe to proceed", ("safety-confirmed",)),
    Scenario("a child at the door, on the doorstep", arrived({"invited_in_by": "child", "meeting_room": "doorstep"}), "permitted"),
    # Where this policy says nothing (other packs differ): permitted here.
    Scenario("animals present (tcat asks for them to be shut away)", visit({"household": {"animals": "present"}}), "permitted"),
    Scenario("animal request refused (tcat cancels)", visit({"household": {"animals": "present"}}, at_door({"animal_request_refused": True})), "permitted"),
    Scenario("upstairs without an escort (policy silent on rooms)", arrived({"meeting_room": "upstairs", "upstairs_escort": False}), "permitted"),
    Scenario("contagious illness (wirksworth keeps to the doorstep)", visit({"household": {"contagious_illness": True}}), "permitted"),
    Scenario("no risk assessment, phone, code word or DBS", visit({"risk_assessment": "none", "check_in": {"code_word_agreed": False}, "staff": [dict(s, school_phone=False, dbs="basic") for s in visit()["staff"]]}), "permitted"),
    Scenario("parents not told in advance", visit({"parents_informed": False}), "permitted"),
    Scenario("a form tutor goes, untrained", visit({"staff": [visit()["staff"][0], FORM_TUTOR]}), "permitted"),
]


@parametrize(SCENARIOS)
def test_washwood(scenario):
    run("washwood", scenario)
