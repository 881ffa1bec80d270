"""Animals: secured away from the meeting, or the visit does not go ahead."""

from __future__ import annotations

from typing import Literal, Optional

from .._conditions import Condition, all_of, any_of, fact
from .._facts import Clock
from .._rule import Rule, on_arrival


class Animals(Rule):
    """``stage: present`` fires when there are (or may be) animals and they are not confirmed
    secured: before going, ``household.animals`` is present or unknown; at the door,
    ``animals_secured`` is false. ``stage: refused`` fires when the household refused, or could not,
    secure them (``animal_request_refused``).
    """

    kind: Literal["animals"]
    stage: Literal["present", "refused"]

    def summary(self) -> str:
        return "animals not (yet) secured" if self.stage == "present" else "family refuses or cannot secure animals"

    def trigger(self, clock: Clock) -> Condition:
        if self.stage == "refused":
            return fact("animal_request_refused", "eq", True)
        return all_of(
            any_of(fact("animals", "ne", "none"), fact("animals_secured", "eq", False)),
            fact("animals_secured", "ne", True),
        )

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        if self.stage == "present":
            return on_arrival(animals_secured=True)
        return None
