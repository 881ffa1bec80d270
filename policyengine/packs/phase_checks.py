"""What a rule says must agree with its words and with the phases it applies in.

Run on every rule a pack file writes, as it loads (so ``check`` refuses what ``lint`` reports):

* a rule whose kind applies a number (minutes, a time of day, a number of staff) quotes a sentence
  that says it (see ``_numbers``);
* a rule's own ``remedy`` that sets what staff find at the door (``on_arrival``) applies to plans
  only as a reminder, or not at all: a plan's remedy changes what can be arranged in advance, never
  what staff will find.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._numbers import missing_numbers
from ..conditions.form import all_of, fact
from ..conditions.satisfy import satisfiable
from ..models import OnArrival, Outcome

if TYPE_CHECKING:  # for annotations only
    from .._rule import Rule
    from .model import PackBase

#: What every plan's fact holds: the phase, and nothing known of the door (the proofs in _satisfy
#: treat facts as independent, so this says how the phase ties them together).
ON_A_PLAN = all_of(
    fact("phase", "eq", "plan"), fact("arrived", "eq", False),
    *(fact(name, "eq", None) for name in OnArrival.model_fields),
)
#: What holds in each phase, as far as the phase fixes the facts.
IN_PHASE = {
    "plan": ON_A_PLAN,
    "door": all_of(fact("phase", "eq", "door"), fact("arrived", "eq", True), fact("meeting_room", "in", ["doorstep", None])),
    "inside": all_of(fact("phase", "eq", "inside"), fact("arrived", "eq", True),
                     fact("meeting_room", "in", ["ground_floor", "upstairs", "child_bedroom"])),
}


def phases_it_fires_in(pack: PackBase, rule: Rule) -> list[str]:
    """The phases in which some visit fires ``rule`` (as far as the proofs can tell)."""
    return [phase for phase, holds in IN_PHASE.items() if satisfiable(all_of(holds, pack.condition(rule)))]


def rule_problems(pack: PackBase, rule: Rule, index: int) -> list[tuple[tuple[str | int, ...], str]]:
    """(path in the pack file, message) for each problem of ``rule``, the pack's ``index``-th rule."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for what in missing_numbers(rule):
        problems.append((
            ("rules", index, "citation", "quote"),
            f"rule '{rule.id}' applies {what}, but its quote does not say it: quote the sentence that sets it",
        ))
    on_plans = rule.outcome_in("plan")
    if (
        rule.remedy is not None and "on_arrival" in rule.remedy
        and on_plans is not None and on_plans is not Outcome.PERMITTED
        and "plan" in phases_it_fires_in(pack, rule)
    ):
        problems.append((
            ("rules", index, "remedy"),
            f"rule '{rule.id}': its remedy sets on_arrival (what staff find at the door), but it applies to plans as "
            f"{on_plans.value}; a plan's remedy changes only what can be arranged in advance: make it a reminder on "
            "plans (phases: {plan: reminder}) or leave plans out (phases: {plan: off})",
        ))
    return problems
