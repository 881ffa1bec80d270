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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

from ._conditions import _PY_OPS, Compare, facts_used, negate, normalise
from ._decide import parse_visit, visit_json
from ._facts import FIELDS, UNKNOWN, Clock, enum_values, flatten
from ._models import APPROVERS, DBS_LEVELS, STAFF_ROLES
from ._pack import CompiledPack
from ._patch import merge_patch
from ._satisfy import _dnf, _term_satisfiable

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
DOOR_FACTS = ("arrived", *DOOR)
FACETS = {"time": TIME_FACTS, "staff": STAFF_FACTS, "approvals": APPROVAL_FACTS, "door": DOOR_FACTS,
          **{name: (name,) for name in SINGLE}}
FACET_OF = {fact: facet for facet, facts in FACETS.items() for fact in facts}

#: A fully prepared, paired, authorised, daytime repeat visit with no animals, before going: no rule
#: of a sensible pack fires on it, so it is the base every witness patches. Monday 23 November 2026,
#: 10:00 London time (GMT).
PREPARED: dict = {
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


def _at(path: tuple[str, ...], value: Any) -> dict:
    patch: Any = value
    for key in reversed(path):
        patch = {key: patch}
    return patch


def _single_candidates(name: str, lits: list[Compare], prefer: Any) -> list:
    spec = FIELDS[name]
    if name == "out_of_hours_justified":
        domain = [1, 0]  # recorded or not: never "not known"
    elif spec.type == "bool":
        domain = [1, 0, UNKNOWN]
    elif spec.type == "enum":
        domain = list(enum_values(spec))
    else:
        low = 0 if name == "minutes_waited" else 1
        domain = [UNKNOWN] + sorted(v for v in _near(_constants(lits, [name]) | {low, 30}) if v >= low)
    return [prefer] + [v for v in domain if v != prefer]


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
    """Builds visits meeting conjunctions of comparisons, for one pack's clock, from ``base``."""

    def __init__(self, clock: Clock, base: dict = BEFORE):
        self.clock = clock
        self.base = base
        self.base_visit = parse_visit(base)
        self.base_fact = flatten(self.base_visit, clock)
        self.zone = ZoneInfo(clock.timezone)

    def meeting(self, lits: Iterable[Compare]) -> Optional[dict]:
        """A visit (``base`` patched) meeting every comparison in ``lits``, or None."""
        lits = list(lits)
        if not _term_satisfiable(lits):
            return None
        by_facet: dict[str, list[Compare]] = {}
        for c in lits:
            by_facet.setdefault(FACET_OF[c.fact], []).append(c)
        visit = self.base
        for facet, mine in by_facet.items():
            if all(_holds(c, self.base_fact[c.fact]) for c in mine):
                continue  # the base already meets them: leave its fields as they are
            patch = self._solve(facet, tuple(mine))
            if patch is None:
                return None
            visit = merge_patch(visit, patch)
        try:
            fact = flatten(parse_visit(visit), self.clock)
        except Exception:
            return None
        return visit if all(_holds(c, fact[c.fact]) for c in lits) else None

    def _solve(self, facet: str, lits: tuple[Compare, ...]) -> Optional[dict]:
        if facet == "time":
            return self._time(lits)
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

    def _door(self, lits: list[Compare]) -> Optional[dict]:
        arrived = [c for c in lits if c.fact == "arrived"]
        for at_door in sorted((0, 1), key=lambda v: v != self.base_fact["arrived"]):
            if not all(_holds(c, at_door) for c in arrived):
                continue
            if at_door == 0:
                # Before the visit every door fact is "not known".
                unknown = {n: (UNKNOWN if FIELDS[n].type != "enum" else "unknown") for n in DOOR}
                if all(_holds(c, unknown[c.fact]) for c in lits if c.fact in DOOR):
                    return {"on_arrival": None}
                continue
            fields = {}
            for name, key in DOOR.items():
                mine = [c for c in lits if c.fact == name]
                value = _first(_single_candidates(name, mine, self.base_fact[name]), mine)
                if value is _NONE:
                    break
                fields[key] = _write(name, value)
            else:
                return {"on_arrival": fields}
        return None

    def _staff(self, lits: list[Compare]) -> Optional[dict]:
        def mine(name):
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
            phone = mobile = _NONE
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

        @lru_cache(maxsize=None)
        def fill(i: int, left: int) -> Optional[tuple]:
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
        return [role for role, k in zip(STAFF_ROLES, counts) for _ in range(k)]

    @staticmethod
    def _trained(n: int, count_lits: list[Compare], all_lits: list[Compare]) -> Optional[list]:
        for t in range(n, -1, -1):
            for f in range(0, n - t + 1):
                unknown = n - t - f
                all_trained = 0 if f else (UNKNOWN if unknown else 1)
                if all(_holds(c, t) for c in count_lits) and all(_holds(c, all_trained) for c in all_lits):
                    return [True] * t + [False] * f + [None] * unknown
        return None

    def _time(self, lits: tuple[Compare, ...]) -> Optional[dict]:
        clock = self.clock
        local = self.base_visit.start.astimezone(self.zone)
        base_start = local.hour * 60 + local.minute
        boundaries = {*clock.school_day, *clock.office_hours, clock.evening_starts, 0, 360, 1439}
        starts = [base_start] + sorted(
            m for m in _near(boundaries | _constants(lits, ["start_minute"]), 1) if 0 <= m < 24 * 60
        )
        ends = _near({clock.school_day[1], clock.office_hours[1], *_constants(lits, ["end_minute"])}, 1)
        lasting = _near(_constants(lits, ["duration_minutes"]), 1)
        for day in dict.fromkeys([local.date(), *_DATES]):
            for start in dict.fromkeys(starts):
                durations = [self.base_visit.duration_minutes, None, 1, 45, 60, *sorted(lasting),
                             *sorted(e - start for e in ends)]
                for minutes in dict.fromkeys(d for d in durations if d is None or d >= 1):
                    moment = _local(day, start, self.zone)
                    if moment is None:
                        continue
                    facts = _time_facts(self.base_visit, clock, moment.astimezone(timezone.utc), minutes)
                    if all(_holds(c, facts[c.fact]) for c in lits):
                        return {"start": moment.isoformat(), "duration_minutes": minutes}
        return None


def _all_but_first(value: int, index: int) -> Optional[bool]:
    """Every member True (1); the first False (0) or not known (-1), the rest True."""
    if value == 1 or index > 0:
        return True
    return False if value == 0 else None


def _local(day: date, minute: int, zone: ZoneInfo) -> Optional[datetime]:
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    first = naive.replace(tzinfo=zone)
    if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        return None  # in a clock change's gap
    return first


_time_cache: dict = {}


def _time_facts(base, clock: Clock, start: datetime, minutes: Optional[int]) -> dict:
    key = (clock, start, minutes)
    if key not in _time_cache:
        fact = flatten(base.model_copy(update={"start": start, "duration_minutes": minutes}), clock)
        _time_cache[key] = {name: fact[name] for name in TIME_FACTS}
    return _time_cache[key]


# -- what the properties ask ----------------------------------------------------------------------


def terms(cond) -> Optional[list[list[Compare]]]:
    """The DNF terms of ``cond`` (None when there are too many to list)."""
    return _dnf(normalise(cond))


def firing(compiled: CompiledPack, rule_id: str, solver: Optional[Solver] = None) -> Optional[dict]:
    """A visit on which the rule fires, or None if none of its DNF terms can be met."""
    solver = solver or Solver(compiled.clock)
    rule = compiled.rule(rule_id)
    for term in terms(rule.condition) or []:
        visit = solver.meeting(term)
        if visit is not None and rule.holds(flatten(parse_visit(visit), compiled.clock)):
            return visit
    return None


@dataclass
class Search:
    visit: Optional[dict]
    complete: bool  # False when the node budget ran out or a condition was too large to expand


_SEVERITY = {"permitted": 0, "conditional": 1, "blocked": 2}


def permitted(compiled: CompiledPack, lits: list[Compare], budget: int = 300, solver: Optional[Solver] = None,
              below: str = "conditional") -> Search:
    """A visit meeting ``lits`` that no rule with an outcome of ``below`` or worse applies to: by
    default a permitted visit; with ``below="blocked"``, one that is at most conditional.

    A depth-first search: build a visit meeting the comparisons so far; if some rule at or above
    ``below`` fires, branch on each way of not meeting its condition (the terms of its negation's
    DNF), and go on. Complete unless the budget runs out.
    """
    solver = solver or Solver(compiled.clock)
    stoppers = [r for r in compiled.rules if _SEVERITY[r.rule.outcome] >= _SEVERITY[below]]
    state = {"nodes": 0, "complete": True}

    def search(so_far: tuple) -> Optional[dict]:
        state["nodes"] += 1
        if state["nodes"] > budget:
            state["complete"] = False
            return None
        visit = solver.meeting(so_far)
        if visit is None:
            return None
        fact = flatten(parse_visit(visit), compiled.clock)
        firing_now = [r for r in stoppers if r.holds(fact)]
        if not firing_now:
            return visit
        ways = [(terms(negate(r.condition)), r) for r in firing_now]
        if any(w is None for w, _ in ways):
            state["complete"] = False
            ways = [(w, r) for w, r in ways if w is not None]
            if not ways:
                return None
        options, _ = min(ways, key=lambda wr: len(wr[0]))  # the most constrained rule first
        for term in sorted(options, key=len):
            found = search(so_far + tuple(term))
            if found is not None:
                return found
        return None

    found = search(tuple(lits))
    return Search(found, state["complete"])


def avoiding(compiled: CompiledPack, rule_id: str, visit: dict, fixed: Iterable[str]) -> Optional[dict]:
    """A visit that keeps ``visit``'s values of the ``fixed`` facts and on which the rule does not
    fire, or None when every such visit fires it."""
    parsed = parse_visit(visit)
    solver = Solver(compiled.clock, visit_json(parsed))
    fact = flatten(parsed, compiled.clock)
    pins = [Compare(name, "eq", fact[name]) for name in fixed]
    rule = compiled.rule(rule_id)
    for term in terms(negate(rule.condition)) or []:
        found = solver.meeting(pins + list(term))
        if found is not None and not rule.holds(flatten(parse_visit(found), compiled.clock)):
            return found
    return None


# -- what a change to a pack changes ----------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A visit that two packs decide differently: ``old`` gives ``old_outcome``, ``new`` gives
    ``new_outcome``. ``rule`` is the rule whose change the search followed to find it."""

    rule: str
    visit: dict
    old_outcome: str
    new_outcome: str

    @property
    def looser(self) -> bool:
        """The new pack lets this visit through more easily than the old one."""
        return _SEVERITY[self.new_outcome] < _SEVERITY[self.old_outcome]


def _outcome(compiled: CompiledPack, fact: dict) -> str:
    return max((r.rule.outcome for r in compiled.rules if r.holds(fact)), key=_SEVERITY.__getitem__,
               default="permitted")


def changed_rules(old: CompiledPack, new: CompiledPack) -> list[str]:
    """Ids of the rules whose meaning differs between the packs: added, removed, or with another
    outcome or condition. Conditions compare as compiled, so hours a kind builds into its condition
    count; and when the packs' clocks differ (hours, evening, time zone), so does every rule testing a
    time fact, since those facts (inside the school day, evening...) are computed with the clock."""
    clocked = old.clock != new.clock
    a = {r.rule.id: (r.rule.outcome, r.condition) for r in old.rules}
    b = {r.rule.id: (r.rule.outcome, r.condition) for r in new.rules}
    timed = {r.rule.id for r in (*old.rules, *new.rules) if clocked and facts_used(r.condition) & set(TIME_FACTS)}
    return sorted(rid for rid in a.keys() | b.keys() if a.get(rid) != b.get(rid) or rid in timed)


def _on_clock(term: list[Compare], source: CompiledPack, target: CompiledPack, solver: Solver) -> Iterable[list[Compare]]:
    """``term`` (of a rule of ``source``) as comparisons the target's solver can meet.

    Time facts (inside the school day, evening...) are computed with a pack's clock, so when the
    clocks differ a term's time comparisons speak of the source's hours. First, for each start and
    length around either pack's hours that meets them on the source's clock but not on the target's
    (nearest the base visit's first), the term's other comparisons with the time pinned as the
    target's clock sees it; then the term as it is.
    """
    timed = [c for c in term if c.fact in TIME_FACTS]
    if timed and source.clock != target.clock:
        rest = [c for c in term if c.fact not in TIME_FACTS]
        zone = ZoneInfo(source.clock.timezone)
        marks, ends = {360, 1439}, set()
        for clock in (source.clock, target.clock):
            marks |= {*clock.school_day, *clock.office_hours, clock.evening_starts}
            ends |= {clock.school_day[1], clock.office_hours[1]}
        base = solver.base_visit
        local = base.start.astimezone(zone)
        here = local.hour * 60 + local.minute
        length = base.duration_minutes or 45
        # Starts near the hours, and starts at which a visit of the base's length ends near them.
        starts = {m for m in _near(marks | {e - length for e in ends}, 1) if 0 <= m < 24 * 60}
        candidates = []
        for day in dict.fromkeys([local.date(), _DATES[5], _DATES[-1]]):  # its day, a Saturday, a bank holiday
            for start in starts:
                for minutes in dict.fromkeys([length, 1, *(e - start for e in _near(ends, 1) if e > start), None]):
                    near = (day != local.date(), minutes is None, abs((minutes or 0) - length), abs(start - here))
                    candidates.append((near, day, start, minutes))
        tried: set = set()
        for _, day, start, minutes in sorted(candidates, key=lambda c: c[0]):
            moment = _local(day, start, zone)
            if moment is None:
                continue
            at = moment.astimezone(timezone.utc)
            there = _time_facts(base, target.clock, at, minutes)
            if all(_holds(c, there[c.fact]) for c in timed):
                continue  # the clocks agree here: the term as it is covers it
            if not all(_holds(c, _time_facts(base, source.clock, at, minutes)[c.fact]) for c in timed):
                continue
            pins = tuple(Compare(name, "eq", there[name]) for name in TIME_FACTS)
            if pins not in tried:
                tried.add(pins)
                yield rest + list(pins)
    yield list(term)


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
    solvers = {"old": Solver(old.clock), "new": Solver(new.clock)}
    for rule_id in changed_rules(old, new):
        for source, target, key in ((old, new, "new"), (new, old, "old")):
            try:
                rule = source.rule(rule_id)
            except KeyError:
                continue
            if rule.rule.outcome == "permitted":
                continue
            for term in (t for whole in terms(rule.condition) or [] for t in _on_clock(whole, source, target, solvers[key])):
                search = permitted(target, term, budget=budget, solver=solvers[key], below=rule.rule.outcome)
                if search.visit is None:
                    continue
                parsed = parse_visit(search.visit)
                before = _outcome(old, flatten(parsed, old.clock))
                after = _outcome(new, flatten(parsed, new.clock))
                digest = repr(sorted(visit_json(parsed).items()))
                if before != after and digest not in seen:
                    seen.add(digest)
                    found.append(Difference(rule_id, visit_json(parsed), before, after))
                    break
    return found
