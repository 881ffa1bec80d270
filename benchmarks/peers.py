"""Other engines deciding the same tcat question, for the benchmark's peer rows.

Each peer answers what ``floor.decide`` answers, (outcome, sorted rule ids), from the visit as JSON
carries it, and the benchmark asserts that it does on every visit it times: a visit where a peer
differs from the floor is a bug in the peer's rules, and the run stops there.

* :class:`Zen`: GoRules Zen (``pip install zen-engine``; Rust), running ``tcat.jdm.json``, a JDM
  decision graph: an expression node derives the facts (the phase, London time with Zen's own
  ``d(start, "Europe/London")``, England's bank holidays for 2026 and 2027 as a list, the staff and the
  door), a decision table with the *collect* hit policy holds one row per rule and phase outcome (in
  rule id order, so the ids come out sorted), and a last expression node takes the most severe
  outcome. The graph has no date of its own, so it leaves out the policy-review reminder: the
  benchmark decides as of a day before tcat's review date.
* :class:`RuleEngine`: the ``rule-engine`` package (pure Python), one ``rule_engine.Rule`` per row of
  the same table. It cannot change a datetime's time zone, so the adapter gives it the start as
  London time (``local``), parsed in Python; everything else is in the rules' own text.

Neither is a dependency of policyengine: a peer that is not installed is skipped with its reason.
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
GRAPH = HERE / "tcat.jdm.json"
LONDON = ZoneInfo("Europe/London")
SEVERITY = {"permitted": 0, "conditional": 1, "blocked": 2}
OUTCOMES = ("permitted", "conditional", "blocked")


class Unavailable(Exception):
    """The peer cannot run here; the message says why."""


def _require(module: str, distribution: str):
    """``module`` imported, and its distribution's version; :class:`Unavailable` when not installed."""
    try:
        return importlib.import_module(module), version(distribution)
    except ImportError as exc:
        raise Unavailable(f"{distribution} is not installed ({exc}); pip install {distribution}") from None


class Zen:
    """GoRules Zen running ``tcat.jdm.json``. ``methods``: each way its Python API decides many
    visits (the benchmark times them all and compares with the fastest)."""

    name = "GoRules Zen"

    def __init__(self):
        zen, self.version = _require("zen", "zen-engine")
        graph = json.loads(GRAPH.read_text())
        # A static loader keeps the compiled graph in the engine: evaluating by key reuses it, where
        # ZenDecision.evaluate was measured about four times slower per call.
        self._engine = zen.ZenEngine({"loader": {"type": "static", "content": {"tcat": graph}}})
        self.methods = {
            "evaluate_batch": self._batch,
            "evaluate, one call per visit": self._each,
        }

    def _batch(self, visits: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
        answers = self._engine.evaluate_batch([{"key": "tcat", "context": v} for v in visits])
        out = []
        for answer in answers:
            if not answer.get("success"):
                raise RuntimeError(f"zen-engine failed on a visit: {answer.get('error')}")
            result = answer["data"]["result"]
            out.append((result["outcome"], tuple(result["rules"])))
        return out

    def _each(self, visits: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
        evaluate = self._engine.evaluate
        out = []
        for v in visits:
            result = evaluate("tcat", v)["result"]
            out.append((result["outcome"], tuple(result["rules"])))
        return out


# -- rule-engine ----------------------------------------------------------------------------------

_PHASE = ('(phase != null ? phase : (on_arrival == null ? "plan" : '
          '(on_arrival&["meeting_room"] in [null, "doorstep"] ? "door" : "inside")))')
_ARRIVED = f'{_PHASE} != "plan"'
_BANK_HOLIDAYS = ", ".join(
    f'd"{day}"' for day in (
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25",
        "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
        "2027-12-27", "2027-12-28",
    )
)
_MINUTE = "(local.hour * 60 + local.minute)"
_IN_SCHOOL_DAY = (
    f'(duration_minutes != null and {_MINUTE} >= 510 and {_MINUTE} + duration_minutes <= 930 '
    f'and not local.weekday in ["Saturday", "Sunday"] and not local.date in [{_BANK_HOLIDAYS}])'
)
_OOH_OK = ('((out_of_hours&["justification"] ?? "") =~ "\\\\s*\\\\S" '
           'and out_of_hours&["responsible_contact"] == true)')
_ANIMALS = '(household&["animals"] ?? "unknown") != "none" and on_arrival&["animals_secured"] != true'
_WELFARE = '["welfare_check", "safeguarding"]'

#: (rule id, outcome, condition): one row per rule and phase outcome, as in the Zen graph's table.
RULES: tuple[tuple[str, str, str], ...] = (
    ("animals-refused", "blocked", f'on_arrival&["animal_request_refused"] == true and {_ANIMALS}'),
    ("animals-separate-room", "permitted", f'{_PHASE} == "plan" and {_ANIMALS}'),
    ("animals-separate-room", "conditional", f'{_ARRIVED} and {_ANIMALS}'),
    ("appointment-form", "conditional", "visit_plan_lodged != true"),
    ("appropriate-adult", "conditional",
     f'{_PHASE} == "door" and on_arrival&["meeting_room"] != "doorstep" and on_arrival&["responsible_adult_present"] != true'),
    ("appropriate-adult", "blocked", f'{_PHASE} == "inside" and on_arrival&["responsible_adult_present"] != true'),
    ("authorised-attendance", "conditional",
     'purpose == "attendance" and not "headteacher" in (approvals ?? []) and not "senior_attendance_lead" in (approvals ?? [])'),
    ("authorised-other", "conditional",
     'not purpose in ["attendance", "welfare_check", "safeguarding"] and not "headteacher" in (approvals ?? [])'),
    ("authorised-welfare", "conditional",
     f'purpose in {_WELFARE} and not "headteacher" in (approvals ?? []) and not "dsl" in (approvals ?? [])'),
    ("check-in-interval-agreed", "conditional",
     'check_in&["interval_minutes"] == null or check_in&["interval_minutes"] > 30'),
    ("code-word", "conditional", 'check_in&["code_word_agreed"] != true'),
    ("contact-the-office", "permitted", "staff.length >= 1"),
    ("dbs-check", "conditional", '[m for m in staff if not m&["dbs"] in ["enhanced", "enhanced_barred"]].length > 0'),
    ("feel-unsafe", "blocked", f'{_ARRIVED} and on_arrival&["staff_feel_unsafe"] == true'),
    ("id-badge-first-visit", "conditional",
     '[m for m in staff if m&["id_badge"] != true].length > 0 and first_visit != false'),
    ("log-the-visit", "permitted", "staff.length >= 1"),
    ("occupant-concern", "blocked", f'{_ARRIVED} and on_arrival&["occupant_concern"] == true'),
    ("outside-school-hours", "conditional", f"not {_IN_SCHOOL_DAY} and not {_OOH_OK}"),
    ("pairs-unless-headteacher-agrees", "conditional", 'staff.length < 2 and lone_visit_approved_by != "headteacher"'),
    ("parents-agree", "conditional",
     f'parents_informed != true and urgency != "emergency" and not purpose in {_WELFARE}'),
    ("risk-assessment-approved", "conditional", 'risk_assessment != "approved"'),
    ("safety-confirmed", "conditional",
     f'{_ARRIVED} and (on_arrival&["staff_feel_unsafe"] == null or on_arrival&["occupant_concern"] == null)'),
    ("school-phone", "conditional", '[m for m in staff if m&["school_phone"] != true].length > 0'),
    ("staff-roles", "conditional",
     'purpose in ["attendance", "welfare_check", "safeguarding", "transport", "other"] and '
     '[m for m in staff if m["role"] in ["teacher", "form_tutor", "teaching_assistant", "office", "other"]].length > 0'),
    ("staff-roles-teaching", "conditional",
     'purpose in ["exam_invigilation", "parent_meeting", "work_drop_off", "long_absence_contact", "early_years"] and '
     '[m for m in staff if m["role"] in ["office", "other"]].length > 0'),
    ("staff-trained", "conditional", '[m for m in staff if m&["home_visit_trained"] != true].length > 0'),
    ("trained-member", "permitted", '[m for m in staff if m&["home_visit_trained"] == true].length == 0'),
    ("unsafe-cancellation-in-writing", "permitted", f'{_ARRIVED} and on_arrival&["staff_feel_unsafe"] == true'),
    ("wait-exceeded", "blocked",
     f'{_ARRIVED} and on_arrival&["parents_present"] != true and on_arrival&["minutes_waited"] != null '
     'and on_arrival&["minutes_waited"] > 20'),
    ("wait-within-limit", "conditional",
     f'{_ARRIVED} and on_arrival&["parents_present"] != true and (on_arrival&["minutes_waited"] == null '
     'or on_arrival&["minutes_waited"] <= 20)'),
)


class RuleEngine:
    """The ``rule-engine`` package evaluating :data:`RULES` over each visit."""

    name = "rule-engine"

    def __init__(self):
        rule_engine, self.version = _require("rule_engine", "rule-engine")
        self.methods = {"Rule.matches, one rule at a time": self.decide_many}
        context = rule_engine.Context(default_value=None, resolver=rule_engine.resolve_item, default_timezone=LONDON)
        self._rules = tuple((rid, SEVERITY[outcome], rule_engine.Rule(text, context=context)) for rid, outcome, text in RULES)

    def decide(self, visit: dict) -> tuple[str, tuple[str, ...]]:
        moment = datetime.fromisoformat(visit["start"])
        thing = dict(visit, local=moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment.astimezone(LONDON))
        worst, fired = 0, []
        for rid, severity, rule in self._rules:
            if rule.matches(thing):
                fired.append(rid)
                worst = max(worst, severity)
        return OUTCOMES[worst], tuple(fired)  # RULES are in rule id order

    def decide_many(self, visits: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
        return [self.decide(v) for v in visits]
