"""The intermediate condition form every rule compiles to, and how to evaluate it.

A condition is a small tree: comparisons of one fact with a constant (``Compare``), combined with
``All``, ``Any`` and ``Not``. Rule kinds build these trees in Python; a policy lead writes the same
tree in YAML with the generic ``condition`` kind::

    when:
      all:
        - {fact: first_visit, eq: true}
        - {fact: staff_count, lt: 2}

The tree is evaluated by the python engine directly and compiled to durable-rules' JSON ruleset
form for the durable engine. Both see the same total fact (see ``_facts``), so they agree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Optional, Self, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictInt, Tag, WithJsonSchema, model_validator

from .._errors import did_you_mean
from ..facts import FIELDS, UNKNOWN, WEEKDAYS, enum_values
from ..models import APPROVERS, STAFF_ROLES

if TYPE_CHECKING:  # for annotations only
    from ..facts import FactField

# -- the tree -------------------------------------------------------------------------------------

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
#: The largest number a condition may compare a fact with: far beyond any fact's values (see
#: ``_facts.INT_DOMAINS``) and well inside what durable-rules' C core compares exactly.
LARGEST = 10**9
_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt", "in": "not_in", "not_in": "in"}


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    value: Any  # already encoded: bools as 1/0/-1; a tuple for in / not_in


@dataclass(frozen=True)
class All:
    items: tuple[Any, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Not:
    item: Any


TRUE = All(())
FALSE = AnyOf(())
Condition = Union[Compare, All, AnyOf, Not]
#: A condition in negation normal form (what :func:`normalise` gives): no ``Not`` left.
Normal = Union[Compare, All, AnyOf]
_C = TypeVar("_C", bound=Condition)


def all_of(*items: _C) -> _C | All | AnyOf:
    """``All`` of ``items``, folding constants and nested ``All``s."""
    flat: list[Any] = []
    for item in items:
        if item == TRUE:
            continue
        if item == FALSE:
            return FALSE
        flat.extend(item.items if isinstance(item, All) else (item,))
    return flat[0] if len(flat) == 1 else All(tuple(flat))


def any_of(*items: _C) -> _C | All | AnyOf:
    """``AnyOf`` of ``items``, folding constants and nested ``AnyOf``s."""
    flat: list[Any] = []
    for item in items:
        if item == FALSE:
            continue
        if item == TRUE:
            return TRUE
        flat.extend(item.items if isinstance(item, AnyOf) else (item,))
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def encode(fact: str, value: Any) -> Any:
    """Encode a constant for ``fact`` as the fact holds it (bools as 1/0/-1)."""
    spec = FIELDS[fact]
    if spec.type == "bool":
        if value is None or value == "unknown":
            return UNKNOWN
        return int(bool(value))
    if spec.type == "int" and value is None:
        return UNKNOWN
    if spec.type == "enum" and value is None:
        return "unknown"
    return value


def fact(name: str, op: str, value: Any) -> Compare:
    """A comparison of a fact with a constant (Python spelling: True/False/None for bools)."""
    if name not in FIELDS:
        raise ValueError(f"unknown fact '{name}'")
    if op not in OPS:
        raise ValueError(f"unknown comparison '{op}'")
    if op in ("in", "not_in"):
        return Compare(name, op, tuple(encode(name, v) for v in value))
    return Compare(name, op, encode(name, value))


def negate(cond: Condition) -> Normal:
    """The negation of ``cond``, pushed down to the comparisons (exact, because facts are total)."""
    if isinstance(cond, Compare):
        return Compare(cond.fact, _NEGATE[cond.op], cond.value)
    if isinstance(cond, All):
        return any_of(*(negate(i) for i in cond.items))
    if isinstance(cond, AnyOf):
        return all_of(*(negate(i) for i in cond.items))
    if isinstance(cond, Not):
        return normalise(cond.item)
    raise TypeError(f"not a condition: {cond!r}")


def normalise(cond: Condition) -> Normal:
    """Negation normal form: no ``Not`` left, constants folded."""
    if isinstance(cond, Compare):
        return cond
    if isinstance(cond, All):
        return all_of(*(normalise(i) for i in cond.items))
    if isinstance(cond, AnyOf):
        return any_of(*(normalise(i) for i in cond.items))
    if isinstance(cond, Not):
        return negate(cond.item)
    raise TypeError(f"not a condition: {cond!r}")


# -- evaluation in Python -------------------------------------------------------------------------

_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


def evaluate(cond: Condition, fact_: dict[str, Any]) -> bool:
    """Whether ``cond`` holds for the total fact ``fact_``."""
    if isinstance(cond, Compare):
        return _PY_OPS[cond.op](fact_[cond.fact], cond.value)
    if isinstance(cond, All):
        return all(evaluate(i, fact_) for i in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate(i, fact_) for i in cond.items)
    if isinstance(cond, Not):
        return not evaluate(cond.item, fact_)
    raise TypeError(f"not a condition: {cond!r}")


def compile_python(cond: Condition) -> Callable[[dict[str, Any]], bool]:
    """A closure evaluating ``cond`` (normalised) without walking the tree on every call."""
    cond = normalise(cond)
    if isinstance(cond, Compare):
        name, value, op = cond.fact, cond.value, _PY_OPS[cond.op]
        if cond.op == "eq":
            return lambda f: f[name] == value
        if cond.op == "ne":
            return lambda f: f[name] != value
        return lambda f: op(f[name], value)
    parts = tuple(compile_python(i) for i in cond.items)
    if isinstance(cond, All):
        return lambda f: _every(parts, f)
    return lambda f: _some(parts, f)


# Loops, not all()/any() over a generator: an interrupt that lands while a generator left behind by
# an early return is being closed is "ignored" by Python (printed, never raised), so the caller's
# Ctrl-C would be lost. (They are a little faster too.)
def _every(parts: tuple[Any, ...], f: dict[str, Any]) -> bool:
    for p in parts:
        if not p(f):
            return False
    return True


def _some(parts: tuple[Any, ...], f: dict[str, Any]) -> bool:
    for p in parts:
        if p(f):
            return True
    return False


def checked(cond: Condition) -> Condition:
    """``cond`` itself, once every comparison is known to test a fact with a value of its type.

    durable-rules compares mixed types as strings (``"abc" > 18`` is true, ``True`` is not ``1``)
    where Python raises or compares differently, so a rule kind that builds a comparison by hand
    with a wrong constant must be refused when the pack compiles, not misread by one engine.
    Raises ``ValueError`` naming the comparison.
    """
    if isinstance(cond, Compare):
        spec = FIELDS.get(cond.fact)
        if spec is None or cond.op not in OPS:
            raise ValueError(f"not a comparison of a visit fact: {cond!r}")
        values = cond.value if cond.op in ("in", "not_in") else (cond.value,)
        if cond.op in ("in", "not_in") and not isinstance(cond.value, tuple):
            raise ValueError(f"'{cond.op}' needs a tuple of values: {cond!r}")
        if spec.type != "int" and cond.op in ("lt", "le", "gt", "ge"):
            raise ValueError(f"'{cond.fact}' cannot be compared with '{cond.op}': {cond!r}")
        for v in values:
            if spec.type == "enum":
                ok = isinstance(v, str) and (v in enum_values(spec) or v == "unknown")
            else:  # bool facts hold 1/0/-1; exactly int, since True is not 1 to durable-rules
                ok = type(v) is int and (abs(v) <= LARGEST if spec.type == "int" else v in (1, 0, UNKNOWN))
            if not ok:
                raise ValueError(f"{v!r} is not a value '{cond.fact}' can hold: {cond!r}")
        return cond
    if isinstance(cond, Not):
        checked(cond.item)
        return cond
    if isinstance(cond, (All, AnyOf)):
        for item in cond.items:
            checked(item)
        return cond
    raise TypeError(f"not a condition: {cond!r}")


def facts_used(cond: Condition) -> set[str]:
    if isinstance(cond, Compare):
        return {cond.fact}
    if isinstance(cond, Not):
        return facts_used(cond.item)
    out: set[str] = set()
    for i in cond.items:
        out |= facts_used(i)
    return out


_SYMBOLS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


def describe(cond: Condition, nested: bool = False) -> str:
    """``cond`` in the pack's own terms on one line: ``staff_count < 2 and first_visit != true``, as
    ``policyengine show --format json`` gives it for programs (people get :func:`plain`). Values are
    shown as a pack writes them (true/false/unknown for yes/no facts), not as encoded."""
    if isinstance(cond, Compare):
        spec = FIELDS.get(cond.fact)
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        shown = [
            ("true", "false", "unknown")[(1, 0, UNKNOWN).index(v)] if spec is not None and spec.type == "bool" and v in (1, 0, UNKNOWN) else str(v)
            for v in values
        ]
        return f"{cond.fact} {_SYMBOLS[cond.op]} " + (f"[{', '.join(shown)}]" if isinstance(cond.value, tuple) else shown[0])
    if isinstance(cond, Not):
        return f"not ({describe(cond.item)})"
    if cond == TRUE:
        return "always"
    if cond == FALSE:
        return "never"
    text = (" and " if isinstance(cond, All) else " or ").join(describe(i, True) for i in cond.items)
    return f"({text})" if nested else text


# -- in words, for people -------------------------------------------------------------------------
#
# A policy lead reads "the visit starts at or after 18:00", not "start_minute >= 1080". The facts
# below have wording of their own; any other fact (one added later, or by a plugin) is put into words
# from its declared name and description, so a condition over it still reads sensibly.


@dataclass(frozen=True)
class Wording:
    """How one fact is put into words.

    * yes/no facts: ``yes`` and ``no``, the clause when the fact is true and when it is false.
    * word facts: ``subject`` and ``subject_not`` before the value's words (``values``), as in "the
      meeting is" "upstairs"; or ``clauses``, one whole clause per value.
    * numbers: ``subject`` before a comparison; ``number`` is "time" (minutes after midnight: "after
      16:00"), "amount" ("more than 20 minutes", with ``unit``) or "count" ("fewer than 2 staff go",
      with ``nouns``, singular and plural); ``least`` is the lowest value it holds when known.
    * ``unknown``: the clause for "not known", for facts that can be; "" when the fact is always known.
    """

    yes: str = ""
    no: str = ""
    subject: str = ""
    subject_not: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    clauses: Mapping[str, str] = field(default_factory=dict)
    number: str = ""
    unit: str = ""
    nouns: tuple[str, str] = ("", "")
    least: int = 0
    unknown: str = ""
    known: str = ""  # the clause for "known", where it is not ``unknown`` with "not known" made "known"


def _approver(a: str) -> str:
    return {"dsl": "the DSL", "deputy_dsl": "a deputy DSL", "slt": "the SLT"}.get(a, "the " + a.replace("_", " "))


_ROLE_NOUNS = {
    "pastoral": ("member of the pastoral team", "members of the pastoral team"),
    "dsl": ("DSL", "DSLs"),
    "deputy_dsl": ("deputy DSL", "deputy DSLs"),
    "office": ("member of the office staff", "members of the office staff"),
    "other": ("member of staff in another role", "members of staff in other roles"),
}
_PURPOSE_WORDS = {
    "welfare_check": "a welfare check", "parent_meeting": "a parent meeting", "work_drop_off": "dropping off work",
    "long_absence_contact": "contact during a long absence", "other": "another purpose",
}


def _yes_no(yes: str, no: str) -> Wording:
    return Wording(yes=yes, no=no)


WORDING: dict[str, Wording] = {
    "purpose": Wording(subject="the visit is for", subject_not="the visit is not for", values=_PURPOSE_WORDS),
    "urgency": Wording(subject="the visit is", subject_not="the visit is not", values={"emergency": "an emergency"}),
    "first_visit": _yes_no("it is a first visit to this address", "it is not a first visit to this address"),
    "duration_minutes": Wording(subject="the visit lasts", number="amount", unit="minutes", least=1,
                                unknown="its length is not known"),
    "start_minute": Wording(subject="the visit starts", number="time"),
    "end_minute": Wording(subject="the visit ends", number="time", least=1, unknown="its length is not known"),
    "weekday": Wording(subject="the visit is on a", subject_not="the visit is not on a",
                       values={d: d.capitalize() for d in WEEKDAYS}),
    "weekend": _yes_no("the visit starts at a weekend", "the visit does not start at a weekend"),
    "bank_holiday": _yes_no("the visit starts on a bank holiday", "the visit does not start on a bank holiday"),
    "in_school_day": _yes_no("the visit is within the school day", "the visit is not within the school day"),
    "in_office_hours": _yes_no("the visit is within office hours", "the visit is not within office hours"),
    "evening": _yes_no("the visit starts in the evening or at night", "the visit does not start in the evening or at night"),
    "staff_count": Wording(number="count", nouns=("member of staff", "staff"), least=1),
    "trained_count": Wording(number="count", nouns=("member of staff trained in home visiting",
                                                    "members of staff trained in home visiting")),
    "all_trained": _yes_no("everyone going is trained in home visiting", "not everyone going is trained in home visiting"),
    "lowest_dbs": Wording(subject="the lowest DBS check of those going is", subject_not="the lowest DBS check of those going is not",
                          values={"none": "none", "enhanced_barred": "enhanced with a barred list check"},
                          unknown="someone's DBS check is not known"),
    "all_have_phone": _yes_no("everyone going carries a school phone", "not everyone going carries a school phone"),
    "all_have_mobile": _yes_no("everyone going carries a charged mobile phone", "not everyone going carries a charged mobile phone"),
    "all_have_id_badge": _yes_no("everyone going carries school identification", "not everyone going carries school identification"),
    **{f"role_{r}": Wording(number="count", nouns=_ROLE_NOUNS.get(r, (r.replace("_", " "), r.replace("_", " ") + "s")))
       for r in STAFF_ROLES},
    **{f"approved_by_{a}": _yes_no(f"{_approver(a)} has approved it", f"{_approver(a)} has not approved it")
       for a in APPROVERS},
    "lone_visit_approved_by": Wording(subject="a lone visit was agreed by", subject_not="a lone visit was not agreed by",
                                      values={**{a: _approver(a) for a in APPROVERS}, "none": "nobody"},
                                      unknown="it is not known who agreed a lone visit"),
    "parents_informed": _yes_no("the parents were told and agreed the time", "the parents were not told or did not agree the time"),
    "risk_assessment": Wording(subject="the risk assessment is", subject_not="the risk assessment is not",
                               values={"none": "not done"}, unknown="it is not known whether a risk assessment was done"),
    "visit_plan_lodged": _yes_no("the visit plan is left with the office", "the visit plan is not left with the office"),
    "check_in_interval": Wording(subject="check-ins with the office are", number="amount", unit="minutes apart", least=1,
                                 unknown="no check-in interval is agreed", known="a check-in interval is agreed"),
    "code_word_agreed": _yes_no("a code word is agreed", "no code word is agreed"),
    "out_of_hours_justified": _yes_no("a justification is recorded", "no justification is recorded"),
    "responsible_contact": _yes_no("a responsible contact will check on staff", "no responsible contact will check on staff"),
    "animals": Wording(clauses={"present": "there are animals in the household", "none": "there are no animals in the household"},
                       unknown="it is not known whether there are animals"),
    "known_risks": _yes_no("risks to staff are known or suspected", "no risks to staff are known or suspected"),
    "contagious_illness": _yes_no("someone in the household has a contagious illness",
                                  "no one in the household has a contagious illness"),
    "arrived": _yes_no("staff are at the door", "staff are not yet at the door"),
    "parents_present": _yes_no("the parents are there", "the parents are not there"),
    "minutes_waited": Wording(subject="staff have waited", number="amount", unit="minutes",
                              unknown="how long staff have waited is not known"),
    "responsible_adult_present": _yes_no("a responsible adult is present", "no responsible adult is present"),
    "invited_in_by": Wording(subject="staff were invited in by", subject_not="staff were not invited in by",
                             values={"responsible_adult": "a responsible adult", "child": "a child"},
                             unknown="it is not known who invited staff in"),
    "animals_secured": _yes_no("the animals are shut away", "the animals are not shut away"),
    "animal_request_refused": _yes_no("the household refuses (or cannot) shut the animals away",
                                      "the household has not refused to shut the animals away"),
    "occupant_concern": _yes_no("the person at the door gives cause for concern", "the person at the door gives no cause for concern"),
    "staff_feel_unsafe": _yes_no("staff feel unsafe", "staff do not feel unsafe"),
    "meeting_room": Wording(subject="the meeting is", subject_not="the meeting is not",
                            values={"doorstep": "on the doorstep", "ground_floor": "on the ground floor",
                                    "child_bedroom": "in a child's bedroom"},
                            unknown="it is not known where the meeting is"),
    "upstairs_escort": _yes_no("a responsible adult goes upstairs with staff", "no responsible adult goes upstairs with staff"),
}


def wording(name: str) -> Wording:
    """The wording of fact ``name``: its own, or one made from its declared type and description."""
    found = WORDING.get(name)
    if found is not None:
        return found
    spec = FIELDS.get(name)
    words = name.replace("_", " ")
    if spec is None or spec.type == "enum":
        unknown = "" if spec is not None and "unknown" not in enum_values(spec) else f"{words} is not known"
        return Wording(subject=f"{words} is", subject_not=f"{words} is not", unknown=unknown)
    if spec.type == "bool":
        return Wording(yes=spec.description, no=f"it is not so that {spec.description}")
    # A number: -1 stands for "not known" where the description says so.
    maybe_unknown = "-1" in spec.description or "not known" in spec.description
    return Wording(subject=f"{words} is", number="amount", unknown=f"{words} is not known" if maybe_unknown else "")


def _join(items: list[str], last: str = "or") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _clock(minute: int) -> str:
    text = f"{minute // 60 % 24:02d}:{minute % 60:02d}"
    return text if minute < 24 * 60 else f"{text} the next day"


_KNOWN, _ALWAYS, _NEVER = "known", "always", "never"


def _known_words(w: Wording) -> str:
    return w.known or w.unknown.replace("not known", "known")


def _leaf_words(c: Compare) -> tuple[str, str, bool]:
    """``(subject, predicate, or_unknown)``: the comparison in words, to be read as ``subject
    predicate`` (either may be empty), and whether "or it is not known" must follow."""
    spec = FIELDS.get(c.fact)
    w = wording(c.fact)
    test = _PY_OPS[c.op]
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    kind = "bool" if w.yes else (spec.type if spec is not None else "enum")
    if kind == "bool":
        holds = {v for v in (1, 0, UNKNOWN) if test(v, c.value)}
        said = {frozenset({1}): (w.yes, False), frozenset({0}): (w.no, False),
                frozenset({1, UNKNOWN}): (w.yes, True), frozenset({0, UNKNOWN}): (w.no, True),
                frozenset({UNKNOWN}): (f"it is not known whether {w.yes}", False),
                frozenset({1, 0}): (f"it is known whether {w.yes}", False),
                frozenset(): (_NEVER, False), frozenset({1, 0, UNKNOWN}): (_ALWAYS, False)}[frozenset(holds)]
        return "", said[0], said[1]
    if kind == "int" or w.number:
        return _number_words(c, w, test, values)
    every = list(enum_values(spec)) if spec is not None else [*values, "unknown"]
    known = [v for v in every if v != "unknown"]
    yes = [v for v in known if test(v, c.value)]
    unknown = "unknown" in every and test("unknown", c.value)
    if not yes:
        return "", (w.unknown or f"{c.fact.replace('_', ' ')} is not known") if unknown else _NEVER, False
    if len(yes) == len(known):
        return "", _ALWAYS if unknown or "unknown" not in every else _known_words(w) or _ALWAYS, False
    if w.clauses:
        return "", _join([w.clauses.get(v, v.replace("_", " ")) for v in yes]), unknown
    no = [v for v in known if v not in yes]

    def words(vs: list[str]) -> str:
        return _join([w.values.get(v, v.replace("_", " ")) for v in vs])

    # Negative words ("the meeting is not on the doorstep") would take in "not known" too: they are
    # used only where it does, or the fact is always known, and they are shorter.
    if len(yes) <= len(no) or ("unknown" in every and not unknown):
        return w.subject, words(yes), unknown
    return w.subject_not, words(no), unknown


_TIME = {"lt": "before {}", "le": "at or before {}", "gt": "after {}", "ge": "at or after {}", "eq": "at {}",
         "ne": "at any time but {}", "in": "at {}", "not_in": "at any time but {}"}
_AMOUNT = {"lt": "less than {}", "le": "at most {}", "gt": "more than {}", "ge": "at least {}", "eq": "exactly {}",
           "ne": "other than {}", "in": "exactly {}", "not_in": "other than {}"}
_COUNT = {"lt": "fewer than {}", "le": "at most {}", "gt": "more than {}", "ge": "at least {}", "eq": "exactly {}",
          "ne": "other than {}", "in": "exactly {}", "not_in": "other than {}"}


def _number_words(c: Compare, w: Wording, test: Callable[[Any, Any], bool], values: tuple[Any, ...]) -> tuple[str, str, bool]:
    # The comparison is constant between these points, so they settle whether every known value,
    # or none, meets it.
    points = {w.least, 10**7} | {v + d for v in values for d in (-1, 0, 1) if v + d >= w.least}
    meets = [test(p, c.value) for p in points if p <= 10**7]
    unknown = bool(w.unknown) and test(UNKNOWN, c.value)
    if not any(meets):
        return "", w.unknown if unknown else _NEVER, False
    if all(meets):
        return "", _ALWAYS if unknown or not w.unknown else _known_words(w), False
    shown = [v for v in values if v != UNKNOWN]
    if w.number == "time":
        return w.subject, _TIME[c.op].format(_join([_clock(v) for v in shown])), unknown
    if w.number == "count":
        one, many = w.nouns
        if all(test(p, c.value) == (p == 0) for p in points):
            return "", f"no {one} goes", unknown
        if all(test(p, c.value) == (p >= 1) for p in points):
            return "", f"at least one {one} goes", unknown
        amount = _COUNT[c.op].format(_join([str(v) for v in shown]))
        return "", f"{amount} {one if shown == [1] and c.op in ('eq', 'in') else many} go{'es' if shown == [1] and c.op in ('eq', 'in') else ''}", unknown
    unit = f" {w.unit}" if w.unit else ""
    return w.subject, _AMOUNT[c.op].format(_join([str(v) for v in shown])) + unit, unknown


def _phrase(subject: str, predicate: str, or_unknown: bool) -> str:
    text = f"{subject} {predicate}" if subject else predicate
    return text + (" (or it is not known)" if or_unknown else "")


def plain(cond: Condition) -> str:
    """``cond`` in words for people: "the visit starts at or after 18:00 or before 06:00 and the DSL
    has not approved it (or it is not known)". Comparisons of one fact side by side share their
    subject; an inner group reads "either ... or ..." or "both ... and ...", deeper ones are bracketed.
    """
    return _plain(normalise(cond), 0)


def _plain(cond: Normal, depth: int) -> str:
    if isinstance(cond, Compare):
        return _phrase(*_leaf_words(cond))
    if cond == TRUE:
        return _ALWAYS
    if cond == FALSE:
        return _NEVER
    joiner = " and " if isinstance(cond, All) else " or "
    parts: list[str] = []
    grouped = False  # an inner group is set off by commas: "either A or B, and C"
    shared: Optional[tuple[str, str]] = None  # (fact, subject) of the phrase that parts[-1] is
    for item in cond.items:
        if isinstance(item, Compare):
            subject, predicate, unknown = _leaf_words(item)
            if subject and not unknown and shared == (item.fact, subject):
                parts[-1] += joiner + predicate
                continue
            parts.append(_phrase(subject, predicate, unknown))
            shared = (item.fact, subject) if subject and not unknown else None
        else:
            inner = _plain(item, depth + 1)
            parts.append(inner)
            grouped = grouped or inner.startswith(("either ", "both ", "all of: ", "("))
            shared = None
    text = ("," + joiner if grouped and depth == 0 else joiner).join(parts)
    if depth == 0 or len(parts) == 1:
        return text
    if depth == 1:
        if isinstance(cond, AnyOf):
            return "either " + text
        return ("both " if len(parts) == 2 else "all of: ") + text
    return f"({text})"

# -- the YAML form (pydantic) ---------------------------------------------------------------------

Scalar = Union[bool, int, str, None]


class FactTest(BaseModel):
    """Compare one fact of the visit with a value: ``{fact: staff_count, lt: 2}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    fact: Annotated[str, WithJsonSchema({"type": "string", "enum": list(FIELDS)})] = Field(
        description="a visit fact; see `policyengine facts` for the list"
    )
    eq: Optional[Scalar] = None
    ne: Optional[Scalar] = None
    lt: Optional[StrictInt] = None
    le: Optional[StrictInt] = None
    gt: Optional[StrictInt] = None
    ge: Optional[StrictInt] = None
    in_: Optional[list[Scalar]] = Field(None, alias="in")
    not_in: Optional[list[Scalar]] = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        spec = FIELDS.get(self.fact)
        if spec is None:
            raise ValueError(f"unknown fact '{self.fact}'{did_you_mean(self.fact, FIELDS)}")
        given = [op for op in OPS if op in self.model_fields_set or (op == "in" and "in_" in self.model_fields_set)]
        if len(given) != 1:
            raise ValueError(f"give exactly one comparison ({', '.join(OPS)}) for fact '{self.fact}'")
        op = given[0]
        value = self.in_ if op == "in" else getattr(self, op)
        values: list[Any]
        if op not in ("in", "not_in"):
            values = [value]
        elif value is None:  # `in: null` would otherwise be a TypeError, not a message
            raise ValueError(f"'{op}' needs a list of values for fact '{self.fact}'")
        else:
            values = value
        for v in values:
            _check_value(spec, op, v)
        return self

    def compile(self) -> Condition:
        for op in OPS:
            attr = "in_" if op == "in" else op
            if attr in self.model_fields_set:
                return fact(self.fact, op, getattr(self, attr))
        raise AssertionError("validated FactTest without a comparison")


def _check_value(spec: FactField, op: str, v: Any) -> None:
    if spec.type == "bool":
        if op not in ("eq", "ne", "in", "not_in"):
            raise ValueError(f"'{spec.name}' is true/false: compare it with eq or ne")
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"'{spec.name}' is true/false (or null for not known), not {v!r}")
    elif spec.type == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"'{spec.name}' is a whole number, not {v!r}")
        if abs(v) > LARGEST:
            raise ValueError(f"'{spec.name}' is compared with {v}; a number in a condition must be between -{LARGEST:,} and {LARGEST:,}")
    else:
        if op not in ("eq", "ne", "in", "not_in"):
            raise ValueError(f"'{spec.name}' is one of a list of words: compare it with eq, ne, in or not_in")
        if v is not None and v not in enum_values(spec):
            raise ValueError(f"'{spec.name}' cannot be {v!r}; it is one of: {', '.join(enum_values(spec))}")


class AllTest(BaseModel):
    """Every one of the listed conditions holds."""

    model_config = ConfigDict(extra="forbid")
    all: list[ConditionSpec] = Field(min_length=1)

    def compile(self) -> Condition:
        return all_of(*(c.compile() for c in self.all))


class AnyTest(BaseModel):
    """At least one of the listed conditions holds."""

    model_config = ConfigDict(extra="forbid")
    any: list[ConditionSpec] = Field(min_length=1)

    def compile(self) -> Condition:
        return any_of(*(c.compile() for c in self.any))


class NotTest(BaseModel):
    """The condition does not hold."""

    model_config = ConfigDict(extra="forbid")
    not_: ConditionSpec = Field(alias="not")

    def compile(self) -> Condition:
        return Not(self.not_.compile())


def _which(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("all", "any", "not", "fact"):
            if key in value:
                return key
        return None
    if isinstance(value, BaseModel):
        return {AllTest: "all", AnyTest: "any", NotTest: "not", FactTest: "fact"}.get(type(value))
    return None


ConditionSpec = Annotated[
    Union[
        Annotated[AllTest, Tag("all")],
        Annotated[AnyTest, Tag("any")],
        Annotated[NotTest, Tag("not")],
        Annotated[FactTest, Tag("fact")],
    ],
    Discriminator(_which, custom_error_type="condition_form", custom_error_message="a condition is a mapping with one of: fact, all, any, not"),
]

AllTest.model_rebuild()
AnyTest.model_rebuild()
NotTest.model_rebuild()
