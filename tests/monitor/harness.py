"""Running streams through monitors, with engines reused between hypothesis examples.

A durable-rules engine registers a ruleset that durable-rules never frees, so the property tests
keep one engine per school and engine kind and hand it to each new monitor; after each run the
visits still watched are closed, which leaves the engine empty for the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from policyengine import InputError, Monitor, load_pack
from policyengine.monitor.engine_durable import IMPORT_ERROR
from policyengine.monitor.monitor import VisitProgram, make_engine

#: The engines this Python runs: durable-rules does not import on Python 3.13.
ENGINES = ("python", "durable") if IMPORT_ERROR is None else ("python",)
needs_durable = pytest.mark.skipif(IMPORT_ERROR is not None, reason=f"durable-rules does not run here: {IMPORT_ERROR}")

_pool: dict[tuple, object] = {}


def engine_for(school: str, kind: str):
    pack = load_pack(school)
    key = (pack.digest, kind)  # a pack edited while the tests run gets engines of its own
    engine = _pool.get(key)
    if engine is None or getattr(engine, "broken", False):
        engine = _pool[key] = make_engine(VisitProgram.compile(pack).program, kind)
    return engine


@dataclass
class Run:
    monitor: Monitor
    #: Per line: (actions as tuples, the error message or None)
    lines: list

    @property
    def actions(self) -> list[tuple]:
        return [a for actions, _ in self.lines for a in actions]

    @property
    def accepted(self) -> list[bool]:
        return [error is None for _, error in self.lines]


def as_tuple(action) -> tuple:
    return (action.at, action.due, action.visit, action.rule, action.step, action.action, action.who)


def feed(monitor: Monitor, events: list) -> list:
    lines = []
    for event in events:
        try:
            lines.append(([as_tuple(a) for a in monitor.feed(event)], None))
        except InputError as exc:
            lines.append(([], str(exc)))
    return lines


def run(school: str, events: list, engine="python", monitor_class=Monitor) -> Run:
    if isinstance(engine, str):
        engine = engine_for(school, engine)
    monitor = monitor_class(school, engine=engine)
    try:
        return Run(monitor, feed(monitor, events))
    finally:
        done(monitor)


def done(monitor: Monitor) -> None:
    """Close every visit still watched, so the engine can serve the next run."""
    engine = monitor._timeline.engine
    if getattr(engine, "broken", False):
        return
    for name in monitor.visits:
        engine.close(name)
