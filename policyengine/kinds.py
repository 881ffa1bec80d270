"""Everything a rule kind needs, in one public module: for plugin authors and the built-in kinds alike.

A rule kind is a subclass of :class:`Rule` with a ``kind: Literal["name"]`` field and its
parameters as pydantic fields. It gives :meth:`Rule.trigger`, the condition under which its finding
applies (built with :func:`fact`, :func:`all_of`, :func:`any_of` and :func:`negate`, or written as a
mapping in the ``condition`` kind's form), and, where a change to the visit removes the finding,
:meth:`Rule.suggest_remedy`, a JSON merge patch (:func:`add_approval`, :func:`set_all_staff` and
:func:`on_arrival` build the usual ones). Both get the pack's :class:`Clock` if they declare it.
The built-in kinds in ``policyengine/rules/`` import only from here; so can yours.

Example: a kind for visits planned to run longer than the policy allows, with its remedy::

    >>> from typing import Literal
    >>> from policyengine.kinds import Clock, Rule, any_of, fact, number_words
    >>> class VisitLength(Rule):
    ...     '''Fires when the visit is planned to last more than ``max_minutes``, or its length is not known.'''
    ...     kind: Literal["visit_length"]
    ...     max_minutes: int
    ...
    ...     def trigger(self, clock: Clock):
    ...         return any_of(fact("duration_minutes", "gt", self.max_minutes), fact("duration_minutes", "eq", None))
    ...
    ...     def suggest_remedy(self, visit: dict):
    ...         return {"duration_minutes": self.max_minutes}
    ...
    ...     def quoted_numbers(self):
    ...         return [(f"{self.max_minutes} minutes", number_words(self.max_minutes))]
    >>> rule = VisitLength(id="length", kind="visit_length", max_minutes=45, outcome="conditional",
    ...                    message="Plan the visit for at most 45 minutes.",
    ...                    citation={"section": "4", "quote": "Visits last no longer than 45 minutes."})
    >>> clock = Clock("Europe/London", school_day=(510, 930), office_hours=(480, 960), evening_starts=1080)
    >>> rule.condition(clock)
    AnyOf(items=(Compare(fact='duration_minutes', op='gt', value=45), Compare(fact='duration_minutes', op='eq', value=-1)))
    >>> rule.remedy_for({"duration_minutes": 90}, clock)
    {'duration_minutes': 45}

Offer it to policyengine from a plugin with :data:`hookimpl` (see ``policyengine.plugins.hookspecs`` and the
README, "Writing a plugin")::

    @hookimpl
    def policyengine_rule_kinds():
        return [VisitLength]

The clock and the calendar: a remedy that moves the visit reads its start in the pack's local time
with :meth:`Clock.local`, builds the new one with :meth:`Clock.at` (``None`` in the hour the clocks
skip) and finds a working day with :func:`next_working_day` (:func:`is_bank_holiday`: England's).

    >>> from datetime import date, datetime
    >>> clock.local(datetime.fromisoformat("2026-11-23T10:00:00+00:00")).isoformat()
    '2026-11-23T10:00:00+00:00'
    >>> clock.at(date(2026, 3, 29), 90) is None  # 01:30 on the day the clocks go forward
    True
    >>> next_working_day(date(2026, 8, 29)), is_bank_holiday(date(2026, 8, 31))
    (datetime.date(2026, 9, 1), True)
"""

from __future__ import annotations

from ._numbers import number_words, staff_words, time_words
from ._rule import (
    BadReturn,
    CitationSpec,
    ClockTime,
    PhaseOutcome,
    Rule,
    add_approval,
    on_arrival,
    set_all_staff,
    to_minutes,
)
from .conditions.form import FALSE, TRUE, Condition, ConditionSpec, all_of, any_of, fact, negate
from .facts import FACT_FIELDS, UNKNOWN, Clock, FactField, is_bank_holiday, next_working_day
from .models import (
    APPROVERS,
    DBS_LEVELS,
    PHASES,
    STAFF_ROLES,
    Approver,
    Dbs,
    MeetingRoom,
    Phase,
    StaffRole,
    phase_of_data,
)
from .plugins.registry import hookimpl

__all__ = [
    # the base class and its parts
    "Rule",
    "CitationSpec",
    "PhaseOutcome",
    "BadReturn",
    "hookimpl",
    # conditions
    "Condition",
    "ConditionSpec",
    "fact",
    "all_of",
    "any_of",
    "negate",
    "TRUE",
    "FALSE",
    # facts and the visit's vocabulary
    "FACT_FIELDS",
    "FactField",
    "UNKNOWN",
    "APPROVERS",
    "DBS_LEVELS",
    "PHASES",
    "STAFF_ROLES",
    "Approver",
    "Dbs",
    "MeetingRoom",
    "Phase",
    "StaffRole",
    "phase_of_data",
    # remedies
    "add_approval",
    "set_all_staff",
    "on_arrival",
    # the clock and the calendar
    "Clock",
    "ClockTime",
    "to_minutes",
    "is_bank_holiday",
    "next_working_day",
    # numbers a quote must say
    "number_words",
    "staff_words",
    "time_words",
]
