"""The ``timed`` section of a rule pack: deadlines during a visit, absence triggers, the calendar.

A pack's timed rules are YAML like its other rules, each with the policy's exact words. A visit
timer starts when an event happens (staff arrive, a check-in...), has a deadline, and is met or
ended by other events; when its deadline passes first, its action is due, then each step of its
escalation in order. An absence trigger is due on a school day of a pupil's absence unless what
meets it (contact, a sighting) comes first. Where a policy gives no number, the number comes from
the visit's plan (``plan:``) and the pack's ``catalogue`` says so.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal, Optional, Self, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from .._rule import RULE_ID, CitationSpec
from .._validation import IsoDate

#: What happens to a visit, in the order it usually happens (``tick`` only moves time on).
VisitEventName = Literal[
    "planned", "arrived", "parents_arrived", "entered", "check_in", "left", "returned", "cancelled"
]
VISIT_EVENTS: tuple[str, ...] = get_args(VisitEventName)

#: What an absence record says happened on a day: contact with the family (and whether it explained
#: the absence), the child seen (by anyone counted, or by school staff), an authorised day.
AbsenceEventName = Literal["contact", "contact_reason_known", "seen", "seen_by_school_staff", "authorised"]
ABSENCE_EVENTS: tuple[str, ...] = get_args(AbsenceEventName)

#: Numbers a visit's plan gives where the policy gives none.
PlanNumber = Literal["check_in.interval_minutes", "escalation_minutes"]

ACTION_NAME = r"^[a-z0-9][a-z0-9-]*$"
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=7 * 24 * 60)]
SchoolDay = Annotated[StrictInt, Field(ge=1, le=200)]


#: A calendar date, written YYYY-MM-DD (the type a pack's review date has).
CalendarDate = IsoDate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Wait(_Strict):
    """How long: the policy's number of minutes, or the number the visit's plan gives."""

    minutes: Optional[NonNegativeInt] = Field(None, description="the policy's number of minutes")
    plan: Optional[PlanNumber] = Field(
        None,
        description="the visit's own number: check_in.interval_minutes (the plan's check-in interval) or "
        "escalation_minutes (the minutes between escalation steps agreed with the office). With "
        "'minutes' too, the plan's number replaces the policy's when the plan gives one",
    )

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.minutes is None and self.plan is None:
            raise ValueError("give 'minutes' (the policy's number) or 'plan' (the number the visit's plan gives)")
        return self


class Deadline(Wait):
    """When a visit timer's deadline falls, counted from ``after``."""

    minutes: Optional[NonNegativeInt] = Field(None, description="minutes after 'after'")
    after: Literal["event", "start", "expected_return"] = Field(
        "event",
        description="event: the event that started the timer; start: the visit's arranged start; "
        "expected_return: the return time agreed in the plan",
    )

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.after == "event" and self.minutes is None and self.plan is None:
            raise ValueError("give 'minutes' (the policy's number) or 'plan' (the number the visit's plan gives)")
        if self.after == "start" and (self.minutes is None or self.plan is not None):
            raise ValueError("a deadline after the arranged start needs 'minutes' (and no 'plan')")
        if self.after == "expected_return" and self.plan is not None:
            raise ValueError("a deadline at the expected return takes no 'plan' (give 'minutes' after it, or nothing)")
        return self


class Step(_Strict):
    """One step of an escalation: who does what, once ``wait`` has passed since the step before."""

    action: str = Field(pattern=ACTION_NAME, description="the action's name, as written on each action")
    wait: Wait = Field(description="how long after the step before (the missed deadline, for the first)")
    who: str = Field(min_length=1, description="who does it, as the policy names them")
    message: str = Field(min_length=1, description="what they are told to do")
    citation: CitationSpec


class _Timer(_Strict):
    id: str = Field(pattern=RULE_ID, description="unique among the pack's timed rules")
    action: str = Field(pattern=ACTION_NAME, description="the name of the action due when the deadline passes")
    title: Optional[str] = None
    who: str = Field(min_length=1, description="who does it, as the policy names them")
    message: str = Field(min_length=1, description="what they are told to do")
    citation: CitationSpec
    notes: Optional[str] = None


class VisitTimer(_Timer):
    """A deadline during a visit: started by an event, met or ended by others."""

    starts: list[VisitEventName] = Field(min_length=1, description="events that start the timer (when it is not running)")
    restarts: list[VisitEventName] = Field(
        default_factory=list, description="events that start it again from that event (or start it)"
    )
    met_by: list[VisitEventName] = Field(default_factory=list, description="events that meet the deadline: no action")
    ends: list[VisitEventName] = Field(default_factory=list, description="events after which the timer no longer applies")
    deadline: Deadline
    escalation: Optional[str] = Field(None, description="the name of the escalation (under 'escalations') that follows")

    @model_validator(mode="after")
    def _events(self) -> Self:
        arming = set(self.starts) | set(self.restarts)
        for name in ("met_by", "ends", "restarts"):
            listed = getattr(self, name)
            both = [e for e in listed if e in arming] if name != "restarts" else []
            if both:
                raise PydanticCustomError(
                    "timed_events", "'{event}' both starts and stops the timer; list it in one place",
                    {"event": both[0], "at": (name,)},
                )
            if "planned" in listed:
                raise PydanticCustomError(
                    "timed_events", "'planned' can only start a timer (a visit is planned once)", {"at": (name,)}
                )
        return self


Tri = Union[StrictBool, Literal["unknown"]]


class OnlyIf(_Strict):
    """The absence trigger applies only to records with these values (unknown: the record does not say)."""

    vulnerable: Optional[list[Tri]] = Field(None, min_length=1, description="e.g. [true, unknown]")
    known_on_holiday: Optional[list[Tri]] = Field(None, min_length=1)
    whereabouts_known: Optional[list[Tri]] = Field(None, min_length=1)

    def holds(self, record: dict[str, Optional[bool]]) -> bool:
        for name in ("vulnerable", "known_on_holiday", "whereabouts_known"):
            allowed = getattr(self, name)
            if allowed is None:
                continue
            value = record.get(name)
            if ("unknown" if value is None else value) not in allowed:
                return False
        return True


class AbsenceTimer(_Timer):
    """An absence trigger: due on school day ``day`` of the absence (the first day absent is day 1)."""

    day: SchoolDay = Field(description="the school day of the absence by which the action is due")
    restarts: list[AbsenceEventName] = Field(
        default_factory=list,
        description="days that start the count again: the action is then due 'day' school days after that day",
    )
    met_by: list[AbsenceEventName] = Field(default_factory=list, description="what, on or before the day, means it is not due")
    only_if: Optional[OnlyIf] = None

    @model_validator(mode="after")
    def _events(self) -> Self:
        both = [e for e in self.met_by if e in self.restarts]
        if both:
            raise PydanticCustomError(
                "timed_events", "'{event}' both restarts and meets the trigger; list it in one place",
                {"event": both[0], "at": ("met_by",)},
            )
        return self


class Term(_Strict):
    start: CalendarDate
    end: CalendarDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"the term ends ({self.end}) before it starts ({self.start})")
        return self


class CalendarSpec(_Strict):
    """A school's calendar: its terms and the days in them that are not school days."""

    terms: list[Term] = Field(min_length=1, description="each term's first and last day (YYYY-MM-DD)")
    inset_days: list[CalendarDate] = Field(default_factory=list, description="training days: no pupils in school")
    closures: list[CalendarDate] = Field(default_factory=list, description="other days the school is closed")
    bank_holidays: Literal["england", "none"] = Field(
        "england", description="england: England's bank holidays are not school days (the default)"
    )

    @model_validator(mode="after")
    def _terms_apart(self) -> Self:
        ordered = sorted(self.terms, key=lambda t: t.start)
        for before, after in itertools.pairwise(ordered):
            if after.start <= before.end:
                raise ValueError(f"the terms starting {before.start} and {after.start} overlap")
        return self


class TimedCatalogueEntry(_Strict):
    """A statement of the policy about time: the timed rules that encode it, or why none does."""

    section: str = Field(min_length=1)
    quote: str = Field(min_length=1, description="the statement, copied exactly from the policy")
    rules: list[str] = Field(default_factory=list, description="the ids of the timed rules that encode it")
    no_number: Optional[str] = Field(
        None, description="the policy gives no number here: where the number comes from instead"
    )
    not_timed: Optional[str] = Field(None, description="why no timed rule encodes it")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if bool(self.rules) == bool(self.not_timed):
            raise ValueError("give either 'rules' (the timed rules that encode this) or 'not_timed' (why none does)")
        return self


class Timed(_Strict):
    """A pack's timed duties: ``visit`` timers (``policyengine monitor``), ``absence`` triggers
    (``policyengine due``), the ``escalations`` they share, the school ``calendar`` and a ``catalogue``."""

    escalations: dict[Annotated[str, Field(pattern=RULE_ID)], Annotated[list[Step], Field(min_length=1)]] = Field(
        default_factory=dict, description="named, ordered escalation steps that visit timers refer to"
    )
    visit: list[VisitTimer] = Field(default_factory=list, description="deadlines during a visit")
    absence: list[AbsenceTimer] = Field(default_factory=list, description="absence triggers, in school days")
    calendar: Optional[CalendarSpec] = Field(None, description="the school's terms and INSET days (or give a calendar file)")
    catalogue: list[TimedCatalogueEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Self:
        seen: dict[str, tuple[Any, ...]] = {}
        for part in ("visit", "absence"):
            for index, timer in enumerate(getattr(self, part)):
                if timer.id in seen:
                    raise PydanticCustomError(
                        "duplicate_rule_id",
                        "timed rule id '{id}' is used twice; give each timed rule its own id",
                        {"id": timer.id, "at": (part, index, "id")},
                    )
                seen[timer.id] = (part, index)
        for index, timer in enumerate(self.visit):
            if timer.escalation is not None and timer.escalation not in self.escalations:
                raise PydanticCustomError(
                    "unknown_rule_id",
                    "timed rule '{id}' names escalation '{name}', which is not under 'escalations'",
                    {"id": timer.id, "name": timer.escalation, "at": ("visit", index, "escalation")},
                )
        for index, entry in enumerate(self.catalogue):
            for rid in entry.rules:
                if rid not in seen:
                    raise PydanticCustomError(
                        "unknown_rule_id",
                        "the timed catalogue names rule '{id}', which is not a timed rule of the pack",
                        {"id": rid, "at": ("catalogue", index, "rules")},
                    )
        return self

    def citations(self) -> list[tuple[tuple[Any, ...], str, str]]:
        """Every quote in the section: its path under ``timed``, what holds it (for messages) and the
        quote, for checking against the policy text."""
        found: list[tuple[tuple[Any, ...], str, str]] = []
        for name, steps in self.escalations.items():
            for index, step in enumerate(steps):
                found.append((("escalations", name, index, "citation", "quote"), f"escalation '{name}' step {index + 1}",
                              step.citation.quote))
        for part in ("visit", "absence"):
            for index, timer in enumerate(getattr(self, part)):
                found.append(((part, index, "citation", "quote"), f"timed rule '{timer.id}'", timer.citation.quote))
        for index, entry in enumerate(self.catalogue):
            found.append((("catalogue", index, "quote"), "timed catalogue", entry.quote))
        return found
