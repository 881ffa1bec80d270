"""Proofs over the condition form: can a condition ever hold, and does one imply another?

Used to refuse rules that can never fire and to warn of rules always shadowed by another. Each fact
is checked against its own domain; facts are treated as independent, so "unsatisfiable" is always
true when reported (a sound check), though some impossible combinations go unnoticed.
"""

from __future__ import annotations

from typing import Any, Optional

from ..facts import FIELDS, UNKNOWN, WIDE_DOMAIN, enum_values
from ..plugin_facts import DECLARED, MAX_INT
from .form import FALSE, All, AnyOf, Compare, Condition, all_of, negate, normalise

_MAX_TERMS = 512


def _dnf(cond: Condition) -> Optional[list[list[Compare]]]:
    """Disjunctive normal form of a normalised condition, or None when it grows too large."""
    if isinstance(cond, Compare):
        return [[cond]]
    if isinstance(cond, AnyOf):
        out: list[Any] = []
        for item in cond.items:
            sub = _dnf(item)
            if sub is None:
                return None
            out.extend(sub)
            if len(out) > _MAX_TERMS:
                return None
        return out
    if isinstance(cond, All):
        out = [[]]
        for item in cond.items:
            sub = _dnf(item)
            if sub is None:
                return None
            out = [a + b for a in out for b in sub]
            if len(out) > _MAX_TERMS:
                return None
        return out
    raise TypeError(cond)


def _domain(name: str) -> Optional[set[int | str]]:
    spec = FIELDS[name]
    if spec.type == "bool":
        return {1, 0, UNKNOWN}
    if spec.type == "enum":
        return set(enum_values(spec))
    return None


def _term_satisfiable(term: list[Compare]) -> bool:
    by_fact: dict[str, list[Compare]] = {}
    for c in term:
        by_fact.setdefault(c.fact, []).append(c)
    for name, comps in by_fact.items():
        domain = _domain(name)
        if domain is not None:
            for c in comps:
                domain = {v for v in domain if _holds(c, v)}
            if not domain:
                return False
            continue
        # Exactly the numbers a visit can give this fact (-1: not known), as the fact declares them,
        # so "never" and "always" hold for every visit both engines can see. A plugin's whole-number
        # fact is 0 to 10**6.
        lo, hi, never = FIELDS[name].domain or ((UNKNOWN, MAX_INT, frozenset()) if name in DECLARED else WIDE_DOMAIN)
        excluded: set[Any] = set(never)
        for c in comps:
            v = c.value
            if c.op == "eq":
                lo, hi = max(lo, v), min(hi, v)
            elif c.op == "lt":
                hi = min(hi, v - 1)
            elif c.op == "le":
                hi = min(hi, v)
            elif c.op == "gt":
                lo = max(lo, v + 1)
            elif c.op == "ge":
                lo = max(lo, v)
            elif c.op == "ne":
                excluded.add(v)
            elif c.op == "in":
                vals = [x for x in v if lo <= x <= hi]
                if not vals:
                    return False
                lo, hi = min(vals), max(vals)
            elif c.op == "not_in":
                excluded |= set(v)
        if lo > hi:
            return False
        if hi - lo < 1000 and all(x in excluded for x in range(lo, hi + 1)):
            return False
    return True


def _holds(c: Compare, v: Any) -> bool:
    if c.op == "eq":
        return bool(v == c.value)
    if c.op == "ne":
        return bool(v != c.value)
    if c.op == "in":
        return v in c.value
    if c.op == "not_in":
        return v not in c.value
    return True


def satisfiable(cond: Condition) -> bool:
    """False only when no visit can meet ``cond`` (a sound check); True when one may."""
    cond = normalise(cond)
    if cond == FALSE:
        return False
    terms = _dnf(cond)
    if terms is None:
        return True
    return any(_term_satisfiable(t) for t in terms)


def always(cond: Condition) -> bool:
    """True only when every visit meets ``cond`` (proven: its negation can never hold)."""
    return not satisfiable(negate(cond))


def implies(a: Condition, b: Condition) -> bool:
    """True only when every visit meeting ``a`` also meets ``b`` (proven)."""
    return not satisfiable(all_of(a, negate(b)))
