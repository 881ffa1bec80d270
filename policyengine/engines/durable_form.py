"""How a rule's condition is laid out for durable-rules, within the hard limits of its C core.

durable-rules 2.0.28 keeps fixed-size arrays where a rule engine would grow them. Measured on this
machine (``tests/test_durable_limits.py`` holds each figure) and read in its source:

* **15 and/or operators per rule** (``MAX_SEQUENCE_EXPRESSIONS`` = 32 in ``rete.c``, two entries
  per ``$and`` or ``$or``): a rule with 16 fails to compile with error 113.
* **64 pending tests while a fact is matched** (``MAX_STACK_SIZE`` = 64 in ``handleAlpha``): the
  walk over a ruleset's network pushes every test the fact passes on a fixed stack, children before
  grandchildren, so a ruleset in which more than 64 tests can be pending at once fails with error
  303 when such a fact is asserted, even if no rule completes (64 rules of ``a = 1 and b = 1`` and a
  fact with ``a = 1, b = 0`` do it). Pending tests are at most one per rule below the shared state
  guard, plus the alternatives an ``$or`` leaves pending on the way down one rule (its *width*).
* **One firing per way a condition holds**: an ``$or`` whose alternatives both hold fires its action
  twice, so a rule of ``k`` ``any`` groups a visit meets every alternative of fires ``2**k`` times.

So the durable engine never gives durable-rules a rule or a ruleset beyond those limits:

* ``in`` and ``not_in``, and ``any`` of ``eq`` on one fact, become comparisons durable-rules needs no
  ``$or`` for where the fact's values are known (a word fact's ``in`` is "none of the other words";
  whole numbers in a run are a range);
* a condition with too many operators is cut into *pieces* (an ``any`` group distributed over the
  rest of the condition, the narrowest first, only as far as needed): the rule fires when a piece
  holds, exactly when the condition holds, and as many times;
* pieces are spread over as many rulesets as it takes, each holding at most :data:`RULESET_STACK`
  pending tests (its catch-all included), and every check asserts the visit into each.

A rule whose condition can hold in more than :data:`RULE_WAYS` ways for one visit (``any`` groups
multiply: 13 groups of two alternatives that can both hold are 8,192 ways) would make durable-rules
fire it that many times for one visit; the pack is refused when it loads, naming the rule and the
limit (:func:`limit_problem`), whichever engine is asked for, so a pack means the same on every Python.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..conditions.form import FALSE, TRUE, All, AnyOf, Compare, Condition, all_of, any_of, normalise
from ..conditions.satisfy import satisfiable
from ..facts import FIELDS, UNKNOWN, enum_values

if TYPE_CHECKING:  # for annotations only
    from ..conditions.form import Normal

#: The most ``$and``/``$or`` operators durable-rules compiles in one rule (16 fail with error 113).
MAX_OPERATORS = 15
#: The most tests that may be pending in one ruleset's match: under the 64 at which durable-rules'
#: match stack overflows (error 303), with a margin.
RULESET_STACK = 60
#: The most ways one rule's condition may hold for one visit (each is a firing); beyond it the pack
#: is refused.
RULE_WAYS = 4096


#: The engine's own bookkeeping on every fact it asserts: a number unique to each check
#: (durable-rules refuses an identical fact twice, and firings are attributed to their visit by it).
CHECK_ID = "check_ref"

_DR_OPS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def to_durable(cond: Condition) -> dict[str, Any]:
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


def _values(fact: str) -> tuple[Any, ...] | None:
    """Every value a word or yes/no fact can hold, or None for whole numbers."""
    spec = FIELDS[fact]
    if spec.type == "enum":
        return enum_values(spec)
    if spec.type == "bool":
        return (1, 0, UNKNOWN)
    return None


def _membership(fact: str, values: tuple[Any, ...], inside: bool) -> Normal:
    """``fact`` in (or not in) ``values`` as plain comparisons, with no ``$or`` where possible."""
    values = tuple(dict.fromkeys(values))
    domain = _values(fact)
    if domain is not None:
        # A word or yes/no fact holds exactly one of its values: "in" is "none of the others".
        chosen = [v for v in domain if v in values]
        others = [v for v in domain if v not in values]
        keep = chosen if inside else others
        if not keep:
            return FALSE
        if len(keep) == 1:
            return Compare(fact, "eq", keep[0])
        drop = others if inside else chosen
        return all_of(*(Compare(fact, "ne", v) for v in drop)) if drop else TRUE
    if not values:
        return FALSE if inside else TRUE
    if not inside:
        return all_of(*(Compare(fact, "ne", v) for v in values))
    ordered = sorted(values)
    if len(ordered) == 1:
        return Compare(fact, "eq", ordered[0])
    if ordered[-1] - ordered[0] == len(ordered) - 1:  # a run of whole numbers: a range
        return all_of(Compare(fact, "ge", ordered[0]), Compare(fact, "le", ordered[-1]))
    return any_of(*(Compare(fact, "eq", v) for v in ordered))


def durable_condition(cond: Condition) -> Normal:
    """``cond`` normalised, with memberships rewritten for durable-rules (see the module)."""
    cond = normalise(cond)
    if isinstance(cond, Compare):
        return _membership(cond.fact, cond.value, cond.op == "in") if cond.op in ("in", "not_in") else cond
    if isinstance(cond, All):
        return all_of(*(durable_condition(i) for i in cond.items))
    items = [durable_condition(i) for i in cond.items]
    # "any" of several values of one fact is a membership.
    by_fact: dict[str, list[Any]] = {}
    for item in items:
        if isinstance(item, Compare) and item.op == "eq":
            by_fact.setdefault(item.fact, []).append(item.value)
    merged = [item for item in items if not (isinstance(item, Compare) and item.op == "eq" and len(by_fact[item.fact]) > 1)]
    for name, values in by_fact.items():
        if len(values) > 1:
            merged.append(_membership(name, tuple(values), True))
    return any_of(*merged)


@lru_cache(maxsize=4096)
def _exclusive(items: tuple[Any, ...]) -> bool:
    """No visit meets two of ``items`` at once (proven), so at most one of them holds."""
    if len(items) > 16:  # the pairwise proof grows with the square; assume the worst
        return False
    return all(not satisfiable(all_of(a, b)) for n, a in enumerate(items) for b in items[n + 1 :])


def _ways(cond: Normal, refine: bool) -> int:
    if isinstance(cond, Compare):
        return 1
    if isinstance(cond, AnyOf):
        counts = [_ways(i, refine) for i in cond.items]
        return max(counts, default=0) if refine and _exclusive(cond.items) else sum(counts)
    n = 1
    for item in cond.items:
        n *= _ways(item, refine)
    return n


def ways(cond: Normal) -> int:
    """The most ways ``cond`` (from :func:`durable_condition`) can hold for one visit: how many
    times durable-rules can fire its rule for one fact (an upper bound). Alternatives no visit can
    meet together count once, which takes proofs: they are made only for a condition that would
    otherwise count more than :data:`RULE_WAYS`."""
    count = _ways(cond, False)
    return count if count <= RULE_WAYS else _ways(cond, True)


def _width(cond: Normal, refine: bool) -> int:
    if isinstance(cond, Compare):
        return 0
    inner = [_width(i, refine) for i in cond.items]
    if isinstance(cond, AnyOf):
        pending = 0 if refine and _exclusive(cond.items) else len(cond.items) - 1
        return pending + max(inner, default=0)
    return sum(inner)


def width(cond: Normal) -> int:
    """The most alternatives of ``cond``'s ``any`` groups that can be left pending on durable-rules'
    match stack while one way down the rule is followed (an upper bound; proven exclusive
    alternatives, which cannot be pending together, are only looked for in a wide condition)."""
    count = _width(cond, False)
    return count if count <= 8 else _width(cond, True)


def operators(cond: Normal) -> int:
    """The ``$and``/``$or`` operators of ``cond``'s durable rule (the state guard's ``$and`` included,
    which a top-level ``all`` shares)."""

    def inner(c: Normal) -> int:
        return 0 if isinstance(c, Compare) else 1 + sum(inner(i) for i in c.items)

    if isinstance(cond, All):
        return 1 + sum(inner(i) for i in cond.items)
    return 1 + inner(cond)


#: The widest piece: leaves room in its ruleset for the catch-all and other rules.
_PIECE_WIDTH = RULESET_STACK // 2


def pieces(cond: Normal) -> list[Normal]:
    """``cond`` (from :func:`durable_condition`) cut into conditions that each fit one durable rule;
    the rule holds exactly when one of them holds (and fires as often)."""
    if operators(cond) <= MAX_OPERATORS and width(cond) <= _PIECE_WIDTH:
        return [cond]
    if isinstance(cond, AnyOf):
        return [p for item in cond.items for p in pieces(item)]
    if isinstance(cond, All):
        groups = [i for i, item in enumerate(cond.items) if isinstance(item, AnyOf)]
        # Distribute the narrowest "any" over the rest: each alternative becomes a piece of its own.
        chosen = min(groups, key=lambda i: len(cond.items[i].items))
        rest = cond.items[:chosen] + cond.items[chosen + 1 :]
        return [p for alternative in cond.items[chosen].items for p in pieces(all_of(*rest, alternative))]
    return [cond]  # a single comparison always fits


def limit_problem(cond: Condition) -> str | None:
    """Why the durable engine cannot run a rule with this condition, or None when it can."""
    count = ways(durable_condition(cond))
    if count > RULE_WAYS:
        return (
            f"its condition can hold in {count:,} different ways for one visit (its 'any' groups multiply "
            f"out), more than the {RULE_WAYS:,} the durable engine allows for one rule, since it fires the "
            "rule once for each; split it into several rules"
        )
    return None
