"""The intermediate form of timed rules, the contract of an engine that evaluates it, and the driver
that moves event time.

Both features compile to the same form. A *subject* (a visit, or a pupil's absence) has numeric
*params* (times and lengths fixed when it is opened). Each :class:`TimerSpec` is armed by some
events, re-armed by others and disarmed by others; when armed at event time ``t``, its deadline is
``after(base, amount)``: ``base`` is ``t`` or one of the subject's times (the arranged start, the
expected return), ``amount`` one of its lengths. A deadline that passes (event time moves beyond
it) while the timer is still armed fires the timer's first step, which arms the next step after
that step's own wait, and so on. Deadlines are computed from deadlines, never from the moment time
was seen to pass them, so a run depends only on the events, not on how often time was advanced.

Time is event time only: the driver (:class:`Timeline`) keeps the schedule of armed deadlines and
moves time forward when told to; nothing here reads a clock or starts a thread.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

from ..models import Citation

#: A deadline past the end of a school calendar (absence triggers only).
BEYOND = 2**53


@dataclass(frozen=True)
class StepSpec:
    """What is due when a step's deadline passes, and the param holding its wait (``None`` for the
    first step, whose deadline is the timer's own)."""

    action: str
    who: str
    message: str
    citation: Citation
    wait: Optional[str] = None


@dataclass(frozen=True)
class TimerSpec:
    id: str
    arm: frozenset[str]
    rearm: frozenset[str]
    disarm: frozenset[str]
    #: ``None``: counted from the arming event's time; else the param holding the base time.
    base: Optional[str]
    #: The param holding the first deadline's length after ``base``.
    amount: str
    steps: tuple[StepSpec, ...]
    #: The param that is 1 when the timer applies to a subject (``None``: it always applies).
    applies: Optional[str] = None

    def arms_on(self, event: str) -> bool:
        return event in self.arm or event in self.rearm

    def disarms_on(self, event: str) -> bool:
        return event in self.disarm or event in self.rearm


@dataclass(frozen=True)
class Program:
    """A pack's timers for one feature, and which timers each event concerns."""

    timers: tuple[TimerSpec, ...]
    by_event: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, timers: tuple[TimerSpec, ...]) -> Program:
        by_event: dict[str, list[int]] = {}
        for index, spec in enumerate(timers):
            for event in spec.arm | spec.rearm | spec.disarm:
                by_event.setdefault(event, []).append(index)
        return cls(timers, {e: tuple(ix) for e, ix in by_event.items()})

    def concerns(self, event: str) -> bool:
        return event in self.by_event


class Armed(NamedTuple):
    """A deadline put on the schedule: ordered by time, then subject, timer and step, so that actions
    due at the same moment come out in the same order whichever engine armed them."""

    due: int
    subject: str
    timer: int
    step: int
    gen: int


class Fired(NamedTuple):
    """A step whose deadline passed while its timer was armed: one action is due."""

    subject: str
    timer: int
    step: int
    due: int


#: ``after(base, amount)``: the deadline ``amount`` after ``base`` (seconds, or school days), or
#: :data:`BEYOND` when it cannot be known (past the end of the calendar).
After = Callable[[int, int], int]


def seconds_after(base: int, amount: int) -> int:
    return base + amount


def first_due(spec: TimerSpec, params: dict[str, Any], at: int, after: After) -> int:
    base = at if spec.base is None else params[spec.base]
    return after(base, params[spec.amount])


def next_due(spec: TimerSpec, step: int, params: dict[str, Any], due: int, after: After) -> Optional[int]:
    """The deadline of ``step`` + 1 after ``step``'s passed at ``due``; ``None`` after the last step."""
    if step + 1 >= len(spec.steps):
        return None
    if due >= BEYOND:
        return BEYOND
    wait = spec.steps[step + 1].wait
    if wait is None:  # only the first step has no wait of its own
        raise ValueError(f"timer '{spec.id}': step {step + 2} has no wait")
    return after(due, params[wait])


class TimerEngine:
    """What an evaluator of a :class:`Program` provides. The state of every subject (its params and
    its armed timers) lives in the engine; the :class:`Timeline` only keeps the schedule, an index
    of deadlines the engine armed, and asks the engine about each one when it passes.

    Every method raises on failure; a caller that sees an exception must stop using the engine
    (its state may be half-changed), which is why :class:`Monitor` keeps a log to rebuild from.
    """

    name = "base"

    def __init__(self, program: Program, after: Optional[After] = None):
        self.program = program
        self.after = after or seconds_after

    def open(self, subject: str, params: dict[str, int]) -> None:
        """Start tracking ``subject`` with ``params`` (it has no timers yet)."""
        raise NotImplementedError

    def update(self, subject: str, params: dict[str, int]) -> None:
        """Replace ``subject``'s params (timers already armed keep their deadlines)."""
        raise NotImplementedError

    def event(self, subject: str, name: str, at: int, seq: int) -> list[Armed]:
        """Apply event ``name`` (unique number ``seq``) at time ``at``: disarm what it meets or ends,
        then arm what it starts. Returns the deadlines it armed."""
        raise NotImplementedError

    def deadline(self, entry: Armed) -> tuple[Optional[Fired], Optional[Armed]]:
        """``entry``'s deadline has passed: if its timer is still armed at that step and generation,
        the step fires and the next step (if any) is armed. An entry whose timer was met, ended or
        re-armed since is stale: nothing happens."""
        raise NotImplementedError

    def close(self, subject: str) -> None:
        """Forget ``subject``: its params and every timer."""
        raise NotImplementedError

    def running(self) -> dict[tuple[str, int], tuple[int, int, int]]:
        """Every armed timer: (subject, timer) -> (step, generation, due). For tests and checks."""
        raise NotImplementedError


class Timeline:
    """Event time, and the schedule of armed deadlines, over a :class:`TimerEngine`."""

    def __init__(self, engine: TimerEngine):
        self.engine = engine
        self.now: Optional[int] = None
        self._schedule: list[Armed] = []
        #: subject -> timer -> (generation, step) of its latest arming. A timer has one deadline at a
        #: time, so an entry that a later arming superseded (a check-in restarting the clock) is
        #: dropped without asking the engine; any other entry is the engine's to judge.
        self._latest: dict[str, dict[int, tuple[int, int]]] = {}

    def advance(self, to: int) -> list[Fired]:
        """Move time to ``to``: every deadline before ``to`` passes, in order (an escalation armed on
        the way passes too if its own deadline is before ``to``)."""
        fired: list[Fired] = []
        schedule = self._schedule
        latest = self._latest
        while schedule and schedule[0].due < to:
            entry = heapq.heappop(schedule)
            if latest.get(entry.subject, {}).get(entry.timer) != (entry.gen, entry.step):
                continue
            done, following = self.engine.deadline(entry)
            if done is not None:
                fired.append(done)
            if following is not None:
                self._plan(following)
        if self.now is None or to > self.now:
            self.now = to
        return fired

    def event(self, subject: str, name: str, at: int, seq: int) -> None:
        for entry in self.engine.event(subject, name, at, seq):
            self._plan(entry)

    def forget(self, subject: str) -> None:
        """``subject`` is closed: its deadlines still on the schedule are dropped as they come up."""
        self._latest.pop(subject, None)

    def _plan(self, entry: Armed) -> None:
        self._latest.setdefault(entry.subject, {})[entry.timer] = (entry.gen, entry.step)
        if entry.due < BEYOND:
            heapq.heappush(self._schedule, entry)

    @property
    def next_due(self) -> Optional[int]:
        """The earliest deadline on the schedule (it may be one a later arming superseded)."""
        return self._schedule[0].due if self._schedule else None

    @property
    def scheduled(self) -> int:
        return len(self._schedule)
