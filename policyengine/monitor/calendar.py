"""School days: from a school's terms, INSET days and closures, and England's bank holidays.

A school day is a weekday inside a term that is not a bank holiday (unless the calendar says
``bank_holidays: none``), an INSET day or a closure. The calendar covers its first term's first day
to its last term's last day; days between terms are holidays. A date outside that span is an
error, never a guess: a school's calendar is its own (bank holidays are not term dates).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

import holidays

from .._errors import InputError, Problem
from .._validation import validate
from .._yaml import load_file
from ..packs.timed import CalendarSpec


class SchoolCalendar:
    """The school days of one calendar; built once, then each question is a binary search."""

    def __init__(self, spec: CalendarSpec, name: str = "<calendar>"):
        self.spec = spec
        self.name = name
        self.first = min(t.start for t in spec.terms)
        self.last = max(t.end for t in spec.terms)
        closed = set(spec.inset_days) | set(spec.closures)
        if spec.bank_holidays == "england":
            years = range(self.first.year, self.last.year + 1)
            closed |= set(holidays.country_holidays("GB", subdiv="ENG", years=years))
        days: list[int] = []
        for term in sorted(spec.terms, key=lambda t: t.start):
            day = term.start
            while day <= term.end:
                if day.weekday() < 5 and day not in closed:
                    days.append(day.toordinal())
                day += timedelta(days=1)
        self._days = days

    @classmethod
    def load(cls, path: str | Path) -> SchoolCalendar:
        """A calendar file (YAML or JSON: ``terms``, ``inset_days``, ``closures``, ``bank_holidays``)."""
        return cls(validate(CalendarSpec, load_file(path)), str(path))

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def check(self, day: date, what: str, file: str = "<absence>") -> None:
        """Raise :class:`InputError` unless ``day`` is inside the calendar."""
        if not self.covers(day):
            raise InputError(Problem(file, None, None, self.outside(day, what)))

    def outside(self, day: date, what: str) -> str:
        return (
            f"{what} {day.isoformat()} is outside the school calendar {self.name} ({self.first.isoformat()} to "
            f"{self.last.isoformat()}); give a calendar that covers it"
        )

    def is_school_day(self, day: date) -> bool:
        ordinal = day.toordinal()
        index = bisect_left(self._days, ordinal)
        return index < len(self._days) and self._days[index] == ordinal

    def after(self, ordinal: int, n: int) -> Optional[int]:
        """The ``n``-th school day after the day ``ordinal`` (a date's ``toordinal()``), or ``None``
        when the calendar ends first."""
        index = bisect_right(self._days, ordinal) + n - 1
        return self._days[index] if index < len(self._days) else None

    def number(self, ordinal: int, first_day: int) -> int:
        """How many school days from ``first_day`` up to and including ``ordinal``."""
        return bisect_right(self._days, ordinal) - bisect_left(self._days, first_day)
