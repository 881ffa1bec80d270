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
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictInt, Tag, WithJsonSchema, model_validator

from ._facts import CHECK_ID, FIELDS, UNKNOWN, enum_values

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
    items: tuple = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple = ()


@dataclass(frozen=True)
class Not:
    item: Any


TRUE = All(())
FALSE = AnyOf(())
Condition = Union[Compare, All, AnyOf, Not]


def all_of(*items: Condition) -> Condition:
    """``All`` of ``items``, folding constants and nested ``All``s."""
    flat: list = []
    for item in items:
        if item == TRUE:
            continue
        if item == FALSE:
            return FALSE
        flat.extend(item.items if isinstance(item, All) else (item,))
    return flat[0] if len(flat) == 1 else All(tuple(flat))


def any_of(*items: Condition) -> Condition:
    """``AnyOf`` of ``items``, folding constants and nested ``AnyOf``s."""
    flat: list = []
    for item in items:
        if item == FALSE:
            continue
        if item == TRUE:
            return TRUE
        flat.extend(item.items if isinstance(item, AnyOf) else (item,))
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def not_(item: Condition) -> Condition:
    return negate(item)


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


def negate(cond: Condition) -> Condition:
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


def normalise(cond: Condition) -> Condition:
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

_PY_OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


def evaluate(cond: Condition, fact_: dict) -> bool:
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


def compile_python(cond: Condition):
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
        return lambda f: all(p(f) for p in parts)
    return lambda f: any(p(f) for p in parts)


# -- compilation to durable-rules -----------------------------------------------------------------

_DR_OPS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def to_durable(cond: Condition) -> dict:
    """durable-rules' JSON form of ``cond`` (one ``m`` expression)."""
    cond = normalise(cond)
    if cond == TRUE:
        return {"$ex": {CHECK_ID: 1}}
    if cond == FALSE:
        return {"$nex": {CHECK_ID: 1}}
    if isinstance(cond, Compare):
        if cond.op == "eq":
            return {cond.fact: cond.value}
        if cond.op == "in":
            return to_durable(any_of(*(Compare(cond.fact, "eq", v) for v in cond.value)) if cond.value else FALSE)
        if cond.op == "not_in":
            return to_durable(all_of(*(Compare(cond.fact, "ne", v) for v in cond.value)) if cond.value else TRUE)
        return {_DR_OPS[cond.op]: {cond.fact: cond.value}}
    key = "$and" if isinstance(cond, All) else "$or"
    return {key: [to_durable(i) for i in cond.items]}


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


def _render(cond: Condition, leaf, nested: bool = False) -> str:
    """``cond`` on one line, each comparison written by ``leaf``; inner and/or groups in brackets."""
    if isinstance(cond, Compare):
        return leaf(cond)
    if isinstance(cond, Not):
        return f"not ({_render(cond.item, leaf)})"
    if cond == TRUE:
        return "always"
    if cond == FALSE:
        return "never"
    text = (" and " if isinstance(cond, All) else " or ").join(_render(i, leaf, True) for i in cond.items)
    return f"({text})" if nested else text


def _values(cond: Compare, bools: tuple[str, str, str], unknown_int: Optional[str] = None) -> list[str]:
    """The compared value(s) as written for people: yes/no facts as ``bools`` (true, false, not known)."""
    spec = FIELDS.get(cond.fact)
    values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
    out = []
    for value in values:
        if spec is not None and spec.type == "bool" and value in (1, 0, UNKNOWN):
            out.append(bools[(1, 0, UNKNOWN).index(value)])
        elif spec is not None and spec.type == "int" and value == UNKNOWN and unknown_int:
            out.append(unknown_int)
        else:
            out.append(str(value))
    return out


def describe(cond: Condition) -> str:
    """A readable one-line rendering, for ``policyengine show``: ``staff_count < 2 and first_visit != true``.

    Values are shown as a pack writes them (true/false/unknown for yes/no facts), not as encoded.
    """

    def leaf(c: Compare) -> str:
        shown = _values(c, ("true", "false", "unknown"))
        return f"{c.fact} {_SYMBOLS[c.op]} " + (f"[{', '.join(shown)}]" if isinstance(c.value, tuple) else shown[0])

    return _render(cond, leaf)


_WORDS = {"eq": "is", "ne": "is not", "lt": "is under", "le": "is at most", "gt": "is over", "ge": "is at least",
          "in": "is one of", "not_in": "is none of"}


def plain(cond: Condition) -> str:
    """``cond`` in words for people ("urgency is emergency and staff count is under 2")."""

    def leaf(c: Compare) -> str:
        shown = _values(c, ("yes", "no", "not known"), unknown_int="not known")
        return f"{c.fact.replace('_', ' ')} {_WORDS[c.op]} " + ", ".join(v.replace("_", " ") for v in shown)

    return _render(cond, leaf)


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
    def _check(self):
        spec = FIELDS.get(self.fact)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(self.fact, list(FIELDS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown fact '{self.fact}'{hint}")
        given = [op for op in OPS if op in self.model_fields_set or (op == "in" and "in_" in self.model_fields_set)]
        if len(given) != 1:
            raise ValueError(f"give exactly one comparison ({', '.join(OPS)}) for fact '{self.fact}'")
        op = given[0]
        value = self.in_ if op == "in" else getattr(self, op)
        values = value if op in ("in", "not_in") else [value]
        for v in values:
            _check_value(spec, op, v)
        return self

    def compile(self) -> Condition:
        for op in OPS:
            attr = "in_" if op == "in" else op
            if attr in self.model_fields_set:
                return fact(self.fact, op, getattr(self, attr))
        raise AssertionError("validated FactTest without a comparison")


def _check_value(spec, op: str, v: Any) -> None:
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
    all: list["ConditionSpec"] = Field(min_length=1)

    def compile(self) -> Condition:
        return all_of(*(c.compile() for c in self.all))


class AnyTest(BaseModel):
    """At least one of the listed conditions holds."""

    model_config = ConfigDict(extra="forbid")
    any: list["ConditionSpec"] = Field(min_length=1)

    def compile(self) -> Condition:
        return any_of(*(c.compile() for c in self.any))


class NotTest(BaseModel):
    """The condition does not hold."""

    model_config = ConfigDict(extra="forbid")
    not_: "ConditionSpec" = Field(alias="not")

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
