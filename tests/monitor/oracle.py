"""What the monitor must write for a stream of events, worked out a second, simpler way.

For each visit and each of the pack's visit timers, walk the visit's accepted events in order and
keep the one deadline that timer has: an event that meets, ends or restarts the timer drops it; one
that starts or restarts it sets it from the pack's YAML and the plan; a deadline passes when the
next moment time reaches (any later event of the stream, or a tick) is after it, and then each
escalation step in turn. No heap, no engine, no shared code with the library but the pack model and
time parsing, so a mistake in either is not repeated here.

``expected(pack, stream)`` takes the stream as the monitor saw it, each line with whether the monitor
accepted it (bad lines never move time), and returns the actions as
``(at, due, visit, rule, step)`` in the order the monitor writes them: by line, then by deadline.
"""

from __future__ import annotations

from policyengine.models import Visit
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
    order = [r.id for r in timers]
    escalations = pack.timed.escalations if pack.timed else {}
    accepted = [e for e, ok in stream if ok]
    times = [parse_time(e["at"]) for e in accepted]

    def written_on(due: int, since: int):
        """The first accepted line, from line ``since`` on (the line that armed the deadline writes a
        deadline already past), whose time is after ``due``: the line that writes the action."""
        for index in range(since, len(times)):
            if times[index] > due:
                return index
        return None

    by_visit: dict[str, list[tuple[int, dict]]] = {}
    for index, event in enumerate(accepted):
        if event["event"] != "tick":
            by_visit.setdefault(event["visit"], []).append((index, event))
    out = []
    for visit, events in by_visit.items():
        # A visit name can be planned again after it returned: each planned..returned run is its own.
        runs, current = [], []
        for item in events:
            current.append(item)
            if item[1]["event"] == "returned":
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        for run in runs:
            planned = run[0][1]
            plan = planned["plan"]
            start = int(Visit.model_validate(plan).start.timestamp())
            if planned.get("expected_return") is not None:
                ret = parse_time(planned["expected_return"])
            elif plan.get("duration_minutes") is not None and planned.get("travel_minutes") is not None:
                ret = start + (plan["duration_minutes"] + planned["travel_minutes"]) * 60
            else:
                ret = None
            last = run[-1][0] if run[-1][1]["event"] == "returned" else len(times) - 1
            for rule in timers:
                steps = [0] + [_minutes(step.wait, plan, planned) for step in (escalations.get(rule.escalation) or [])]
                due = None  # (deadline, step index, the line from which it can be written)
                current_ret = ret

                def first(at):
                    d = rule.deadline
                    if d.after == "start":
                        return start + d.minutes * 60
                    if d.after == "expected_return":
                        return current_ret + (d.minutes or 0) * 60
                    return at + _minutes(d, plan, planned) * 60

                def passing(upto: int):
                    """Write every step whose deadline is passed by line ``upto`` (or before it)."""
                    nonlocal due
                    while due is not None:
                        line = written_on(due[0], due[2])
                        if line is None or line > upto:
                            return
                        out.append((line, times[line], due[0], visit, rule.id, due[1] + 1))
                        following = due[1] + 1
                        due = (due[0] + steps[following] * 60, following, line) if following < len(steps) else None

                stops = set(rule.met_by) | set(rule.ends) | set(rule.restarts)
                for index, event in run:
                    passing(index)
                    name = event["event"]
                    at = times[index]
                    if name in stops:
                        due = None
                    if (name in rule.starts or name in rule.restarts) and due is None:
                        due = (first(at), 0, index)
                    agreed = event.get("expected_return") if name == "check_in" else None
                    if agreed is not None and current_ret is not None and parse_time(agreed) != current_ret:
                        current_ret = parse_time(agreed)  # a new time agreed (the same one agrees nothing new)
                        if rule.deadline.after == "expected_return":
                            due = (first(at), 0, index)
                    if name == "returned":
                        due = None
                    passing(index)  # a deadline this event armed may already be past
                passing(last)
    out.sort(key=lambda a: (a[0], a[2], a[3], order.index(a[4]), a[5]))
    return [a[1:] for a in out]
