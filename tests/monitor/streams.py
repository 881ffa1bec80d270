"""Hypothesis strategies: streams of monitor events for a school, mostly well formed, with the bad
lines a real feed has (out of time order, for an unknown visit, malformed, duplicated).

Times are whole minutes (and sometimes half minutes) so that events often land exactly on a
deadline, where "met" and "missed" part. Days include both clock changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

LONDON = ZoneInfo("Europe/London")
UTC = UTC
SCHOOLS = ("tcat", "burgh", "washwood", "ellesmere", "wirksworth")
#: An ordinary Monday, the Sunday the clocks go back (01:00-02:00 happens twice) and the one they go forward.
DAYS = (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 3, 29, 0, 0, tzinfo=UTC))


def iso(moment: datetime, naive: bool) -> str:
    """As callers write it: London wall-clock time (where that is unambiguous) or UTC."""
    local = moment.astimezone(LONDON)
    wall = local.replace(tzinfo=None)
    unambiguous = wall.replace(tzinfo=LONDON, fold=0).utcoffset() == wall.replace(tzinfo=LONDON, fold=1).utcoffset()
    if naive and unambiguous:
        return wall.isoformat(timespec="seconds")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


gaps = st.one_of(st.sampled_from((0, 1, 2, 5, 9, 10, 11, 19, 20, 21, 29, 30, 31, 40, 60)), st.integers(0, 90))


@st.composite
def visit_events(draw, name: str, day: datetime) -> list[tuple[datetime, dict]]:
    """One visit's events in order: planned, then a plausible (sometimes odd) life of the visit."""
    naive = draw(st.booleans())
    start = day + timedelta(minutes=draw(st.integers(0, 240)))
    duration = draw(st.sampled_from((None, 20, 45, 60)))
    interval = draw(st.sampled_from((None, 1, 10, 29, 30, 31)))
    plan = {"purpose": "attendance", "start": iso(start, naive), "staff": [{"role": "attendance_officer"}, {"role": "pastoral"}]}
    if duration is not None:
        plan["duration_minutes"] = duration
    if interval is not None:
        plan["check_in"] = {"interval_minutes": interval}
    planned = {"visit": name, "event": "planned", "plan": plan}
    escalation = draw(st.sampled_from((None, 1, 5, 10)))
    if escalation is not None:
        planned["escalation_minutes"] = escalation
    back = draw(st.sampled_from(("expected_return", "travel", None)))
    if back == "expected_return":
        planned["expected_return"] = iso(start + timedelta(minutes=draw(st.integers(1, 180))), naive)
    elif back == "travel":
        planned["travel_minutes"] = draw(st.integers(0, 60))
    t = start - timedelta(minutes=draw(st.integers(0, 60)))
    out = [(t, planned)]
    life = draw(st.lists(st.sampled_from(
        ("arrived", "parents_arrived", "entered", "check_in", "check_in", "check_in", "left", "cancelled", "returned", "new_return")
    ), max_size=9))
    for kind in life:
        t = t + timedelta(minutes=draw(gaps), seconds=draw(st.sampled_from((0, 0, 0, 30))))
        event = {"visit": name, "event": kind}
        if kind == "new_return":
            agreed = iso(t + timedelta(minutes=draw(st.integers(0, 60))), naive)
            if "expected_return" in planned and draw(st.booleans()):
                agreed = planned["expected_return"]  # the time already agreed, repeated: nothing new
            event = {"visit": name, "event": "check_in", "expected_return": agreed}
        out.append((t, event))
        if kind == "returned":
            break
    for moment, event in out:
        event["at"] = iso(moment, naive)
    return out


@st.composite
def streams(draw, school: str | None = None, bad: bool = True) -> tuple[str, list]:
    """(school, events): a few visits interleaved in time, ticks among them, and with ``bad`` some
    bad lines: an event out of time order, one for a visit never planned, a malformed one, a repeat."""
    school = school or draw(st.sampled_from(SCHOOLS))
    day = draw(st.sampled_from(DAYS))
    timed: list[tuple[datetime, int, dict]] = []
    for n in range(draw(st.integers(1, 4))):
        for order, (moment, event) in enumerate(draw(visit_events(f"V-{n}", day))):
            timed.append((moment, n * 100 + order, event))
    for _ in range(draw(st.integers(0, 4))):
        moment = day + timedelta(minutes=draw(st.integers(0, 600)))
        timed.append((moment, 10_000, {"event": "tick", "at": iso(moment, False)}))
    timed.sort(key=lambda item: (item[0], item[1]))
    events = [event for _, _, event in timed]
    if bad:
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(("late", "unknown", "malformed", "repeat")))
            index = draw(st.integers(0, len(events)))
            if kind == "late" and index > 0:
                early = dict(events[index - 1], at=iso(day - timedelta(days=1), False))
                events.insert(index, early)
            elif kind == "unknown":
                at = events[index - 1].get("at", iso(day, False)) if index > 0 else iso(day, False)
                events.insert(index, {"visit": "V-never", "event": "check_in", "at": at})
            elif kind == "malformed":
                events.insert(index, draw(st.sampled_from((
                    {"visit": "V-0", "event": "arrived"},
                    {"visit": "V-0", "event": "teleported", "at": iso(day, False)},
                    {"visit": "V-0", "event": "arrived", "at": "yesterday"},
                    {"event": "tick", "at": 1700000000},
                    {"visit": "V-0", "event": "left", "at": iso(day, False), "colour": "blue"},
                ))))
            elif kind == "repeat" and index > 0:
                events.insert(index, dict(events[index - 1]))
    return school, events
