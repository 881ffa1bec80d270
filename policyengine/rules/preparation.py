"""Required preparation: risk assessment, visit plan, phone, ID, check-in, code word, parents informed."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, StrictInt

from ..kinds import Clock, Condition, Rule, any_of, fact, number_words, set_all_staff


class Preparation(Rule):
    """Fires when something that must be in place before the visit is not (or is not known to be).

    ``require``:

    * ``risk_assessment``: at least ``level`` (``completed``, the default, or ``approved``).
    * ``visit_plan_lodged``: where, who and expected return left with the office.
    * ``school_phone``: every member of staff carries a school-issued phone.
    * ``mobile_phone``: every member of staff carries a charged mobile phone, their own or the
      school's (for policies that do not ask for a school phone).
    * ``id_badge``: every member of staff carries school identification.
    * ``check_in``: a check-in interval of at most ``max_interval_minutes`` (default 30; ``null``
      for any agreed interval, where the policy sets none) is agreed.
    * ``code_word``: a code word is agreed.
    * ``parents_informed``: parents/carers were told in advance and agreed the time (exempt
      emergencies with ``unless: {fact: urgency, eq: emergency}``).
    """

    kind: Literal["preparation"]
    require: Literal[
        "risk_assessment",
        "visit_plan_lodged",
        "school_phone",
        "mobile_phone",
        "id_badge",
        "check_in",
        "code_word",
        "parents_informed",
    ]
    level: Literal["completed", "approved"] = "completed"
    max_interval_minutes: Optional[StrictInt] = Field(30, gt=0, le=24 * 60)

    def summary(self) -> str:
        if self.require == "risk_assessment":
            return f"risk assessment not {self.level}"
        if self.require == "check_in":
            if self.max_interval_minutes is None:
                return "no check-in times agreed"
            return f"no check-in every {self.max_interval_minutes} minutes agreed"
        return self.require.replace("_", " ") + " not confirmed"

    def trigger(self, clock: Clock) -> Condition:
        r = self.require
        if r == "risk_assessment":
            levels = ["completed", "approved"] if self.level == "completed" else ["approved"]
            return fact("risk_assessment", "not_in", levels)
        if r == "check_in":
            if self.max_interval_minutes is None:
                return fact("check_in_interval", "lt", 1)
            return any_of(fact("check_in_interval", "lt", 1), fact("check_in_interval", "gt", self.max_interval_minutes))
        field = {
            "visit_plan_lodged": "visit_plan_lodged",
            "school_phone": "all_have_phone",
            "mobile_phone": "all_have_mobile",
            "id_badge": "all_have_id_badge",
            "code_word": "code_word_agreed",
            "parents_informed": "parents_informed",
        }[r]
        return fact(field, "ne", True)

    def quoted_numbers(self) -> list[tuple[str, str]]:
        if self.require == "check_in" and self.max_interval_minutes is not None:
            return [(f"{self.max_interval_minutes} minutes", number_words(self.max_interval_minutes))]
        return []

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        r = self.require
        if r == "risk_assessment":
            return {"risk_assessment": self.level}
        if r == "check_in":
            return {"check_in": {"interval_minutes": self.max_interval_minutes or 30}}
        if r == "code_word":
            return {"check_in": {"code_word_agreed": True}}
        if r == "school_phone":
            return set_all_staff(visit, school_phone=True)
        if r == "mobile_phone":
            return set_all_staff(visit, mobile_phone=True)
        if r == "id_badge":
            return set_all_staff(visit, id_badge=True)
        return {r: True}
