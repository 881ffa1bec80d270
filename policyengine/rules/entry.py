"""Entry at the door: who invites staff in, and when they must not go in."""

from __future__ import annotations

from typing import Literal, Optional

from .._conditions import Condition, all_of, fact
from .._facts import Clock
from .._rule import Rule, on_arrival

_INSIDE = ("meeting_room", "ne", "doorstep")


class Entry(Rule):
    """At the door (``on_arrival`` given). ``check``:

    * ``invited_by_responsible_adult``: going in (any room but the doorstep, or not known) without an
      invitation from a responsible adult (a child's invitation is not one).
    * ``responsible_adult_present``: going in without a responsible adult known to be present.
    * ``person_not_in``: going in when the parents/carers arranged to meet are not known to be in.
    * ``staff_feel_unsafe``: staff feel unsafe (whatever the room).
    * ``occupant_concern``: the person at the door gives cause for concern (whatever the room).

    The first three are remedied by staying on the doorstep; the last two have no remedy.
    """

    kind: Literal["entry"]
    check: Literal[
        "invited_by_responsible_adult",
        "responsible_adult_present",
        "person_not_in",
        "staff_feel_unsafe",
        "occupant_concern",
    ]

    def summary(self) -> str:
        return {
            "invited_by_responsible_adult": "going in without a responsible adult's invitation",
            "responsible_adult_present": "going in without a responsible adult present",
            "person_not_in": "going in when the person arranged is not in",
            "staff_feel_unsafe": "staff feel unsafe",
            "occupant_concern": "the person at the door gives cause for concern",
        }[self.check]

    def trigger(self, clock: Clock) -> Condition:
        arrived = fact("arrived", "eq", True)
        inside = fact(*_INSIDE)
        if self.check == "invited_by_responsible_adult":
            return all_of(arrived, inside, fact("invited_in_by", "ne", "responsible_adult"))
        if self.check == "responsible_adult_present":
            return all_of(arrived, inside, fact("responsible_adult_present", "ne", True))
        if self.check == "person_not_in":
            return all_of(arrived, inside, fact("parents_present", "ne", True))
        return all_of(arrived, fact(self.check, "eq", True))

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        if self.check in ("staff_feel_unsafe", "occupant_concern"):
            return None
        return on_arrival(meeting_room="doorstep")
