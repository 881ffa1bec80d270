"""The benchmark's workload: varied visits for the built-in ``tcat`` pack, generated from a seed.

``visits(n, seed)`` returns ``n`` visits as plain dicts, exactly as JSON would carry them, the same
list for the same arguments on every machine (``random.Random(seed)``, no clock, no set ordering).
Each field is drawn on its own, mostly as a prepared visit would have it and otherwise wrong, left
out (not known) or odd, so that the visits span the three phases (a plan, at the door, inside), the
three outcomes, and most combinations of tcat's rules: times of day and night, weekends, England
bank holidays and the days the clocks change, offsets other than London's, one to three staff of
every role, every purpose, and what staff find at the door.

Every visit is valid input (``check_many`` refuses a whole batch for one bad visit): a London wall
time that does not exist or happens twice is written with its offset instead.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FIRST_DAY = date(2026, 1, 1)
DAYS = 730  # 2026 and 2027

PURPOSES = (
    ("attendance", 30), ("welfare_check", 14), ("safeguarding", 10), ("exam_invigilation", 5),
    ("parent_meeting", 8), ("transport", 5), ("work_drop_off", 8), ("long_absence_contact", 7),
    ("early_years", 7), ("other", 6),
)
#: The roles tcat lists for every purpose, then the teaching roles, then office and other staff.
VISITING_ROLES = ("attendance_officer", "education_welfare_officer", "pastoral", "dsl", "deputy_dsl",
                  "exam_invigilator", "senior_leader", "headteacher")
TEACHING_ROLES = ("teacher", "form_tutor", "teaching_assistant")
OTHER_ROLES = ("office", "other")
APPROVERS = ("headteacher", "dsl", "deputy_dsl", "senior_attendance_lead", "line_manager", "slt")
#: Who authorises a visit of each purpose under tcat (headteacher for every purpose).
USUAL_APPROVER = {"attendance": "senior_attendance_lead", "welfare_check": "dsl", "safeguarding": "dsl"}
#: Days worth meeting more often than by chance: bank holidays (Christmas 2026 falls on a Friday,
#: so Boxing Day's holiday is Monday 28th) and the days the clocks change.
SPECIAL_DAYS = (
    date(2026, 12, 25), date(2026, 12, 28), date(2026, 5, 25), date(2027, 3, 26), date(2027, 8, 30),
    date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31),
)


def visits(n: int = 20_000, seed: int = 15) -> list[dict]:
    """``n`` varied, valid tcat visits, the same for the same ``seed``."""
    rng = random.Random(seed)
    return [_visit(rng, i) for i in range(n)]


def _pick(rng: random.Random, *choices: tuple[object, int]):
    """One value from (value, weight) pairs; the value ``_OMIT`` leaves a field out."""
    values, weights = zip(*choices)
    return rng.choices(values, weights)[0]


_OMIT = object()


def _put(target: dict, key: str, value) -> None:
    if value is not _OMIT:
        target[key] = value


def _tri(rng: random.Random, yes: int, no: int, omit: int):
    return _pick(rng, (True, yes), (False, no), (_OMIT, omit))


def _start(rng: random.Random) -> tuple[str, int]:
    """An arranged start as text, and its London minute of the day (for the out-of-hours fields)."""
    day = rng.choice(SPECIAL_DAYS) if rng.random() < 0.06 else FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    if day.weekday() >= 5 and rng.random() < 0.85:
        day -= timedelta(days=day.weekday() - 4)  # most visits are on weekdays: the Friday before
    if rng.random() < 0.85:
        minute = rng.randrange(8 * 60 + 20, 13 * 60 + 30, 5)  # the working day, a little before it
    else:
        minute = rng.randrange(0, 24 * 60, 5)
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    first, second = wall.replace(tzinfo=LONDON, fold=0), wall.replace(tzinfo=LONDON, fold=1)
    exists = first.astimezone(timezone.utc).astimezone(LONDON).replace(tzinfo=None) == wall
    form = rng.random()
    if not exists or first.utcoffset() != second.utcoffset() or form < 0.08:
        text = first.isoformat(timespec="seconds")  # with London's offset
    elif form < 0.16:
        text = first.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    elif form < 0.20:
        text = first.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="seconds")
    elif form < 0.60:
        text = wall.isoformat(timespec="minutes")
    else:
        text = wall.isoformat(timespec="seconds")
    local = first.astimezone(timezone.utc).astimezone(LONDON)
    return text, local.hour * 60 + local.minute


def _staff_member(rng: random.Random) -> dict:
    role = _pick(rng, (rng.choice(VISITING_ROLES), 92), (rng.choice(TEACHING_ROLES), 6), (rng.choice(OTHER_ROLES), 2))
    member = {"role": role}
    _put(member, "home_visit_trained", _tri(rng, 96, 2, 2))
    _put(member, "dbs", _pick(rng, ("enhanced_barred", 64), ("enhanced", 32), ("standard", 1),
                              ("basic", 1), ("none", 1), (_OMIT, 1)))
    _put(member, "school_phone", _tri(rng, 96, 2, 2))
    _put(member, "mobile_phone", _tri(rng, 30, 5, 65))
    _put(member, "id_badge", _tri(rng, 96, 2, 2))
    return member


def _visit(rng: random.Random, index: int) -> dict:
    purpose = _pick(rng, *PURPOSES)
    start, minute = _start(rng)
    visit: dict = {}
    if rng.random() < 0.05:
        visit["school"] = "tcat"
    visit["purpose"] = purpose
    _put(visit, "urgency", _pick(rng, ("planned", 80), ("emergency", 10), (_OMIT, 10)))
    if rng.random() < 0.1:
        visit["case_ref"] = f"BENCH-{index:05d}"
    visit["start"] = start
    _put(visit, "duration_minutes", _pick(rng, (rng.choice((30, 40, 45, 60, 90, 120)), 75),
                                          (rng.randint(5, 600), 4), (_OMIT, 5)))
    _put(visit, "first_visit", _tri(rng, 30, 55, 15))
    staff_count = _pick(rng, (1, 20), (2, 65), (3, 15))
    visit["staff"] = [_staff_member(rng) for _ in range(staff_count)]

    approvals = []
    if rng.random() < 0.92:
        approvals.append(USUAL_APPROVER.get(purpose, "headteacher"))
    if rng.random() < 0.15:
        approvals.append(rng.choice(APPROVERS))
    if approvals or rng.random() < 0.5:
        visit["approvals"] = list(dict.fromkeys(approvals))
    if staff_count == 1:
        _put(visit, "lone_visit_approved_by", _pick(rng, ("headteacher", 50), (rng.choice(APPROVERS), 10), (_OMIT, 40)))
    elif rng.random() < 0.05:
        visit["lone_visit_approved_by"] = "headteacher"
    _put(visit, "parents_informed", _tri(rng, 92, 4, 4))
    _put(visit, "risk_assessment", _pick(rng, ("approved", 92), ("completed", 4), ("none", 2), (_OMIT, 2)))
    _put(visit, "visit_plan_lodged", _tri(rng, 95, 3, 2))
    if rng.random() < 0.96:
        check_in: dict = {}
        _put(check_in, "interval_minutes", _pick(rng, (30, 78), (rng.choice((10, 15, 20)), 15),
                                                  (rng.choice((31, 45, 60)), 4), (_OMIT, 3)))
        _put(check_in, "code_word_agreed", _tri(rng, 96, 2, 2))
        visit["check_in"] = check_in
    outside = not 8 * 60 + 30 <= minute < 15 * 60 + 30
    if rng.random() < (0.6 if outside else 0.03):
        ooh: dict = {}
        _put(ooh, "justification", _pick(rng, ("the parent works until 6pm", 70), ("   ", 10), (_OMIT, 20)))
        _put(ooh, "responsible_contact", _tri(rng, 75, 10, 15))
        visit["out_of_hours"] = ooh
    if rng.random() < 0.8:
        household: dict = {}
        _put(household, "animals", _pick(rng, ("none", 60), ("present", 25), ("unknown", 10), (_OMIT, 5)))
        _put(household, "known_risks", _tri(rng, 10, 80, 10))
        _put(household, "contagious_illness", _tri(rng, 5, 85, 10))
        visit["household"] = household

    phase = _pick(rng, ("plan", 50), ("door", 30), ("inside", 20))
    if phase == "plan":
        if rng.random() < 0.1:
            visit["phase"] = "plan"
        return visit
    if phase == "door" and rng.random() < 0.04:
        visit["phase"] = "door"  # at the door, nothing recorded yet
        return visit
    door: dict = {}
    present = _tri(rng, 75, 20, 5)
    _put(door, "parents_present", present)
    if present is not True:
        _put(door, "minutes_waited", _pick(rng, (rng.randint(0, 20), 60), (rng.randint(21, 45), 30), (_OMIT, 10)))
    elif rng.random() < 0.3:
        door["minutes_waited"] = rng.randint(0, 10)
    _put(door, "responsible_adult_present", _tri(rng, 85, 8, 7))
    _put(door, "invited_in_by", _pick(rng, ("responsible_adult", 70), ("child", 8), ("nobody", 7), (_OMIT, 15)))
    animals = visit.get("household", {}).get("animals", "unknown")
    if animals != "none" or rng.random() < 0.1:
        _put(door, "animals_secured", _tri(rng, 60, 25, 15))
        _put(door, "animal_request_refused", _tri(rng, 8, 70, 22))
    _put(door, "occupant_concern", _tri(rng, 4, 88, 8))
    _put(door, "staff_feel_unsafe", _tri(rng, 4, 88, 8))
    if phase == "door":
        _put(door, "meeting_room", _pick(rng, ("doorstep", 40), (_OMIT, 60)))
    else:
        door["meeting_room"] = _pick(rng, ("ground_floor", 70), ("upstairs", 20), ("child_bedroom", 10))
        _put(door, "upstairs_escort", _tri(rng, 20, 20, 60))
    if rng.random() < 0.1:
        visit["phase"] = phase
    visit["on_arrival"] = door
    return visit
