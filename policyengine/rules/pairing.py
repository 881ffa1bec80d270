"""Pairing: how many staff must go, and who may agree that one goes alone."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, StrictInt

from ..kinds import FALSE, Approver, Clock, Condition, Rule, all_of, fact, negate, staff_words


class Pairing(Rule):
    """Fires when fewer than ``min_staff`` go, unless a lone visit was agreed as the policy allows.

    ``applies_to``: ``all_visits``, ``first_visits`` (an unknown ``first_visit`` counts as a first
    visit) or ``known_risks`` (risks known or suspected; unknown counts as suspected).
    ``lone_agreed_by``: the approval roles who may agree a lone visit (``lone_visit_approved_by``);
    empty means a lone visit can never be agreed. ``lone_needs_risk_assessment``: the lone-working
    risk assessment level that must also be in place.

    Remedy: the policy's preferred way, another member of staff (like the first, so the newcomer
    brings no finding of their own); where one of ``lone_agreed_by`` has already agreed the lone
    visit, the risk assessment that agreement needs.
    """

    kind: Literal["pairing"]
    min_staff: StrictInt = Field(2, ge=2, le=10)
    applies_to: Literal["all_visits", "first_visits", "known_risks"] = "all_visits"
    lone_agreed_by: list[Approver] = Field(default_factory=list)
    lone_needs_risk_assessment: Optional[Literal["completed", "approved"]] = None

    def summary(self) -> str:
        scope = {"all_visits": "", "first_visits": " on a first visit", "known_risks": " where risks are known or suspected"}
        words = f"fewer than {self.min_staff} staff{scope[self.applies_to]}"
        if self.lone_agreed_by:
            words += " unless a lone visit is agreed by the " + " or ".join(a.replace("_", " ") for a in self.lone_agreed_by)
            if self.lone_needs_risk_assessment:
                words += " with a lone-working risk assessment"
        return words

    def scope(self) -> list[Condition]:
        if self.applies_to == "first_visits":
            return [fact("first_visit", "ne", False)]
        if self.applies_to == "known_risks":
            return [fact("known_risks", "ne", False)]
        return []

    def lone_agreed(self) -> Condition:
        # Agreement that one may go alone covers any number short of min_staff: were it only for
        # exactly one, two staff with the agreement would be blocked where one alone was not.
        if not self.lone_agreed_by:
            return FALSE
        parts = [fact("lone_visit_approved_by", "in", self.lone_agreed_by)]
        if self.lone_needs_risk_assessment:
            levels = ["completed", "approved"][["completed", "approved"].index(self.lone_needs_risk_assessment):]
            parts.append(fact("risk_assessment", "in", levels))
        return all_of(*parts)

    def trigger(self, clock: Clock) -> Condition:
        return all_of(*self.scope(), fact("staff_count", "lt", self.min_staff), negate(self.lone_agreed()))

    def quoted_numbers(self) -> list[tuple[str, str]]:
        return [(f"{self.min_staff} staff", staff_words(self.min_staff))]

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        # The policy's preferred way first: a pairing rule exists because the policy wants staff to go
        # together, so the remedy is another member of staff. Only where someone it names has already
        # agreed a lone visit does the remedy complete that agreement (its risk assessment) instead.
        staff = list(visit.get("staff") or [])
        if self.lone_agreed_by and visit.get("lone_visit_approved_by") in self.lone_agreed_by:
            return {"risk_assessment": self.lone_needs_risk_assessment}
        if not staff:
            return None
        # A colleague like the first one, so that the new member brings no new finding of their own.
        companions = [dict(staff[0]) for _ in range(self.min_staff - len(staff))]
        return {"staff": staff + companions}
