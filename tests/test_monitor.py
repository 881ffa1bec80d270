"""The visit monitor: what each school's timed rules write, in event time, and how bad events,
internal errors and interrupts are handled. Every test runs on both engines."""

from __future__ import annotations

import re
import threading
import time

import pytest

from policyengine import Action, DecisionError, InputError, Monitor, load_pack
from policyengine.monitor.engine_durable import DurableTimers
from policyengine.monitor.monitor import VisitProgram
from tests.monitor.harness import ENGINES, done, engine_for, needs_durable

DAY = "2026-11-23"
PLAN = {
    "purpose": "attendance",
    "start": f"{DAY}T10:00:00",
    "duration_minutes": 45,
    "staff": [{"role": "attendance_officer"}, {"role": "education_welfare_officer"}],
    "check_in": {"interval_minutes": 30, "code_word_agreed": True},
}


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00"


def planned(visit="V-17", when="09:00", plan=None, **extra):
    return {"visit": visit, "event": "planned", "at": at(when), "plan": plan or PLAN, **extra}


def ev(kind: str, when: str, visit="V-17", **extra):
    return {"visit": visit, "event": kind, "at": at(when), **extra}


def tick(when: str):
    return {"event": "tick", "at": at(when)}


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def monitors(engine):
    made = []

    def make(school):
        monitor = Monitor(school, engine=engine_for(school, engine))
        made.append(monitor)
        return monitor

    yield make
    for monitor in made:
        done(monitor)


def written(monitor, events) -> list[tuple]:
    out = []
    for event in events:
        out += [(a.action, a.due[11:16], a.at[11:16], a.step, a.who) for a in monitor.feed(event)]
    return out


# -- tcat ------------------------------------------------------------------------------------------


def test_tcat_office_calls_ten_minutes_after_arrival_then_escalates(monitors):
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "10:02"), ev("parents_arrived", "10:03"),
                      tick("10:12"), tick("10:13"), tick("10:40")])
    assert out == [
        ("office-check-in-call", "10:12", "10:13", 1, "school office"),
        ("notify-headteacher", "10:22", "10:40", 2, "school office"),
        ("police-if-concern", "10:32", "10:40", 3, "Headteacher"),
    ]


def test_tcat_a_check_in_meets_the_call_and_starts_the_30_minute_clock(monitors):
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "10:02"), ev("parents_arrived", "10:03"),
                      ev("check_in", "10:12"), ev("check_in", "10:41"), tick("11:11"), tick("11:12")])
    assert out == [("missed-check-in", "11:11", "11:12", 1, "school office")]
    assert m.running()[("V-17", "check-in-every-30-minutes")] == (2, f"{DAY}T11:21:00")


def test_tcat_the_risk_assessment_interval_replaces_30_minutes(monitors):
    m = monitors("tcat")
    plan = dict(PLAN, check_in={"interval_minutes": 15})
    out = written(m, [planned(plan=plan, escalation_minutes=5), ev("arrived", "10:00"), ev("entered", "10:01"),
                      ev("check_in", "10:05"), tick("10:30")])
    assert [a[:3] for a in out] == [("missed-check-in", "10:20", "10:30"), ("notify-headteacher", "10:25", "10:30")]


def test_tcat_parents_not_there_20_minutes_after_the_arranged_time(monitors):
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "09:55"), ev("check_in", "10:05"), tick("10:20"), tick("10:21")])
    assert out == [("cancel-the-visit", "10:20", "10:21", 1, "visiting staff")]


def test_tcat_staff_arriving_after_the_wait_allowed_are_told_at_once(monitors):
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "10:25")])
    assert out == [("cancel-the-visit", "10:20", "10:25", 1, "visiting staff")]


def test_leaving_ends_the_visit_timers(monitors):
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "10:00"), ev("left", "10:05"), tick("12:00")])
    assert out == [] and m.running() == {} and m.visits == ["V-17"]
    written(m, [ev("returned", "12:10")])
    assert m.visits == []


def test_tcat_needs_the_agreed_escalation_minutes(monitors):
    m = monitors("tcat")
    with pytest.raises(InputError, match="needs the minutes the office waits between escalation steps.*add 'escalation_minutes'"):
        m.feed(planned())
    assert m.visits == [] and m.now is None


# -- washwood, ellesmere, burgh, wirksworth -------------------------------------------------------


def test_washwood_not_back_at_the_expected_time_rings_then_escalates(monitors):
    m = monitors("washwood")
    out = written(m, [planned(expected_return=at("11:15"), escalation_minutes=15), ev("arrived", "10:00"),
                      ev("left", "10:50"), tick("11:16"), tick("12:00")])
    assert out == [
        ("ring-staff-mobile", "11:15", "11:16", 1, "Office Manager (or another member of the office staff)"),
        ("contact-the-students-home", "11:30", "12:00", 2, "Office Manager"),
        ("inform-slt", "11:45", "12:00", 3, "Office Manager"),
    ]
    assert written(m, [ev("returned", "12:05")]) == [("slt-contact-police", "12:00", "12:05", 4, "SLT")]


def test_washwood_expected_return_is_the_planned_end_plus_travel(monitors):
    m = monitors("washwood")
    out = written(m, [planned(travel_minutes=20, escalation_minutes=15), tick("11:05"), tick("11:06")])
    assert out == [("ring-staff-mobile", "11:05", "11:06", 1, "Office Manager (or another member of the office staff)")]


def test_washwood_a_check_in_with_a_new_return_time_moves_the_deadline(monitors):
    m = monitors("washwood")
    out = written(m, [planned(expected_return=at("11:15"), escalation_minutes=15), tick("11:20"),
                      ev("check_in", "11:22", expected_return=at("12:00")), tick("12:00"), tick("12:01")])
    assert [a[:3] for a in out] == [("ring-staff-mobile", "11:15", "11:20"), ("ring-staff-mobile", "12:00", "12:01")]


@pytest.mark.parametrize("same", [False, True], ids=["no-return-time", "the-same-return-time"])
def test_washwood_a_check_in_without_a_new_return_time_leaves_the_escalation_running(monitors, same):
    """washwood: once staff are overdue the escalation goes on "until they are back or a new time is
    agreed". A check-in that agrees no new time (none given, or the one already agreed) must neither
    stop nor restart it: each step comes once, at its own deadline."""
    m = monitors("washwood")
    extra = {"expected_return": at("11:15")} if same else {}
    out = written(m, [planned(expected_return=at("11:15"), escalation_minutes=15), ev("arrived", "10:00"),
                      tick("11:20"), ev("check_in", "11:25", **extra), tick("12:01"), ev("returned", "12:05")])
    assert [a[:4] for a in out] == [
        ("ring-staff-mobile", "11:15", "11:20", 1),
        ("contact-the-students-home", "11:30", "12:01", 2),
        ("inform-slt", "11:45", "12:01", 3),
        ("slt-contact-police", "12:00", "12:01", 4),
    ]


def test_washwood_needs_a_return_time(monitors):
    m = monitors("washwood")
    with pytest.raises(InputError, match="needs the time staff are expected back: add 'expected_return'"):
        m.feed(planned(escalation_minutes=15))


def test_ellesmere_alerts_the_police_without_contact_in_the_agreed_timeframe(monitors):
    m = monitors("ellesmere")
    assert written(m, [planned(expected_return=at("11:30")), ev("arrived", "10:00"), ev("left", "11:00"), tick("12:00")]) == []
    m = monitors("ellesmere")
    out = written(m, [planned("V-18", expected_return=at("11:30")), ev("arrived", "10:00", "V-18"), tick("11:31")])
    assert out == [("alert-the-police", "11:30", "11:31", 1, "school")]


def test_burgh_agreed_check_ins_and_the_eta_back(monitors):
    m = monitors("burgh")
    plan = dict(PLAN, check_in={"interval_minutes": 20})
    out = written(m, [planned(plan=plan, expected_return=at("11:00")), ev("arrived", "10:00"), ev("check_in", "10:15"),
                      tick("10:36"), ev("left", "10:50"), tick("11:01")])
    assert out == [
        ("missed-check-in", "10:35", "10:36", 1, "office/attendance team"),
        ("confirm-staff-are-safe", "11:00", "11:01", 1, "office/attendance team"),
    ]


def test_burgh_needs_the_agreed_check_in_interval(monitors):
    m = monitors("burgh")
    plan = {k: v for k, v in PLAN.items() if k != "check_in"}
    with pytest.raises(InputError, match=r"needs the check-in interval agreed for the visit.*add 'plan.check_in.interval_minutes'"):
        m.feed(planned(plan=plan, expected_return=at("11:00")))


def test_wirksworth_sets_no_deadline(monitors):
    m = monitors("wirksworth")
    assert not m.watches_anything
    assert written(m, [planned(), ev("arrived", "10:00"), tick("23:00")]) == []


# -- the action ------------------------------------------------------------------------------------


def test_an_action_has_the_issue_s_fields_and_cites_the_policy(monitors):
    m = monitors("tcat")
    m.feed(planned(escalation_minutes=10))
    m.feed(ev("arrived", "10:02"))
    (action,) = [a for a in m.feed(tick("10:13")) if a.rule == "office-check-in-call"]
    data = action.model_dump(mode="json")
    assert list(data)[:7] == ["visit", "due", "action", "who", "message", "rule", "citation"]
    assert data["visit"] == "V-17" and data["due"] == "2026-11-23T10:12:00" and data["action"] == "office-check-in-call"
    assert data["citation"]["document"] == "Home Visit Policy"
    assert "ten minutes after the staff member's arrival phone call" in data["citation"]["quote"]
    assert Action.model_validate(data) == action


def test_times_are_london_time_across_the_clock_change(monitors):
    m = monitors("tcat")
    plan = dict(PLAN, start="2026-10-25T00:50:00")
    m.feed({"visit": "V-1", "event": "planned", "at": "2026-10-25T00:00:00", "plan": plan, "escalation_minutes": 10})
    m.feed({"visit": "V-1", "event": "arrived", "at": "2026-10-25T01:55:00+01:00"})
    (call,) = [a for a in m.feed({"event": "tick", "at": "2026-10-25T01:10:00Z"}) if a.action == "office-check-in-call"]
    assert call.due == "2026-10-25T01:05:00+00:00"  # the second 01:05 of the night: written with its offset


# -- bad events ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        (ev("arrived", "08:00"), "out of time order: 2026-11-23T08:00:00 is before 2026-11-23T10:02:00"),
        (ev("check_in", "10:30", visit="V-99"), "unknown visit 'V-99'"),
        (ev("arrived", "10:30"), "staff have already arrived"),
        (ev("arrived", "10:02"), "duplicate event"),
        (planned(when="10:30"), "already being watched"),
        ({"visit": "V-17", "event": "arrived"}, "'at' is missing"),
        ({"visit": "V-17", "event": "teleported", "at": at("10:30")}, "'event' cannot be 'teleported'"),
        ({"visit": "V-17", "event": "check_in", "at": "half past ten"}, "is not an ISO 8601 date and time"),
        ({"visit": "V-17", "event": "check_in", "at": at("10:30"), "mood": "good"}, "unknown field 'mood'"),
        ({"event": "tick", "at": at("10:30"), "visit": "V-17"}, "a tick moves time on for every visit"),
        ({"visit": "V-17", "event": "check_in", "at": "2026-03-29T01:30:00"}, "does not exist in London"),
        (planned("V-2", when="10:30", plan=dict(PLAN, staff=[])), "plan: "),
        (planned("V-2", when="10:30", plan=dict(PLAN, school="burgh"), escalation_minutes=5), "the plan is for school 'burgh'"),
        ({"visit": "V-17", "event": "left", "at": at("10:30"), "plan": PLAN}, "'plan' belongs on the 'planned' event only"),
        ("not an object", "an event must be a JSON object"),
    ],
)
def test_a_bad_event_is_refused_and_changes_nothing(monitors, bad, message):
    m = monitors("tcat")
    m.feed(planned(escalation_minutes=10))
    m.feed(ev("arrived", "10:02"))
    before = (m.snapshot(), m.running())
    with pytest.raises(InputError, match=re.escape(message)):
        m.feed(bad)
    assert (m.snapshot(), m.running()) == before
    assert [a.action for a in m.feed(tick("10:13"))] == ["office-check-in-call"]


# -- failing closed ----------------------------------------------------------------------------------


def _durable(school):
    return DurableTimers(VisitProgram.compile(load_pack(school)).program)


@needs_durable
def test_timers_whose_content_hashes_collide_are_both_armed(monkeypatch):
    """Without an id of its own, durable-rules names a fact by a hash of its content and refuses a
    different fact whose hash collides as "already there". These two timer facts collide (found by
    asserting timer facts into one session until one was refused); each now carries its own id."""
    engine = _durable("tcat")
    call = [spec.id for spec in engine.program.timers].index("office-check-in-call")
    monkeypatch.setattr(DurableTimers, "_session", staticmethod(lambda subject: "m0"))
    params = {"start": 0, **{number.param: 600 for number in VisitProgram.compile(load_pack("tcat")).numbers}}
    for visit, seq in (("V-69764", 69764), ("V-145720", 145720)):
        engine.open(visit, params)
        engine.event(visit, "arrived", 1200, seq)  # the office's call: due 600 s later
    running = engine.running()
    assert running[("V-69764", call)] == (0, 69764, 1800) and running[("V-145720", call)] == (0, 145720, 1800)


@needs_durable
def test_an_action_that_fails_inside_durable_rules_is_an_error_not_a_missing_action():
    engine = _durable("tcat")
    original = engine._actions["due0"]

    def fails(matched):
        raise ValueError("broken on purpose")

    engine._actions["due0"] = fails
    m = Monitor("tcat", engine=engine)
    m.feed(planned(escalation_minutes=10))
    m.feed(ev("arrived", "10:02"))
    snapshot = m.snapshot()
    with pytest.raises(DecisionError, match="broken on purpose"):
        m.feed(tick("10:13"))
    with pytest.raises(DecisionError, match="stopped after an internal error"):
        m.feed(tick("10:14"))
    engine._actions["due0"] = original
    # The state before the failure is rebuilt by replay, and nothing is lost.
    again = Monitor.restore(snapshot, "tcat", engine="python")
    assert [a.action for a in again.feed(tick("10:13"))] == ["office-check-in-call"]


@needs_durable
def test_an_interrupt_inside_an_action_propagates_and_is_not_swallowed():
    engine = _durable("tcat")

    def interrupted(matched):
        raise KeyboardInterrupt

    engine._actions["arm0"] = interrupted
    m = Monitor("tcat", engine=engine)
    m.feed(planned(escalation_minutes=10))
    with pytest.raises(KeyboardInterrupt):
        m.feed(ev("arrived", "10:02"))
    with pytest.raises(DecisionError):
        m.feed(tick("10:13"))


def test_the_monitor_reads_no_clock_and_starts_no_thread(monitors, monkeypatch):
    threads = threading.active_count()

    def no_clock(*args):
        raise AssertionError("the wall clock was read")

    monkeypatch.setattr(time, "time", no_clock)
    monkeypatch.setattr(time, "monotonic", no_clock)
    m = monitors("tcat")
    out = written(m, [planned(escalation_minutes=10), ev("arrived", "10:02"), tick("10:13")])
    assert [a[0] for a in out] == ["office-check-in-call"]
    assert threading.active_count() == threads


# -- scale ---------------------------------------------------------------------------------------------


@needs_durable
def test_ten_thousand_visits_open_at_once_on_durable_rules():
    """Far more visits than durable-rules' 1,024 live sessions per ruleset: the visits share a fixed
    set of sessions. Every visit's deadline passes, each gives its action, and closing them all
    leaves no deadline behind."""
    engine = _durable("ellesmere")
    m = Monitor("ellesmere", engine=engine)
    n = 10_000
    for i in range(n):
        m.feed(planned(f"V-{i}", expected_return=at("11:30")))
    assert len(m.visits) == n
    actions = m.feed(tick("11:31"))
    assert len(actions) == n and len({a.visit for a in actions}) == n
    for i in range(n):
        m.feed(ev("returned", "11:40", f"V-{i}"))
    assert m.visits == [] and m.running() == {}
