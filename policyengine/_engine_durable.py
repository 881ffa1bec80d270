"""The durable-rules engine.

Each compiled pack gets its own durable-rules ``Host`` and a ruleset with one rule per pack rule.
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
* ``$or`` firing an action twice: rule ids are collected in a set.
"""

from __future__ import annotations

import copy
import itertools
import threading

from ._conditions import to_durable
from ._errors import DecisionError
from ._facts import CHECK_ID
from ._pack import CompiledPack

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


class DurableEngine:
    name = "durable"

    def __init__(self, compiled: CompiledPack):
        if _Host is None:
            raise DecisionError(f"the durable engine is unavailable on this Python: {_IMPORT_ERROR}")
        self.compiled = compiled
        self.ruleset = f"policyengine_{compiled.id}_{compiled.digest[7:19]}_{next(_names)}"
        self._hits: list[str] = []
        self._refs = itertools.count(1)
        definition: dict = {}
        for index, rule in enumerate(compiled.rules):
            definition[f"r{index}"] = {
                "all": [{"m": {"$and": [_NOT_STATE, to_durable(rule.condition)]}}],
                "run": self._action(rule.rule.id),
            }
        definition[_SEEN] = {
            "all": [{"m": {"$and": [_NOT_STATE, {"$ex": {CHECK_ID: 1}}]}}],
            "run": self._action(_SEEN),
        }
        with ENGINE_LOCK:
            self._host = _QuietHost()
            self._host.set_rulesets({self.ruleset: copy.deepcopy(definition)})

    def _action(self, rule_id: str):
        hits = self._hits

        # A closure with exactly one parameter: a default argument would make durable-rules treat
        # the action as asynchronous and wedge the session.
        def action(c):
            hits.append(rule_id)

        return action

    def fired(self, fact: dict) -> set[str]:
        """The ids of the rules that fire for ``fact``. Raises :class:`DecisionError` on any failure."""
        for key in fact:
            if key in RESERVED:
                raise DecisionError(f"fact field '{key}' is reserved by durable-rules")
        with ENGINE_LOCK:
            message = dict(fact)
            message[CHECK_ID] = next(self._refs)
            message["sid"] = _SESSION
            self._hits.clear()
            try:
                self._host.assert_fact(self.ruleset, message)
            except Exception as exc:
                raise DecisionError(f"durable-rules failed while deciding: {exc!r}") from exc
            finally:
                try:
                    self._host.retract_fact(self.ruleset, message)
                except Exception:
                    pass
            hits = set(self._hits)
            self._hits.clear()
        if _SEEN not in hits:
            raise DecisionError("durable-rules did not process the visit (no proof of evaluation)")
        hits.discard(_SEEN)
        return hits
