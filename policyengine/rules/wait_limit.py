"""Wait limit: how long staff wait at the door for parents who are not there."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, StrictInt

from ..kinds import Clock, Condition, Rule, all_of, fact, number_words, on_arrival


class WaitLimit(Rule):
    """At the door, parents not present (or not known to be) at the arranged time.

    ``stage: waiting`` fires while ``minutes_waited`` is at most ``minutes`` (an unknown wait counts as
    still waiting): staff may wait until the limit, then cancel. Where staff have seen that the
    parents are not there, nothing they can change brings them, so the finding has no remedy (its
    conditions say what to wait for); where it is not known whether they are there, the remedy is
    to confirm that they are. ``stage: exceeded`` fires once ``minutes_waited`` is more than
    ``minutes``: the visit is cancelled; nothing done at the door now changes that, so it has no
    remedy.
    """

    kind: Literal["wait_limit"]
    minutes: StrictInt = Field(ge=0, le=240)
    stage: Literal["waiting", "exceeded"]

    def summary(self) -> str:
        if self.stage == "waiting":
            return f"parents not there, waited up to {self.minutes} minutes"
        return f"parents not there after {self.minutes} minutes"

    def trigger(self, clock: Clock) -> Condition:
        op = "le" if self.stage == "waiting" else "gt"
        return all_of(
            fact("arrived", "eq", True),
            fact("parents_present", "ne", True),
            fact("minutes_waited", op, self.minutes),
        )

    def quoted_numbers(self) -> list[tuple[str, str]]:
        return [(f"{self.minutes} minutes", number_words(self.minutes))]

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        seen = (visit.get("on_arrival") or {}).get("parents_present")
        if self.stage == "waiting" and seen is None:
            return on_arrival(parents_present=True)
        return None
