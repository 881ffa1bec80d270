"""The monitor's properties, each as a check that returns the problems it finds (empty: it holds).

Each takes a school and a stream of events (as tests/monitor/streams.py draws them) and the engine
or monitor class to run, so that tests/test_monitor_properties_broken.py can run the same check on
something broken on purpose and see it fail.
"""

from __future__ import annotations

from policyengine import InputError, Monitor, load_pack
from policyengine.monitor.events import parse_time

from .harness import done, engine_for, feed, run
from .oracle import expected


def engines_agree(school: str, events: list, python="python", durable="durable") -> list[str]:
    """The durable-rules and python engines write the same actions and refuse the same lines, and
    are left holding the same deadlines."""
    problems = []
    runs = {}
    for name, engine in (("python", python), ("durable", durable)):
        if isinstance(engine, str):
            engine = engine_for(school, engine)
        monitor = Monitor(school, engine=engine)
        try:
            runs[name] = (feed(monitor, events), monitor.running())
        finally:
            done(monitor)
    (p_lines, p_running), (d_lines, d_running) = runs["python"], runs["durable"]
    for number, (p, d) in enumerate(zip(p_lines, d_lines, strict=True), 1):
        if p != d:
            problems.append(f"line {number}: the durable and python engines disagree: durable {d}, python {p}")
            break
    if not problems and p_running != d_running:
        problems.append(f"the engines hold different deadlines at the end: durable {d_running}, python {p_running}")
    return problems


def no_action_before_its_deadline(school: str, events: list, engine="python", monitor_class=Monitor) -> list[str]:
    """Every action is written at an event time strictly after its deadline."""
    done_run = run(school, events, engine, monitor_class)
    return [
        f"action {a[5]} for {a[2]} (rule {a[3]}) is due {a[1]} but was written at {a[0]}, not after it"
        for a in done_run.actions
        if parse_time(a[0]) <= parse_time(a[1])
    ]


def each_missed_deadline_once(school: str, events: list, engine="python", monitor_class=Monitor) -> list[str]:
    """Each deadline that passes without its event gives exactly one action, when time first passes
    it, and nothing else is written: the monitor's actions are exactly the oracle's."""
    done_run = run(school, events, engine, monitor_class)
    got = [(parse_time(a[0]), parse_time(a[1]), a[2], a[3], a[4]) for a in done_run.actions]
    want = expected(load_pack(school), list(zip(events, done_run.accepted, strict=True)))
    if got == want:
        return []
    extra = [a for a in got if a not in want or got.count(a) > want.count(a)]
    missing = [a for a in want if a not in got or want.count(a) > got.count(a)]
    return [f"the actions differ from the deadlines missed: written but not due {extra[:3]}, due but not written {missing[:3]}"
            + ("" if extra or missing else " (in another order)")]


def replay_gives_nothing_new(school: str, events: list, engine="python", monitor_class=Monitor) -> list[str]:
    """Feeding the same stream again gives no action, and no event it took the first time is taken
    again. (A line refused the first time is judged afresh: the visit may since be where it allows
    it, and that is not a repeat.)"""
    if isinstance(engine, str):
        engine = engine_for(school, engine)
    monitor = monitor_class(school, engine=engine)
    try:
        first = feed(monitor, events)
        again = feed(monitor, events)
    finally:
        done(monitor)
    problems = [f"replaying line {n} gave {actions}" for n, (actions, _) in enumerate(again, 1) if actions]
    problems += [
        f"replaying line {n} took {events[n - 1]} again"
        for n, ((_, error), (_, error_again)) in enumerate(zip(first, again, strict=True), 1)
        if error is None and error_again is None and events[n - 1].get("event") != "tick"  # a tick only moves time
    ]
    return problems


def bad_lines_change_nothing(school: str, events: list, engine="python", monitor_class=Monitor) -> list[str]:
    """A line the monitor refuses (out of time order, unknown visit, malformed, impossible) is
    reported, gives no action and leaves the state exactly as it was."""
    if isinstance(engine, str):
        engine = engine_for(school, engine)
    monitor = monitor_class(school, engine=engine)
    problems = []
    try:
        for number, event in enumerate(events, 1):
            before = (monitor.snapshot(), monitor.running())
            try:
                monitor.feed(event)
            except InputError as exc:
                if not str(exc):
                    problems.append(f"line {number} was refused without a message")
                if (monitor.snapshot(), monitor.running()) != before:
                    problems.append(f"line {number} was refused ({exc}) but changed the state")
    finally:
        done(monitor)
    return problems


def resume_continues(school: str, events: list, cut: int, monitor_class=Monitor) -> list[str]:
    """A monitor restored from a snapshot (taken after ``cut`` lines, into the other engine) writes
    exactly what the uninterrupted monitor writes for the rest of the stream."""
    cut = min(cut, len(events))
    whole = run(school, events, "python")
    first = monitor_class(school, engine=engine_for(school, "python"))
    try:
        feed(first, events[:cut])
        snapshot = first.snapshot()
    finally:
        done(first)
    resumed = Monitor.restore(snapshot, school, engine=engine_for(school, "durable"))
    try:
        rest = feed(resumed, events[cut:])
    finally:
        done(resumed)
    if rest != whole.lines[cut:]:
        return [f"after resuming at line {cut}: {rest} instead of {whole.lines[cut:]}"]
    return []
