"""What an engine is: the one thing it must do, and which engines this Python can run.

An engine decides which of a compiled pack's rules fire for a visit's fact. That is all it does:
validating the visit, flattening it into the fact, and building the decision (findings, citations,
remedies) are the :class:`policyengine.Policy`'s, the same whichever engine it holds. Like httpx's
``BaseTransport.handle_request``, a subclass provides one method, :meth:`Engine.fired_many`, and
may refine two things the policy asks of it:

* :meth:`Engine.fired` for one fact (by default ``fired_many([fact])[0]``);
* :attr:`Engine.abandoned`, true once it must never be used again (an interrupt landed inside a
  call that left its state unknown): the policy then builds a fresh one for the next check.

How many facts an engine takes per call in bulk work is its own business (``batch``): the policy
hands :meth:`Engine.fired_many` every fact of a ``check_many`` at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, ClassVar, Optional

from .._errors import InputError, Problem

#: Every engine policyengine knows, by name, and the module and class that implement it. Modules are
#: imported when an engine is first asked for: durable-rules costs start-up time, and does not
#: import at all on Python 3.13.
ENGINE_CLASSES: dict[str, tuple[str, str]] = {
    "durable": ("policyengine.engines.durable", "DurableEngine"),
    "python": ("policyengine.engines.python", "PythonEngine"),
}
ENGINES: tuple[str, ...] = tuple(ENGINE_CLASSES)

#: A fact: the visit flattened (``policyengine.facts.flatten``), every field present.
Fact = dict[str, Any]


class Engine:
    """Decides which rules of a compiled pack fire for a fact.

    ``compiled`` is the compiled pack (its ``rules``, each with its id, ``condition`` and compiled
    ``holds``; its ``id`` and ``digest``). Subclasses set ``name`` and provide :meth:`fired_many`.
    An engine raises :class:`policyengine.DecisionError` (or lets an interrupt through) rather than
    ever return an incomplete answer.
    """

    #: The engine's name, as callers ask for it (``engine="python"``).
    name: ClassVar[str] = ""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def fired_many(self, facts: Sequence[Fact], batch: Optional[int] = None) -> list[set[str]]:
        """The ids of the rules that fire for each fact, in order. ``batch``: facts per call into
        the engine's own machinery, where it has any (``None``: the engine's choice)."""
        raise NotImplementedError

    def fired(self, fact: Fact) -> set[str]:
        """The ids of the rules that fire for one fact."""
        return self.fired_many([fact])[0]

    @property
    def abandoned(self) -> bool:
        """True once this engine must never be used again; the policy replaces it."""
        return False

    @property
    def weight(self) -> int:
        """How much of the policy cache this engine counts for (a durable engine: its rulesets)."""
        return 1


class EngineUnavailableError(InputError):
    """An engine was asked for that cannot run on this Python (durable-rules does not import on 3.13)."""


def engine_class(name: str) -> type[Engine]:
    """The class of the engine called ``name`` (imported when first asked for)."""
    module, cls = ENGINE_CLASSES[name]
    found: type[Engine] = getattr(importlib.import_module(module), cls)
    return found


def unavailable_reason(name: str) -> Optional[str]:
    """Why the engine ``name`` cannot run on this Python, or None when it can."""
    reason: Optional[str] = importlib.import_module(ENGINE_CLASSES[name][0]).unavailable_reason()
    return reason


def available_engines() -> tuple[str, ...]:
    """The engines that can be used on this Python: ``("durable", "python")`` where durable-rules
    imports (3.11, 3.12), ``("python",)`` where it does not (3.13)."""
    return tuple(name for name in ENGINES if unavailable_reason(name) is None)


def default_engine() -> str:
    """The engine used when none is named: ``durable`` where it is available, else ``python`` (which
    gives the same decisions)."""
    return available_engines()[0]


def resolve_engine(engine: Optional[str]) -> str:
    """``engine`` checked (``None`` is the default); raise :class:`InputError` saying what to do."""
    if engine is None:
        return default_engine()
    if engine not in ENGINE_CLASSES:
        raise InputError(Problem("<engine>", None, None, f"unknown engine '{engine}'; use one of: {', '.join(ENGINES)}"))
    reason = unavailable_reason(engine)
    if reason is not None:
        raise EngineUnavailableError(
            Problem(
                "<engine>",
                None,
                None,
                f"the '{engine}' engine is not available: {reason}. Use the 'python' engine "
                "(the default here), which gives the same decisions, or Python 3.11 or 3.12 for durable-rules",
            )
        )
    return engine


def make_engine(compiled: Any, engine: str) -> Engine:
    """The engine called ``engine`` for ``compiled`` (a compiled pack)."""
    return engine_class(engine)(compiled)
