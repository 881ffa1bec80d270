"""A rule pack compiled: every rule's condition built and compiled to Python once, its outcome in
each phase of a visit resolved, and its citation made (with the pack's document where the rule
names none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from .._rule import Rule
from ..conditions.form import Condition, compile_python
from ..facts import Clock
from ..models import Citation, Outcome
from .model import PackBase


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    condition: Condition
    holds: Callable[[dict[str, Any]], bool]
    #: The rule's outcome in each phase (None where it does not apply), resolved once.
    outcomes: dict[str, Any] = field(default_factory=dict[str, Any])

    def outcome_in(self, phase: str) -> Optional[Outcome]:
        return self.outcomes.get(phase)


@dataclass(frozen=True)
class CompiledPack:
    """A pack with every rule's condition built once."""

    pack: PackBase
    clock: Clock
    rules: tuple[CompiledRule, ...]
    digest: str

    @property
    def id(self) -> str:
        return self.pack.id

    def rule(self, rule_id: str) -> CompiledRule:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        raise KeyError(rule_id)

    @cached_property
    def rules_by_id(self) -> dict[str, tuple[Rule, Citation, dict[str, Any]]]:
        """Rule id -> (the rule, its citation, its outcome per phase), built once (all are frozen)."""
        return {
            r.rule.id: (
                r.rule,
                Citation.of(r.rule.citation, self.pack.document),
                r.outcomes,
            )
            for r in self.rules
        }

    def remedy_for(self, rule: Rule, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        """``rule``'s remedy for ``visit`` (plain JSON), a plugin kind's under the pack's time limit."""
        return self.pack.plugin_call(rule, "suggest_remedy", rule.remedy_for, visit, self.clock)


def compile_pack(pack: PackBase) -> CompiledPack:
    clock = pack.clock
    compiled = []
    for rule in pack.rules:
        cond = pack.condition(rule)
        outcomes = pack.plugin_call(rule, "phase_defaults", rule.outcomes)
        compiled.append(CompiledRule(rule, cond, compile_python(cond), outcomes))
    return CompiledPack(pack, clock, tuple(compiled), pack.digest)
