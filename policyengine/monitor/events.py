"""What the visit monitor reads and writes: events in, actions out, one JSON object a line.

An event: ``{"visit": "V-17", "event": "arrived", "at": "2026-11-23T10:02:00"}``; ``at`` is London
time unless it carries an offset; a ``planned`` event also carries the visit under ``plan``. An
action: ``{"visit", "due", "action", "who", "message", "rule", "citation"}`` and a few more fields.
Times are held as whole seconds since the epoch (UTC) and written back as London time.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from ..models import LONDON, Citation, _london, iso_moment

EventName = Literal[
    "planned", "arrived", "parents_arrived", "entered", "check_in", "left", "returned", "cancelled", "tick"
]


def parse_time(value: Any) -> int:
    """Seconds since the epoch for an ISO 8601 date and time; without an offset it is London time
    (a London time that does not exist, or happens twice, is refused). Raises ``ValueError``."""
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, datetime):
        return _seconds(value)
    raise ValueError(f"must be an ISO 8601 date and time written as text, e.g. '2026-11-23T10:02:00', not {value!r}")


@lru_cache(maxsize=4096)
def _parse_text(value: str) -> int:
    # Cached: a feed repeats times (events of one moment, ticks); a refusal is not cached.
    return _seconds(iso_moment(value))


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        first = moment.replace(tzinfo=LONDON).timestamp()
        if first == moment.replace(tzinfo=LONDON, fold=1).timestamp():
            return int(first)  # the usual case: the wall-clock time happens exactly once
        moment = _london(moment)  # the clocks change around it: refused, with the reason
    return int(moment.timestamp())


def format_time(seconds: int) -> str:
    """London wall-clock time, as events are written; with its offset only in the hour that
    happens twice when the clocks go back (where the wall-clock time alone is ambiguous)."""
    local = datetime.fromtimestamp(seconds, LONDON)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return local.isoformat(timespec="seconds")
    return local.replace(tzinfo=None).isoformat(timespec="seconds")


EventTime = Annotated[int, Field(description="ISO 8601; London time unless an offset is given")]


class Event(BaseModel):
    """One line of the monitor's input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visit: Optional[str] = Field(None, min_length=1, max_length=200, description="the visit's reference (not for a tick)")
    event: EventName
    at: EventTime
    plan: Optional[dict] = Field(None, description="planned only: the visit, as policyengine check takes it")
    expected_return: Optional[EventTime] = Field(
        None, description="planned, or a check-in that agrees a new time: when staff are expected back"
    )
    travel_minutes: Optional[Annotated[StrictInt, Field(ge=0, le=24 * 60)]] = Field(
        None, description="planned only: travel time back, added to the planned end when no expected_return is given"
    )
    escalation_minutes: Optional[Annotated[StrictInt, Field(gt=0, le=24 * 60)]] = Field(
        None, description="planned only: minutes between escalation steps the policy gives no time for, as agreed"
    )

    @field_validator("at", "expected_return", mode="before")
    @classmethod
    def _time(cls, value):
        return None if value is None else parse_time(value)

    @model_validator(mode="after")
    def _fits(self):
        if self.event == "tick":
            if self.visit is not None:
                raise ValueError("a tick moves time on for every visit: give it no 'visit'")
        elif self.visit is None:
            raise ValueError(f"a '{self.event}' event needs the 'visit' it is about")
        if self.event == "planned":
            if self.plan is None:
                raise ValueError("a 'planned' event needs the visit under 'plan'")
        else:
            for name in ("plan", "travel_minutes", "escalation_minutes"):
                if getattr(self, name) is not None:
                    raise ValueError(f"'{name}' belongs on the 'planned' event only")
            if self.expected_return is not None and self.event != "check_in":
                raise ValueError("'expected_return' belongs on a 'planned' or 'check_in' event")
        return self

    def parsed(self) -> "Parsed":
        return Parsed(self.visit, self.event, self.at, self.plan, self.expected_return, self.travel_minutes,
                      self.escalation_minutes)


class Parsed(NamedTuple):
    """A checked event as the monitor keeps it (a tuple: most events are built without the model,
    see ``monitor._simple``, and a visit's log holds every one until the visit returns)."""

    visit: Optional[str]
    event: str
    at: int
    plan: Optional[dict] = None
    expected_return: Optional[int] = None
    travel_minutes: Optional[int] = None
    escalation_minutes: Optional[int] = None

    def key(self) -> tuple:
        """What makes two events the same event (for refusing a repeat): the event itself, but for
        its plan, which is compared as canonical JSON."""
        if self.plan is None:
            return self
        return self[:3] + self[4:] + (json.dumps(self.plan, sort_keys=True),)

    def record(self) -> dict:
        """The event as plain JSON, times as written back (for the monitor's state file)."""
        out: dict = {"event": self.event, "at": format_time(self.at)}
        if self.visit is not None:
            out["visit"] = self.visit
        for name in ("plan", "travel_minutes", "escalation_minutes"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.expected_return is not None:
            out["expected_return"] = format_time(self.expected_return)
        return out


class Action(BaseModel):
    """Something due because a deadline passed in event time, with who does it and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visit: str
    due: str = Field(description="the deadline that passed (London time)")
    action: str = Field(description="what is due, as a name (e.g. office-check-in-call)")
    who: str
    message: str
    rule: str = Field(description="the id of the pack's timed rule")
    citation: Citation
    school: str
    step: int = Field(description="1 for the deadline's own action, then 2, 3... along its escalation")
    at: str = Field(description="the event time at which the deadline was seen to have passed")
