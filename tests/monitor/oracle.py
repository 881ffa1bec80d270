"""What the monitor must write for a stream of events, worked out a second, simpler way.

For each visit and each of the pack's visit timers, walk the visit's accepted events in order and
keep the one deadline that timer has: an event that meets, ends or restarts the timer drops it; one
that starts or restarts it sets it from the pack's YAML and the plan; a deadline passes when the
next moment time reaches (any later event of the stream, or a tick) is after it, and then each
escalation step in turn. No heap, no engine, no shared code with the library but the pack model and
time parsing, so a mistake in either is not repeated here.

``expected(pack, stream)`` takes the stream as the monitor saw it, each line with whether the monitor
accepted it (bad lines never move time), and returns the actions as
``(at, due, visit, rule, step)`` in the order the monitor writes them.
"""

from __future__ import annotations

from policyengine._models import Visit
from policyengine.monitor.events import parse_time


def _minutes(number, plan: dict, event: dict):
    """The minutes a Wait/Deadline gives for this visit: the plan's number when it gives one."""
    if number.plan == "check_in.interval_minutes":
        given = ((plan.get("check_in") or {}).get("interval_minutes"))
    elif number.plan == "escalation_minutes":
        given = event.get("escalation_minutes")
    else:
        given = None
    return given if given is not None else number.minutes


def expected(pack, stream: list[tuple[dict, bool]]) -> list[tuple[int, int, str, str, int]]:
    timers = list(pack.timed.visit) if pack.timed else []
    escalations = pack.timed.escalations if pack.timed else {}
    accepted = [e for e, ok in stream if ok]
    moments = sorted({parse_time(e["at"]) for e in accepted})
    end = moments[-1] if moments else None

    def reached_after(due: int, since: int):
        """The first moment time reaches that is after ``due``, from ``since`` (when the timer was
        armed) on: when the monitor writes the action."""
        for moment in moments:
            if moment > due and moment >= since:
                return moment
        return None

    by_visit: dict[str, list[dict]] = {}
    for event in accepted:
        if event["event"] != "tick":
            by_visit.setdefault(event["visit"], []).append(event)
    out = []
    for visit, events in by_visit.items():
        # A visit name can be planned again after it returned: each planned..returned run is its own.
        runs, current = [], []
        for event in events:
            current.append(event)
            if event["event"] == "returned":
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        for run in runs:
            planned = run[0]
            plan = planned["plan"]
            start = int(Visit.model_validate(plan).start.timestamp())
            if planned.get("expected_return") is not None:
                ret = parse_time(planned["expected_return"])
            elif plan.get("duration_minutes") is not None and planned.get("travel_minutes") is not None:
                ret = start + (plan["duration_minutes"] + planned["travel_minutes"]) * 60
            else:
                ret = None
            closing = parse_time(run[-1]["at"]) if run[-1]["event"] == "returned" else None
            for rule in timers:
                steps = [(rule.id, 0)] + [
                    (step, _minutes(step.wait, plan, planned)) for step in (escalations.get(rule.escalation) or [])
                ]
                due = None  # (deadline, step index, armed at)
                current_ret = ret

                def first(at):
                    d = rule.deadline
                    if d.after == "start":
                        return start + d.minutes * 60
                    if d.after == "expected_return":
                        return current_ret + (d.minutes or 0) * 60
                    return at + _minutes(d, plan, planned) * 60

                def passing(until):
                    """Fire every step whose deadline is before ``until``."""
                    nonlocal due
                    while due is not None and (until is None or due[0] < until):
                        moment = reached_after(due[0], due[2])
                        if moment is None or (until is not None and moment > until) or (closing is not None and moment > closing):
                            return
                        out.append((moment, due[0], visit, rule.id, due[1] + 1))
                        following = due[1] + 1
                        if following < len(steps):
                            due = (due[0] + steps[following][1] * 60, following, moment)
                        else:
                            due = None

                for event in run:
                    at = parse_time(event["at"])
                    passing(at)
                    name = event["event"]
                    stops = set(rule.met_by) | set(rule.ends) | set(rule.restarts)
                    if name in stops:
                        due = None
                    if (name in rule.starts or name in rule.restarts) and due is None:
                        due = (first(at), 0, at)
                    if name == "check_in" and event.get("expected_return") is not None and current_ret is not None:
                        current_ret = parse_time(event["expected_return"])
                        if rule.deadline.after == "expected_return":
                            due = (first(at), 0, at)
                    if name == "returned":
                        due = None
                if closing is None:
                    passing(end + 1 if end is not None else None)
    out.sort(key=lambda a: (a[0], a[1], a[2], [r.id for r in timers].index(a[3]), a[4]))
    return out
