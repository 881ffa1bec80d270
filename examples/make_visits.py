"""Write examples/visits.jsonl: an autumn term of made-up TCAT home visits, one JSON visit per line.

For trying ``policyengine audit`` and ``policyengine diff --visits`` on a realistic mix: most visits
are prepared and in school hours; some go alone, start late, skip a step of preparation, or are
recorded at the door (parents late, animals, a child answering...). Seeded, so the file is the same
on every run; a test checks the committed file is what this script writes.

    python3 examples/make_visits.py
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

COUNT = 1000
OUT = Path(__file__).with_name("visits.jsonl")

OFFICER = {"role": "attendance_officer", "home_visit_trained": True, "dbs": "enhanced_barred", "school_phone": True,
           "id_badge": True}
SECOND = {"role": "education_welfare_officer", "home_visit_trained": True, "dbs": "enhanced_barred",
          "school_phone": True, "id_badge": True}
PURPOSES = ["attendance"] * 6 + ["welfare_check"] * 2 + ["safeguarding", "parent_meeting", "work_drop_off",
                                                          "long_absence_contact", "exam_invigilation"]
APPROVER = {"attendance": "senior_attendance_lead", "welfare_check": "dsl", "safeguarding": "dsl"}


def _school_days(rng: random.Random) -> list[date]:
    day, days = date(2026, 9, 7), []
    while day < date(2026, 12, 18):
        if day.weekday() < 5 and not date(2026, 10, 26) <= day <= date(2026, 10, 30):  # half term
            days.append(day)
        day += timedelta(days=1)
    return days


def visit(rng: random.Random, days: list[date], number: int) -> dict:
    purpose = rng.choice(PURPOSES)
    emergency = purpose in ("welfare_check", "safeguarding") and rng.random() < 0.3
    hour, minute = rng.choice([9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 18]), rng.choice([0, 15, 30, 45])
    v: dict = {
        "school": "tcat",
        "case_ref": f"T{number:04d}",
        "purpose": purpose,
        "urgency": "emergency" if emergency else "planned",
        "start": f"{rng.choice(days).isoformat()}T{hour:02d}:{minute:02d}:00",
        "duration_minutes": rng.choice([20, 30, 30, 45, 45, 60]),
        "first_visit": rng.random() < 0.25,
        "staff": [dict(OFFICER), dict(SECOND)] if rng.random() < 0.8 else [dict(OFFICER)],
        "approvals": [APPROVER.get(purpose, "headteacher")] if rng.random() < 0.93 else [],
        "parents_informed": not emergency and rng.random() < 0.95,
        "risk_assessment": "approved" if rng.random() < 0.92 else "completed",
        "visit_plan_lodged": rng.random() < 0.95,
        "check_in": {"interval_minutes": 30, "code_word_agreed": rng.random() < 0.95},
        "household": {"animals": rng.choice(["none"] * 5 + ["present", "unknown"]), "known_risks": rng.random() < 0.1,
                      "contagious_illness": False},
    }
    if len(v["staff"]) == 1 and rng.random() < 0.6:
        v["lone_visit_approved_by"] = "headteacher"
    if hour >= 15 and rng.random() < 0.5:
        v["out_of_hours"] = {"justification": "parents work during the day", "responsible_contact": True}
    if rng.random() < 0.05:
        v["staff"][0] = dict(v["staff"][0], school_phone=False)
    if rng.random() < 0.4:  # recorded at the door
        present = rng.random() < 0.6
        arrival: dict = {"parents_present": present, "minutes_waited": 0 if present else rng.randint(1, 30),
                         "responsible_adult_present": present or rng.random() < 0.3,
                         "invited_in_by": "responsible_adult" if present else rng.choice(["nobody", "child"]),
                         "meeting_room": "ground_floor" if present else "doorstep"}
        if v["household"]["animals"] != "none":
            arrival["animals_secured"] = rng.random() < 0.8
            arrival["animal_request_refused"] = not arrival["animals_secured"] and rng.random() < 0.5
        if rng.random() < 0.03:
            arrival["staff_feel_unsafe"] = True
        v["on_arrival"] = arrival
    return v


def visits(count: int = COUNT, seed: int = 2026) -> list[dict]:
    rng = random.Random(seed)
    days = _school_days(rng)
    return [visit(rng, days, n) for n in range(1, count + 1)]


def text(count: int = COUNT) -> str:
    return "".join(json.dumps(v, separators=(",", ":")) + "\n" for v in visits(count))


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
    print(f"wrote {COUNT} visits to {OUT}")
