"""Remedies: the time and room remedies, final findings, and folding every remedy into one."""

from __future__ import annotations

from pathlib import Path

from policyengine import check, combined_remedy, merge_patch
from policyengine._patch import merge_diff
from policyengine._policy import decide
from policyengine._visits import parse_visit
from policyengine._yaml import from_mapping
from policyengine.cli.check import render_text
from policyengine.models import FINAL_NOTE
from policyengine.packs.load import parse_pack
from tests.conftest import ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, arrived, visit

KINDS = str(Path(__file__).parent / "fixtures" / "kinds.yaml")


def one_rule_pack(quote: str = "q", **rule):
    rule = {"id": "r", "outcome": "blocked", "message": "m", "citation": {"section": "s", "quote": quote}, **rule}
    return parse_pack(from_mapping({"id": "p", "school": "S", "document": "D", "version": "1", "source": "p.txt",
                                    "rules": [rule]}, "p"), source=quote)


def finding(pack, v):
    (f,) = decide(pack, parse_visit(v), "python", TODAY).findings
    return f


def test_a_time_window_without_exceptions_is_remedied_by_another_time():
    weekdays_only = one_rule_pack(kind="time_window", when="outside_school_day")
    saturday = visit({"start": "2026-11-28T10:00:00", "duration_minutes": 45})
    assert finding(weekdays_only, saturday).remedy == {"start": "2026-11-30T10:00:00+00:00"}  # Monday, same time
    christmas_eve_late = visit({"start": "2026-12-24T15:00:00", "duration_minutes": 60})  # ends 16:00
    assert finding(weekdays_only, christmas_eve_late).remedy == {"start": "2026-12-24T15:00:00+00:00", "duration_minutes": 30}
    no_cutoff_after_4 = one_rule_pack("not after 4pm", kind="time_window", when="starts_after", time="16:00")
    summer_evening = visit({"start": "2026-07-06T19:00:00"})
    assert finding(no_cutoff_after_4, summer_evening).remedy == {"start": "2026-07-06T08:30:00+01:00"}
    never = one_rule_pack("not after 5am", kind="time_window", when="starts_after", time="05:00")  # night starts count as after it
    f = finding(never, visit())
    assert f.remedy is None and f.final


def test_a_room_rule_offers_any_room_it_does_not_cover():
    lower_floors = one_rule_pack(kind="rooms", rooms=["doorstep", "ground_floor"])
    assert finding(lower_floors, arrived({"meeting_room": "ground_floor"})).remedy == {"on_arrival": {"meeting_room": "upstairs"}}
    everywhere_alone = one_rule_pack(kind="rooms", rooms=["doorstep", "ground_floor", "upstairs", "child_bedroom"], escorted="no")
    assert finding(everywhere_alone, arrived()).remedy == {"on_arrival": {"upstairs_escort": True}}
    everywhere = one_rule_pack(kind="rooms", rooms=["doorstep", "ground_floor", "upstairs", "child_bedroom"])
    assert finding(everywhere, arrived()).final


def test_only_a_blocked_finding_without_a_remedy_is_final_and_the_text_says_so():
    d = check(arrived({"staff_feel_unsafe": True, "minutes_waited": 0}), school=KINDS, today=TODAY)
    finals = {f.rule for f in d.findings if f.final}
    assert finals == {"unsafe"}
    assert all(f.remedy is None and f.outcome.value == "blocked" for f in d.findings if f.final)
    assert " ".join(FINAL_NOTE.split()) in " ".join(render_text(d).split())
    assert "Nothing that can be changed" not in render_text(check(visit(ONE_STAFF), school=KINDS, today=TODAY))


def test_remedies_applied_side_by_side_undo_each_other_but_folded_they_permit():
    # Three rules each add an approver to the original list, and pairing adds a companion while
    # preparation gives every member (of the original list) a phone.
    v = visit(ONE_STAFF, {
        "purpose": "safeguarding", "approvals": [], "household": {"contagious_illness": True},
        "staff": [{"role": "dsl", "home_visit_trained": True, "dbs": "enhanced", "id_badge": True}],
    })
    d = check(v, school=KINDS, today=TODAY)
    remedies = [f.remedy for f in d.findings if f.remedy]
    side_by_side = v
    for r in remedies:
        side_by_side = merge_patch(side_by_side, r)
    assert check(side_by_side, school=KINDS, today=TODAY).outcome.value != "permitted"
    plan = combined_remedy(v, school=KINDS, today=TODAY)
    assert set(plan["approvals"]) >= {"headteacher", "dsl", "slt"}
    assert all(member.get("school_phone") for member in plan["staff"]) and len(plan["staff"]) == 2
    for engine in ENGINES_HERE:
        assert check(merge_patch(v, plan), school=KINDS, engine=engine, today=TODAY).outcome.value == "permitted"


def test_combined_remedy_is_empty_when_permitted_and_none_when_a_finding_is_final():
    permitted = visit({"staff": [{"role": "pastoral", "home_visit_trained": True, "dbs": "enhanced", "school_phone": True, "id_badge": True}] * 2})
    assert check(permitted, school=KINDS, today=TODAY).outcome.value == "permitted"
    assert combined_remedy(permitted, school=KINDS, today=TODAY) == {}
    refused = merge_patch(arrived({"animal_request_refused": True}), {"household": {"animals": "present"}})
    assert combined_remedy(refused, school=KINDS, today=TODAY) is None


def test_merge_diff_is_the_patch_between_two_visits():
    before = visit()
    after = merge_patch(before, {"staff": [{"role": "dsl"}], "check_in": {"code_word_agreed": False}, "first_visit": None})
    patch = merge_diff(before, after)
    assert patch == {"staff": [{"role": "dsl"}], "check_in": {"code_word_agreed": False}, "first_visit": None}
    assert merge_patch(before, patch) == after
