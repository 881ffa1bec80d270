"""Animals: secured away from the meeting, or the visit does not go ahead."""

from __future__ import annotations

from typing import Any, Literal, Optional

from ..kinds import Clock, Condition, Rule, all_of, fact, on_arrival, phase_of_data


class Animals(Rule):
    """Animals at the home, asked for at the door.

    ``stage: present`` fires when there are (or may be) animals (``household.animals`` present or
    unknown) and they are not confirmed secured (``on_arrival.animals_secured``). Securing them is
    asked for at the door, so on a plan it is a reminder of what will be asked; at the door and
    inside it gives the rule's outcome, remedied by asking for them to be secured.

    ``stage: refused`` fires when the household refused, or could not, secure them
    (``animal_request_refused``), unless they are secured all the same. Where the household has no
    animals (``household.animals: none``) neither stage fires: that answers the question.

    ``doorstep_exempt: true`` is for a policy that keeps animals out of the room where the meeting
    takes place: a meeting on the doorstep is in no room, so neither stage fires there, and after a
    refusal the doorstep is the remedy (at the door, before going in, the refusal is then at most
    conditional). Without it (a policy that cancels the visit on a refusal) a refusal has no remedy.
    """

    kind: Literal["animals"]
    stage: Literal["present", "refused"]
    doorstep_exempt: bool = False

    def summary(self) -> str:
        words = "animals not (yet) secured" if self.stage == "present" else "family refuses or cannot secure animals"
        return words + (" (the doorstep excepted)" if self.doorstep_exempt else "")

    def phase_defaults(self) -> dict[str, str]:
        if self.stage == "present":
            return {"plan": "reminder"}
        return {"door": "conditional"} if self.doorstep_exempt else {}

    def trigger(self, clock: Clock) -> Condition:
        # "household.animals: none" answers the question: what is asked (and refused) at the door
        # about animals only matters where there are (or may be) some.
        parts = [fact("animals", "ne", "none"), fact("animals_secured", "ne", True)]
        if self.stage == "refused":
            parts.insert(0, fact("animal_request_refused", "eq", True))
        if self.doorstep_exempt:
            parts.append(fact("meeting_room", "ne", "doorstep"))
        return all_of(*parts)

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        if phase_of_data(visit) == "plan":
            return None  # nothing at the door can be arranged on a plan
        refused = (visit.get("on_arrival") or {}).get("animal_request_refused") is True
        if refused or self.stage == "refused":
            # A refusal stands: the animals are not secured after all. Only a meeting in no room
            # (where the policy allows it) is left.
            return on_arrival(meeting_room="doorstep") if self.doorstep_exempt else None
        return on_arrival(animals_secured=True)
