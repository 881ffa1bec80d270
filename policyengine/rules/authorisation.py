"""Authorisation: who must have approved the visit."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from ..kinds import Approver, Clock, Condition, Rule, add_approval, all_of, fact


class Authorisation(Rule):
    """Fires unless at least one of ``any_of`` has approved the visit.

    To require approvals from two people, write two rules. Narrow a rule to some visits with the
    common ``purposes`` field (e.g. the DSL for safeguarding visits).
    """

    kind: Literal["authorisation"]
    any_of: list[Approver] = Field(min_length=1)

    def summary(self) -> str:
        names = " or ".join(a.upper() if a in ("slt", "dsl") else a.replace("_", " ") for a in self.any_of)
        return f"not authorised by the {names}"

    def trigger(self, clock: Clock) -> Condition:
        return all_of(*(fact(f"approved_by_{a}", "ne", True) for a in self.any_of))

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        return add_approval(visit, self.any_of[0])
