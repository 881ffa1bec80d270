"""Timers on durable-rules: the state of every subject lives in durable-rules as facts, and rules
joining events with that state decide what each event arms or disarms and whether a deadline fires.

Facts, in a fixed set of sessions (a subject's session is chosen by a hash of its name):

* ``T``: an armed timer (``v``, ``i`` the timer, ``k`` the step, ``g`` the generation: the number of
  the event that armed it, ``d`` its deadline);
* ``e``: an event (``v``, ``e`` its name, ``a`` its time, ``n`` its number, and the subject's 0/1
  flags that say which timers apply to it), asserted, then retracted once every rule it matched has
  fired.

A subject's params (its times and lengths, fixed when it opens) are inputs, not state: they stay in
a Python dictionary, and the actions read them to compute deadlines. durable-rules holds what events
change, the armed timers, and its rules decide every change.

Rules, for each timer ``i``: *disarm* (an event that meets, ends or restarts it, joined with its
``T`` fact, retracts the fact), *arm* (an event that starts or restarts it, for which the timer
applies, with no ``T`` for it, asserts one), and *deadline* (a deadline event joined with
the ``T`` of the same timer, step and generation: the step fires, and the next is armed); a
deadline event that matches no ``T`` is stale, and a rule says so. A restart is a disarm followed
by an arm; the disarm rule skips the timer the same event armed (``g`` is the event's number), so
the pair cannot chase each other.

The durable-rules hazards (``shared/notes/durable-rules.md``) and how each is met:

* the 1,024 live sessions per ruleset: a fixed number of sessions (:data:`SESSIONS`), many subjects
  in each; sessions are never deleted (deleting is where durable-rules crashes);
* exceptions swallowed inside actions (``KeyboardInterrupt`` too): this engine drives durable-rules'
  action loop itself, through its native module, so an exception in an action propagates; the
  engine is then marked broken and every later call fails (the monitor rebuilds from its log);
* timer threads and wall-clock timers: none (no ``Host``; deadlines are event time, carried in facts);
* the engine's own state record matching rules and looping: every condition excludes it;
* identical facts refused: events and deadline events carry unique numbers;
* global C state: every call holds the process-wide engine lock the decision engine uses.

Driving the loop natively also drops durable-rules' per-action Python overhead (a ``Closure``, a
state round trip through JSON), which was two thirds of the cost of an event. What is left is
durable-rules' own cost per call (``benchmarks/monitor_bench.py`` measures a bare ``post`` as a
floor): so an event makes as few calls as it can, and the calls that cannot start an action (see
``_drive``) do not ask for one.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _string
from json.scanner import make_scanner
from typing import Any, Optional

from .._errors import DecisionError
from ..engines.durable import ENGINE_LOCK
from .timers import After, Armed, Fired, Program, TimerEngine, first_due, next_due

try:  # durable-rules does not import on Python 3.13; the python engine runs there.
    import durable_rules_engine as _native
except Exception as _exc:  # pragma: no cover - depends on the interpreter
    _native = None
    IMPORT_ERROR: Optional[Exception] = _exc
else:
    IMPORT_ERROR = None

#: Sessions per engine: each holds the subjects whose name hashes to it. Far below durable-rules'
#: limit of 1,024, and enough that its joins (hashed per session) stay short with 10,000 open visits.
SESSIONS = 64
_NOT_STATE = {"$nex": {"$s": 1}}
_CLOSE = "~close"
_SESSION_NAMES = tuple(f"m{n}" for n in range(SESSIONS))
_names = itertools.count(1)
#: json.loads without its Python layers (a third of the cost of decoding an action's facts).
# typeshed gives make_scanner's argument its own type; it is the decoder whose settings it scans with
_scan = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _timer(sid: str, subject: str, index: int, step: int, gen: int, due: int) -> str:
    """A ``T`` fact as JSON. Facts are written from templates: json.dumps was a third of the cost of
    an event. Every fact and event carries its own ``id``, unique among those live in its session
    (a timer's: the event that armed it, the timer and the step): without one, durable-rules names
    it by a hash of its content and refuses a different fact whose hash collides as already there."""
    return f'{{"sid":"{sid}","id":"T{gen}.{index}.{step}","t":"T","v":{_string(subject)},"i":{index},"k":{step},"g":{gen},"d":{due}}}'


def _one_of(field: str, values: Iterable[Any]) -> dict[str, Any]:
    values = sorted(values)
    if len(values) == 1:
        return {field: values[0]}
    return {"$or": [{field: value} for value in values]}


class DurableTimers(TimerEngine):
    name = "durable"

    def __init__(self, program: Program, after: Optional[After] = None) -> None:
        if _native is None:
            raise DecisionError(f"the durable engine is unavailable on this Python: {IMPORT_ERROR}")
        super().__init__(program, after)
        self.broken = False
        #: Each open subject's params (inputs: its times and lengths).
        self._params: dict[str, dict[str, int]] = {}
        #: The params that say whether a timer applies (0 or 1), carried on each event fact.
        self._flags = tuple(sorted({spec.applies for spec in program.timers if spec.applies is not None}))
        #: Each open subject's session and flags, as the head of its event facts' JSON.
        self._heads: dict[str, str] = {}
        #: Events that disarm every timer and arm none (``returned``, in every built-in pack), and the
        #: subjects whose latest event was one: they hold no ``T``, so closing them asks nothing of
        #: durable-rules.
        self._clears = frozenset(
            name for name in program.by_event
            if all(spec.disarms_on(name) and not spec.arms_on(name) for spec in program.timers)
        )
        self._cleared: set[str] = set()
        self._armed: list[Armed] = []
        self._fired: list[Fired] = []
        #: Timers armed by the actions of one call, asserted once its actions have all run: asserting
        #: a fact from inside an action makes durable-rules drop the other rules' pending activations
        #: for the same event (seen with two timers started by one event), so arming is deferred.
        self._later: list[str] = []
        self._verdicts = 0
        self._numbers = itertools.count(1)
        self._actions: dict[str, Any] = {}
        definition: dict[str, Any] = {}
        for index, spec in enumerate(program.timers):
            arming = spec.arm | spec.rearm
            disarming = spec.disarm | spec.rearm
            if arming:
                event = [_NOT_STATE, {"t": "e"}, _one_of("e", arming)]
                if spec.applies is not None:
                    event.append({spec.applies: 1})
                definition[f"arm{index}"] = {
                    "all": [
                        {"e": {"$and": event}},
                        {"x$not": {"$and": [{"t": "T"}, {"v": {"e": "v"}}, {"i": index}]}},
                    ]
                }
                self._actions[f"arm{index}"] = self._arm(index)
            if disarming:
                definition[f"disarm{index}"] = {
                    "all": [
                        {"e": {"$and": [_NOT_STATE, {"t": "e"}, _one_of("e", disarming)]}},
                        {"x": {"$and": [_NOT_STATE, {"t": "T"}, {"v": {"e": "v"}}, {"i": index}, {"$neq": {"g": {"e": "n"}}}]}},
                    ]
                }
                self._actions[f"disarm{index}"] = self._disarm
            definition[f"due{index}"] = {
                "all": [
                    {"d": {"$and": [_NOT_STATE, {"t": "d"}, {"i": index}]}},
                    {"x": {"$and": [_NOT_STATE, {"t": "T"}, {"v": {"d": "v"}}, {"i": index}, {"g": {"d": "g"}}, {"k": {"d": "k"}}]}},
                ]
            }
            self._actions[f"due{index}"] = self._due(index)
        definition["stale"] = {
            "all": [
                {"d": {"$and": [_NOT_STATE, {"t": "d"}]}},
                {"x$not": {"$and": [{"t": "T"}, {"v": {"d": "v"}}, {"i": {"d": "i"}}, {"g": {"d": "g"}}, {"k": {"d": "k"}}]}},
            ]
        }
        self._actions["stale"] = self._stale
        definition["close"] = {
            "all": [
                {"e": {"$and": [_NOT_STATE, {"t": "e"}, {"e": _CLOSE}]}},
                {"x": {"$and": [_NOT_STATE, {"t": "T"}, {"v": {"e": "v"}}]}},
            ]
        }
        self._actions["close"] = self._disarm
        self.ruleset = f"policyengine_timers_{next(_names)}"
        with ENGINE_LOCK:
            self._handle = _native.create_ruleset(self.ruleset, json.dumps(definition))

    # -- actions: called from the loop in _drive, with the matched facts ---------------------------

    def _arm(self, index: int) -> Callable[[dict[str, Any]], None]:
        spec = self.program.timers[index]
        after = self.after

        def action(m: dict[str, Any]) -> None:
            event = m["e"]
            due = first_due(spec, self._params[event["v"]], event["a"], after)
            self._later.append(_timer(event["sid"], event["v"], index, 0, event["n"], due))
            self._armed.append(Armed(due, event["v"], index, 0, event["n"]))

        return action

    def _disarm(self, m: dict[str, Any]) -> None:
        self._retract(m["x"])

    def _due(self, index: int) -> Callable[[dict[str, Any]], None]:
        spec = self.program.timers[index]
        after = self.after

        def action(m: dict[str, Any]) -> None:
            timer = m["x"]
            params = self._params[timer["v"]]
            self._verdicts += 1
            self._fired.append(Fired(timer["v"], index, timer["k"], timer["d"]))
            self._retract(timer)
            due = next_due(spec, timer["k"], params, timer["d"], after)
            if due is not None:
                step = timer["k"] + 1
                self._later.append(_timer(timer["sid"], timer["v"], index, step, timer["g"], due))
                self._armed.append(Armed(due, timer["v"], index, step, timer["g"]))

        return action

    def _stale(self, m: dict[str, Any]) -> None:
        self._verdicts += 1

    # -- the native loop ----------------------------------------------------------------------------

    def _retract(self, timer: dict[str, Any]) -> None:
        text = _timer(timer["sid"], timer["v"], timer["i"], timer["k"], timer["g"], timer["d"])
        self._check(_native.retract_fact(self._handle, text), "retract", text)

    @staticmethod
    def _check(result: Any, what: str, fact: str) -> int:
        if result[0] != 0:  # 1: no rule concerns the fact; 2: an identical fact is there already
            raise DecisionError(f"durable-rules refused to {what} {fact!r} (result {result[0]})")
        state: int = result[1]
        return state

    def _drive(self, call: Callable[[int, str], Any], payload: str, what: str, retract: bool = False) -> None:
        """Make one call into durable-rules and run every action it starts, retract the fact again
        if asked (an event), then assert the timers those actions armed. Called with the engine lock
        held. An exception in an action abandons it, marks the engine broken and propagates.

        Neither the retraction nor the timers can start an action, so neither asks for one (each
        ask is a call into durable-rules): no rule negates an event, and every rule that takes a
        ``T`` joins it with an event (``e``) or a deadline (``d``), of which none is left by then
        (the event is retracted, a deadline consumed by the rule that took it)."""
        if self.broken:
            raise DecisionError("this durable-rules timer engine was abandoned after an error; rebuild it")
        try:
            self._run(call, payload, what)
            if retract:
                self._check(_native.retract_fact(self._handle, payload), "retract", payload)
            later, self._later = self._later, []
            for fact in later:
                self._check(_native.assert_fact(self._handle, fact), "assert", fact)
        except BaseException as exc:
            self.broken = True
            self._later.clear()
            if isinstance(exc, DecisionError):
                raise
            if isinstance(exc, Exception):
                raise DecisionError(f"durable-rules failed while applying {what}: {exc!r}") from exc
            raise

    def _run(self, call: Callable[[int, str], Any], payload: str, what: str) -> None:
        state = self._check(call(self._handle, payload), what, payload)
        started = _native.start_action_for_state(self._handle, state)
        if started:
            started = started[1]
        while started:
            name, matched = next(iter(_scan(started, 0)[0].items()))  # the one action started
            try:
                self._actions[name](matched)
            except BaseException:
                _native.abandon_action(self._handle, state)
                raise
            started = _native.complete_and_start_action(self._handle, state)

    @staticmethod
    def _session(subject: str) -> str:
        return _SESSION_NAMES[zlib.crc32(subject.encode("utf-8")) % SESSIONS]

    # -- the engine contract -------------------------------------------------------------------------

    def open(self, subject: str, params: dict[str, int]) -> None:
        self.update(subject, params)

    def update(self, subject: str, params: dict[str, int]) -> None:
        head = f'{{"sid":"{self._session(subject)}","t":"e","v":{_string(subject)},'
        head += "".join(f'"{flag}":{int(params.get(flag) == 1)},' for flag in self._flags)
        self._params[subject] = dict(params)
        self._heads[subject] = head

    def event(self, subject: str, name: str, at: int, seq: int) -> list[Armed]:
        if not self.program.concerns(name):
            return []
        fact = f'{self._heads[subject]}"id":"e{seq}{name}","e":"{name}","a":{at},"n":{seq}}}'
        with ENGINE_LOCK:
            self._armed = []
            self._drive(_native.assert_fact, fact, "assert", retract=True)
        if name in self._clears:
            self._cleared.add(subject)
        else:
            self._cleared.discard(subject)
        return self._armed

    def deadline(self, entry: Armed) -> tuple[Optional[Fired], Optional[Armed]]:
        number = next(self._numbers)
        message = (
            f'{{"sid":"{self._session(entry.subject)}","id":"d{number}","t":"d","v":{_string(entry.subject)},"i":{entry.timer},'
            f'"k":{entry.step},"g":{entry.gen},"n":{number}}}'
        )
        with ENGINE_LOCK:
            self._armed, self._fired = [], []
            before = self._verdicts
            self._drive(_native.assert_event, message, "post")
            if self._verdicts != before + 1:
                self.broken = True
                raise DecisionError(f"durable-rules gave {self._verdicts - before} verdicts on one deadline, not 1")
            fired = self._fired[0] if self._fired else None
            return fired, (self._armed[0] if self._armed else None)

    def close(self, subject: str) -> None:
        if self._params.pop(subject, None) is None or not self.program.timers:
            return
        head = self._heads.pop(subject)
        if subject in self._cleared:
            self._cleared.discard(subject)
            return
        number = next(self._numbers)
        fact = f'{head}"id":"c{number}","e":"{_CLOSE}","a":0,"n":{-number}}}'
        with ENGINE_LOCK:
            self._drive(_native.assert_fact, fact, "assert", retract=True)

    def running(self) -> dict[tuple[str, int], tuple[int, int, int]]:
        found: dict[tuple[str, int], tuple[int, int, int]] = {}
        with ENGINE_LOCK:
            for index in range(SESSIONS):
                try:
                    facts = json.loads(_native.get_facts(self._handle, f"m{index}"))
                except _native.error:  # a session no subject has used yet
                    continue
                for fact in facts:
                    if fact.get("t") == "T":
                        found[(fact["v"], fact["i"])] = (fact["k"], fact["g"], fact["d"])
        return found
