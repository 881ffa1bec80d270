"""Rooms: where in the home staff may meet (doorstep, ground floor, upstairs, a child's bedroom)."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from ..kinds import Clock, Condition, MeetingRoom, Rule, all_of, any_of, fact, on_arrival


class Rooms(Rule):
    """Fires at the door or inside when the meeting is in one of ``rooms``, or at the door before
    the room is known (a room not yet known is not "not upstairs"): at the door it is at most
    conditional (meet where the policy allows), inside it gives the rule's outcome.

    ``escorted``: ``any`` (default), ``yes`` (only when accompanied upstairs by a responsible adult)
    or ``no`` (only when not known to be accompanied). A policy that allows upstairs only with an
    escort writes two rules: ``escorted: no`` blocked, ``escorted: yes`` conditional.
    """

    kind: Literal["rooms"]
    rooms: list[MeetingRoom] = Field(min_length=1)
    escorted: Literal["any", "yes", "no"] = "any"

    def summary(self) -> str:
        where = {"doorstep": "on the doorstep", "ground_floor": "on the ground floor", "upstairs": "upstairs", "child_bedroom": "in a child's bedroom"}
        rooms = " or ".join(where[r] for r in self.rooms)
        escort = {"any": "", "yes": " with a responsible adult", "no": " without a responsible adult"}[self.escorted]
        return f"meeting {rooms}{escort}"

    def phase_defaults(self) -> dict[str, str]:
        return {"door": "conditional"}

    def trigger(self, clock: Clock) -> Condition:
        room = any_of(fact("meeting_room", "in", self.rooms), fact("meeting_room", "eq", None))
        parts = [fact("arrived", "eq", True), room]
        if self.escorted == "yes":
            parts.append(fact("upstairs_escort", "eq", True))
        elif self.escorted == "no":
            parts.append(fact("upstairs_escort", "ne", True))
        return all_of(*parts)

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        # Another room (the ground floor or the doorstep first); where the rule covers every room
        # but the last, that one; else an escort the other way. Only a rule that covers every room
        # whatever the escort has no remedy, and then nothing staff arrange avoids it.
        for room in ("ground_floor", "doorstep", "upstairs", "child_bedroom"):
            if room not in self.rooms:
                return on_arrival(meeting_room=room)
        if self.escorted != "any":
            return on_arrival(upstairs_escort=self.escorted == "no")
        return None
