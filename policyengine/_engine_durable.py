"""The durable-rules engine.

Each compiled pack gets its own durable-rules ``Host`` and a ruleset with one durable rule per distinct
condition (pack rules that share a condition share it; rules that hold for every visit ride on the
catch-all).
A check asserts the visit as one *fact* (so every matching rule fires, unlike an event, which only
one rule consumes), collects the rules that fired, then retracts the fact, so the session stays
empty and memory flat. The known hazards (see shared notes) and how each is met:

* infinite loops on the engine's own state record: every condition carries ``$s`` not-exists;
* ``MessageNotHandledException`` when no rule matches: a catch-all rule always matches, and its
  firing is also the proof that the engine processed the fact (no proof, no decision);
* identical facts refused: each check carries a unique ``check_ref``;
* the background timer threads that race the C engine: a ``Host`` whose ``_run`` starts none,
  and one process-wide lock around every call into the engine;
* per-check ``delete_state`` segfaults: one long-lived session per pack, never deleted;
* ``set_rulesets`` mutating its argument: it gets a fresh copy;
* a ruleset name registered twice: every compiled pack gets a new, unique name;
* exceptions inside actions swallowed: actions only append to a list, and any exception from the
  engine call is raised as :class:`DecisionError`;
* ``$or`` firing an action twice: rule ids are collected in a set;
* a rule that loops (fires again and again on one fact): each check has a firing budget, the
  largest number of firings its rules can honestly produce; past it the action breaks durable-rules'
  dispatch loop, the check raises :class:`DecisionError` and the engine is marked ``broken`` so the
  engine cache builds a fresh one (the abandoned session is never used again).

Speed: a check's cost is mostly JSON (durable-rules encodes the fact, then decodes and re-encodes
state for every firing), so the engine sends only the facts its rules test, under short names.
Batch assertion (``assert_facts``) measured about 10% faster per visit than one fact at a time
(``benchmarks/bench.py``), so bulk work (``check_many``) uses :meth:`DurableEngine.fired_many`
with a batch; each firing is attributed to its visit by the fact's ``check_ref``.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading

from ._conditions import facts_used, to_durable
from ._errors import DecisionError
from ._facts import CHECK_ID
from ._pack import CompiledPack
from ._satisfy import always

try:  # durable-rules fails to import on Python 3.13; the python engine still works there.
    from durable.engine import Host as _Host
except Exception as _exc:  # pragma: no cover - depends on the interpreter
    _Host = None
    _IMPORT_ERROR: Exception | None = _exc
else:
    _IMPORT_ERROR = None

#: One lock for every call into durable-rules' C engine, whichever pack: its state is global.
ENGINE_LOCK = threading.RLock()
_SESSION = "policyengine"
_SEEN = "__seen__"
_names = itertools.count(1)
# Durable-rules forbids these as fact fields; the fact schema never uses them.
RESERVED = frozenset({"sid", "id", "$s", "$time", "$timerName", "$baseTime"})
_NOT_STATE = {"$nex": {"$s": 1}}


if _Host is not None:

    class _QuietHost(_Host):
        """A Host without the background dispatch/timer threads (we use no timers)."""

        def _run(self):
            return None


def _firings(expr) -> int:
    """The most times one fact can fire a rule with this condition: durable-rules fires once per
    matching branch of an ``$or`` (so: the number of branches of its disjunctive normal form)."""
    if isinstance(expr, dict) and len(expr) == 1:
        (key, value), = expr.items()
        if key == "$or":
            return sum(_firings(e) for e in value)
        if key == "$and":
            n = 1
            for e in value:
                n *= _firings(e)
            return n
    return 1


def _rename(expr: dict, alias: dict) -> dict:
    """``expr`` with fact names replaced by their short aliases (operators and check_ref kept)."""
    out = {}
    for key, value in expr.items():
        if key in ("$and", "$or"):
            out[key] = [_rename(e, alias) for e in value]
        elif key.startswith("$"):
            out[key] = _rename(value, alias)
        else:
            out[alias.get(key, key)] = value
    return out


class DurableEngine:
    name = "durable"

    def __init__(self, compiled: CompiledPack):
        if _Host is None:
            raise DecisionError(f"the durable engine is unavailable on this Python: {_IMPORT_ERROR}")
        self.compiled = compiled
        self.ruleset = f"policyengine_{compiled.id}_{compiled.digest[7:19]}_{next(_names)}"
        self.broken = False
        self._hits: list[tuple[int, str]] = []
        self._budget = [0]  # firings left in the current assertion (the hang guard)
        self._runaway = [False]
        self._refs = itertools.count(1)
        definition: dict = {}
        used: set[str] = set()
        per_fact = 1  # the catch-all
        for rule in compiled.rules:
            used |= facts_used(rule.condition)
        # Only the facts some rule tests travel to the engine, under short names: most of a
        # check's cost is durable-rules encoding and decoding the fact as JSON.
        self.fields = tuple(sorted(used))
        self._alias = {name: f"f{n}" for n, name in enumerate(self.fields)}
        # Each firing costs durable-rules a JSON round trip of the fact and its state, so rules with
        # the same condition share one durable rule, and rules that hold for every visit (reminders)
        # ride on the catch-all, whose firing is the proof that the fact was seen.
        groups: dict[str, tuple[dict, list[str]]] = {}
        every_visit = [_SEEN]
        for rule in compiled.rules:
            if always(rule.condition):
                every_visit.append(rule.rule.id)
                continue
            expr = _rename(to_durable(rule.condition), self._alias)
            key = json.dumps(expr, sort_keys=True)
            groups.setdefault(key, (expr, []))[1].append(rule.rule.id)
        for index, (expr, ids) in enumerate(groups.values()):
            per_fact += _firings(expr)
            definition[f"r{index}"] = {"all": [{"m": {"$and": [_NOT_STATE, expr]}}], "run": self._action(tuple(ids))}
        definition[_SEEN] = {
            "all": [{"m": {"$and": [_NOT_STATE, {"$ex": {CHECK_ID: 1}}]}}],
            "run": self._action(tuple(every_visit)),
        }
        self.firings_per_fact = per_fact
        with ENGINE_LOCK:
            self._host = _QuietHost()
            self._host.set_rulesets({self.ruleset: copy.deepcopy(definition)})

    def _action(self, rule_ids: tuple[str, ...]):
        hits, budget, runaway = self._hits, self._budget, self._runaway

        # A closure with exactly one parameter: a default argument would make durable-rules treat
        # the action as asynchronous and wedge the session.
        def action(c):
            budget[0] -= 1
            if budget[0] < 0:
                # Exceptions raised here are swallowed by durable-rules; marking the action
                # complete is what makes its dispatch loop stop asking for the next firing.
                runaway[0] = True
                c._completed = True
                return
            ref = c._m["m"][CHECK_ID]  # c.m would wrap it in Content: 5 us a firing
            hits.extend((ref, rule_id) for rule_id in rule_ids)

        return action

    def _message(self, fact: dict) -> dict:
        if not RESERVED.isdisjoint(fact):
            key = sorted(RESERVED.intersection(fact))[0]
            raise DecisionError(f"fact field '{key}' is reserved by durable-rules")
        try:
            message = {alias: fact[name] for name, alias in self._alias.items()}
        except KeyError as exc:
            raise DecisionError(f"the fact has no field {exc}") from None
        message["sid"] = _SESSION
        return message

    def fired(self, fact: dict) -> set[str]:
        """The ids of the rules that fire for ``fact``. Raises :class:`DecisionError` on any failure."""
        return self.fired_many([fact])[0]

    def fired_many(self, facts: list[dict], batch: int = 1) -> list[set[str]]:
        """The rules that fire for each fact, in order; ``batch`` facts go in each ``assert_facts``."""
        messages = [self._message(f) for f in facts]
        out: list[set[str]] = []
        with ENGINE_LOCK:
            for start in range(0, len(messages), max(1, batch)):
                out.extend(self._assert(messages[start : start + max(1, batch)]))
        return out

    def _assert(self, chunk: list[dict]) -> list[set[str]]:
        # Called with ENGINE_LOCK held.
        if self.broken:
            raise DecisionError("this durable-rules engine was abandoned after a runaway rule")
        for message in chunk:
            message[CHECK_ID] = next(self._refs)
        self._hits.clear()
        self._budget[0] = self.firings_per_fact * len(chunk)
        self._runaway[0] = False
        host = self._host
        try:
            if len(chunk) == 1:
                host.assert_fact(self.ruleset, chunk[0])
            else:
                host.assert_facts(self.ruleset, chunk)
        except Exception as exc:
            raise DecisionError(f"durable-rules failed while deciding: {exc!r}") from exc
        finally:
            if self._runaway[0]:
                self.broken = True
            else:
                try:
                    if len(chunk) == 1:
                        host.retract_fact(self.ruleset, chunk[0])
                    else:
                        host.retract_facts(self.ruleset, chunk)
                except Exception:
                    pass
        if self._runaway[0]:
            raise DecisionError("durable-rules kept firing rules for one visit (a runaway rule); no decision was made")
        by_ref: dict[int, set[str]] = {m[CHECK_ID]: set() for m in chunk}
        for ref, rule_id in self._hits:
            if ref not in by_ref:
                raise DecisionError(f"durable-rules fired a rule for an unknown check {ref!r}")
            by_ref[ref].add(rule_id)
        self._hits.clear()
        results = []
        for hits in by_ref.values():
            if _SEEN not in hits:
                raise DecisionError("durable-rules did not process the visit (no proof of evaluation)")
            hits.discard(_SEEN)
            results.append(hits)
        return results
