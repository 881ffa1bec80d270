"""Absence triggers: from a pupil's absence record and the school's calendar, what is due and by when.

An absence record says when the absence began (and ended, if it has), the days there was contact
with the family, when and by whom the child was seen, which days were authorised, and whether the
child is vulnerable, known to be on holiday, or of known whereabouts. Each of the pack's absence
triggers is due on a school day of the absence (the first day absent is Day 1) unless what meets it
comes first; some restart their count (a sighting restarts the count of days without "eyes on").

The record runs through the same timers as the visit monitor, in school days: the count starts the
day before the first day absent, each dated fact of the record is an event, and the absence ends
the day after ``last_day``. A date outside the calendar is an error, not a guess.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal, Optional, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from .._errors import InputError, Problem
from .._validation import validate
from .._yaml import Loaded
from ..engines.base import default_engine
from ..models import Citation
from ..packs.load import PackBase, load_pack
from ..packs.timed import CalendarDate
from .calendar import SchoolCalendar
from .monitor import _citation, make_engine, timed_document
from .timers import BEYOND, Program, StepSpec, Timeline, TimerSpec

if TYPE_CHECKING:  # only for annotations
    from ..plugins.registry import Registry

START, END = "~start", "~end"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    """A day on which school staff made contact with the family."""

    on: CalendarDate
    reason_known: Optional[StrictBool] = Field(None, description="the contact explained the absence (not known: it did not)")


class Sighting(_Strict):
    """A day the child was seen: by school staff, or by another verified professional."""

    on: CalendarDate
    by: Literal["school_staff", "professional"]


class Absence(_Strict):
    """A pupil's absence, as the school records it: dates and yes/no facts, never names."""

    pupil: Optional[str] = Field(None, min_length=1, max_length=200, description="an opaque reference for the caller's records")
    first_day: CalendarDate = Field(description="the first day absent: a school day (Day 1)")
    last_day: Optional[CalendarDate] = Field(None, description="the last day absent, once the pupil is back")
    vulnerable: Optional[StrictBool] = Field(None, description="not known is treated as vulnerable (the sooner deadline)")
    known_on_holiday: Optional[StrictBool] = Field(None, description="the child is known to be on holiday")
    whereabouts_known: Optional[StrictBool] = Field(None, description="the child's whereabouts are confirmed (not known: not confirmed)")
    contact: list[Contact] = Field(default_factory=list)
    seen: list[Sighting] = Field(default_factory=list)
    authorised: list[CalendarDate] = Field(default_factory=list, description="days of the absence recorded as authorised")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.last_day is not None and self.last_day < self.first_day:
            raise ValueError(f"last_day ({self.last_day}) is before first_day ({self.first_day})")
        for what, day in self.dated():
            if day < self.first_day:
                raise ValueError(f"{what} on {day} is before the first day of absence ({self.first_day})")
        return self

    def dated(self) -> list[tuple[str, date]]:
        out = [("contact", c.on) for c in self.contact] + [("seen", s.on) for s in self.seen]
        return out + [("authorised", d) for d in self.authorised]

    def events(self) -> list[tuple[date, str]]:
        """Each dated fact as the events it makes, in date order."""
        out: list[tuple[date, str]] = []
        for c in self.contact:
            out.append((c.on, "contact"))
            if c.reason_known:
                out.append((c.on, "contact_reason_known"))
        for s in self.seen:
            out.append((s.on, "seen"))
            if s.by == "school_staff":
                out.append((s.on, "seen_by_school_staff"))
        out += [(d, "authorised") for d in self.authorised]
        return sorted(set(out))


class DueAction(_Strict):
    """An absence trigger that is due: by which date, and on which school day of the absence."""

    pupil: Optional[str]
    due: date = Field(description="the school day by which it is due")
    school_day: int = Field(description="the day of the absence that date is (the first day absent is 1)")
    action: str
    who: str
    message: str
    rule: str
    citation: Citation
    school: str


class AbsenceTriggers:
    """One school's absence triggers, compiled once, with its calendar: call :meth:`due` per record.

    ``calendar`` is a :class:`SchoolCalendar` or a calendar file; without one, the pack's own
    ``timed.calendar``. ``engine``: ``"durable"`` or ``"python"`` (the same answers; the default is
    durable where durable-rules runs).
    """

    def __init__(self, school: Any, *, calendar: Any = None, engine: Optional[str] = None, registry: Optional[Registry] = None) -> None:
        pack = school if isinstance(school, PackBase) else load_pack(school, registry=registry)
        self.pack = pack
        rules = tuple(pack.timed.absence) if pack.timed is not None else ()
        self.rules = rules
        # A pack without absence triggers needs no calendar: nothing can fall due.
        self.calendar = _calendar_for(pack, calendar) if rules or calendar is not None else None
        timers = []
        document = timed_document(pack, registry)
        for index, rule in enumerate(rules):
            timers.append(
                TimerSpec(
                    id=rule.id,
                    arm=frozenset({START}),
                    rearm=frozenset(rule.restarts),
                    disarm=frozenset(rule.met_by) | {END},
                    base=None,
                    amount=f"a{index}",
                    steps=(StepSpec(rule.action, rule.who, rule.message, _citation(rule, document)),),
                    applies=f"on{index}" if rule.only_if is not None else None,
                )
            )
        self.program = Program.of(tuple(timers))
        self._engine = make_engine(self.program, engine, self._after)
        self.engine_name = self._engine.name
        self._lock = threading.Lock()
        self._subjects = itertools.count(1)

    def _after(self, base: int, days: int) -> int:
        if self.calendar is None:  # no absence triggers: no timer asks for a date
            return BEYOND
        found = self.calendar.after(base, days)
        return BEYOND if found is None else found

    def due(self, absence: Absence | Mapping[str, Any], file: str = "<absence>") -> list[DueAction]:
        """What the record makes due, earliest first. :class:`InputError` for a bad record, a first
        day that is not a school day, a date outside the calendar, or a trigger whose day falls after
        the calendar ends while the absence goes on."""
        record = absence if isinstance(absence, Absence) else parse_absence(absence, file)
        calendar = self.calendar
        if calendar is None:
            return []
        calendar.check(record.first_day, "first_day", file)
        if not calendar.is_school_day(record.first_day):
            raise InputError(Problem(file, None, None, f"first_day {record.first_day} is not a school day in the calendar {calendar.name}"))
        for what, day in record.dated() + ([("last_day", record.last_day)] if record.last_day else []):
            calendar.check(day, what, file)
        flags = {"vulnerable": record.vulnerable, "known_on_holiday": record.known_on_holiday,
                 "whereabouts_known": record.whereabouts_known}
        params: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            params[f"a{index}"] = rule.day
            if rule.only_if is not None:
                params[f"on{index}"] = 1 if rule.only_if.holds(flags) else 0
        events = [(record.first_day - timedelta(days=1), START)] + record.events()
        if record.last_day is not None:
            events.append((record.last_day + timedelta(days=1), END))
        first = record.first_day.toordinal()
        with self._lock:
            subject = f"{record.pupil or 'absence'}#{next(self._subjects)}"
            timeline = Timeline(self._engine)
            self._engine.open(subject, params)
            try:
                fired = []
                for seq, (day, name) in enumerate(events, 1):
                    fired += timeline.advance(day.toordinal())
                    timeline.event(subject, name, day.toordinal(), seq)
                fired += timeline.advance(BEYOND)
                # In the pack's order, whichever order the engine lists its timers in.
                beyond = [self.program.timers[i].id for (s, i), (_, _, d) in sorted(self._engine.running().items()) if s == subject and d >= BEYOND]
            finally:
                self._engine.close(subject)
                timeline.forget(subject)
        if beyond:
            raise InputError(Problem(file, None, None, (
                f"the day of '{beyond[0]}' falls after the end of the school calendar {calendar.name} "
                f"({calendar.last.isoformat()}) while the absence goes on; give a calendar that covers it")))
        out = []
        for f in fired:
            spec = self.program.timers[f.timer]
            step = spec.steps[f.step]
            out.append(DueAction(
                pupil=record.pupil, due=date.fromordinal(f.due), school_day=calendar.number(f.due, first),
                action=step.action, who=step.who, message=step.message, rule=spec.id, citation=step.citation,
                school=self.pack.id,
            ))
        return out


def parse_absence(data: Any, file: str = "<absence>") -> Absence:
    """An :class:`Absence` from a mapping (or loaded YAML); :class:`InputError` with every problem."""
    loaded = data if isinstance(data, Loaded) else Loaded(dict(data) if isinstance(data, Mapping) else data, file, {})
    if not isinstance(loaded.data, dict):
        raise InputError(Problem(loaded.file, 1, 1, "an absence record must be a mapping of fields (first_day, contact, seen...)"))
    return validate(Absence, loaded)


def _calendar_for(pack: PackBase, calendar: Any) -> SchoolCalendar:
    if isinstance(calendar, SchoolCalendar):
        return calendar
    if calendar is not None:
        return SchoolCalendar.load(calendar)
    if pack.timed is not None and pack.timed.calendar is not None:
        return SchoolCalendar(pack.timed.calendar, f"of the '{pack.id}' pack")
    raise InputError(Problem("<calendar>", None, None, (
        f"the '{pack.id}' pack has no school calendar: give one (a calendar file with the school's terms and "
        "INSET days: --calendar FILE, or calendar= in Python)")))


_triggers: dict[tuple[Any, ...], AbsenceTriggers] = {}
_triggers_lock = threading.Lock()


def due(absence: Absence | Mapping[str, Any], school: Any = None, *, calendar: Any = None, engine: Optional[str] = None,
        registry: Optional[Registry] = None) -> list[DueAction]:
    """What a pupil's absence record makes due under ``school``'s policy, and by which date.

    ``calendar`` is a calendar file (or a :class:`SchoolCalendar`); without one the pack's own.
    Compiled triggers are kept per pack version, calendar and engine, so repeated calls are cheap;
    hold an :class:`AbsenceTriggers` to choose yourself. Raises :class:`InputError` for a bad
    record or calendar, an unknown school, or a date outside the calendar.
    """
    if school is None:
        raise InputError(Problem("<school>", None, None, "no school given: pass school=ID (e.g. 'burgh')"))
    pack = school if isinstance(school, PackBase) else load_pack(school, registry=registry)
    has_rules = pack.timed is not None and bool(pack.timed.absence)
    resolved = _calendar_for(pack, calendar) if has_rules or calendar is not None else None
    spec = json.dumps(resolved.spec.model_dump(mode="json"), sort_keys=True) if resolved else ""
    key = (pack.digest, hashlib.sha256(spec.encode()).hexdigest(), engine or default_engine())
    with _triggers_lock:
        found = _triggers.get(key)
        if found is None:
            if len(_triggers) > 32:
                _triggers.clear()
            found = _triggers[key] = AbsenceTriggers(pack, calendar=resolved, engine=engine)
    return found.due(absence)
