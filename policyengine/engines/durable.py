"""The durable-rules engine.

Each compiled pack gets its own durable-rules ``Host`` holding one or more rulesets (see
``_durable_form``: durable-rules' C core has fixed limits, so a large pack is spread over several
rulesets of under 60 rules, and a rule too complex for one durable rule is cut into pieces).
Pack rules that share a condition share a durable rule; rules that hold for every visit ride on the
catch-all. A check asserts the visit as one *fact* into each ruleset (so every matching rule fires,
unlike an event, which only one rule consumes), collects the rules that fired, then retracts the fact,
so the session stays empty and memory flat.

**Interrupts and exceptions: why a check gives the uninterrupted decision or raises.** durable-rules
runs each action inside ``try: ... except BaseException`` and records the exception as a string in
the session (``Promise.run``): a ``KeyboardInterrupt``, or any exception a signal handler raises,
arriving while an action runs was swallowed, and the check returned without that action's finding.
Three things together make that impossible:

1. *Nothing is swallowed.* Actions are given as a ``Promise`` subclass (:class:`_Action`) whose
   ``run`` has no ``try``: any exception from our action, or raised into it by a signal handler or a
   trace hook, propagates. Every other path in durable-rules' Python layer re-raises what it catches
   (``do_actions`` and the action callback hand the exception to ``_handle_function``, which raises
   it), so whatever is raised anywhere during an engine call comes out of that call as itself.
   durable-rules also gives up on an action 10 s (wall clock) after it began, silently, dropping the
   rest of the assertion's actions: each action marks its start as never, so a process stopped
   (Ctrl-Z) or starved mid-check cannot lose findings.
2. *Proof of completeness.* A check is accepted only when, in every ruleset, the catch-all fired for
   the visit (the fact was matched), every action that started ran to its end (counted), and
   durable-rules has no activation left to run (``start_action`` finds none): every rule that should
   have fired did. Otherwise :class:`DecisionError`.
3. *Abandon, never reuse.* When anything is raised during an engine call, the engine is marked
   ``broken`` and the exception re-raised (``KeyboardInterrupt`` stays ``KeyboardInterrupt``; other
   exceptions become :class:`DecisionError`). Its session may hold the fact or an action in
   progress, and retracting after an interrupted action crashes durable-rules, so it is never
   touched again except to free it; the engine cache builds a fresh one for the next check.

Besides, in the main thread (the only one where Python runs signal handlers) the signals that have a
Python handler (SIGINT's raises ``KeyboardInterrupt``) are blocked around each engine call
(``signal.pthread_sigmask``), so a real Ctrl-C lands just after the call, leaving the engine usable,
and is raised from there. This only saves rebuilding the engine; 1 to 3 make the guarantee (a
signal delivered to another thread still runs its handler in the main thread, possibly mid-call). The property held is tested by
``tests/test_interrupts.py``: an exception raised at every line of a check that durable-rules'
Python layer or our engine runs, and at every action, on both engines, ``check_many`` and ``audit``.

The other hazards (see shared notes) and how each is met:

* infinite loops on the engine's own state record: every condition carries ``$s`` not-exists;
* ``MessageNotHandledException`` when no rule matches: a catch-all rule always matches (and proves
  the fact was seen);
* identical facts refused: each check carries a unique ``check_ref``;
* the background timer threads that race the C engine: a ``Host`` whose ``_run`` starts none,
  and one process-wide lock around every call into the engine;
* per-check ``delete_state`` segfaults: one long-lived session per ruleset, deleted only when the
  engine is freed and only once an action has run in it (before that its context is uninitialised);
* a ruleset name registered twice: every compiled pack gets new, unique names;
* ``$or`` firing an action twice: rule ids are collected in a set;
* a rule that loops (fires again and again on one fact): each check has a firing budget, the
  largest number of firings its rules can honestly produce; past it the check raises
  :class:`DecisionError` and the engine is abandoned;
* memory: durable-rules never frees a ruleset by itself (about 0.65 MB each); an engine that is
  dropped (evicted from the cache, abandoned) queues its rulesets, which the next engine call frees
  (``delete_state`` then ``delete_ruleset``), under the lock and outside any other engine call;
* ``fork()``: the lock is held across the fork, so the child never inherits a half-done call, and
  the child starts with a fresh lock (``os.register_at_fork``); the engine cache drops every engine.

Speed: a check's cost is mostly JSON (durable-rules encodes the fact, then decodes and re-encodes
state for every firing), so the engine sends only the facts its rules test, under short names.
Batch assertion (``assert_facts``) measured about 10% faster per visit than one fact at a time
(``benchmarks/bench.py``), so bulk work (``check_many``) uses :meth:`DurableEngine.fired_many`
with a batch; each firing is attributed to its visit by the fact's ``check_ref``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional

from .._errors import DecisionError, PolicyEngineError
from ..conditions.form import facts_used
from ..conditions.satisfy import always
from .base import Engine
from .durable_form import CHECK_ID, RULESET_STACK, durable_condition, pieces, to_durable, ways, width

if TYPE_CHECKING:  # for annotations only
    from ..packs.compiled import CompiledPack
    from .base import Fact

try:  # durable-rules fails to import on Python 3.13; the python engine still works there.
    import durable_rules_engine as _native
    from durable.engine import Host as _Host
    from durable.engine import Promise as _Promise
except Exception as _exc:  # pragma: no cover - depends on the interpreter
    _Host = None
    _IMPORT_ERROR: Exception | None = _exc
else:
    _IMPORT_ERROR = None
    # durable-rules logs (with a traceback) an exception it re-raises; the caller gets the exception.
    logging.getLogger("durable").addHandler(logging.NullHandler())

#: One lock for every call into durable-rules' C engine, whichever pack: its state is global.
#: Reset in a forked child.
ENGINE_LOCK = threading.RLock()
_SESSION = "policyengine"
_SEEN = "__seen__"
_names = itertools.count(1)
# Durable-rules forbids these as fact fields; the fact schema never uses them.
RESERVED = frozenset({"sid", "id", "$s", "$time", "$timerName", "$baseTime"})
_NOT_STATE = {"$nex": {"$s": 1}}
_NEVER = float("inf")

# Signals deferred around an engine call in the main thread: the asynchronous ones applications
# handle in Python, and of those only the ones with a Python handler right now (usually SIGINT
# alone): pthread_sigmask costs about 4 us per signal in its set, since it returns the old mask as a
# set of Signals. A signal not deferred is still safe, only dearer: its exception propagates and the
# engine is rebuilt. Synchronous signals (a fault in the C code itself) are never blocked.
_CANDIDATES = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGVTALRM",
                 "SIGPROF", "SIGCHLD", "SIGWINCH", "SIGIO", "SIGURG", "SIGXCPU", "SIGTSTP", "SIGCONT", "SIGPIPE")
    if hasattr(signal, name)
) if hasattr(signal, "pthread_sigmask") else ()


def available() -> bool:
    """Whether durable-rules imports on this interpreter."""
    return _Host is not None


def unavailable_reason() -> str | None:
    """Why durable-rules cannot be used here, in one line, or None when it can."""
    if _IMPORT_ERROR is None:
        return None
    version = sys.version.split()[0]
    if sys.version_info >= (3, 13):
        return (
            f"durable-rules 2.0.28, its last release, does not work on Python {version} (it calls "
            "PyEval_CallObject, which 3.13 removed; fixed upstream in July 2025 but not released), so it "
            f"is not installed here ({_IMPORT_ERROR})"
        )
    return f"durable-rules does not import on Python {version} ({_IMPORT_ERROR})"


try:  # the C function: signal.getsignal wraps its answer in an enum, at 5 us a call
    from _signal import getsignal as _handler
except ImportError:  # pragma: no cover - another Python implementation
    _handler = signal.getsignal


def _defer_signals() -> Optional[list[signal.Signals]]:
    """Block, in the main thread, the signals that have Python handlers; what to unblock after."""
    if not _CANDIDATES or threading.current_thread() is not threading.main_thread():
        return None
    handled = [s for s in _CANDIDATES if callable(_handler(s))]
    if not handled:
        return None
    # Python-level handlers already pending run here, before the engine is touched.
    before = signal.pthread_sigmask(signal.SIG_BLOCK, handled)
    return [s for s in handled if s not in before]  # leave blocked what the caller had blocked


def _restore_signals(deferred: Optional[list[signal.Signals]]) -> None:
    if deferred:
        # A signal that arrived meanwhile is delivered now, and its handler runs (and may raise) here.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, deferred)


# -- freeing rulesets -----------------------------------------------------------------------------

#: Rulesets of dropped engines, freed at the start of the next engine call: (generation, handles,
#: whether an action ran in each). An engine's finalizer only appends to this list (a C call: no
#: Python line runs in it, so no interrupt can land there and be swallowed as finalizers' are).
_retired: list[tuple[int, list[int], list[bool]]] = []
#: Bumped in a forked child: engines from before the fork never free anything there.
_generation = [0]


def _free_retired() -> None:
    """Free queued rulesets; called with ``ENGINE_LOCK`` held, before any other call into the engine."""
    while _retired:
        generation, handles, ran = _retired.pop()
        if generation != _generation[0]:
            continue  # built before a fork: the parent's to free
        for handle, action_ran in zip(handles, ran, strict=True):
            try:
                if action_ran:  # a session whose action never started has uninitialised memory: leave its state
                    _native.delete_state(handle, _SESSION)
                _native.delete_ruleset(handle)
            except Exception:  # pragma: no cover - an unknown handle: nothing left to free
                pass


_fork_held = [False]
#: How long a fork waits for an engine call in another thread to finish (one call takes
#: milliseconds); past it the fork goes ahead, and the child does not touch that call's engine.
FORK_WAIT_SECONDS = 10.0


def _before_fork() -> None:
    # Wait for any engine call to finish, so the child's copy of durable-rules is not mid-call.
    _fork_held[0] = ENGINE_LOCK.acquire(timeout=FORK_WAIT_SECONDS)


def _after_fork_in_parent() -> None:
    if _fork_held[0]:
        _fork_held[0] = False
        ENGINE_LOCK.release()


def _after_fork_in_child() -> None:
    # Reset in place (as the threading module resets its own locks), so that modules which imported
    # the lock by name (the visit monitor's engine) hold the fresh one too.
    global ENGINE_LOCK
    reinit = getattr(ENGINE_LOCK, "_at_fork_reinit", None)
    if reinit is not None:
        reinit()
    else:  # pragma: no cover - a Python without it
        ENGINE_LOCK = threading.RLock()
    _fork_held[0] = False
    _generation[0] += 1
    _retired.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


# -- actions ----------------------------------------------------------------------------------------


class RunawayRule(Exception):
    """Raised through durable-rules when a check fires more rules than its rules can produce."""


class _Tally:
    """What the actions of one engine record during a call: firings, and how many ran to the end."""

    __slots__ = ("hits", "budget", "started", "finished", "ran")

    def __init__(self, rulesets: int):
        self.hits: list[tuple[int, str]] = []
        self.budget = 0
        self.started = 0
        self.finished = 0
        self.ran = [False] * rulesets  # whether an action has run in each ruleset's session


if _Host is not None:

    class _QuietHost(_Host):
        """A Host without the background dispatch/timer threads (we use no timers)."""

        def _run(self) -> None:
            return None

    class _Action(_Promise):
        """An action durable-rules runs without its ``try/except BaseException`` (see the module)."""

        def __init__(self, tally: _Tally, ruleset: int, rule_ids: tuple[str, ...]):
            # Promise.__init__ only inspects a function's signature; there is none to inspect.
            self._func = None
            self._next = None
            self._sync = True
            self._timer = None
            self.root = self
            self._tally = tally
            self._ruleset = ruleset
            self._ids = rule_ids

        def run(self, c: Any, complete: Callable[..., Any]) -> None:
            tally = self._tally
            tally.started += 1
            tally.ran[self._ruleset] = True
            c._start_time = _NEVER  # durable-rules drops an action (and the rest) after 10 s of wall clock
            tally.budget -= 1
            ref = c._m["m"].get(CHECK_ID)  # c.m would wrap it in Content: 5 us a firing
            if tally.budget < 0 or ref is None:
                # Too many firings, or a match on something other than a visit (the session's own
                # state record): raised out of the assertion by durable-rules' own callback, which
                # abandons the action.
                complete(RunawayRule())
                return
            tally.hits.extend((ref, rule_id) for rule_id in self._ids)
            tally.finished += 1
            complete(None)


def _rename(expr: dict[str, Any], alias: dict[str, Any]) -> dict[str, Any]:
    """``expr`` with fact names replaced by their short aliases (operators and check_ref kept)."""
    out: dict[str, Any] = {}
    for key, value in expr.items():
        if key in ("$and", "$or"):
            out[key] = [_rename(e, alias) for e in value]
        elif key.startswith("$"):
            out[key] = _rename(value, alias)
        else:
            out[alias.get(key, key)] = value
    return out


def _guarded(expr: dict[str, Any]) -> dict[str, Any]:
    """``expr`` with the state-record guard, sharing a top-level ``$and`` (one operator, not two)."""
    if set(expr) == {"$and"}:
        return {"$and": [_NOT_STATE, *expr["$and"]]}
    return {"$and": [_NOT_STATE, expr]}


class DurableEngine(Engine):
    """Decides facts with durable-rules. ``rulesets`` names its rulesets; ``broken`` is set once it
    must never be used again (so it is :attr:`abandoned`, and its policy replaces it)."""

    name = "durable"
    #: Facts per ``assert_facts`` call in bulk work: measured about 10% faster per visit than one
    #: fact at a time from 10 upwards (benchmarks/bench.py); firings are attributed to their visit
    #: by the fact's ``check_ref``.
    batch = 100

    def __init__(self, compiled: CompiledPack) -> None:
        if _Host is None:
            raise DecisionError(f"the durable engine is unavailable: {unavailable_reason()}")
        super().__init__(compiled)
        self.broken = False
        self._refs = itertools.count(1)
        used: set[str] = set()
        for rule in compiled.rules:
            used |= facts_used(rule.condition)
        # Only the facts some rule tests travel to the engine, under short names: most of a
        # check's cost is durable-rules encoding and decoding the fact as JSON.
        self.fields = tuple(sorted(used))
        self._alias = {name: f"f{n}" for n, name in enumerate(self.fields)}
        # Each firing costs durable-rules a JSON round trip of the fact and its state, so rules with
        # the same condition share one durable rule, and rules that hold for every visit (reminders)
        # ride on the catch-all, whose firing is the proof that the fact was seen.
        groups: dict[str, tuple[dict[str, Any], int, int, list[str]]] = {}
        every_visit = [_SEEN]
        for rule in compiled.rules:
            if always(rule.condition):
                every_visit.append(rule.rule.id)
                continue
            for piece in pieces(durable_condition(rule.condition)):
                expr = _guarded(_rename(to_durable(piece), self._alias))
                key = json.dumps(expr, sort_keys=True)
                groups.setdefault(key, (expr, ways(piece), width(piece), []))[3].append(rule.rule.id)
        # Spread the durable rules over rulesets whose match can never overflow durable-rules'
        # stack: the rules (the catch-all, the proof that the ruleset saw the fact, among them) plus
        # the widest rule's pending alternatives stay within RULESET_STACK.
        layout: list[list[tuple[dict[str, Any], tuple[str, ...]]]] = []
        widest: list[int] = []
        budget = 0
        for key in sorted(groups):
            expr, count, wide, ids = groups[key]
            budget += count
            target = next(
                (n for n, rules in enumerate(layout) if len(rules) + 2 + max(widest[n], wide) <= RULESET_STACK), None
            )
            if target is None:
                layout.append([])
                widest.append(0)
                target = len(layout) - 1
            layout[target].append((expr, tuple(dict.fromkeys(ids))))
            widest[target] = max(widest[target], wide)
        layout = layout or [[]]
        # The most firings one fact can honestly produce: each rule's ways, and each catch-all.
        self.firings_per_fact = budget + len(layout)
        self._tally = _Tally(len(layout))
        serial = next(_names)
        self.rulesets = tuple(
            f"policyengine_{compiled.id}_{compiled.digest[7:19]}_{serial}_{n}" for n in range(len(layout))
        )
        definitions = {}
        for n, (name, rules) in enumerate(zip(self.rulesets, layout, strict=True)):
            # A fresh dict per ruleset: set_rulesets deletes 'run' from what it is given.
            definition = {
                f"r{i}": {"all": [{"m": expr}], "run": _Action(self._tally, n, ids)} for i, (expr, ids) in enumerate(rules)
            }
            seen = (_SEEN, *every_visit[1:]) if n == 0 else (_SEEN,)
            definition[_SEEN] = {
                "all": [{"m": {"$and": [_NOT_STATE, {"$ex": {CHECK_ID: 1}}]}}],
                "run": _Action(self._tally, n, seen),
            }
            definitions[name] = definition
        with ENGINE_LOCK:
            _free_retired()
            self._host = _QuietHost()
            self._host.set_rulesets(definitions)
            handles = [self._host.get_ruleset(name)._handle for name in self.rulesets]
        self._handles = handles
        # Freed once nothing refers to the engine (the actions refer to the tally, not to it).
        weakref.finalize(self, _retired.append, (_generation[0], handles, self._tally.ran))

    @property
    def ruleset(self) -> str:
        """The first ruleset's name (a pack of fewer than about 58 distinct conditions has only one)."""
        return self.rulesets[0]

    def _message(self, fact: dict[str, Any]) -> dict[str, Any]:
        if not RESERVED.isdisjoint(fact):
            key = sorted(RESERVED.intersection(fact))[0]
            raise DecisionError(f"fact field '{key}' is reserved by durable-rules")
        try:
            message = {alias: fact[name] for name, alias in self._alias.items()}
        except KeyError as exc:
            raise DecisionError(f"the fact has no field {exc}") from None
        message["sid"] = _SESSION
        return message

    @property
    def abandoned(self) -> bool:
        return self.broken

    @property
    def weight(self) -> int:
        return len(self.rulesets)

    def fired_many(self, facts: Sequence[Fact], batch: Optional[int] = None) -> list[set[str]]:
        """The rules that fire for each fact, in order; ``batch`` facts go in each ``assert_facts``
        (by default :attr:`batch`). Raises :class:`DecisionError` on any failure."""
        messages = [self._message(f) for f in facts]
        size = max(1, self.batch if batch is None else batch)
        out: list[set[str]] = []
        with ENGINE_LOCK:
            deferred = _defer_signals()
            try:
                _free_retired()
                for start in range(0, len(messages), size):
                    out.extend(self._assert(messages[start : start + size]))
            finally:
                _restore_signals(deferred)
        return out

    def _assert(self, chunk: list[dict[str, Any]]) -> list[set[str]]:
        # Called with ENGINE_LOCK held.
        if self.broken:
            raise DecisionError("this durable-rules engine was abandoned after an interrupted or failed check")
        for message in chunk:
            # Its own id: without one durable-rules names a fact by a hash of its content, and two
            # different facts of one batch whose hashes collide are refused as "already observed".
            message[CHECK_ID] = message["id"] = next(self._refs)
        tally = self._tally
        tally.hits.clear()
        tally.budget = self.firings_per_fact * len(chunk)
        tally.started = tally.finished = 0
        host = self._host
        one = len(chunk) == 1
        try:
            for name in self.rulesets:
                if one:
                    host.assert_fact(name, chunk[0])
                    host.retract_fact(name, chunk[0])
                else:
                    host.assert_facts(name, chunk)
                    host.retract_facts(name, chunk)
            left_over = False  # a loop, not any() over a generator (see _conditions._every)
            for handle in self._handles:
                if _native.start_action(handle) is not None:
                    left_over = True
        except BaseException as exc:
            # The session may hold the fact or an action in progress: never use it again.
            self.broken = True
            if isinstance(exc, RunawayRule):
                raise DecisionError("durable-rules kept firing rules for one visit (a runaway rule); no decision was made") from None
            if isinstance(exc, Exception) and not isinstance(exc, PolicyEngineError):
                raise DecisionError(f"durable-rules failed while deciding: {exc!r}") from exc
            raise
        if left_over or tally.started != tally.finished:
            self.broken = True
            raise DecisionError("durable-rules did not run every rule that matched the visit; no decision was made")
        by_ref: dict[int, set[str]] = {m[CHECK_ID]: set() for m in chunk}
        seen = dict.fromkeys(by_ref, 0)
        for ref, rule_id in tally.hits:
            if ref not in by_ref:
                self.broken = True
                raise DecisionError(f"durable-rules fired a rule for an unknown check {ref!r}")
            if rule_id == _SEEN:
                seen[ref] += 1
            else:
                by_ref[ref].add(rule_id)
        tally.hits.clear()
        for count in seen.values():
            if count != len(self.rulesets):
                raise DecisionError("durable-rules did not process the visit (no proof of evaluation)")
        return list(by_ref.values())
