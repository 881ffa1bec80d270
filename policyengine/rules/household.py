"""Household health and known risks."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from ..kinds import (
    FALSE,
    Approver,
    Clock,
    Condition,
    Rule,
    add_approval,
    all_of,
    any_of,
    fact,
    negate,
    on_arrival,
)


class Household(Rule):
    """What is known about the household.

    ``check``: ``contagious_illness`` or ``known_risks``. ``stage: before`` fires before going when the
    fact is true or not known (not known is not "no"), unless one of ``unless_approved_by`` has
    approved the visit; its remedy is to find out (where the fact is not known), else the approval.
    ``stage: entry`` fires at the door or inside when the fact is true and staff would go further
    than the doorstep: at the door, before going in, it is at most conditional (stay on the
    doorstep), inside it gives the rule's outcome.
    """

    kind: Literal["household"]
    check: Literal["contagious_illness", "known_risks"]
    stage: Literal["before", "entry"] = "before"
    unless_approved_by: list[Approver] = Field(default_factory=list)

    def _approved(self) -> Condition:
        if not self.unless_approved_by:
            return FALSE
        return any_of(*(fact(f"approved_by_{a}", "eq", True) for a in self.unless_approved_by))

    def summary(self) -> str:
        what = self.check.replace("_", " ")
        if self.stage == "entry":
            return f"{what}: going beyond the doorstep"
        return f"{what} (or not known)" + (" without " + " or ".join(a.upper() if a == "slt" else a for a in self.unless_approved_by) + " approval" if self.unless_approved_by else "")

    def phase_defaults(self) -> dict[str, str]:
        return {"door": "conditional"} if self.stage == "entry" else {}

    def trigger(self, clock: Clock) -> Condition:
        if self.stage == "entry":
            return all_of(
                fact("arrived", "eq", True), fact(self.check, "eq", True), fact("meeting_room", "ne", "doorstep")
            )
        return all_of(fact(self.check, "ne", False), negate(self._approved()))

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        if self.stage == "entry":
            return on_arrival(meeting_room="doorstep")
        known = (visit.get("household") or {}).get(self.check)
        if known is None:  # not known: finding out comes before any approval
            return {"household": {self.check: False}}
        if self.unless_approved_by:
            return add_approval(visit, self.unless_approved_by[0])
        return None
