"""Hypothesis strategies: valid visits (every field of the visit) and valid rule packs (every kind).

Visits are plain JSON-like dicts, as callers send them and as remedies (merge patches) patch them.
Values are biased towards the places where policies draw lines: the minutes either side of the
school day, 16:00 and 18:00, midnight and night starts, both sides of the clock changes, waits of
19/20/21 minutes, check-in intervals of 29/30/31.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from policyengine._yaml import from_mapping
from policyengine.conditions.form import OPS
from policyengine.conditions.satisfy import satisfiable
from policyengine.facts import FACT_FIELDS, enum_values
from policyengine.kinds import ClockTime, ConditionSpec, Rule
from policyengine.models import APPROVERS, DBS_LEVELS, PURPOSES, STAFF_ROLES
from policyengine.packs.load import PackBase, parse_pack
from policyengine.plugins.registry import default_registry
from policyengine.rules import BUILTIN_KINDS
from tests.visits import AT_THE_DOOR, PREPARED

LONDON = ZoneInfo("Europe/London")
UTC = UTC

# -- time -----------------------------------------------------------------------------------------

#: Days that matter: both clock changes and the days around them, weekends, England-only bank
#: holidays (Easter Monday, late summer), Christmas, ordinary GMT and BST weekdays.
SPECIAL_DAYS = (
    date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30),  # spring forward on the 29th
    date(2026, 10, 23), date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26),  # autumn back on the 25th
    date(2026, 4, 6), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),  # bank holidays
    date(2026, 7, 6), date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29),
)

#: Minutes after midnight where policies draw lines: midnight, the clock-change hour, the end of the
#: night (06:00), the school day and office hours (08:00, 08:30, 15:30, 16:00), the 4pm cut-off and
#: the evening (18:00), each with its neighbours.
BOUNDARY_MINUTES = (
    0, 1, 59, 60, 61, 89, 90, 119, 120, 121, 359, 360, 361, 479, 480, 481, 509, 510, 511,
    599, 600, 929, 930, 931, 959, 960, 961, 1019, 1020, 1079, 1080, 1081, 1199, 1200, 1439,
)

minutes_of_day = st.one_of(st.sampled_from(BOUNDARY_MINUTES), st.integers(0, 24 * 60 - 1))
days = st.one_of(st.sampled_from(SPECIAL_DAYS), st.dates(date(2025, 1, 1), date(2029, 12, 31)))


@st.composite
def starts(draw) -> str:
    """An ISO 8601 start, written as callers write it: London local time without an offset (only
    where that time exists exactly once), with London's own offset, in UTC (``Z``) or with an
    unrelated offset. The instant is a London wall-clock time, so boundary minutes are local."""
    day, minute = draw(days), draw(minutes_of_day)
    second = draw(st.sampled_from((0, 0, 0, 30, 59)))
    wall = datetime.combine(day, time(minute // 60, minute % 60, second))
    # fold picks the first or second 01:30 on the autumn day; in the spring gap it picks an offset.
    instant = wall.replace(tzinfo=LONDON, fold=draw(st.integers(0, 1))).astimezone(UTC)
    local = instant.astimezone(LONDON)
    form = draw(st.sampled_from(("naive", "offset", "utc", "other")))
    if form == "naive" and _exactly_once(local.replace(tzinfo=None)):
        return local.replace(tzinfo=None).isoformat()
    if form == "utc":
        return instant.isoformat().replace("+00:00", "Z")
    if form == "other":
        return instant.astimezone(timezone(timedelta(hours=draw(st.sampled_from((-5, 2, 9)))))).isoformat()
    return local.isoformat()


def _exactly_once(naive: datetime) -> bool:
    """Whether a London wall-clock time exists and is not repeated (the model refuses the others)."""
    first = naive.replace(tzinfo=LONDON, fold=0)
    exists = first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == naive
    return exists and first.utcoffset() == naive.replace(tzinfo=LONDON, fold=1).utcoffset()


# -- the visit's parts ----------------------------------------------------------------------------

tri = st.sampled_from((True, False, None))  # None: given as null, which means "not known"
durations = st.one_of(st.sampled_from((1, 30, 45, 59, 60, 61, 90, 91, 120, 420, 600)), st.integers(1, 24 * 60))
waits = st.one_of(st.sampled_from((0, 1, 19, 20, 21, 29, 30, 31, 240, 241)), st.integers(0, 600))
intervals = st.one_of(st.sampled_from((1, 15, 29, 30, 31, 60)), st.integers(1, 24 * 60))


def _optional(**fields) -> st.SearchStrategy[dict]:
    """A dict in which each field may be left out."""
    return st.fixed_dictionaries({}, optional=fields)


staff_members = st.fixed_dictionaries(
    {"role": st.sampled_from(STAFF_ROLES)},
    optional={
        "home_visit_trained": tri,
        "dbs": st.sampled_from(DBS_LEVELS + (None,)),
        "school_phone": tri,
        "id_badge": tri,
    },
)


@st.composite
def staff_lists(draw) -> list[dict]:
    """One to four members; often two identical ones (so "one fewer" can drop a duplicate)."""
    members = draw(st.lists(staff_members, min_size=1, max_size=3))
    if draw(st.booleans()):
        members.insert(draw(st.integers(0, len(members))), dict(draw(st.sampled_from(members))))
    return members


approval_lists = st.lists(st.sampled_from(APPROVERS), max_size=4)  # repeats are allowed by the model

check_ins = st.one_of(st.none(), _optional(interval_minutes=st.one_of(st.none(), intervals), code_word_agreed=tri))
out_of_hours = st.one_of(
    st.none(),
    _optional(
        justification=st.one_of(st.none(), st.sampled_from(("", "   ", "parent works days")), st.text(max_size=20)),
        responsible_contact=tri,
    ),
)
households = _optional(
    animals=st.sampled_from(("none", "present", "unknown")), known_risks=tri, contagious_illness=tri
)
on_arrivals = _optional(
    parents_present=tri,
    minutes_waited=st.one_of(st.none(), waits),
    responsible_adult_present=tri,
    invited_in_by=st.sampled_from(("responsible_adult", "child", "nobody", None)),
    animals_secured=tri,
    animal_request_refused=tri,
    occupant_concern=tri,
    staff_feel_unsafe=tri,
    meeting_room=st.sampled_from(("doorstep", "ground_floor", "upstairs", "child_bedroom", None)),
    upstairs_escort=tri,
)

#: Every optional field of the visit, and how to draw it.
OPTIONAL_FIELDS = {
    "urgency": st.sampled_from(("planned", "emergency")),
    "case_ref": st.text(alphabet="ABCDEF0123456789-", max_size=12),
    "duration_minutes": st.one_of(st.none(), durations),
    "first_visit": tri,
    "approvals": approval_lists,
    "lone_visit_approved_by": st.sampled_from(APPROVERS + (None,)),
    "parents_informed": tri,
    "risk_assessment": st.sampled_from(("none", "completed", "approved", None)),
    "visit_plan_lodged": tri,
    "check_in": check_ins,
    "out_of_hours": out_of_hours,
    "household": households,
    "on_arrival": st.one_of(st.none(), on_arrivals),
}

random_visits = st.fixed_dictionaries(
    {"purpose": st.sampled_from(PURPOSES), "start": starts(), "staff": staff_lists()},
    optional=OPTIONAL_FIELDS,
)


#: Well prepared visits, before going and at the door: bases for :func:`near_visits` when no
#: pack-specific ones are given.
PREPARED_BASES = (PREPARED, {**PREPARED, **AT_THE_DOOR})


@st.composite
def near_visits(draw, bases=PREPARED_BASES) -> dict:
    """One of ``bases`` (visits a pack permits, ideally) with a few fields drawn at random: each
    change that makes a rule fire is then seen on its own, and riskier moves have something to
    move from (a repeat visit, approvals, no animals, a start in the working day...)."""
    visit = dict(draw(st.sampled_from(bases)))
    fields = {**OPTIONAL_FIELDS, "purpose": st.sampled_from(PURPOSES), "start": starts(), "staff": staff_lists()}
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)):
        visit[name] = draw(fields[name])
    if visit.get("on_arrival") is not None and draw(st.booleans()):
        # At the door, the facts that decide most door rules, at their boundaries.
        visit["on_arrival"] = dict(visit["on_arrival"], **draw(_optional(
            parents_present=tri, minutes_waited=waits,
            meeting_room=st.sampled_from(("doorstep", "ground_floor", "upstairs", "child_bedroom")),
        )))
    return visit


def visits(bases=PREPARED_BASES) -> st.SearchStrategy[dict]:
    """Valid visits: anything the model accepts, and ``bases`` with a few changes."""
    return st.one_of(random_visits, near_visits(bases))


def at_the_door(drawn: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """The visits of ``drawn`` with staff at the door or inside (an ``on_arrival`` section)."""
    return drawn.filter(lambda v: v.get("on_arrival") is not None)


def as_plans(drawn: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """The visits of ``drawn`` as plans: without ``on_arrival`` (and without a stated phase)."""
    return drawn.map(lambda v: {k: x for k, x in v.items() if k not in ("on_arrival", "phase")})


# -- rule packs -----------------------------------------------------------------------------------

clock_times = st.one_of(
    st.sampled_from(("06:00", "08:00", "08:30", "15:30", "16:00", "17:00", "18:00", "19:00")),
    st.builds(lambda m: f"{m // 60:02d}:{m % 60:02d}", st.integers(0, 24 * 60 - 1)),
)

def _values_for(field) -> st.SearchStrategy:
    if field.type == "bool":
        return st.sampled_from((True, False, None))
    if field.type == "int":
        return st.one_of(st.sampled_from((-1, 0, 1, 2, 3, 20, 21, 30, 90, 360, 960, 1080)), st.integers(-1, 1500))
    return st.sampled_from(enum_values(field) + ((None,) if not field.always_known else ()))


@st.composite
def fact_tests(draw) -> dict:
    """One ``{fact: NAME, OP: VALUE}`` test with a value the fact can hold."""
    field = draw(st.sampled_from(FACT_FIELDS))
    ops = OPS if field.type == "int" else ("eq", "ne", "in", "not_in")
    op = draw(st.sampled_from(ops))
    values = _values_for(field)
    if field.type == "enum" and field.always_known:
        values = st.sampled_from(enum_values(field))
    if op in ("in", "not_in"):
        return {"fact": field.name, op: draw(st.lists(values, max_size=3))}
    return {"fact": field.name, op: draw(values)}


def _combined(inner: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """``all``, ``any`` and ``not`` over conditions drawn from ``inner``."""
    return st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    )


# A named function, not a lambda: hypothesis reads the source of ``extend`` to see that it recurses,
# and misreads a lambda spread over several lines.
conditions = st.recursive(fact_tests(), _combined, max_leaves=6)

# -- each rule kind's parameters, derived from its model (so a new parameter is drawn as soon as it exists)

#: Types drawn by hand: times of day biased to where policies draw lines, and conditions as a pack writes them.
SPECIAL_TYPES = ((ClockTime, clock_times), (FieldInfo.from_annotation(ConditionSpec).annotation, conditions))

#: Numbers worth drawing often, where the policies draw lines (waits of 20 minutes, check-ins every
#: 30, two staff...), kept to each parameter's own bounds.
LINES = (0, 1, 2, 3, 4, 10, 19, 20, 21, 29, 30, 31, 45, 60, 240, 1440)


def _between(metadata) -> tuple[int, int]:
    """The bounds a parameter's ``Field(ge=..., gt=..., le=..., lt=...)`` sets (wide where it sets none)."""
    lo, hi = -1, 24 * 60
    for m in metadata:
        lo = max(lo, getattr(m, "ge", lo), getattr(m, "gt", lo - 1) + 1)
        hi = min(hi, getattr(m, "le", hi), getattr(m, "lt", hi + 1) - 1)
    return lo, hi


def _drawn(annotation, metadata, where: str) -> st.SearchStrategy:
    """Valid values of a kind's parameter, from its annotation (and its ``Field`` constraints)."""
    for special, strategy in SPECIAL_TYPES:
        if annotation == special:
            return strategy
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _drawn(args[0], [*metadata, *annotation.__metadata__], where)
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (Union, UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return st.one_of(_drawn(inner, metadata, where), st.none())
    if origin is list:
        least = max([getattr(m, "min_length", 0) for m in metadata] + [0])
        return st.lists(_drawn(args[0], [], where), min_size=least, max_size=max(least, 3), unique=True)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        lo, hi = _between(metadata)
        return st.one_of(st.sampled_from([n for n in LINES if lo <= n <= hi] or [lo]), st.integers(lo, hi))
    raise TypeError(f"tests/strategies.py cannot draw {where}: {annotation!r} (add it to SPECIAL_TYPES)")


def kind_fields(kind: type[Rule]) -> st.SearchStrategy[dict]:
    """A kind's own parameters, drawn from its pydantic model: each required one, and any of the others
    (so their defaults are seen too), kept only where the kind's validators accept the combination."""
    required, optional = {}, {}
    for name, field in kind.model_fields.items():
        if name in Rule.model_fields:
            continue
        drawn = _drawn(field.annotation, field.metadata, f"{kind.kind_name}.{name}")
        (required if field.is_required() else optional)[name] = drawn
    return st.fixed_dictionaries(required, optional=optional).filter(lambda params: _accepts(kind, params))


def _accepts(kind: type[Rule], params: dict) -> bool:
    try:
        kind.model_validate({"id": "x", "kind": kind.kind_name, "outcome": "blocked", "message": "m",
                             "citation": {"section": "s", "quote": "q"}, **params})
    except ValidationError:
        return False
    return True


#: Each built-in rule kind's own parameters, with valid values only.
KIND_FIELDS: dict[str, st.SearchStrategy[dict]] = {kind.kind_name: kind_fields(kind) for kind in BUILTIN_KINDS}

#: Facts staff cannot change by planning differently: an ``unless`` over these never offers a way
#: round a rule that its kind's remedy does not know about.
_fixed_unless = st.one_of(
    st.builds(lambda p: {"fact": "purpose", "in": p}, st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True)),
    st.just({"fact": "urgency", "eq": "emergency"}),
)


@st.composite
def rules(draw, kinds: tuple[str, ...] = tuple(KIND_FIELDS), outcomes=("permitted", "conditional", "blocked"), any_unless: bool = True) -> dict:
    """One rule (without its id) of one of ``kinds``, with common fields drawn too."""
    kind = draw(st.sampled_from(kinds))
    rule = {"kind": kind, "outcome": draw(st.sampled_from(outcomes)), **draw(KIND_FIELDS[kind])}
    if draw(st.integers(0, 4)) == 0:
        rule["purposes"] = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=4, unique=True))
    if draw(st.integers(0, 5)) == 0:
        rule["unless"] = draw(conditions if any_unless else _fixed_unless)
    return rule


def _hours(draw) -> dict:
    start = draw(st.integers(5 * 60, 11 * 60))
    end = draw(st.integers(start + 30, 20 * 60))
    return {"start": f"{start // 60:02d}:{start % 60:02d}", "end": f"{end // 60:02d}:{end % 60:02d}"}


@st.composite
def pack_data(draw, rule_lists=None) -> dict:
    """A rule pack as YAML would give it: metadata with drawn hours, then the drawn rules (one to
    eight of any kind unless ``rule_lists`` says otherwise)."""
    drawn = draw(rule_lists if rule_lists is not None else st.lists(rules(), min_size=1, max_size=8))
    data = {"id": "generated", "school": "Generated School", "document": "Generated Policy", "version": "1",
            "source": "generated.txt"}
    if draw(st.booleans()):
        data.update(school_day=_hours(draw), office_hours=_hours(draw), evening_starts=draw(clock_times))
    # A rule no visit can meet (a purpose it also excepts, say) makes the pack one that loading
    # refuses, so such rules are left out; a pack needs at least one rule.
    clock = PackBase.model_validate({k: v for k, v in data.items()}).clock
    kinds = default_registry().kinds()
    models = [kinds[rule["kind"]].model_validate({"id": "x", "message": "m", "citation": {"section": "s", "quote": "q"}, **rule})
              for rule in drawn]
    kept = [(rule, model) for rule, model in zip(drawn, models, strict=True) if satisfiable(model.condition(clock))]
    assume(kept)
    # A rule that applies a number quotes a sentence that says it (20 minutes, 16:00, 2 staff).
    data["rules"] = [
        {"id": f"r{n}", **rule, "message": f"r{n} applies",
         "citation": {"section": "Generated", "quote": " ".join([f"quote for r{n}", *(what for what, _ in model.quoted_numbers())])}}
        for n, (rule, model) in enumerate(kept)
    ]
    return data


def generated_source(data: dict) -> str:
    """The policy text a generated pack quotes: its quotes, one a line."""
    return "\n".join(r["citation"]["quote"] for r in data["rules"])


def rule_packs(rule_lists=None):
    """Valid packs, each as ``(PackBase, its source text, its YAML data)``."""
    return pack_data(rule_lists).map(
        lambda data: (parse_pack(from_mapping(data, "<generated pack>"), source=generated_source(data)),
                      generated_source(data), data)
    )


# -- packs whose every rule is monotone on its own (see tests/properties/moves.py) ------------------

_ROOM_ORDER = ("doorstep", "ground_floor", "upstairs", "child_bedroom")


@st.composite
def monotone_rules(draw) -> list[dict]:
    """Rules each of which keeps firing when the visit becomes riskier, so any pack of them must be
    monotone: no ``condition`` rules (they can say anything), rooms from some room inwards, and a
    wait limit only with a cancellation at least as severe as the wait."""
    kind = draw(st.sampled_from(tuple(k for k in KIND_FIELDS if k != "condition")))
    outcome = st.sampled_from(("permitted", "conditional", "blocked"))
    common = {"outcome": draw(outcome)}
    if draw(st.integers(0, 4)) == 0:
        common["unless"] = draw(_fixed_unless)
    if kind == "rooms":
        first = draw(st.integers(0, 3))
        return [{"kind": "rooms", "rooms": list(_ROOM_ORDER[first:]), "escorted": draw(st.sampled_from(("any", "yes", "no"))), **common}]
    if kind == "wait_limit":
        minutes = draw(KIND_FIELDS["wait_limit"])["minutes"]
        severity = ("permitted", "conditional", "blocked")
        wait = draw(st.integers(0, 2))
        cancel = draw(st.integers(wait, 2))
        return [
            {"kind": "wait_limit", "minutes": minutes, "stage": "waiting", "outcome": severity[wait]},
            {"kind": "wait_limit", "minutes": minutes, "stage": "exceeded", "outcome": severity[cancel]},
        ]
    return [{"kind": kind, **draw(KIND_FIELDS[kind]), **common}]


def monotone_packs():
    return rule_packs(st.lists(monotone_rules(), min_size=1, max_size=6).map(lambda groups: [r for g in groups for r in g]))
