"""Entry at the door: who invites staff in, and when they must not go in."""

from __future__ import annotations

from typing import Any, Literal, Optional

from ..kinds import Clock, Condition, Rule, all_of, any_of, fact, on_arrival

_INSIDE = ("meeting_room", "ne", "doorstep")
#: The checks about going in: while staff are still at the door (no room yet) they say what must be
#: so before going in, so they are at most conditional there; inside, they give the rule's outcome.
GOING_IN = ("invited_by_responsible_adult", "responsible_adult_present", "person_not_in")
#: What staff say about their own safety at the door (``safety_not_confirmed`` asks for it).
SAFETY = ("staff_feel_unsafe", "occupant_concern")


class Entry(Rule):
    """At the door or inside (the phase is door or inside). ``check``:

    * ``invited_by_responsible_adult``: going in (any room but the doorstep, or not known) without an
      invitation from a responsible adult (a child's invitation is not one, nor is one from a
      responsible adult staff know is not there).
    * ``responsible_adult_present``: going in without a responsible adult known to be present.
    * ``person_not_in``: going in when the parents/carers arranged to meet are not known to be in.
    * ``staff_feel_unsafe``: staff feel unsafe (whatever the room).
    * ``occupant_concern``: the person at the door gives cause for concern (whatever the room).
    * ``safety_not_confirmed``: staff have not said whether they feel unsafe, or whether the person
      at the door gives cause for concern (whatever the room): a question not answered is not "no".

    The first three are remedied by staying on the doorstep, and at the door (before going in) are
    at most conditional; ``safety_not_confirmed`` by answering the questions (no concern); staff
    feeling unsafe and an occupant giving concern have no remedy.
    """

    kind: Literal["entry"]
    check: Literal[
        "invited_by_responsible_adult",
        "responsible_adult_present",
        "person_not_in",
        "staff_feel_unsafe",
        "occupant_concern",
        "safety_not_confirmed",
    ]

    def summary(self) -> str:
        return {
            "invited_by_responsible_adult": "going in without a responsible adult's invitation",
            "responsible_adult_present": "going in without a responsible adult present",
            "person_not_in": "going in when the person arranged is not in",
            "staff_feel_unsafe": "staff feel unsafe",
            "occupant_concern": "the person at the door gives cause for concern",
            "safety_not_confirmed": "staff have not said whether they feel safe",
        }[self.check]

    def phase_defaults(self) -> dict[str, str]:
        return {"door": "conditional"} if self.check in GOING_IN else {}

    def trigger(self, clock: Clock) -> Condition:
        arrived = fact("arrived", "eq", True)
        inside = fact(*_INSIDE)
        if self.check == "invited_by_responsible_adult":
            not_invited = any_of(fact("invited_in_by", "ne", "responsible_adult"), fact("responsible_adult_present", "eq", False))
            return all_of(arrived, inside, not_invited)
        if self.check == "responsible_adult_present":
            return all_of(arrived, inside, fact("responsible_adult_present", "ne", True))
        if self.check == "person_not_in":
            return all_of(arrived, inside, fact("parents_present", "ne", True))
        if self.check == "safety_not_confirmed":
            return all_of(arrived, any_of(*(fact(name, "eq", None) for name in SAFETY)))
        return all_of(arrived, fact(self.check, "eq", True))

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        if self.check in GOING_IN:
            return on_arrival(meeting_room="doorstep")
        if self.check == "safety_not_confirmed":
            door = visit.get("on_arrival") or {}
            return on_arrival(**{name: False for name in SAFETY if door.get(name) is None})
        return None
