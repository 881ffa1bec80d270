"""The visit monitor: events in, the actions due out, in event time.

A :class:`Monitor` holds one school's timed rules, compiled once, and the state of every visit it
watches. Each event is checked first (well formed, in time order, about a visit being watched, and
possible at this point of the visit); a bad event raises :class:`InputError` and changes nothing.
A good one first moves event time to its ``at`` (every deadline before it passes, and the actions
due are returned), then is applied. A ``tick`` only moves time. Nothing reads the wall clock.

Every accepted event is kept, per visit, until the visit ends (``returned``): replaying them into a
fresh engine rebuilds the state exactly, which is what :meth:`Monitor.snapshot` saves and
:meth:`Monitor.restore` does, and what makes the monitor safe to resume after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from .._errors import DecisionError, InputError, PolicyEngineError, Problem
from .._validation import validate
from .._visits import parse_visit
from .._yaml import Loaded
from ..engines.base import default_engine
from ..models import Citation, Visit
from ..packs.load import PackBase, load_pack
from ..packs.timed import VisitTimer
from . import engine_durable
from .engine_python import PythonTimers
from .events import Action, Event, Parsed, format_time, parse_time
from .timers import After, Fired, Program, StepSpec, Timeline, TimerEngine, TimerSpec

if TYPE_CHECKING:  # for annotations only
    from ..packs.timed import Step, _Timer
    from ..plugins.registry import Registry

#: Internal event: the expected return changed (a check-in agreed a new time).
REPLANNED = "~replanned"
SNAPSHOT_FORMAT = 1


def timed_document(pack: PackBase, registry: Optional[Registry] = None) -> str:
    """The document a pack's timed rules quote: a pack that extends another and inherits its timed
    section quotes that pack's document, not its own."""
    if pack.extends and pack.timed is not None:
        parent = load_pack(pack.extends, registry=registry)
        if parent.timed == pack.timed:
            return timed_document(parent, registry)
    return pack.document


def _citation(spec: _Timer | Step, document: str) -> Citation:
    return Citation.of(spec.citation, document)


@dataclass(frozen=True)
class _Number:
    """How one param of a visit is worked out from the pack and the plan."""

    param: str
    rule: str
    minutes: Optional[int]
    plan: Optional[str]


@dataclass(frozen=True)
class VisitProgram:
    """A pack's visit timers compiled: the timers, and how each visit's params come from its plan."""

    school: str
    program: Program
    numbers: tuple[_Number, ...]
    needs_return: tuple[str, ...]
    rules: tuple[VisitTimer, ...]

    @classmethod
    def compile(cls, pack: PackBase, registry: Optional[Registry] = None) -> VisitProgram:
        timed = pack.timed
        document = timed_document(pack, registry)
        rules = tuple(timed.visit) if timed is not None else ()
        escalations = timed.escalations if timed is not None else {}
        timers: list[TimerSpec] = []
        numbers: list[_Number] = []
        needs_return: list[str] = []
        for index, rule in enumerate(rules):
            steps = [StepSpec(rule.action, rule.who, rule.message, _citation(rule, document))]
            for n, step in enumerate(escalations.get(rule.escalation, ()) if rule.escalation else (), 1):
                wait = f"w{index}_{n}"
                numbers.append(_Number(wait, rule.id, step.wait.minutes, step.wait.plan))
                steps.append(StepSpec(step.action, step.who, step.message, _citation(step, document), wait))
            deadline = rule.deadline
            base = {"event": None, "start": "start", "expected_return": "ret"}[deadline.after]
            amount = f"a{index}"
            minutes = deadline.minutes if deadline.minutes is not None or deadline.plan is not None else 0
            numbers.append(_Number(amount, rule.id, minutes, deadline.plan))
            rearm: set[str] = set(rule.restarts)
            if base == "ret":
                rearm.add(REPLANNED)
                needs_return.append(rule.id)
            timers.append(
                TimerSpec(
                    id=rule.id,
                    arm=frozenset(rule.starts),
                    rearm=frozenset(rearm),
                    disarm=frozenset(rule.met_by) | frozenset(rule.ends),
                    base=base,
                    amount=amount,
                    steps=tuple(steps),
                )
            )
        return cls(pack.id, Program.of(tuple(timers)), tuple(numbers), tuple(needs_return), rules)

    def params(self, visit: str, plan: Visit, event: Parsed) -> dict[str, int]:
        """The visit's params; :class:`InputError` naming what the plan must add when it lacks a
        number the policy leaves to it."""
        start = int(plan.start.timestamp())
        params: dict[str, int] = {"start": start}
        problems: list[str] = []
        interval = plan.check_in.interval_minutes if plan.check_in is not None else None
        for number in self.numbers:
            given = {"check_in.interval_minutes": interval, "escalation_minutes": event.escalation_minutes}.get(number.plan or "")
            minutes = given if given is not None else number.minutes
            if minutes is None:
                where = "plan.check_in.interval_minutes" if number.plan == "check_in.interval_minutes" else "escalation_minutes"
                why = (
                    "the check-in interval agreed for the visit"
                    if number.plan == "check_in.interval_minutes"
                    else "the minutes the office waits between escalation steps, as agreed for the visit"
                )
                message = f"timed rule '{number.rule}' needs {why}, which the policy does not give: add '{where}'"
                if message not in problems:
                    problems.append(message)
                continue
            params[number.param] = minutes * 60
        if self.needs_return:
            if event.expected_return is not None:
                params["ret"] = event.expected_return
            elif plan.duration_minutes is not None and event.travel_minutes is not None:
                params["ret"] = start + (plan.duration_minutes + event.travel_minutes) * 60
            else:
                problems.append(
                    f"timed rule '{self.needs_return[0]}' needs the time staff are expected back: add 'expected_return', "
                    "or the plan's duration_minutes and 'travel_minutes'"
                )
            if "ret" in params and params["ret"] <= start:
                problems.append("'expected_return' must be after the visit's start")
        if problems:
            raise InputError([Problem("<event>", None, None, f"visit '{visit}': {p}") for p in problems])
        return params


@dataclass
class _Watched:
    """What the monitor keeps of a visit it watches (its timers live in the engine)."""

    params: dict[str, Any]
    planned_at: int
    arrived: bool = False
    left: bool = False
    cancelled: bool = False
    #: Every accepted event of the visit, as (number, event), for snapshots.
    log: list[Any] = field(default_factory=list)


_PLAIN = frozenset({"arrived", "parents_arrived", "entered", "check_in", "left", "returned", "cancelled"})
_PLAIN_KEYS = frozenset({"visit", "event", "at"})
_TICK_KEYS = frozenset({"event", "at"})


def _simple(event: dict[str, Any]) -> Optional[Parsed]:
    """Most events are ``{"visit", "event", "at"}`` or a tick: checked here by hand, the same checks
    the model makes (about a fifth of an event's cost); anything else, or anything wrong, goes
    through the model, which says what is wrong."""
    keys = event.keys()
    at = event.get("at")
    if type(at) is not str:
        return None
    if keys == _PLAIN_KEYS:
        visit, kind = event["visit"], event["event"]
        if kind not in _PLAIN or type(visit) is not str or not 0 < len(visit) <= 200:
            return None
    elif keys == _TICK_KEYS and event["event"] == "tick":
        visit, kind = None, "tick"
    else:
        return None
    try:
        seconds = parse_time(at)
    except ValueError:
        return None
    return Parsed(visit, kind, seconds)


def make_engine(program: Program, engine: Optional[str], after: Optional[After] = None) -> TimerEngine:
    if engine is None:
        engine = default_engine()
    if engine == "python":
        return PythonTimers(program, after)
    if engine == "durable":
        return engine_durable.DurableTimers(program, after)
    raise InputError(Problem("<engine>", None, None, f"unknown engine '{engine}'; use one of: durable, python"))


class Monitor:
    """Watches visits for one school: feed it events, it returns the actions that fell due.

    >>> monitor = Monitor("tcat", engine="python")                      # doctest: +SKIP
    >>> monitor.feed({"visit": "V-17", "event": "planned", "at": "2026-11-23T09:00:00",
    ...               "plan": {...}, "escalation_minutes": 10})          # doctest: +SKIP
    []

    ``school`` is a pack id, a pack file or a loaded pack; ``engine`` is ``"durable"``
    (durable-rules holds the state; the default where durable-rules runs) or ``"python"`` (the
    reference evaluator; the default on Python 3.13), which give the same actions, or a :class:`~policyengine.monitor.timers.TimerEngine` built for this pack's program
    and holding no visits (tests pass engines broken on purpose, and reuse engines between runs).
    Not thread-safe: one monitor is fed from one thread.
    """

    def __init__(self, school: Any, *, engine: Any = None, registry: Optional[Registry] = None) -> None:
        self.pack = school if isinstance(school, PackBase) else load_pack(school, registry=registry)
        self.compiled = VisitProgram.compile(self.pack, registry)
        if isinstance(engine, TimerEngine):
            if engine.program != self.compiled.program:
                raise ValueError("the engine was built for another program than this pack's visit timers")
            runner = engine
        else:
            runner = make_engine(self.compiled.program, engine)
        self.engine_name = runner.name
        self._timeline = Timeline(runner)
        self._visits: dict[str, _Watched] = {}
        self._seq = 0
        self._broken: Optional[str] = None
        #: The events accepted at the latest instant (what a repeat at that instant is checked against).
        self._instant_at: Optional[int] = None
        self._instant: dict[tuple[Any, ...], Parsed] = {}

    # -- reading ----------------------------------------------------------------------------------

    @property
    def now(self) -> Optional[str]:
        """Event time so far (London time), or ``None`` before the first event."""
        return None if self._timeline.now is None else format_time(self._timeline.now)

    @property
    def visits(self) -> list[str]:
        """The visits being watched (planned and not yet returned)."""
        return sorted(self._visits)

    @property
    def watches_anything(self) -> bool:
        """Whether the school's pack has any timed rule for visits."""
        return bool(self.compiled.program.timers)

    def running(self) -> dict[tuple[str, str], tuple[int, str]]:
        """Every armed deadline: (visit, rule) -> (step, due). For tests and diagnostics."""
        out = {}
        for (visit, index), (step, _gen, due) in self._timeline.engine.running().items():
            out[(visit, self.compiled.program.timers[index].id)] = (step + 1, format_time(due))
        return out

    # -- feeding ----------------------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any] | Event, file: str = "<event>") -> list[Action]:
        """Apply one event; return the actions that fell due, oldest deadline first.

        Raises :class:`InputError` for an event that is malformed, earlier than an event already
        seen, about a visit not being watched, a duplicate, or impossible at this point of the
        visit (e.g. ``left`` before ``arrived``): nothing changes. Raises :class:`DecisionError`
        if the engine fails; the monitor then refuses further events (rebuild it with
        :meth:`restore` from a :meth:`snapshot` taken before).
        """
        if self._broken:
            raise DecisionError(f"this monitor stopped after an internal error ({self._broken}); restore it from a snapshot")
        parsed = self._parse(event, file)
        key = self._check(parsed, file)
        params = self._plan(parsed, file) if parsed.event == "planned" else None
        try:
            return self._apply(parsed, params, key)
        except PolicyEngineError as exc:
            self._broken = str(exc)
            raise
        except BaseException as exc:  # an interrupt or an internal error: the state may be half-changed
            self._broken = repr(exc)
            if isinstance(exc, Exception):
                raise DecisionError(f"internal error in the monitor: {exc!r}") from exc
            raise

    def advance(self, at: Any) -> list[Action]:
        """Move event time to ``at`` (as a ``tick`` event does)."""
        return self.feed({"event": "tick", "at": at})

    @staticmethod
    def _parse(event: Any, file: str) -> Parsed:
        if isinstance(event, Event):
            return event.parsed()
        if type(event) is dict:
            simple = _simple(event)
            if simple is not None:
                return simple
        if not isinstance(event, Mapping):
            raise InputError(Problem(file, None, None, "an event must be a JSON object with 'visit', 'event' and 'at'"))
        return validate(Event, Loaded(dict(event), file, {})).parsed()

    def _problem(self, file: str, message: str) -> InputError:
        return InputError(Problem(file, None, None, message))

    def _check(self, event: Parsed, file: str) -> Optional[tuple[Any, ...]]:
        """Raise :class:`InputError` unless ``event`` can be applied now; changes nothing. Returns
        the event's repeat key, worked out on the way (``None`` for a tick)."""
        self._check_time(event, file)
        if event.event == "tick":
            return None
        key = self._check_repeat(event, file)
        watched = self._visits.get(event.visit)  # type: ignore[arg-type]  # every event but a tick names a visit
        if event.event == "planned":
            if watched is not None:
                raise self._problem(
                    file, f"visit '{event.visit}' is already being watched (planned at {format_time(watched.planned_at)})"
                )
            return key
        if watched is None:
            raise self._problem(file, f"unknown visit '{event.visit}': it was never planned, or it has already returned")
        self._check_course(event, watched, file)
        return key

    def _check_time(self, event: Parsed, file: str) -> None:
        now = self._timeline.now
        if now is not None and event.at < now:
            raise self._problem(
                file, f"out of time order: {format_time(event.at)} is before {format_time(now)}, the time already reached"
            )

    def _check_repeat(self, event: Parsed, file: str) -> Optional[tuple[Any, ...]]:
        """Refuse an event identical to one accepted at this same instant (a feed that delivers an
        event twice, or a replay), even for a visit that has since returned. Returns its key."""
        key = event.key()
        if event.at == self._instant_at and key in self._instant:
            raise self._problem(
                file, f"duplicate event: visit '{event.visit}' already had this '{event.event}' at {format_time(event.at)}"
            )
        return key

    def _check_course(self, event: Parsed, watched: _Watched, file: str) -> None:
        """Refuse an event the visit cannot have at this point (``left`` before ``arrived``...)."""
        name, kind = event.visit, event.event
        if kind == "arrived" and (watched.arrived or watched.cancelled):
            raise self._problem(file, f"visit '{name}': staff have already arrived" if watched.arrived else f"visit '{name}' was cancelled")
        if kind in ("parents_arrived", "entered"):
            if not watched.arrived:
                raise self._problem(file, f"visit '{name}': '{kind}' before staff arrived")
            if watched.left or watched.cancelled:
                raise self._problem(file, f"visit '{name}': '{kind}' after the visit {'ended' if watched.left else 'was cancelled'}")
        if kind == "left" and (not watched.arrived or watched.left):
            raise self._problem(file, f"visit '{name}': staff have {'already left' if watched.left else 'not arrived'}")
        if kind == "cancelled" and (watched.cancelled or watched.left):
            raise self._problem(file, f"visit '{name}': already {'cancelled' if watched.cancelled else 'left'}")

    def _plan(self, event: Parsed, file: str = "<event>") -> dict[str, Any]:
        assert event.plan is not None
        try:
            plan = parse_visit(event.plan, file="plan")
        except InputError as exc:
            raise InputError(
                [Problem(file, None, None, f"plan: {p.field + ': ' if p.field and p.field not in p.message else ''}{p.message}")
                 for p in exc.problems]
            ) from None
        if plan.school is not None and plan.school != self.pack.id:
            raise self._problem(file, f"the plan is for school '{plan.school}' but this monitor watches '{self.pack.id}'")
        try:
            return self.compiled.params(event.visit, plan, event)  # type: ignore[arg-type]  # a plan names its visit
        except InputError as exc:
            raise InputError([Problem(file, None, None, p.message) for p in exc.problems]) from None

    def _apply(self, event: Parsed, params: Optional[dict[str, Any]], key: Optional[tuple[Any, ...]] = None) -> list[Action]:
        timeline = self._timeline
        fired = timeline.advance(event.at)
        if event.event == "tick":
            return [self._action(f, event.at) for f in fired]
        name: str = event.visit  # type: ignore[assignment]  # not a tick, so a visit is named
        self._seq += 1
        seq = self._seq
        engine = self._timeline.engine
        if params is not None:
            engine.open(name, params)
            watched = _Watched(params, event.at)
            self._visits[name] = watched
        else:
            watched = self._visits[name]
        self._timeline.event(name, event.event, event.at, seq)
        # Only a new return time restarts the return deadline: repeating the agreed one is not a
        # new agreement, and restarting would repeat the escalation's steps already taken.
        if (
            event.event == "check_in"
            and event.expected_return is not None
            and "ret" in watched.params
            and event.expected_return != watched.params["ret"]
        ):
            watched.params = dict(watched.params, ret=event.expected_return)
            engine.update(name, watched.params)
            self._timeline.event(name, REPLANNED, event.at, seq)
        # A deadline the event armed may already be past (staff arriving after the wait allowed):
        # it has passed at this event's time, so its action is due now.
        if timeline.next_due is not None and timeline.next_due < event.at:
            fired += timeline.advance(event.at)
        if len(fired) > 1:
            fired.sort(key=lambda f: (f.due, f.subject, f.timer, f.step))
        actions = [self._action(f, event.at) for f in fired] if fired else []
        watched.log.append((seq, event))
        if event.at != self._instant_at:
            self._instant_at, self._instant = event.at, {}
        self._instant[key if key is not None else event.key()] = event
        kind = event.event
        if kind == "arrived":
            watched.arrived = True
        elif kind == "left":
            watched.left = True
        elif kind == "cancelled":
            watched.cancelled = True
        elif kind == "returned":
            engine.close(name)
            self._timeline.forget(name)
            del self._visits[name]
        return actions

    def _action(self, fired: Fired, at: int) -> Action:
        spec = self.compiled.program.timers[fired.timer]
        step = spec.steps[fired.step]
        return Action(
            visit=fired.subject,
            due=format_time(fired.due),
            action=step.action,
            who=step.who,
            message=step.message,
            rule=spec.id,
            citation=step.citation,
            school=self.pack.id,
            step=fired.step + 1,
            at=format_time(at),
        )

    # -- snapshots --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The monitor's state as plain JSON: event time, and the events of every visit still being
        watched (with their numbers). :meth:`restore` replays them into a fresh engine."""
        if self._broken:
            raise DecisionError("a monitor that stopped after an internal error has no state to save")
        return {
            "format": SNAPSHOT_FORMAT,
            "school": self.pack.id,
            "pack_digest": self.pack.digest,
            "now": self.now,
            "seq": self._seq,
            "instant": [e.record() for e in self._instant.values()] if self._instant_at == self._timeline.now else [],
            "visits": {name: [[n, e.record()] for n, e in w.log] for name, w in sorted(self._visits.items())},
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any], school: Any = None, *, engine: Any = None, registry: Optional[Registry] = None) -> Monitor:
        """A monitor in the state ``snapshot`` describes, rebuilt by replaying its events (the
        actions they give were already given, so none are returned). The pack must be the one the
        snapshot was taken with (its digest is checked)."""
        where = "<state>"
        if not isinstance(snapshot, Mapping) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise InputError(Problem(where, None, None, f"not a monitor state (format {SNAPSHOT_FORMAT})"))
        monitor = cls(school if school is not None else snapshot.get("school"), engine=engine, registry=registry)
        if snapshot.get("school") != monitor.pack.id:
            raise InputError(Problem(where, None, None, f"the state is for school '{snapshot.get('school')}', not '{monitor.pack.id}'"))
        if snapshot.get("pack_digest") != monitor.pack.digest:
            raise InputError(Problem(where, None, None, f"the state was saved with another version of the '{snapshot.get('school')}' pack; replay the events instead"))
        try:
            entries = sorted(
                (int(n), str(name), dict(record)) for name, events in dict(snapshot["visits"]).items() for n, record in events
            )
            seq = int(snapshot["seq"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(Problem(where, None, None, f"the state is damaged ({exc!r})")) from None
        for n, _name, record in entries:
            event = monitor._parse(record, where)
            key = monitor._check(event, where)
            monitor._seq = n - 1
            monitor._apply(event, monitor._plan(event, where) if event.event == "planned" else None, key)
        monitor._seq = seq
        if snapshot.get("now") is not None:
            now = monitor._parse({"event": "tick", "at": snapshot["now"]}, where).at
            monitor._timeline.advance(now)
            instant = snapshot.get("instant") or []
            if not isinstance(instant, list):
                raise InputError(Problem(where, None, None, "the state is damaged (instant)"))
            events = [monitor._parse(record, where) for record in instant]
            monitor._instant_at, monitor._instant = now, {e.key(): e for e in events}
        return monitor

    def replay(self, events: Iterable[Mapping[str, Any]]) -> list[Action]:
        """Feed every event in turn; return all the actions (bad events raise, as :meth:`feed`)."""
        out: list[Action] = []
        for event in events:
            out.extend(self.feed(event))
        return out
