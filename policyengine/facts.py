"""Flatten a visit into the one fact that rules are evaluated against.

The fact is *total*: every field below is present for every visit, so a condition never meets a
missing field, and the durable-rules and python engines see exactly the same values.

Encoding (validated before anything reaches an engine, because durable-rules compares mixed types
as strings):

* ``bool`` facts are ``1`` (true), ``0`` (false) or ``-1`` (not known). Write rules so that they fire
  when the good value is absent (``ne: true``), and "not known" is then treated as not satisfied.
* ``int`` facts are whole numbers; ``-1`` means not known.
* ``enum`` facts are one of their listed words, or ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional, get_args
from zoneinfo import ZoneInfo

from ._limits import STAFF
from .models import (
    APPROVERS,
    DAY_MINUTES,
    DBS_LEVELS,
    PHASES,
    PURPOSES,
    STAFF_ROLES,
    Animals,
    InvitedInBy,
    MeetingRoom,
    RiskAssessment,
    Visit,
    phase_of,
    wall_clock,
)
from .plugin_facts import DECLARED, encoded

if TYPE_CHECKING:  # imported where first used (see _england)
    import holidays

UNKNOWN = -1
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


#: (lowest, highest, values excluded between them) of a whole-number fact, ``UNKNOWN`` included
#: where the fact may be not known.
Domain = tuple[int, int, frozenset[int]]


@dataclass(frozen=True)
class FactField:
    """One fact of the flattened visit that conditions test: its ``name``, ``type`` (``"bool"``,
    ``"int"`` or ``"enum"``), ``description`` (its meaning, in plain words; ``policyengine facts``
    lists it), the words an enum holds (``values``; "unknown" is added unless ``always_known``),
    and for a whole number the ``domain`` of values it holds for every visit the model accepts.
    """

    name: str
    type: str  # "bool" | "int" | "enum"
    description: str
    values: tuple[str, ...] = ()
    always_known: bool = False  # an enum that always has one of its values (never "unknown")
    domain: Optional[Domain] = None


def _f(name: str, type_: str, description: str, values: Iterable[str] = (), always_known: bool = False,
       domain: Optional[tuple[int, int, Iterable[int]]] = None) -> FactField:
    exact = (domain[0], domain[1], frozenset(domain[2])) if domain is not None else None
    return FactField(name, type_, description, tuple(values), always_known, exact)


def _words(literal: Any) -> tuple[str, ...]:
    """The words of a ``Literal`` type of the visit model: an enum fact holds what the model accepts."""
    return get_args(literal)


MINUTES: Domain = (UNKNOWN, DAY_MINUTES, frozenset({0}))  # a known length or interval is at least a minute
STAFF_NUMBER: Domain = (0, STAFF, frozenset())

#: Every built-in fact, declared once: name, type, meaning, and the values it holds (an enum's
#: words, a whole number's domain). ``flatten`` computes each for a visit; the satisfiability proofs
#: (``_satisfy``) reason over exactly these values, which are all both engines can see. A new fact is
#: a line here and its value in ``flatten`` (tests/test_kinds_module.py holds the two equal).
FACT_FIELDS: tuple[FactField, ...] = (
    _f("purpose", "enum", "why the visit is made", PURPOSES, always_known=True),
    _f("urgency", "enum", "planned or emergency", _words(Visit.model_fields["urgency"].annotation), always_known=True),
    _f("first_visit", "bool", "first visit by school staff to this address"),
    _f("duration_minutes", "int", "expected length in minutes (-1: not known)", domain=MINUTES),
    _f("start_minute", "int", "local start time as minutes after midnight (16:00 is 960)", domain=(0, DAY_MINUTES - 1, ())),
    # start + duration, and a known duration is at least a minute.
    _f("end_minute", "int", "local end time as minutes after midnight of the start day (-1: duration not known)",
       domain=(UNKNOWN, 2 * DAY_MINUTES - 1, {0})),
    _f("weekday", "enum", "local day of the week of the start", WEEKDAYS, always_known=True),
    _f("weekend", "bool", "the visit starts on a Saturday or Sunday"),
    _f("bank_holiday", "bool", "the visit starts on a bank holiday in England"),
    _f("in_school_day", "bool", "starts and ends within the pack's school day on a weekday that is not a bank holiday"),
    _f("in_office_hours", "bool", "starts and ends within the pack's office hours on a weekday that is not a bank holiday"),
    _f("evening", "bool", "starts at or after the pack's evening start (18:00 unless the pack says otherwise), or before 06:00"),
    _f("staff_count", "int", "how many staff go", domain=(1, STAFF, ())),
    _f("trained_count", "int", "how many of them are trained in home visiting", domain=STAFF_NUMBER),
    _f("all_trained", "bool", "every member of staff is trained in home visiting"),
    _f("lowest_dbs", "enum", "the lowest DBS check held by any of them", DBS_LEVELS),
    _f("all_have_phone", "bool", "every member of staff carries a school phone"),
    _f("all_have_mobile", "bool", "every member of staff carries a charged mobile phone (a school phone or their own)"),
    _f("all_have_id_badge", "bool", "every member of staff carries school identification"),
    *(_f(f"role_{r}", "int", f"how many staff going have the role {r}", domain=STAFF_NUMBER) for r in STAFF_ROLES),
    *(_f(f"approved_by_{a}", "bool", f"the visit is authorised by the {a}") for a in APPROVERS),
    _f("lone_visit_approved_by", "enum", "who agreed that one member of staff may go alone", APPROVERS + ("none",)),
    _f("parents_informed", "bool", "parents/carers were told in advance and agreed the time"),
    _f("risk_assessment", "enum", "home visit / lone working risk assessment", _words(RiskAssessment)),
    _f("visit_plan_lodged", "bool", "where, who and expected return left with the office"),
    _f("check_in_interval", "int", "minutes between check-ins with the office (-1: not known)", domain=MINUTES),
    _f("code_word_agreed", "bool", "a code word to raise the alarm is agreed"),
    _f("out_of_hours_justified", "bool", "a justification for an out-of-hours visit is recorded"),
    _f("responsible_contact", "bool", "a responsible contact will check on staff welfare"),
    _f("animals", "enum", "animals in the household", _words(Animals)),
    _f("known_risks", "bool", "risks to staff are known or suspected"),
    _f("contagious_illness", "bool", "someone in the household has a contagious illness"),
    _f("phase", "enum", "the moment decided for: plan (no on_arrival), door (no room yet, or the doorstep) or inside "
       "(another room)", PHASES, always_known=True),
    _f("arrived", "bool", "staff are at the door or inside (the phase is door or inside)"),
    _f("parents_present", "bool", "parents/carers are there at the arranged time"),
    _f("minutes_waited", "int", "minutes waited since the arranged start (-1: not known)",
       domain=(UNKNOWN, DAY_MINUTES, ())),
    _f("responsible_adult_present", "bool", "a responsible adult is present"),
    _f("invited_in_by", "enum", "who invited staff in", _words(InvitedInBy)),
    _f("animals_secured", "bool", "animals are shut away from the meeting room"),
    _f("animal_request_refused", "bool", "the household refused (or could not) secure the animals"),
    _f("occupant_concern", "bool", "the person at the door gives cause for concern"),
    _f("staff_feel_unsafe", "bool", "staff feel unsafe"),
    _f("meeting_room", "enum", "where the meeting takes place", _words(MeetingRoom)),
    _f("upstairs_escort", "bool", "accompanied upstairs by a responsible adult"),
)
FIELDS: dict[str, FactField] = {f.name: f for f in FACT_FIELDS}

#: The domain of each whole-number fact (from its declaration above). The visit model bounds its
#: numbers (minutes to a day, staff to ``STAFF``) so that these are exact.
INT_DOMAINS: dict[str, Domain] = {f.name: f.domain for f in FACT_FIELDS if f.domain is not None}
#: What the proofs assume of an int fact missing from INT_DOMAINS: wide, so they stay sound.
WIDE_DOMAIN: tuple[int, int, frozenset[Any]] = (UNKNOWN, 10**9, frozenset())


_ROLE_FACTS = {role: f"role_{role}" for role in STAFF_ROLES}


def enum_values(field: FactField) -> tuple[str, ...]:
    """The values an enum fact can hold: its words, and "unknown" unless it is always known."""
    if field.always_known or "unknown" in field.values:  # household.animals has its own "unknown"
        return field.values
    return field.values + ("unknown",)


@dataclass(frozen=True)
class Clock:
    """The pack's local hours, as minutes after midnight: what a rule kind's ``trigger(clock)`` gets.

    ``timezone``: the pack's IANA zone (``"Europe/London"``); ``school_day`` and ``office_hours``:
    (start, end) in minutes after midnight local time (08:30 is 510); ``evening_starts``: minutes
    after midnight (18:00 is 1080). A kind that compares the visit's time with the pack's hours
    builds its condition from these, e.g. ``{"fact": "start_minute", "ge": clock.evening_starts}``.
    """

    timezone: str
    school_day: tuple[int, int]
    office_hours: tuple[int, int]
    evening_starts: int

    def local(self, moment: datetime) -> datetime:
        """``moment`` (aware) in the pack's local time: ``clock.local(datetime.fromisoformat(visit["start"]))``."""
        return moment.astimezone(_zone(self.timezone))

    def at(self, day: date, minute: int) -> Optional[datetime]:
        """The local moment ``minute`` minutes after midnight on ``day``, or None where the clocks skip
        that time (the hour lost when they go forward): a remedy must not offer a time that never comes.

        >>> Clock("Europe/London", (510, 930), (480, 960), 1080).at(date(2026, 3, 29), 90) is None
        True
        """
        return wall_clock(datetime.combine(day, time(minute // 60, minute % 60)), _zone(self.timezone))


def _tri(value: bool | None) -> int:
    return UNKNOWN if value is None else int(bool(value))


def _all(values: list[bool | None]) -> int:
    if any(v is False for v in values):
        return 0
    if any(v is None for v in values):
        return UNKNOWN
    return 1


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def is_bank_holiday(day: date) -> bool:
    """Whether ``day`` is a bank holiday in England (``holidays``' calendar, which knows the moved
    and one-off ones).

    >>> is_bank_holiday(date(2026, 8, 31)), is_bank_holiday(date(2026, 9, 1))
    (True, False)
    """
    return day in _england(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the next weekday that is not a bank holiday in England.

    >>> next_working_day(date(2026, 12, 25))  # Christmas Day is a Friday; Monday the 28th is a bank holiday
    datetime.date(2026, 12, 29)
    """
    while day.weekday() >= 5 or is_bank_holiday(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def _england(year: int) -> holidays.HolidayBase:
    import holidays  # tens of ms to import: paid by the first visit that asks, not by `import policyengine`

    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def _within(start: int, end: int, window: tuple[int, int], working_day: bool) -> int:
    if not working_day or start < window[0]:
        return 0
    if end == UNKNOWN:
        return UNKNOWN if start < window[1] else 0
    return int(end <= window[1])


def flatten(visit: Visit, clock: Clock) -> dict[str, Any]:
    """The total fact for ``visit`` under a pack's ``clock`` (without the per-check id)."""
    local: datetime = visit.start.astimezone(_zone(clock.timezone))
    start = local.hour * 60 + local.minute
    end = start + visit.duration_minutes if visit.duration_minutes else UNKNOWN
    weekday = local.weekday()
    bank_holiday = is_bank_holiday(local.date())
    working_day = weekday < 5 and not bank_holiday
    staff = visit.staff
    hh = visit.household
    arr = visit.on_arrival
    phase = phase_of(visit)
    ooh = visit.out_of_hours
    ci = visit.check_in
    dbs_known = [s.dbs for s in staff]
    lowest = "unknown" if None in dbs_known else min(dbs_known, key=DBS_LEVELS.index)

    fact: dict[str, Any] = {
        "purpose": visit.purpose,
        "urgency": visit.urgency,
        "first_visit": _tri(visit.first_visit),
        "duration_minutes": visit.duration_minutes or UNKNOWN,
        "start_minute": start,
        "end_minute": end,
        "weekday": WEEKDAYS[weekday],
        "weekend": int(weekday >= 5),
        "bank_holiday": int(bank_holiday),
        "in_school_day": _within(start, end, clock.school_day, working_day),
        "in_office_hours": _within(start, end, clock.office_hours, working_day),
        "evening": int(start >= clock.evening_starts or start < 6 * 60),
        "staff_count": len(staff),
        "trained_count": sum(1 for s in staff if s.home_visit_trained),
        "all_trained": _all([s.home_visit_trained for s in staff]),
        "lowest_dbs": lowest,
        "all_have_phone": _all([s.school_phone for s in staff]),
        "all_have_mobile": _all([True if s.school_phone else s.mobile_phone for s in staff]),
        "all_have_id_badge": _all([s.id_badge for s in staff]),
        "lone_visit_approved_by": visit.lone_visit_approved_by or "none",
        "parents_informed": _tri(visit.parents_informed),
        "risk_assessment": visit.risk_assessment or "unknown",
        "visit_plan_lodged": _tri(visit.visit_plan_lodged),
        "check_in_interval": ci.interval_minutes if ci and ci.interval_minutes else UNKNOWN,
        "code_word_agreed": _tri(ci.code_word_agreed if ci else None),
        "out_of_hours_justified": int(bool(ooh and ooh.justification and ooh.justification.strip())),
        "responsible_contact": _tri(ooh.responsible_contact if ooh else None),
        "animals": hh.animals,
        "known_risks": _tri(hh.known_risks),
        "contagious_illness": _tri(hh.contagious_illness),
        "phase": phase,
        "arrived": int(phase != "plan"),
        "parents_present": _tri(arr.parents_present if arr else None),
        "minutes_waited": arr.minutes_waited if arr and arr.minutes_waited is not None else UNKNOWN,
        "responsible_adult_present": _tri(arr.responsible_adult_present if arr else None),
        "invited_in_by": (arr.invited_in_by if arr else None) or "unknown",
        "animals_secured": _tri(arr.animals_secured if arr else None),
        "animal_request_refused": _tri(arr.animal_request_refused if arr else None),
        "occupant_concern": _tri(arr.occupant_concern if arr else None),
        "staff_feel_unsafe": _tri(arr.staff_feel_unsafe if arr else None),
        "meeting_room": (arr.meeting_room if arr else None) or "unknown",
        "upstairs_escort": _tri(arr.upstairs_escort if arr else None),
    }
    roles = dict.fromkeys(_ROLE_FACTS.values(), 0)  # one pass over the staff, not one per role
    for s in staff:
        roles[_ROLE_FACTS[s.role]] += 1
    fact.update(roles)
    approvals = set(visit.approvals)
    for approver in APPROVERS:
        fact[f"approved_by_{approver}"] = int(approver in approvals)
    if DECLARED:  # facts plugins add: every one present, so the fact stays total
        fact.update(encoded(visit.facts))
    return fact
