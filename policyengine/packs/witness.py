"""Visits that meet a condition, built from the condition's disjunctive normal form.

Random visits rarely reach a narrow rule (upstairs with an escort, 15:59 on a bank holiday...), so
liveness and satisfiability are decided here by construction instead. A term of the DNF is a
conjunction of comparisons. The visit's fields fall into independent groups ("facets"): the time
(start and duration decide every time fact), the staff list, the approvals, the door, and single
fields. No field changes a fact of another facet, so a term can be met exactly when each facet can
meet its own comparisons. Each facet tries a short list of candidates that covers every constant
in the comparisons with its neighbours and the pack's own hours, preferring the base visit's
values, so a witness differs from its base only where the condition asks.

Every witness is validated as a visit and flattened, and the comparisons are checked on the real
fact: a mistake here can only show up as "no witness found", never as a wrong claim.

How far "no witness found" can be trusted: every field's candidates cover its whole domain (yes/no,
every word of an enum, any number of staff up to 12 with every role count) except whole numbers,
whose candidate is the smallest value each comparison allows (so a conjunction that some number meets
is met), and times, which are tried on every kind of day (each weekday, a weekend, a bank holiday)
at every boundary the pack's hours and the conditions name, and a minute either side. A condition
met only by some other time would be missed; the built-in kinds' conditions are all of these forms.

Two packs with different hours (or time zones) are compared on one visit under both clocks: the
time facts of the second are tagged (``start_minute@2``), and the time facet checks each comparison
on the clock it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import TYPE_CHECKING, Any, Optional
from zoneinfo import ZoneInfo

from .._patch import merge_patch
from ..conditions.form import _PY_OPS, Compare, all_of, compile_python, facts_used, negate, normalise
from ..conditions.satisfy import _dnf, _term_satisfiable
from ..facts import FIELDS, UNKNOWN, Clock, enum_values, flatten
from ..models import APPROVERS, DBS_LEVELS, STAFF_ROLES, Outcome, Visit, visit_json, wall_clock
from ..plugin_facts import DECLARED
from .compiled import CompiledPack

if TYPE_CHECKING:  # for annotations only
    from ..conditions.form import Condition
    from .compiled import CompiledRule

def _parsed(data: dict[str, Any]) -> Visit:
    """A visit the search built, validated (pydantic raises for one that is not valid)."""
    return Visit.model_validate(data)


# -- the facets -----------------------------------------------------------------------------------

TIME_FACTS = ("duration_minutes", "start_minute", "end_minute", "weekday", "weekend", "bank_holiday",
              "in_school_day", "in_office_hours", "evening")
STAFF_FACTS = ("staff_count", "trained_count", "all_trained", "lowest_dbs", "all_have_phone", "all_have_mobile",
               "all_have_id_badge", *(f"role_{r}" for r in STAFF_ROLES))
APPROVAL_FACTS = tuple(f"approved_by_{a}" for a in APPROVERS)
#: Facts of one field each: the field's path in the visit, and how a fact value is written there.
SINGLE = {
    "purpose": ("purpose",), "urgency": ("urgency",), "first_visit": ("first_visit",),
    "lone_visit_approved_by": ("lone_visit_approved_by",), "parents_informed": ("parents_informed",),
    "risk_assessment": ("risk_assessment",), "visit_plan_lodged": ("visit_plan_lodged",),
    "check_in_interval": ("check_in", "interval_minutes"), "code_word_agreed": ("check_in", "code_word_agreed"),
    "out_of_hours_justified": ("out_of_hours", "justification"), "responsible_contact": ("out_of_hours", "responsible_contact"),
    "animals": ("household", "animals"), "known_risks": ("household", "known_risks"),
    "contagious_illness": ("household", "contagious_illness"),
}
DOOR = {
    "parents_present": "parents_present", "minutes_waited": "minutes_waited",
    "responsible_adult_present": "responsible_adult_present", "invited_in_by": "invited_in_by",
    "animals_secured": "animals_secured", "animal_request_refused": "animal_request_refused",
    "occupant_concern": "occupant_concern", "staff_feel_unsafe": "staff_feel_unsafe",
    "meeting_room": "meeting_room", "upstairs_escort": "upstairs_escort",
}
DOOR_FACTS = ("phase", "arrived", *DOOR)
FACETS = {"time": TIME_FACTS, "staff": STAFF_FACTS, "approvals": APPROVAL_FACTS, "door": DOOR_FACTS,
          **{name: (name,) for name in SINGLE}}
FACET_OF = {fact: facet for facet, facts in FACETS.items() for fact in facts}
#: The suffix of the second clock's time facts when two packs with different hours are compared.
TAG = "@2"
#: Plugin facts (``facts.NAME`` in the visit) are each a facet of their own, "plugin:NAME".
PLUGIN = "plugin:"


def _facet(fact: str) -> str:
    if fact.endswith(TAG):
        return "time"
    return FACET_OF.get(fact) or PLUGIN + fact


def tagged(cond: Any) -> Any:  # a condition, or a list of them (a DNF term): the same shape back
    """``cond`` with its time facts renamed for the second clock (see the module's docstring)."""
    if isinstance(cond, Compare):
        return Compare(cond.fact + TAG, cond.op, cond.value) if cond.fact in TIME_FACTS else cond
    if isinstance(cond, list):
        return [tagged(c) for c in cond]
    return type(cond)(tuple(tagged(i) for i in cond.items)) if hasattr(cond, "items") else type(cond)(tagged(cond.item))

#: A fully prepared, paired, authorised, daytime repeat visit with no animals, before going: no rule
#: of a sensible pack fires on it, so it is the base every witness patches. Monday 23 November 2026,
#: 10:00 London time (GMT).
PREPARED: dict[str, Any] = {
    "purpose": "attendance",
    "urgency": "planned",
    "start": "2026-11-23T10:00:00",
    "duration_minutes": 45,
    "first_visit": False,
    "staff": [
        {"role": "attendance_officer", "home_visit_trained": True, "dbs": "enhanced_barred", "school_phone": True,
         "id_badge": True},
        {"role": "education_welfare_officer", "home_visit_trained": True, "dbs": "enhanced_barred",
         "school_phone": True, "id_badge": True},
    ],
    "approvals": ["headteacher", "dsl", "deputy_dsl", "senior_attendance_lead", "line_manager", "slt"],
    "parents_informed": True,
    "risk_assessment": "approved",
    "visit_plan_lodged": True,
    "check_in": {"interval_minutes": 30, "code_word_agreed": True},
    "household": {"animals": "none", "known_risks": False, "contagious_illness": False},
}
BEFORE = PREPARED

# Dates covering every weekday, a Friday and a Monday bank holiday, in a week without clock changes.
_DATES = tuple(date(2026, 11, d) for d in range(23, 30)) + (date(2026, 12, 25), date(2026, 12, 28))


def _holds(c: Compare, value: Any) -> bool:
    return _PY_OPS[c.op](value, c.value)


def _constants(lits: Iterable[Compare], facts: Iterable[str]) -> set[int]:
    wanted = set(facts)
    out: set[int] = set()
    for c in lits:
        if c.fact in wanted:
            out.update(v for v in (c.value if isinstance(c.value, tuple) else (c.value,)) if type(v) is int)
    return out


def _near(values: Iterable[int], spread: int = 2) -> set[int]:
    return {v + d for v in values for d in range(-spread, spread + 1)}


_NONE = object()  # "no candidate fits" (None is a value some fields take)


def _first(candidates: Iterable[Any], lits: list[Compare]) -> Any:
    for value in candidates:
        if all(_holds(c, value) for c in lits):
            return value
    return _NONE


def _at(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    patch: Any = value
    for key in reversed(path):
        patch = {key: patch}
    result: dict[str, Any] = patch  # path is never empty
    return result


def _single_candidates(name: str, lits: list[Compare], prefer: Any) -> list[Any]:
    spec = FIELDS[name]
    if name == "out_of_hours_justified":
        domain: list[Any] = [1, 0]  # recorded or not: never "not known"
    elif spec.type == "bool":
        domain = [1, 0, UNKNOWN]
    elif spec.type == "enum":
        domain = list(enum_values(spec))
    else:
        low = 1 if name in ("check_in_interval", "duration_minutes") else 0
        near = sorted(v for v in _near(_constants(lits, [name]) | {low, 30}) if v >= low)
        domain = [UNKNOWN] + near + [v for v in _least(lits, low) if v not in near]
    return [prefer] + [v for v in domain if v != prefer]


def _least(lits: list[Compare], low: int) -> list[int]:
    """The smallest whole number from ``low`` up meeting every comparison, if any: the candidate
    that makes the search exact for a number (a value near the constants may be excluded)."""
    lo, hi, excluded, allowed = low, 10**9, set(), None
    for c in lits:
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        if c.op == "eq":
            allowed = set(values) if allowed is None else allowed & set(values)
        elif c.op == "in":
            allowed = set(values) if allowed is None else allowed & set(values)
        elif c.op == "ne" or c.op == "not_in":
            excluded |= set(values)
        elif c.op == "lt":
            hi = min(hi, c.value - 1)
        elif c.op == "le":
            hi = min(hi, c.value)
        elif c.op == "gt":
            lo = max(lo, c.value + 1)
        elif c.op == "ge":
            lo = max(lo, c.value)
    if allowed is not None:
        return sorted(v for v in allowed if type(v) is int and lo <= v <= hi and v not in excluded)[:1]
    for v in range(lo, min(hi, lo + len(excluded)) + 1):
        if v not in excluded:
            return [v]
    return []


def _write(name: str, value: Any) -> Any:
    """A fact value as the visit field holds it."""
    spec = FIELDS[name]
    if name == "out_of_hours_justified":
        return "no other time is possible" if value == 1 else None
    if spec.type == "bool":
        return None if value == UNKNOWN else bool(value)
    if spec.type == "int":
        return None if value == UNKNOWN else value
    if value in ("unknown", "none") and name != "animals":
        return None  # not given (lone_visit_approved_by "none" is "nobody agreed")
    return value


# -- solving each facet ---------------------------------------------------------------------------


class Solver:
    """Builds visits meeting conjunctions of comparisons, for one pack's clock, from ``base``.

    With ``other`` (a second pack's clock), comparisons of tagged time facts (:func:`tagged`) are
    met under that clock, the rest under ``clock``."""

    def __init__(self, clock: Clock, base: dict[str, Any] = BEFORE, other: Optional[Clock] = None):
        self.clock = clock
        self.other = other if other != clock else None
        self.base = base
        self.base_visit = _parsed(base)
        self.base_fact = self.fact(self.base_visit)
        self.zone = ZoneInfo(clock.timezone)

    def fact(self, visit: Visit) -> dict[str, Any]:
        """The fact of a parsed visit under ``clock``, with the other clock's time facts tagged."""
        fact = flatten(visit, self.clock)
        if self.other is not None:
            second = flatten(visit, self.other)
            fact.update({name + TAG: second[name] for name in TIME_FACTS})
        return fact

    def meeting(self, lits: Iterable[Compare]) -> Optional[dict[str, Any]]:
        """A visit (``base`` patched) meeting every comparison in ``lits``, or None."""
        lits = list(lits)
        if not _term_satisfiable([c for c in lits if not c.fact.endswith(TAG)]) or not _term_satisfiable(
                [Compare(c.fact[: -len(TAG)], c.op, c.value) for c in lits if c.fact.endswith(TAG)]):
            return None
        lits += _phase_lits(lits)
        by_facet: dict[str, list[Compare]] = {}
        for c in lits:
            by_facet.setdefault(_facet(c.fact), []).append(c)
        visit = self.base
        for facet, mine in by_facet.items():
            if all(c.fact in self.base_fact and _holds(c, self.base_fact[c.fact]) for c in mine):
                continue  # the base already meets them: leave its fields as they are
            patch = self._solve(facet, tuple(mine))
            if patch is None:
                return None
            visit = merge_patch(visit, patch)
        try:
            fact = self.fact(_parsed(visit))
        except Exception:
            return None
        return visit if all(_holds(c, fact[c.fact]) for c in lits) else None

    def _solve(self, facet: str, lits: tuple[Compare, ...]) -> Optional[dict[str, Any]]:
        if facet == "time":
            return self._time(lits)
        if facet.startswith(PLUGIN):
            name = facet[len(PLUGIN):]
            value = _first(_single_candidates(name, list(lits), self.base_fact.get(name, UNKNOWN)), list(lits))
            return None if value is _NONE else {"facts": {name: _write(name, value)}}
        if facet == "staff":
            return self._staff(list(lits))
        if facet == "approvals":
            chosen = []
            for a in APPROVERS:
                name = f"approved_by_{a}"
                value = _first([self.base_fact[name], 1 - self.base_fact[name]], [c for c in lits if c.fact == name])
                if value is _NONE:
                    return None
                if value == 1:
                    chosen.append(a)
            return {"approvals": chosen}
        if facet == "door":
            return self._door(list(lits))
        (name,) = FACETS[facet]
        value = _first(_single_candidates(name, list(lits), self.base_fact[name]), list(lits))
        return None if value is _NONE else _at(SINGLE[name], _write(name, value))

    def _door(self, lits: list[Compare]) -> Optional[dict[str, Any]]:
        arrived = [c for c in lits if c.fact == "arrived"]
        phases = [c for c in lits if c.fact == "phase"]
        for at_door in sorted((0, 1), key=lambda v: v != self.base_fact["arrived"]):
            if not all(_holds(c, at_door) for c in arrived):
                continue
            if at_door == 0:
                # Before the visit every door fact is "not known".
                unknown = {n: (UNKNOWN if FIELDS[n].type != "enum" else "unknown") for n in DOOR}
                if all(_holds(c, "plan") for c in phases) and all(
                    _holds(c, unknown[c.fact]) for c in lits if c.fact in DOOR
                ):
                    return {"on_arrival": None}
                continue
            fields = {}
            for name, key in DOOR.items():
                mine = [c for c in lits if c.fact == name]
                candidates = _single_candidates(name, mine, self.base_fact[name])
                if name == "meeting_room":
                    # Staff are there: the room decides the phase (none or the doorstep: door; any other: inside).
                    candidates = [r for r in candidates
                                  if all(_holds(c, "door" if r in ("unknown", "doorstep") else "inside") for c in phases)]
                value = _first(candidates, mine)
                if value is _NONE:
                    break
                fields[key] = _write(name, value)
            else:
                return {"on_arrival": fields}
        return None

    def _staff(self, lits: list[Compare]) -> Optional[dict[str, Any]]:
        def mine(name: str) -> list[Compare]:
            return [c for c in lits if c.fact == name]

        most = min(12, max(_constants(lits, STAFF_FACTS) | {2}) + 2)
        base_staff = self.base_visit.staff
        for n in dict.fromkeys([len(base_staff), *range(1, most + 1)]):
            if not all(_holds(c, n) for c in mine("staff_count")):
                continue
            roles = self._roles(n, lits, [s.role for s in base_staff])
            trained = self._trained(n, mine("trained_count"), mine("all_trained"))
            dbs = _first([self.base_fact["lowest_dbs"], *reversed(DBS_LEVELS), "unknown"], mine("lowest_dbs"))
            badge = _first([self.base_fact["all_have_id_badge"], 1, 0, UNKNOWN], mine("all_have_id_badge"))
            # A school phone is a mobile phone: with every member holding one, all_have_mobile is 1,
            # so the two are chosen together.
            phone: Any = _NONE  # a candidate value, or _NONE
            mobile: Any = _NONE
            for phone in (p for p in dict.fromkeys([self.base_fact["all_have_phone"], 1, 0, UNKNOWN])
                          if all(_holds(c, p) for c in mine("all_have_phone"))):
                mobiles = [1] if phone == 1 else [self.base_fact["all_have_mobile"], 1, 0, UNKNOWN]
                mobile = _first(mobiles, mine("all_have_mobile"))
                if mobile is not _NONE:
                    break
            if roles is None or trained is None or _NONE in (dbs, phone, badge, mobile):
                continue
            members = []
            for i in range(n):
                member = {"role": roles[i], "home_visit_trained": trained[i], "dbs": None if dbs == "unknown" else dbs,
                          "school_phone": _all_but_first(phone, i), "id_badge": _all_but_first(badge, i),
                          "mobile_phone": _all_but_first(mobile, i)}
                members.append({k: v for k, v in member.items() if v is not None})
            return {"staff": members}
        return None

    @staticmethod
    def _roles(n: int, lits: list[Compare], preferred: list[str]) -> Optional[list[str]]:
        allowed = []
        for role in STAFF_ROLES:
            mine = [c for c in lits if c.fact == f"role_{role}"]
            want = preferred.count(role)
            allowed.append([k for k in dict.fromkeys([want, 0, *range(n + 1)]) if k <= n and all(_holds(c, k) for c in mine)])

        @cache
        def fill(i: int, left: int) -> Optional[tuple[Any, ...]]:
            if i == len(STAFF_ROLES):
                return () if left == 0 else None
            for k in allowed[i]:
                if k <= left:
                    rest = fill(i + 1, left - k)
                    if rest is not None:
                        return (k,) + rest
            return None

        counts = fill(0, n)
        if counts is None:
            return None
        return [role for role, k in zip(STAFF_ROLES, counts, strict=True) for _ in range(k)]

    @staticmethod
    def _trained(n: int, count_lits: list[Compare], all_lits: list[Compare]) -> Optional[list[Any]]:
        for t in range(n, -1, -1):
            for f in range(0, n - t + 1):
                unknown = n - t - f
                all_trained = 0 if f else (UNKNOWN if unknown else 1)
                if all(_holds(c, t) for c in count_lits) and all(_holds(c, all_trained) for c in all_lits):
                    return [True] * t + [False] * f + [None] * unknown
        return None

    def _time(self, lits: tuple[Compare, ...]) -> Optional[dict[str, Any]]:
        clock = self.clock
        local = self.base_visit.start.astimezone(self.zone)
        base_start = local.hour * 60 + local.minute
        clocks = [clock] + ([self.other] if self.other is not None else [])
        boundaries = {m for c in clocks for m in (*c.school_day, *c.office_hours, c.evening_starts)} | {0, 360, 1439}
        starts = [base_start] + sorted(
            m for m in _near(boundaries | _constants(lits, ["start_minute", "start_minute" + TAG]), 1) if 0 <= m < 24 * 60
        )
        ends = _near({m for c in clocks for m in (c.school_day[1], c.office_hours[1])}
                     | _constants(lits, ["end_minute", "end_minute" + TAG]), 1)
        lasting = _near(_constants(lits, ["duration_minutes", "duration_minutes" + TAG]), 1)
        fixed = [d for d in dict.fromkeys([self.base_visit.duration_minutes, None, 1, 45, 60, *sorted(lasting)])
                 if d is None or d >= 1]
        length = self.base_visit.duration_minutes or 45
        starts += [end - length for end in ends if 0 <= end - length < 24 * 60]  # the base's length, ending at one
        nearest = sorted(dict.fromkeys(starts), key=lambda m: (abs(m - base_start), m))
        # Nearest the base visit first (its length kept, its start moved least), so that a witness
        # differs from the prepared visit only as much as it must; then lengths that end at a boundary.
        pairs = [(start, minutes) for minutes in fixed for start in nearest]
        pairs += [(start, end - start) for start in nearest for end in sorted(ends) if end - start >= 1]
        for day in dict.fromkeys([local.date(), *_DATES]):
            for start, minutes in dict.fromkeys(pairs):
                moment = _local(day, start, self.zone)
                if moment is None:
                    continue
                facts = _time_facts(self.base_visit, clock, moment.astimezone(UTC), minutes)
                if self.other is not None:
                    second = _time_facts(self.base_visit, self.other, moment.astimezone(UTC), minutes)
                    facts = {**facts, **{name + TAG: value for name, value in second.items()}}
                if all(_holds(c, facts[c.fact]) for c in lits):
                    return {"start": moment.isoformat(), "duration_minutes": minutes}
        return None


def _phase_lits(lits: list[Compare]) -> list[Compare]:
    """A plugin fact found at the door (or inside) can be given only there: what its value needs."""
    out: list[Compare] = []
    for name in {c.fact for c in lits if c.fact in DECLARED}:
        spec = DECLARED[name]
        unknown = "unknown" if spec.type == "enum" else UNKNOWN
        if spec.phase == "plan" or all(_holds(c, unknown) for c in lits if c.fact == name):
            continue
        out.append(Compare("arrived", "eq", 1))
        if spec.phase == "inside":
            out.append(Compare("meeting_room", "in", ("ground_floor", "upstairs", "child_bedroom")))
    return out


def _all_but_first(value: int, index: int) -> Optional[bool]:
    """Every member True (1); the first False (0) or not known (-1), the rest True."""
    if value == 1 or index > 0:
        return True
    return False if value == 0 else None


def _local(day: date, minute: int, zone: ZoneInfo) -> Optional[datetime]:
    """``minute`` past midnight on ``day`` in ``zone``; None in a clock change's gap."""
    return wall_clock(datetime.combine(day, time(minute // 60, minute % 60)), zone)


_time_cache: dict[tuple[Clock, datetime, Optional[int]], dict[str, Any]] = {}


def _time_facts(base: Visit, clock: Clock, start: datetime, minutes: Optional[int]) -> dict[str, Any]:
    key = (clock, start, minutes)
    if key not in _time_cache:
        fact = flatten(base.model_copy(update={"start": start, "duration_minutes": minutes}), clock)
        _time_cache[key] = {name: fact[name] for name in TIME_FACTS}
    return _time_cache[key]


# -- what the properties ask ----------------------------------------------------------------------


def terms(cond: Condition) -> Optional[list[list[Compare]]]:
    """The DNF terms of ``cond`` (None when there are too many to list)."""
    return _dnf(normalise(cond))


def firing(compiled: CompiledPack, rule_id: str, solver: Optional[Solver] = None) -> Optional[dict[str, Any]]:
    """A visit on which the rule fires, or None if none of its DNF terms can be met."""
    solver = solver or Solver(compiled.clock)
    rule = compiled.rule(rule_id)
    for term in terms(rule.condition) or []:
        visit = solver.meeting(term)
        if visit is not None and rule.holds(flatten(_parsed(visit), compiled.clock)):
            return visit
    return None


@dataclass
class Search:
    visit: Optional[dict[str, Any]]
    complete: bool  # False when the node budget ran out or a condition was too large to expand


def _stopping(rule: CompiledRule, below: str) -> Optional[tuple[Condition, Callable[[dict[str, Any]], bool]]]:
    """``(condition, holds)`` under which ``rule`` gives ``below`` or worse: its condition, in the
    phases where its outcome is that severe; None when it never is."""
    phases = [p for p, o in rule.outcomes.items() if o is not None and o.severity >= Outcome(below).severity]
    if not phases:
        return None
    if len(phases) == len(rule.outcomes):
        return rule.condition, rule.holds
    cond = all_of(Compare("phase", "in", tuple(phases)), rule.condition)
    return cond, compile_python(cond)


def _in_phases(rule: CompiledRule) -> list[tuple[str, Condition]]:
    """For each outcome ``rule`` gives (by severity, reminders last), its condition in the phases
    where it gives it: what a witness for that outcome must meet."""
    by_outcome: dict[Outcome, list[str]] = {}
    for phase, outcome in rule.outcomes.items():
        if outcome is not None:
            by_outcome.setdefault(outcome, []).append(phase)
    out = []
    for outcome, phases in sorted(by_outcome.items(), key=lambda op: -op[0].severity):
        cond = rule.condition if len(phases) == len(rule.outcomes) else all_of(Compare("phase", "in", tuple(phases)), rule.condition)
        out.append((outcome.value, cond))
    return out


def permitted(compiled: CompiledPack, lits: list[Compare], budget: int = 300, solver: Optional[Solver] = None,
              below: str = "conditional") -> Search:
    """A visit meeting ``lits`` that no rule with an outcome of ``below`` or worse applies to: by
    default a permitted visit; with ``below="blocked"``, one that is at most conditional.

    A depth-first search: build a visit meeting the comparisons so far; if some rule at or above
    ``below`` fires, branch on each way of not meeting its condition (the terms of its negation's
    DNF), and go on. Complete unless the budget runs out. With a two-clock ``solver`` whose second
    clock is ``compiled``'s, ``lits`` are under the first clock and ``compiled``'s rules under theirs.
    """
    solver = solver or Solver(compiled.clock)
    two = solver.other is not None
    stoppers = [stop for stop in (_stopping(r, below) for r in compiled.rules) if stop is not None]
    state: dict[str, Any] = {"nodes": 0, "complete": True}

    def search(so_far: tuple[Any, ...]) -> Optional[dict[str, Any]]:
        state["nodes"] += 1
        if state["nodes"] > budget:
            state["complete"] = False
            return None
        visit = solver.meeting(so_far)
        if visit is None:
            return None
        fact = flatten(_parsed(visit), compiled.clock)
        firing_now = [cond for cond, holds in stoppers if holds(fact)]
        if not firing_now:
            return visit
        ways = [(terms(negate(cond)), cond) for cond in firing_now]
        known = [(w, r) for w, r in ways if w is not None]
        if len(known) < len(ways):
            state["complete"] = False
            if not known:
                return None
        options, _ = min(known, key=lambda wr: len(wr[0]))  # the most constrained rule first
        for term in sorted(options, key=len):
            found = search(so_far + tuple(tagged(term) if two else term))
            if found is not None:
                return found
        return None

    found = search(tuple(lits))
    return Search(found, state["complete"])


def avoiding(compiled: CompiledPack, rule_id: str, visit: dict[str, Any], fixed: Iterable[str]) -> Optional[dict[str, Any]]:
    """A visit that keeps ``visit``'s values of the ``fixed`` facts and on which the rule does not
    fire, or None when every such visit fires it."""
    parsed = _parsed(visit)
    solver = Solver(compiled.clock, visit_json(parsed))
    fact = flatten(parsed, compiled.clock)
    pins = [Compare(name, "eq", fact[name]) for name in fixed]
    rule = compiled.rule(rule_id)
    for term in terms(negate(rule.condition)) or []:
        found = solver.meeting(pins + list(term))
        if found is not None and not rule.holds(flatten(_parsed(found), compiled.clock)):
            return found
    return None


# -- what a change to a pack changes ----------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A visit that two packs decide differently: ``old`` gives ``old_outcome``, ``new`` gives
    ``new_outcome``. ``rule`` is the rule whose change the search followed to find it."""

    rule: str
    visit: dict[str, Any]
    old_outcome: str
    new_outcome: str

    @property
    def looser(self) -> bool:
        """The new pack lets this visit through more easily than the old one."""
        return Outcome(self.new_outcome).severity < Outcome(self.old_outcome).severity


def _outcome(compiled: CompiledPack, fact: dict[str, Any]) -> str:
    """The outcome ``compiled`` gives the visit whose fact this is (each rule's for its phase)."""
    found = [r.outcomes[fact["phase"]] for r in compiled.rules if r.holds(fact)]
    return max((o.value for o in found if o is not None), key=lambda value: Outcome(value).severity, default="permitted")


def changed_rules(old: CompiledPack, new: CompiledPack) -> list[str]:
    """Ids of the rules whose meaning differs between the packs: added, removed, or with another
    outcome or condition. Conditions compare as compiled, so hours a kind builds into its condition
    count; and when the packs' clocks differ (hours, evening, time zone), so does every rule testing a
    time fact, since those facts (inside the school day, evening...) are computed with the clock."""
    clocked = old.clock != new.clock
    a = {r.rule.id: (r.outcomes, r.condition) for r in old.rules}
    b = {r.rule.id: (r.outcomes, r.condition) for r in new.rules}
    timed = {r.rule.id for r in (*old.rules, *new.rules) if clocked and facts_used(r.condition) & set(TIME_FACTS)}
    return sorted(rid for rid in a.keys() | b.keys() if a.get(rid) != b.get(rid) or rid in timed)


def differences(old: CompiledPack, new: CompiledPack, budget: int = 300) -> list[Difference]:
    """For each rule whose meaning changed, a visit whose outcome differs between ``old`` and
    ``new`` where the search finds one (at most one looser and one stricter visit per rule).

    Looser: a visit meeting a term of the old rule's condition that the new pack decides at a lower
    outcome than that rule gives. Stricter: the same with the packs swapped. Every visit returned
    is decided by both packs and differs; a rule that changed without changing any decision (or
    whose witness the search cannot reach within ``budget``) gives none.
    """
    found: list[Difference] = []
    seen: set[str] = set()
    solvers = {"new": Solver(old.clock, other=new.clock), "old": Solver(new.clock, other=old.clock)}
    for rule_id in changed_rules(old, new):
        for source, target, key in ((old, new, "new"), (new, old, "old")):
            try:
                rule = source.rule(rule_id)
            except KeyError:
                continue
            # Per outcome the rule gives (in the phases it gives it there): a visit meeting its
            # condition there that the other pack decides differently.
            for outcome, cond in _in_phases(rule):
                if outcome == "permitted":
                    continue
                witness = _differing(old, new, cond, outcome, solvers[key], target, budget, seen)
                if witness is not None:
                    found.append(Difference(rule_id, *witness))
                    break
    return found


def _differing(old: CompiledPack, new: CompiledPack, cond: Condition, outcome: str, solver: Solver, target: CompiledPack,
               budget: int, seen: set[str]) -> Optional[tuple[Any, ...]]:
    """(visit, old outcome, new outcome) for a visit meeting ``cond`` that ``target`` decides below
    ``outcome`` and the two packs decide differently, not one of ``seen`` (which it joins)."""
    for term in terms(cond) or []:
        search = permitted(target, list(term), budget=budget, solver=solver, below=outcome)
        if search.visit is None:
            continue
        parsed = _parsed(search.visit)
        before = _outcome(old, flatten(parsed, old.clock))
        after = _outcome(new, flatten(parsed, new.clock))
        digest = repr(sorted(visit_json(parsed).items()))
        if before != after and digest not in seen:
            seen.add(digest)
            return visit_json(parsed), before, after
    return None


@dataclass(frozen=True)
class Loosened:
    """A rule of ``old`` that ``new`` gives up, with a visit that shows it.

    ``visit`` is decided ``old_outcome`` by ``old`` and ``new_outcome`` by ``new`` (less severe); for
    a reminder (``reminder``), ``old`` reminds staff of ``rule`` on it and ``new`` does not. ``visit``
    is None when the search could not decide within its budget whether the change lets anything
    through: callers treat that as a loosening (fail closed).
    """

    rule: str
    visit: Optional[dict[str, Any]]
    old_outcome: str
    new_outcome: Optional[str]
    reminder: bool = False

    @property
    def decided(self) -> bool:
        return self.visit is not None


def loosenings(old: CompiledPack, new: CompiledPack, budget: int = 2000) -> list[Loosened]:
    """Every rule of ``old`` that ``new`` loosens: a visit ``old`` blocks (or makes conditional)
    that ``new`` lets through more easily, or one on which ``old`` gives a reminder that ``new``
    does not give. One witness per rule; a rule whose search runs out of ``budget`` (nodes per DNF
    term) or whose condition is too large to expand comes back undecided (``visit`` None).

    Only rules whose meaning changed are searched: a rule ``new`` keeps unchanged fires on the same
    visits with the same outcome, and a rule ``new`` adds can only make a decision more severe. For a
    changed rule the search is complete over its DNF: no witness and no budget exhausted means no
    visit meeting the old rule is decided less severely by ``new`` (within the solver's candidates:
    see the module's docstring).
    """
    solver = Solver(old.clock, other=new.clock)
    out: list[Loosened] = []
    for rule_id in changed_rules(old, new):
        try:
            rule = old.rule(rule_id)
        except KeyError:
            continue  # a rule only the new pack has
        # Each outcome the rule gives, in the phases it gives it (the most severe first).
        for outcome, cond in _in_phases(rule):
            dnf = terms(cond)
            if dnf is None:
                found: Optional[Loosened] = Loosened(rule_id, None, outcome, None, outcome == "permitted")
            else:
                found = (_reminder_dropped(old, new, rule_id, dnf, solver) if outcome == "permitted"
                         else _let_through(old, new, rule_id, dnf, solver, budget, outcome))
            if found is not None:
                out.append(found)
                break
    return out


def _let_through(old: CompiledPack, new: CompiledPack, rule_id: str, dnf: list[list[Compare]], solver: Solver, budget: int,
                 outcome: str) -> Optional[Loosened]:
    undecided = False
    for term in dnf:
        search = permitted(new, term, budget=budget, solver=solver, below=outcome)
        if search.visit is None:
            undecided |= not search.complete
            continue
        parsed = _parsed(search.visit)
        before, after = _outcome(old, flatten(parsed, old.clock)), _outcome(new, flatten(parsed, new.clock))
        if Outcome(after).severity < Outcome(before).severity:
            return Loosened(rule_id, visit_json(parsed), before, after)
        undecided = True  # never a wrong claim: a visit that does not show it proves nothing
    return Loosened(rule_id, None, outcome, None) if undecided else None


def _reminder_dropped(old: CompiledPack, new: CompiledPack, rule_id: str, dnf: list[list[Compare]], solver: Solver) -> Optional[Loosened]:
    try:
        kept = new.rule(rule_id)
    except KeyError:
        kept = None
    ways: Optional[list[Any]]
    if kept is None:
        ways = [[]]
    else:
        ways = terms(negate(kept.condition))
        if ways is None:
            return Loosened(rule_id, None, "permitted", None, True)
        ways = [tagged(w) if solver.other is not None else w for w in ways]
    reminder = old.rule(rule_id)
    for term in dnf:
        for way in ways:
            found = solver.meeting(list(term) + list(way))
            if found is None:
                continue
            parsed = _parsed(found)
            if reminder.holds(flatten(parsed, old.clock)) and not (kept and kept.holds(flatten(parsed, new.clock))):
                return Loosened(rule_id, visit_json(parsed), _outcome(old, flatten(parsed, old.clock)),
                                _outcome(new, flatten(parsed, new.clock)), True)
    return None
