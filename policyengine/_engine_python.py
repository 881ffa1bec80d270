"""The pure-Python engine: evaluates each rule's compiled condition over the fact.

It is the oracle for the durable-rules engine in tests, and the fast engine for bulk work.
"""

from __future__ import annotations

from ._pack import CompiledPack


class PythonEngine:
    name = "python"
    broken = False  # pure Python: an interrupt leaves nothing half done

    def __init__(self, compiled: CompiledPack):
        self.compiled = compiled
        self._rules = tuple((r.rule.id, r.holds) for r in compiled.rules)

    def fired(self, fact: dict) -> set[str]:
        """The ids of the rules whose condition holds for ``fact``."""
        return {rid for rid, holds in self._rules if holds(fact)}

    def fired_many(self, facts: list[dict], batch: int = 1) -> list[set[str]]:
        """The rules that fire for each fact, in order (``batch`` is the durable engine's; unused)."""
        return [self.fired(f) for f in facts]
