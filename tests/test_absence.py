"""Absence triggers and school calendars: what a pupil's absence makes due, and by which school day."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine import AbsenceTriggers, InputError, SchoolCalendar, due
from policyengine.packs.timed import CalendarSpec
from tests.monitor.broken import IgnoresRestarts
from tests.monitor.harness import ENGINES, needs_durable
from tests.properties.search import counterexample

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = ROOT / "examples" / "absence" / "calendar-2026-27.yaml"
#: Thursday 19 November 2026 is Day 1: Day 3 is Monday 23, Day 6 Thursday 26, Day 10 Wednesday 2 December.
FIRST = "2026-11-19"
BASE = {"pupil": "P-1", "first_day": FIRST, "vulnerable": False, "whereabouts_known": True, "known_on_holiday": False}


@pytest.fixture(params=ENGINES)
def triggers(request):
    return AbsenceTriggers("burgh", calendar=CALENDAR, engine=request.param)


def dues(triggers, **changes) -> list[tuple[str, int, str]]:
    return [(str(a.due), a.school_day, a.rule) for a in triggers.due(dict(BASE, **changes))]


# -- the calendar ----------------------------------------------------------------------------------


def test_school_days_leave_out_weekends_bank_holidays_inset_days_and_holidays():
    cal = SchoolCalendar.load(CALENDAR)
    assert cal.is_school_day(date(2026, 11, 23))
    assert not cal.is_school_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_school_day(date(2026, 11, 2))  # INSET day
    assert not cal.is_school_day(date(2026, 10, 28))  # half term
    assert not cal.is_school_day(date(2027, 5, 3))  # early May bank holiday, in term
    assert cal.after(date(2026, 12, 17).toordinal(), 2) == date(2027, 1, 6).toordinal()  # Christmas, then an INSET day
    assert cal.after(date(2027, 7, 20).toordinal(), 5) is None


def test_bank_holidays_can_be_school_days_when_the_calendar_says_so():
    spec = CalendarSpec(terms=[{"start": "2027-04-26", "end": "2027-05-07"}], bank_holidays="none")
    assert SchoolCalendar(spec).is_school_day(date(2027, 5, 3))


@pytest.mark.parametrize(
    "calendar, message",
    [
        ("terms: []\n", "'terms' needs at least 1 item"),
        ("terms: [{start: 2026-09-02, end: 2026-07-01}]\n", "the term ends (2026-07-01) before it starts"),
        ("terms: [{start: 2026-09-02, end: 2026-10-23}, {start: 2026-10-20, end: 2026-12-18}]\n", "overlap"),
        ("terms: [{start: 2 Sept 2026, end: 2026-10-23}]\n", "must be a date written YYYY-MM-DD"),
        ("terms: [{start: 2026-09-02, end: 2026-10-23}]\nholidays: none\n", "unknown field 'holidays'"),
    ],
)
def test_a_bad_calendar_file_is_refused_with_its_line(tmp_path, calendar, message):
    path = tmp_path / "calendar.yaml"
    path.write_text(calendar)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        SchoolCalendar.load(path)
    assert caught.value.problems[0].line is not None


# -- burgh's triggers -------------------------------------------------------------------------------


def test_no_contact_and_not_seen(triggers):
    assert dues(triggers) == [
        ("2026-11-19", 1, "day-1-no-contact"),
        ("2026-11-23", 3, "day-3-safe-and-well-visit"),
        ("2026-11-26", 6, "day-6-eyes-on"),
        ("2026-12-02", 10, "pnar-10-consecutive-days"),
    ]


def test_contact_that_explains_the_absence_meets_the_day_3_visit(triggers):
    got = dues(triggers, contact=[{"on": "2026-11-20", "reason_known": True}])
    assert [r for _, _, r in got] == ["day-1-no-contact", "day-6-eyes-on", "pnar-10-consecutive-days"]
    unclear = dues(triggers, contact=[{"on": "2026-11-19", "reason_known": False}])
    assert [r for _, _, r in unclear] == ["day-3-safe-and-well-visit", "day-6-eyes-on", "pnar-10-consecutive-days"]


def test_contact_after_the_day_does_not_meet_it(triggers):
    got = dues(triggers, contact=[{"on": "2026-11-24", "reason_known": True}])  # Day 4
    assert ("2026-11-23", 3, "day-3-safe-and-well-visit") in got


def test_sooner_for_a_vulnerable_child_or_one_not_known_not_to_be(triggers):
    for vulnerable in (True, None):
        got = dues(triggers, vulnerable=vulnerable)
        assert ("2026-11-20", 2, "sooner-for-vulnerable-children") in got
        assert "day-3-safe-and-well-visit" not in [r for _, _, r in got]


def test_being_seen_restarts_the_five_days_without_eyes_on(triggers):
    got = dues(triggers, seen=[{"on": "2026-11-24", "by": "professional"}])  # Day 4
    assert ("2026-12-02", 10, "day-6-eyes-on") in got
    assert "day-3-safe-and-well-visit" in [r for _, _, r in got]  # a professional's sighting is not the school's visit
    weekend = dues(triggers, seen=[{"on": "2026-11-21", "by": "school_staff"}])  # Saturday after Day 2
    assert ("2026-11-30", 8, "day-6-eyes-on") in weekend
    assert "day-3-safe-and-well-visit" not in [r for _, _, r in weekend]


def test_no_eyes_on_visit_for_a_child_known_to_be_on_holiday(triggers):
    assert "day-6-eyes-on" not in [r for _, _, r in dues(triggers, known_on_holiday=True)]


def test_an_authorised_day_restarts_the_count_of_consecutive_unauthorised_days(triggers):
    got = dues(triggers, authorised=["2026-11-23"])  # Day 3
    assert ("2026-12-07", 13, "pnar-10-consecutive-days") in got


def test_whereabouts_not_confirmed(triggers):
    for known in (False, None):
        assert ("2026-11-19", 1, "cme-whereabouts-not-confirmed") in dues(triggers, whereabouts_known=known)


def test_nothing_falls_due_after_the_pupil_is_back(triggers):
    assert dues(triggers, last_day="2026-11-20") == [("2026-11-19", 1, "day-1-no-contact")]
    assert dues(triggers, last_day="2026-11-23")[-1] == ("2026-11-23", 3, "day-3-safe-and-well-visit")


def test_a_due_action_cites_the_policy(triggers):
    (first, *_) = triggers.due(BASE)
    assert first.school == "burgh" and first.pupil == "P-1" and first.who == "attendance team"
    assert first.citation.quote == "Attempt phone / text / email / ParentHub contact."
    assert first.citation.document == "Home Visits Policy"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"first_day": "2026-11-21"}, "first_day 2026-11-21 is not a school day"),
        ({"first_day": "2026-08-01"}, "first_day 2026-08-01 is outside the school calendar"),
        ({"contact": [{"on": "2026-11-18"}]}, "contact on 2026-11-18 is before the first day of absence"),
        ({"seen": [{"on": "2027-08-01", "by": "school_staff"}]}, "seen 2027-08-01 is outside the school calendar"),
        ({"first_day": "2027-07-19"}, "the day of 'day-6-eyes-on' falls after the end of the school calendar"),
        ({"seen": [{"on": "2026-11-20", "by": "parent"}]}, "'seen[0].by' cannot be 'parent'"),
        ({"vulnerable": "yes"}, "'vulnerable' must be true or false"),
        ({"last_day": "2026-11-01"}, "last_day (2026-11-01) is before first_day"),
        ({"name": "Sam"}, "unknown field 'name'"),
    ],
)
def test_a_bad_record_or_a_date_outside_the_calendar_is_an_error_not_a_guess(triggers, changes, message):
    with pytest.raises(InputError, match=re.escape(message)):
        triggers.due(dict(BASE, **changes))


def test_a_trigger_past_the_calendar_is_fine_once_the_pupil_is_back(triggers):
    got = dues(triggers, first_day="2027-07-19", last_day="2027-07-20")
    assert got[0] == ("2027-07-19", 1, "day-1-no-contact")


def test_due_needs_a_calendar_unless_the_pack_has_no_triggers():
    with pytest.raises(InputError, match="the 'burgh' pack has no school calendar"):
        due(BASE, school="burgh")
    assert due(BASE, school="tcat") == []  # tcat's policy sets no day of absence


def test_due_compiles_once_per_pack_calendar_and_engine():
    for engine in ENGINES:
        assert due(BASE, school="burgh", calendar=CALENDAR, engine="python") == due(BASE, school="burgh", calendar=CALENDAR, engine=engine)
    from policyengine.monitor import absence

    before = len(absence._triggers)
    due(BASE, school="burgh", calendar=CALENDAR, engine="python")
    assert len(absence._triggers) == before


# -- the engines agree --------------------------------------------------------------------------------

school_days = st.integers(0, 30).map(lambda n: date(2026, 11, 19) + timedelta(days=n))
tri = st.sampled_from((True, False, None))


@st.composite
def records(draw):
    first = draw(st.sampled_from(("2026-11-19", "2026-11-23", "2026-12-01", "2027-01-06")))
    day = date.fromisoformat(first)
    after = st.integers(0, 25).map(lambda n: (day + timedelta(days=n)).isoformat())
    record = {"first_day": first, "vulnerable": draw(tri), "known_on_holiday": draw(tri), "whereabouts_known": draw(tri),
              "contact": [{"on": d, "reason_known": draw(tri)} for d in draw(st.lists(after, max_size=3))],
              "seen": [{"on": d, "by": draw(st.sampled_from(("school_staff", "professional")))} for d in draw(st.lists(after, max_size=3))],
              "authorised": draw(st.lists(after, max_size=3, unique=True))}
    if draw(st.booleans()):
        record["last_day"] = draw(after)
    return record


def _agree(record, python_triggers, durable_triggers) -> list[str]:
    try:
        p = [a.model_dump(mode="json") for a in python_triggers.due(record)]
    except InputError as exc:
        p = str(exc)
    try:
        d = [a.model_dump(mode="json") for a in durable_triggers.due(record)]
    except InputError as exc:
        d = str(exc)
    return [] if p == d else [f"the durable and python engines disagree: durable {d}, python {p}"]


PYTHON = AbsenceTriggers("burgh", calendar=CALENDAR, engine="python")
DURABLE = AbsenceTriggers("burgh", calendar=CALENDAR, engine=ENGINES[-1])


@needs_durable
@given(records())
def test_the_engines_give_the_same_triggers(record):
    assert not _agree(record, PYTHON, DURABLE)


@needs_durable
def test_the_engines_agree_fails_for_an_engine_that_ignores_restarts():
    broken = AbsenceTriggers("burgh", calendar=CALENDAR, engine="python")
    broken._engine = IgnoresRestarts(broken.program, broken._after)
    found = counterexample(lambda r: _agree(r, broken, DURABLE), records(), 1000, shrink=False)
    assert found is not None and "the durable and python engines disagree" in found.problems[0]
