"""The visit (input) and the decision (output), as pydantic models.

These models are the single source of the visit and decision JSON Schemas. Booleans and whole
numbers are strict: ``"yes"`` or ``1`` is not a boolean and ``"20"`` is not a number, so a typo cannot
quietly become a fact. An omitted optional fact means "not known", which rules treat as not satisfied.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone, tzinfo
from enum import Enum
from typing import Annotated, Literal, Optional, Union
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ._limits import STAFF, TEXT_CHARS, shown

LONDON = ZoneInfo("Europe/London")

Purpose = Literal[
    "attendance",
    "welfare_check",
    "safeguarding",
    "exam_invigilation",
    "parent_meeting",
    "transport",
    "work_drop_off",
    "long_absence_contact",
    "early_years",
    "other",
]
PURPOSES: tuple[str, ...] = Purpose.__args__  # type: ignore[attr-defined]

StaffRole = Literal[
    "attendance_officer",
    "education_welfare_officer",
    "pastoral",
    "dsl",
    "deputy_dsl",
    "exam_invigilator",
    "senior_leader",
    "headteacher",
    "teacher",
    "form_tutor",
    "teaching_assistant",
    "office",
    "other",
]
STAFF_ROLES: tuple[str, ...] = StaffRole.__args__  # type: ignore[attr-defined]

Dbs = Literal["none", "basic", "standard", "enhanced", "enhanced_barred"]
DBS_LEVELS: tuple[str, ...] = Dbs.__args__  # type: ignore[attr-defined]

Approver = Literal["headteacher", "dsl", "deputy_dsl", "senior_attendance_lead", "line_manager", "slt"]
APPROVERS: tuple[str, ...] = Approver.__args__  # type: ignore[attr-defined]

RiskAssessment = Literal["none", "completed", "approved"]
Animals = Literal["none", "present", "unknown"]
InvitedInBy = Literal["responsible_adult", "child", "nobody"]
MeetingRoom = Literal["doorstep", "ground_floor", "upstairs", "child_bedroom"]

#: The moment of a visit a decision answers for: ``plan`` (arranging it: no ``on_arrival``),
#: ``door`` (at the door: ``on_arrival`` with no room yet, or the doorstep) and ``inside`` (in a room
#: other than the doorstep). Each asks its own question: may we arrange this visit as planned; may
#: we wait, speak on the doorstep, go in; may we stay, in this room, as things are.
Phase = Literal["plan", "door", "inside"]
PHASES: tuple[str, ...] = Phase.__args__  # type: ignore[attr-defined]

#: The longest span of minutes a visit states (a duration, a wait, a check-in interval): one day.
#: Numbers are bounded so that what the satisfiability proofs assume is what a visit can hold.
DAY_MINUTES = 1440

Minutes = Annotated[StrictInt, Field(ge=0, le=DAY_MINUTES)]
PositiveMinutes = Annotated[StrictInt, Field(gt=0, le=DAY_MINUTES)]
Text = Annotated[str, Field(max_length=TEXT_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaffMember(_Strict):
    """One member of staff going on the visit: a role and what they hold, never a name."""

    role: StaffRole
    home_visit_trained: Optional[StrictBool] = None
    dbs: Optional[Dbs] = None
    school_phone: Optional[StrictBool] = Field(None, description="carries a school-issued mobile phone, switched on")
    mobile_phone: Optional[StrictBool] = Field(
        None, description="carries a charged mobile phone, switched on: the school's or their own (a school phone counts)"
    )
    id_badge: Optional[StrictBool] = Field(None, description="carries school identification")


class CheckIn(_Strict):
    """The contact plan agreed with the office."""

    interval_minutes: Optional[PositiveMinutes] = None
    code_word_agreed: Optional[StrictBool] = None


class OutOfHours(_Strict):
    """For a visit outside school or office hours."""

    justification: Optional[Text] = Field(None, description="why it must be out of hours; a short reason, no personal details")
    responsible_contact: Optional[StrictBool] = Field(None, description="a named colleague will check on the staff's welfare")


class Household(_Strict):
    """What is known about the household before going."""

    animals: Animals = "unknown"
    known_risks: Optional[StrictBool] = None
    contagious_illness: Optional[StrictBool] = None


class OnArrival(_Strict):
    """What staff find at the door. Absent before the visit."""

    parents_present: Optional[StrictBool] = None
    minutes_waited: Optional[Minutes] = Field(None, description="minutes since the arranged start (at most a day)")
    responsible_adult_present: Optional[StrictBool] = None
    invited_in_by: Optional[InvitedInBy] = None
    animals_secured: Optional[StrictBool] = None
    animal_request_refused: Optional[StrictBool] = None
    occupant_concern: Optional[StrictBool] = Field(None, description="under the influence, or a person known to be violent")
    staff_feel_unsafe: Optional[StrictBool] = None
    meeting_room: Optional[MeetingRoom] = None
    upstairs_escort: Optional[StrictBool] = Field(None, description="accompanied upstairs by a responsible adult")


def iso_moment(text: str) -> datetime:
    """``text`` as an ISO 8601 date and time (naive when it has no offset). Raises ``ValueError``
    with a message for the person who wrote it."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{shown(text)} is not an ISO 8601 date and time, e.g. 2026-11-23T10:00 or 2026-11-23T10:00:00Z"
        ) from None


class Visit(_Strict):
    """A proposed home visit: facts, not people (no names, addresses or health details)."""

    school: Optional[Text] = Field(None, description="rule pack id; may be given separately")
    phase: Optional[Phase] = Field(
        None,
        description="the moment the decision is for: plan, door or inside. Derived from on_arrival when omitted; "
        "given, it must agree with on_arrival (door may also be given without on_arrival: at the door, nothing "
        "recorded yet)",
    )
    purpose: Purpose
    urgency: Literal["planned", "emergency"] = "planned"
    case_ref: Optional[Text] = Field(None, description="an opaque reference for the caller's records")
    start: datetime = Field(
        description="arranged start, ISO 8601; a time without an offset is Europe/London local time"
    )
    duration_minutes: Optional[PositiveMinutes] = Field(None, description="expected length in minutes (at most a day)")
    first_visit: Optional[StrictBool] = None
    staff: list[StaffMember] = Field(min_length=1, max_length=STAFF)
    approvals: list[Approver] = Field(default_factory=list)
    lone_visit_approved_by: Optional[Approver] = None
    parents_informed: Optional[StrictBool] = None
    risk_assessment: Optional[RiskAssessment] = None
    visit_plan_lodged: Optional[StrictBool] = None
    check_in: Optional[CheckIn] = None
    out_of_hours: Optional[OutOfHours] = None
    household: Household = Field(default_factory=Household)
    on_arrival: Optional[OnArrival] = None
    facts: Optional[dict[str, Union[StrictBool, StrictInt, str, None]]] = Field(
        None,
        description="values of the visit facts plugins add, by name (`policyengine facts` lists them); "
        "checked against the facts the plugins declare",
    )

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value):
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            moment = iso_moment(value)
        else:
            raise ValueError("must be an ISO 8601 date and time written as text, e.g. '2026-11-23T10:00'")
        if moment.tzinfo is None:
            moment = _london(moment)
        return moment.astimezone(timezone.utc)

    @model_validator(mode="after")
    def _phase_agrees(self):
        problem = phase_contradiction(self.phase, self.on_arrival)
        if problem:
            raise PydanticCustomError("phase_contradiction", problem, {"at": ("phase",)})
        return self


def derived_phase(on_arrival: Optional[OnArrival]) -> Phase:
    """The phase the facts show: plan without ``on_arrival``; at the door with no room yet or on the
    doorstep; inside in any other room."""
    if on_arrival is None:
        return "plan"
    return "door" if on_arrival.meeting_room in (None, "doorstep") else "inside"


def phase_contradiction(phase: Optional[str], on_arrival: Optional[OnArrival]) -> Optional[str]:
    """Why an explicit ``phase`` cannot be right for these door facts, or None when it can.

    A phase given explicitly must be the one the facts show, with one addition: ``door`` without
    ``on_arrival`` means staff are at the door and have recorded nothing yet. ``inside`` needs the
    room, so a rule about rooms never has to guess it.
    """
    if phase is None:
        return None
    derived = derived_phase(on_arrival)
    if phase == derived or (phase == "door" and on_arrival is None):
        return None
    room = on_arrival.meeting_room if on_arrival is not None else None
    if phase == "plan":
        return "'plan' contradicts on_arrival: a plan has no on_arrival (remove on_arrival, or say phase door or inside)"
    if phase == "door":
        return (f"'door' contradicts on_arrival.meeting_room '{room}': staff meeting in a room are inside "
                "(say phase inside, or meeting_room doorstep)")
    if room is None:
        return "'inside' needs on_arrival.meeting_room: the room you are in (ground_floor, upstairs or child_bedroom)"
    return "'inside' contradicts on_arrival.meeting_room 'doorstep': on the doorstep is at the door (say phase door)"


def phase_of(visit: Visit) -> Phase:
    """The moment ``visit`` is decided for: its explicit ``phase``, else the phase its facts show."""
    return visit.phase or derived_phase(visit.on_arrival)


def phase_of_data(visit: dict) -> Phase:
    """:func:`phase_of` for a visit as plain JSON data (what remedies patch), as kinds see it."""
    explicit = visit.get("phase")
    if explicit in PHASES:
        return explicit  # type: ignore[return-value]
    door = visit.get("on_arrival")
    if door is None:
        return "plan"
    return "door" if door.get("meeting_room") in (None, "doorstep") else "inside"


def wall_clock(naive: datetime, zone: tzinfo) -> Optional[datetime]:
    """The wall-clock time ``naive`` in ``zone`` (the earlier one where the clocks go back and it
    happens twice), or None where it never happens: in the gap when the clocks go forward."""
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return first


def _london(naive: datetime) -> datetime:
    """Attach Europe/London to a wall-clock time, refusing times that do not exist or happen twice."""
    # Checked first: inside the spring gap the two folds also disagree.
    first = wall_clock(naive, LONDON)
    if first is None:
        raise ValueError(
            f"{naive.isoformat()} does not exist in London (the clocks go forward); choose another time"
        )
    if first.utcoffset() != naive.replace(tzinfo=LONDON, fold=1).utcoffset():
        raise ValueError(
            f"{naive.isoformat()} happens twice in London (the clocks go back); add the offset, "
            "+01:00 for the first or +00:00 for the second"
        )
    return first


class Outcome(str, Enum):
    """What a decision says. Ordered by severity: permitted < conditional < blocked."""

    PERMITTED = "permitted"
    CONDITIONAL = "conditional"
    BLOCKED = "blocked"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY = {Outcome.PERMITTED: 0, Outcome.CONDITIONAL: 1, Outcome.BLOCKED: 2}


class Citation(_Strict):
    """Where in the policy a finding comes from: the document, the section and the exact words."""

    document: str
    section: str
    quote: str

    @classmethod
    def of(cls, spec, document: str) -> Citation:
        """The citation a rule's (or a timed rule's) ``citation:`` gives, in ``document`` (the
        pack's) where it names none."""
        return cls(document=spec.document or document, section=spec.section, quote=spec.quote)


class Finding(_Strict):
    """One rule that applies to the visit."""

    rule: str
    outcome: Outcome
    message: str
    conditions: list[str] = Field(default_factory=list)
    remedy: Optional[dict] = Field(
        None, description="a JSON merge patch (RFC 7396) on the visit which, applied, removes this finding"
    )
    citation: Optional[Citation] = None
    final: bool = Field(
        False,
        description="blocked, and nothing staff can change about the visit (approvals, staff, preparation, "
        "timing, where to meet) removes it, so it has no remedy: e.g. a refusal at the door",
    )


#: What staff are told of a final finding (the CLI's text format prints it under the finding).
FINAL_NOTE = (
    "Nothing that can be changed about this visit (approvals, staff, preparation, timing or where you "
    "meet) allows this: it must not go ahead."
)


class Decision(_Strict):
    """The answer for one visit, at the moment it is in: the most severe of its findings."""

    school: str
    pack_version: str
    pack_digest: str
    phase: Phase = Field(description="the moment the decision answers for: plan, door or inside")
    outcome: Outcome
    findings: list[Finding] = Field(default_factory=list)


def visit_json(visit: Visit) -> dict:
    """The visit as plain JSON data (what remedies patch)."""
    return visit.model_dump(mode="json", exclude_none=True)


def visit_digest(visit: Visit) -> str:
    """SHA-256 of the visit's canonical JSON: how listeners are told which visit was decided."""
    canonical = json.dumps(visit_json(visit), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class VisitSummary(_Strict):
    """What decision listeners are told of a visit by default: no personal facts."""

    school: str
    purpose: str
    digest: str = Field(description="SHA-256 of the visit's canonical JSON")
