"""The pure-Python engine: evaluates each rule's compiled condition over the fact.

It is the oracle for the durable-rules engine in tests, and the fast engine for bulk work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from .base import Engine, Fact

if TYPE_CHECKING:  # for annotations only
    from ..packs.compiled import CompiledPack


def unavailable_reason() -> Optional[str]:
    """Pure Python: it runs wherever policyengine does."""
    return None


class PythonEngine(Engine):
    """Evaluates each rule's compiled condition (``holds``) on the fact. Pure Python: an interrupt
    leaves nothing half done, so it is never abandoned."""

    name = "python"

    def __init__(self, compiled: CompiledPack) -> None:
        super().__init__(compiled)
        self._rules = tuple((r.rule.id, r.holds) for r in compiled.rules)

    def fired(self, fact: Fact) -> set[str]:
        """The ids of the rules whose condition holds for ``fact``."""
        return {rid for rid, holds in self._rules if holds(fact)}

    def fired_many(self, facts: Sequence[Fact], batch: Optional[int] = None) -> list[set[str]]:
        """The rules that fire for each fact, in order (one at a time: ``batch`` is unused)."""
        return [self.fired(f) for f in facts]
