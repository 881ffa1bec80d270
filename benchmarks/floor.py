"""The floor: tcat's decision written by hand in plain Python, the least work the question needs.

``decide(visit, today)`` takes a visit exactly as JSON carries it (a plain dict, optional fields
left out when not known) and returns what ``policyengine.check(visit, school="tcat", today=today)``
decides: the outcome (``"permitted"``, ``"conditional"`` or ``"blocked"``) and the sorted ids of
the rules behind its findings (``policy-review-overdue`` included once ``today`` is past the
policy's review date).

What the floor does, and what it leaves out, so that its ratio stays honest:

* It answers the *whole* question from the visit as given: the phase (stated, or found from
  ``on_arrival``), the arranged start read as London time (a time without an offset is London wall
  time; one with an offset is converted), the weekday, England's bank holidays, the school day
  (08:30 to 15:30; the visit must start and end inside it, an unknown length does not), the staff,
  the approvals and the door. Earlier floors worked over the engine's flattened fact, which left
  out the time zone, the calendar and the phase; this one does not.
* It leaves out what a library must do and a hand-written function for one known input need not:
  validating the visit (it trusts the workload, which is valid), the findings' messages, citations
  and remedies, and the decision object. The library's targets are set as multiples of this floor
  precisely so that those costs are paid for, not skipped.
* Bank holidays come from the ``holidays`` package (the library's own source), looked up once per
  year and then found in a set, as a hand-written function would keep them.

``tests/test_bench_floor.py`` holds this function equal to the engine, outcome and rule ids, on
every visit of the benchmark's workload; a change to tcat's rules that the floor does not follow
fails there.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
SCHOOL_DAY_START, SCHOOL_DAY_END = 8 * 60 + 30, 15 * 60 + 30
REVIEW_DUE = date(2027, 1, 31)
WAIT_MINUTES = 20
CHECK_IN_MINUTES = 30

#: staff-roles: purposes for which only the roles the policy lists may go.
LISTED_ROLES_ONLY = frozenset({"attendance", "welfare_check", "safeguarding", "transport", "other"})
NOT_LISTED = frozenset({"teacher", "form_tutor", "teaching_assistant", "office", "other"})
NEVER_LISTED = frozenset({"office", "other"})
WELFARE = frozenset({"welfare_check", "safeguarding"})
GOOD_DBS = frozenset({"enhanced", "enhanced_barred"})
SEVERITY = ("permitted", "conditional", "blocked")

_bank_holidays: dict[int, frozenset[date]] = {}


def _bank_holiday(day: date) -> bool:
    known = _bank_holidays.get(day.year)
    if known is None:
        known = _bank_holidays[day.year] = frozenset(holidays.UK(subdiv="ENG", years=day.year))
    return day in known


def decide(visit: dict, today: date) -> tuple[str, tuple[str, ...]]:
    """(outcome, sorted rule ids) for ``visit`` under tcat on ``today``."""
    fired = ["contact-the-office", "log-the-visit"]  # every visit has staff: reminders always
    worst = 0  # index into SEVERITY
    purpose = visit["purpose"]
    staff = visit["staff"]
    door = visit.get("on_arrival")
    phase = visit.get("phase")
    if phase is None:
        phase = "plan" if door is None else "door" if door.get("meeting_room") in (None, "doorstep") else "inside"
    door = door or {}

    # -- time: London wall clock, weekday, bank holiday, school day ------------------------------
    moment = datetime.fromisoformat(visit["start"])
    local = moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment.astimezone(LONDON)
    start = local.hour * 60 + local.minute
    length = visit.get("duration_minutes")
    in_school_day = (
        length is not None
        and SCHOOL_DAY_START <= start
        and start + length <= SCHOOL_DAY_END
        and local.weekday() < 5
        and not _bank_holiday(local.date())
    )
    if not in_school_day:
        ooh = visit.get("out_of_hours") or {}
        if not ((ooh.get("justification") or "").strip() and ooh.get("responsible_contact") is True):
            fired.append("outside-school-hours")
            worst = 1

    # -- staff -------------------------------------------------------------------------------------
    if len(staff) < 2 and visit.get("lone_visit_approved_by") != "headteacher":
        fired.append("pairs-unless-headteacher-agrees")
        worst = 1
    trained = phone = badge = dbs = True
    anyone_trained = False
    roles = set()
    for member in staff:
        roles.add(member["role"])
        if member.get("home_visit_trained") is True:
            anyone_trained = True
        else:
            trained = False
        if member.get("school_phone") is not True:
            phone = False
        if member.get("id_badge") is not True:
            badge = False
        if member.get("dbs") not in GOOD_DBS:
            dbs = False
    if not phone:
        fired.append("school-phone")
        worst = 1
    if not badge and visit.get("first_visit") is not False:
        fired.append("id-badge-first-visit")
        worst = 1
    if not trained:
        fired.append("staff-trained")
        worst = 1
    if not dbs:
        fired.append("dbs-check")
        worst = 1
    if not anyone_trained:
        fired.append("trained-member")
    if purpose in LISTED_ROLES_ONLY:
        if roles & NOT_LISTED:
            fired.append("staff-roles")
            worst = 1
    elif roles & NEVER_LISTED:
        fired.append("staff-roles-teaching")
        worst = 1

    # -- authorisation and preparation -----------------------------------------------------------
    approvals = visit.get("approvals") or ()
    if "headteacher" not in approvals:
        if purpose == "attendance":
            if "senior_attendance_lead" not in approvals:
                fired.append("authorised-attendance")
                worst = 1
        elif purpose in WELFARE:
            if "dsl" not in approvals:
                fired.append("authorised-welfare")
                worst = 1
        else:
            fired.append("authorised-other")
            worst = 1
    if visit.get("visit_plan_lodged") is not True:
        fired.append("appointment-form")
        worst = 1
    if visit.get("parents_informed") is not True and visit.get("urgency") != "emergency" and purpose not in WELFARE:
        fired.append("parents-agree")
        worst = 1
    if visit.get("risk_assessment") != "approved":
        fired.append("risk-assessment-approved")
        worst = 1
    check_in = visit.get("check_in") or {}
    if check_in.get("code_word_agreed") is not True:
        fired.append("code-word")
        worst = 1
    interval = check_in.get("interval_minutes")
    if interval is None or interval > CHECK_IN_MINUTES:
        fired.append("check-in-interval-agreed")
        worst = 1

    # -- animals: asked for at the door, so a reminder on a plan -----------------------------------
    if (visit.get("household") or {}).get("animals", "unknown") != "none" and door.get("animals_secured") is not True:
        fired.append("animals-separate-room")
        if phase != "plan":
            worst = max(worst, 1)
        if door.get("animal_request_refused") is True:
            fired.append("animals-refused")
            worst = 2

    # -- at the door and inside --------------------------------------------------------------------
    if phase != "plan":
        if door.get("parents_present") is not True:
            waited = door.get("minutes_waited")
            if waited is None or waited <= WAIT_MINUTES:
                fired.append("wait-within-limit")
                worst = max(worst, 1)
            else:
                fired.append("wait-exceeded")
                worst = 2
        unsafe, concern = door.get("staff_feel_unsafe"), door.get("occupant_concern")
        if unsafe is True:
            fired.append("feel-unsafe")
            fired.append("unsafe-cancellation-in-writing")
            worst = 2
        if concern is True:
            fired.append("occupant-concern")
            worst = 2
        if unsafe is None or concern is None:
            fired.append("safety-confirmed")
            worst = max(worst, 1)
        if door.get("meeting_room") != "doorstep" and door.get("responsible_adult_present") is not True:
            fired.append("appropriate-adult")
            worst = max(worst, 2 if phase == "inside" else 1)

    if today > REVIEW_DUE:
        fired.append("policy-review-overdue")
    fired.sort()
    return SEVERITY[worst], tuple(fired)
