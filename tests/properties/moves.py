"""What "riskier" means, for the monotonic-safety property: a table of moves.

A move takes a valid visit and gives a pair of valid visits ``(safer, riskier)`` that differ only
in what the move names, or None when it does not apply to that visit. The property: the riskier
visit's decision is never more permissive than the safer one's (permitted < conditional < blocked).

Each move changes one thing, and only in the direction every reading of the five policies agrees
is riskier. "Not known" is left out of most moves on purpose: a rule treats it as not satisfied,
so it already sits on the risky side (an unknown first visit counts as a first visit, unknown
animals as animals), and moving to or from it says nothing about risk. ``param`` (any whole
number) picks which member, approval, room or how many minutes, so hypothesis can search them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from policyengine._visits import parse_visit
from policyengine.facts import Clock

#: Rooms in order of distance from the door (and from a way out).
ROOMS = ("doorstep", "ground_floor", "upstairs", "child_bedroom")
#: Steps in minutes: mostly small, so that 15:59 -> 16:00 -> 16:01 and waits of 20 -> 21 are tried.
STEPS = (1, 1, 1, 2, 5, 15, 30, 60, 61, 120, 240)

Pair = Optional[tuple[dict, dict]]


@dataclass(frozen=True)
class Move:
    name: str
    why: str
    apply: Callable[[dict, Clock, int], Pair]


def _set(visit: dict, **fields) -> dict:
    out = copy.deepcopy(visit)
    out.update(fields)
    return out


def _within(visit: dict, part: str, **fields) -> dict:
    out = copy.deepcopy(visit)
    out[part] = dict(out.get(part) or {}, **fields)
    return out


def fewer_staff(visit: dict, clock: Clock, param: int) -> Pair:
    staff = visit["staff"]
    i = param % len(staff)
    safer = _set(visit, staff=staff[: i + 1] + [dict(staff[i])] + staff[i + 1 :])
    return safer, copy.deepcopy(visit)


def first_visit(visit: dict, clock: Clock, param: int) -> Pair:
    if visit.get("first_visit") is not False:
        return None
    return copy.deepcopy(visit), _set(visit, first_visit=True)


def fewer_approvals(visit: dict, clock: Clock, param: int) -> Pair:
    given = sorted(set(visit.get("approvals") or []))
    if not given:
        return None
    dropped = given[param % len(given)]
    return copy.deepcopy(visit), _set(visit, approvals=[a for a in visit["approvals"] if a != dropped])


def no_lone_agreement(visit: dict, clock: Clock, param: int) -> Pair:
    if visit.get("lone_visit_approved_by") is None:
        return None
    return copy.deepcopy(visit), _set(visit, lone_visit_approved_by=None)


def later_start(visit: dict, clock: Clock, param: int) -> Pair:
    zone = ZoneInfo(clock.timezone)
    local = parse_visit(visit).start.astimezone(zone)
    start = local.hour * 60 + local.minute
    if start < max(clock.school_day[0], clock.office_hours[0], 6 * 60):
        return None
    later = (local.replace(tzinfo=None) + timedelta(minutes=STEPS[param % len(STEPS)])).replace(tzinfo=zone)
    if later.date() != local.date() or later.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != later.replace(tzinfo=None):
        return None  # past midnight, or into a clock change
    return copy.deepcopy(visit), _set(visit, start=later.isoformat())


def longer_visit(visit: dict, clock: Clock, param: int) -> Pair:
    minutes = visit.get("duration_minutes")
    if minutes is None:
        return None
    return copy.deepcopy(visit), _set(visit, duration_minutes=minutes + STEPS[param % len(STEPS)])


def animals_present(visit: dict, clock: Clock, param: int) -> Pair:
    if (visit.get("household") or {}).get("animals") != "none":
        return None
    return copy.deepcopy(visit), _within(visit, "household", animals="present")


def _household_flag(flag: str):
    def move(visit: dict, clock: Clock, param: int) -> Pair:
        if (visit.get("household") or {}).get(flag) is not False:
            return None
        return copy.deepcopy(visit), _within(visit, "household", **{flag: True})

    return move


def _door_flag(flag: str):
    def move(visit: dict, clock: Clock, param: int) -> Pair:
        door = visit.get("on_arrival")
        if door is None or door.get(flag) is True:
            return None
        return copy.deepcopy(visit), _within(visit, "on_arrival", **{flag: True})

    return move


def further_room(visit: dict, clock: Clock, param: int) -> Pair:
    room = (visit.get("on_arrival") or {}).get("meeting_room")
    if room is None or room == ROOMS[-1]:
        return None
    further = ROOMS[ROOMS.index(room) + 1 + param % (len(ROOMS) - 1 - ROOMS.index(room))]
    return copy.deepcopy(visit), _within(visit, "on_arrival", meeting_room=further)


def longer_wait(visit: dict, clock: Clock, param: int) -> Pair:
    waited = (visit.get("on_arrival") or {}).get("minutes_waited")
    if waited is None:
        return None
    return copy.deepcopy(visit), _within(visit, "on_arrival", minutes_waited=waited + STEPS[param % len(STEPS)])


#: The riskier moves. Each says why it is riskier, and why it is defined as it is.
MOVES: tuple[Move, ...] = (
    Move("fewer staff", "Fewer people to share the risk. Defined as dropping a member identical to one who stays "
         "(the safer visit has a copy of one member), so only the number of staff changes: the training, DBS levels, "
         "phones, badges and roles present stay as they were. Dropping a different member would also change those.",
         fewer_staff),
    Move("first visit", "Staff do not know the home yet; policies pair first visits. Only false -> true: 'not known' "
         "already counts as a first visit.", first_visit),
    Move("one approval fewer", "An authorisation taken away can only remove an exception (approved by SLT, agreed by "
         "the DSL). Repeats of the same approver are dropped together, since they are one authorisation.",
         fewer_approvals),
    Move("no lone-visit agreement", "Nobody has agreed that one member of staff may go alone.", no_lone_agreement),
    Move("later start", "Later in the same day is towards the end of the school day and office hours, the 4pm "
         "cut-off and the evening. Only from a start at or after the pack's school-day and office-hours start (and "
         "06:00): before that, later moves into the school day (07:00 -> 10:00 is safer), and starts after midnight "
         "are night, which counts as late. The start stays on the same local day, clear of clock changes.",
         later_start),
    Move("longer visit", "More time in the home, and a later end can only leave the school day or office hours. "
         "Only from a known length: an unknown length already counts as running over.", longer_visit),
    Move("animals present", "Animals must be secured or the visit does not go ahead. Only none -> present: unknown "
         "already counts as possibly present.", animals_present),
    Move("risks known", "Risks to staff are known where they were known not to be (false -> true).",
         _household_flag("known_risks")),
    Move("contagious illness", "Someone at home has a contagious illness, where no one was known to (false -> true).",
         _household_flag("contagious_illness")),
    Move("refusal", "At the door, the household refuses (or cannot) secure the animals.", _door_flag("animal_request_refused")),
    Move("staff feel unsafe", "At the door, staff feel unsafe.", _door_flag("staff_feel_unsafe")),
    Move("occupant concern", "At the door, the person gives cause for concern.", _door_flag("occupant_concern")),
    Move("room further from the door", "doorstep < ground_floor < upstairs < child_bedroom: each is further from the "
         "way out; the escort stays as it was.", further_room),
    Move("longer wait", "At the door, more minutes since the arranged start: a wait limit can be passed, never "
         "un-passed. Only from a known wait: an unknown wait counts as still waiting.", longer_wait),
)
