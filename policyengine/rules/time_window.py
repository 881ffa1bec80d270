"""Time window: school day, office hours, a cut-off time, evening visits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional, Self

from pydantic import Field, model_validator

from ..kinds import (
    FALSE,
    Approver,
    Clock,
    ClockTime,
    Condition,
    Rule,
    add_approval,
    all_of,
    any_of,
    fact,
    negate,
    next_working_day,
    time_words,
    to_minutes,
)

#: Starts before 06:00 are night visits: later than any cut-off, and evening visits.
NIGHT_ENDS = 6 * 60


class TimeWindow(Rule):
    """Fires when a visit falls outside a window, unless its listed exceptions are met.

    ``when``: ``outside_school_day``, ``outside_office_hours`` (start before, end after, a weekend or
    an England bank holiday; an unknown duration counts as running over), ``starts_after`` (start
    later than ``time``: 16:00 itself is not after 16:00), ``evening`` (start at or after ``time``, or
    the pack's ``evening_starts``, or running past it: a visit from 17:45 for two hours is an evening
    visit, and an unknown duration counts as running over). Night starts (00:00 to 05:59) count as
    after any cut-off and as evening: a visit at 01:00 is later, not earlier, than one at 16:01.

    Exceptions, all of which must hold when several are given: ``unless_approved_by`` (any of these
    approvals), ``needs_justification`` (``out_of_hours.justification`` recorded),
    ``needs_responsible_contact`` (``out_of_hours.responsible_contact`` is true).

    Remedy: the policy's preferred way first. With ``prefer: another_time`` (the default: the five
    policies all prefer visits inside their hours "wherever possible") a planned visit is offered
    another time (the same day where the window allows, else the next working day; with a length
    that fits), and an emergency, which cannot wait, the exceptions; ``prefer: exception`` offers
    the exceptions first. A window without exceptions is always remedied by another time.
    """

    kind: Literal["time_window"]
    when: Literal["outside_school_day", "outside_office_hours", "starts_after", "evening"]
    time: Optional[ClockTime] = Field(None, description="for starts_after (required) and evening (optional)")
    unless_approved_by: list[Approver] = Field(default_factory=list)
    needs_justification: bool = False
    needs_responsible_contact: bool = False
    prefer: Literal["another_time", "exception"] = Field(
        "another_time", description="which remedy a planned visit is offered first: another time, or the exceptions"
    )

    @model_validator(mode="after")
    def _time_needed(self) -> Self:
        if self.when == "starts_after" and self.time is None:
            raise ValueError("'time' is required when 'when' is starts_after, e.g. time: \"16:00\"")
        if self.when in ("outside_school_day", "outside_office_hours") and self.time is not None:
            raise ValueError(f"'time' has no meaning for {self.when}; the pack's hours are used")
        return self

    def summary(self) -> str:
        what = {
            "outside_school_day": "outside the school day",
            "outside_office_hours": "outside office hours",
            "starts_after": f"starting after {self.time}",
            "evening": f"starting from (or running into) {self.time or 'the evening'}",
        }[self.when]
        unless = []
        if self.unless_approved_by:
            unless.append(" or ".join(a.upper() if a == "slt" else a.replace("_", " ") for a in self.unless_approved_by) + " approval")
        if self.needs_justification:
            unless.append("a justification")
        if self.needs_responsible_contact:
            unless.append("a responsible contact")
        return what + (" without " + " and ".join(unless) if unless else "")

    def _has_exception(self) -> bool:
        return bool(self.unless_approved_by or self.needs_justification or self.needs_responsible_contact)

    def _cutoff(self) -> int:
        """starts_after's time, in minutes after midnight (the model's validator requires it)."""
        if self.time is None:
            raise ValueError("'time' is required when 'when' is starts_after")
        return to_minutes(self.time)

    def breach(self, clock: Clock) -> Condition:
        if self.when == "outside_school_day":
            return fact("in_school_day", "ne", True)
        if self.when == "outside_office_hours":
            return fact("in_office_hours", "ne", True)
        night = fact("start_minute", "lt", NIGHT_ENDS)
        if self.when == "starts_after":
            return any_of(fact("start_minute", "gt", self._cutoff()), night)
        start = to_minutes(self.time) if self.time else clock.evening_starts
        runs_on = any_of(fact("end_minute", "gt", start), fact("end_minute", "eq", None))
        return any_of(fact("start_minute", "ge", start), night, runs_on)

    def exception(self) -> Condition:
        if not self._has_exception():
            return FALSE
        parts = []
        if self.unless_approved_by:
            parts.append(any_of(*(fact(f"approved_by_{a}", "eq", True) for a in self.unless_approved_by)))
        if self.needs_justification:
            parts.append(fact("out_of_hours_justified", "eq", True))
        if self.needs_responsible_contact:
            parts.append(fact("responsible_contact", "eq", True))
        return all_of(*parts)

    def trigger(self, clock: Clock) -> Condition:
        return all_of(self.breach(clock), negate(self.exception()))

    def quoted_numbers(self) -> list[tuple[str, str]]:
        return [(self.time, time_words(self.time))] if self.time else []

    def suggest_remedy(self, visit: dict[str, Any], clock: Optional[Clock] = None) -> Optional[dict[str, Any]]:
        if clock is not None:
            another_time = self.prefer == "another_time" and visit.get("urgency") != "emergency"
            if not self._has_exception() or another_time:
                moved = self.reschedule(visit, clock)
                if moved is not None or not self._has_exception():
                    return moved
        return self.exception_met(visit)

    def reschedule(self, visit: dict[str, Any], clock: Clock) -> Optional[dict[str, Any]]:
        """A new start (and length, when the length is unknown or does not fit) inside the window;
        None when no time of day is (a cut-off before 06:00: night starts count as after it)."""
        local = clock.local(datetime.fromisoformat(visit["start"]))
        start = local.hour * 60 + local.minute
        length = visit.get("duration_minutes")
        patch: dict[str, Any] = {}
        if self.when in ("outside_school_day", "outside_office_hours"):
            opens, closes = clock.school_day if self.when == "outside_school_day" else clock.office_hours
            day = next_working_day(local.date())
            at = start if opens <= start < closes else opens
            if not length or at + length > closes:
                patch["duration_minutes"] = closes - at
        else:
            day = local.date()
            latest = self._cutoff() if self.when == "starts_after" else (
                (to_minutes(self.time) if self.time else clock.evening_starts) - 1
            )
            if self.when == "evening" and NIGHT_ENDS <= start <= latest:
                # It starts in the day and runs into the evening: start it early enough to end in time
                # (or, where its length does not fit in the day, keep the start and end it in time).
                at = min(start, latest + 1 - length) if length and latest + 1 - length >= NIGHT_ENDS else start
            else:
                choices = [m for m in (clock.school_day[0], clock.office_hours[0], latest, NIGHT_ENDS) if NIGHT_ENDS <= m <= latest]
                if not choices:
                    return None
                at = choices[0]
            if self.when == "evening" and (not length or at + length > latest + 1):
                patch["duration_minutes"] = latest + 1 - at
        moved = clock.at(day, at)
        if moved is None:
            return None  # inside a clock change's gap
        patch["start"] = moved.isoformat()
        return patch

    def exception_met(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        """A patch meeting the window's exceptions (None when it has none)."""
        if not self._has_exception():
            return None
        patch: dict[str, Any] = {}
        if self.unless_approved_by:
            approvals = set(visit.get("approvals") or [])
            if not approvals & set(self.unless_approved_by):
                patch.update(add_approval(visit, self.unless_approved_by[0]))
        ooh: dict[str, Any] = {}
        if self.needs_justification:
            current = (visit.get("out_of_hours") or {}).get("justification")
            if not (current and current.strip()):
                ooh["justification"] = "recorded: no reasonable alternative to this time"
        if self.needs_responsible_contact:
            ooh["responsible_contact"] = True
        if ooh:
            patch["out_of_hours"] = ooh
        return patch or None
