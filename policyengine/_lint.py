"""Lint rule packs: everything ``check`` would refuse, plus what a careful reviewer would flag.

Errors come from the same loading path ``check`` uses (:func:`policyengine._pack.parse_pack`), so
whatever lint reports as an error is what ``check`` would refuse. On top of that lint reports quotes
not found in the policy text, a review date in the past, rules that can never fire and rules that
are always shadowed by another rule with the same outcome (both proven from the condition form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from ._conditions import FALSE, All, AnyOf, Compare, Condition, all_of, negate, normalise
from ._errors import InputError, Problem
from ._facts import FIELDS, UNKNOWN, enum_values
from ._pack import PackBase, parse_pack
from ._quotes import quote_in
from ._yaml import Loaded, loads


class Unreadable(InputError):
    """A file lint cannot read at all (missing, a directory, not UTF-8): exit status 2."""


def read_text(path: str | Path) -> str:
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise Unreadable(Problem(str(path), None, None, "file not found")) from None
    except IsADirectoryError:
        raise Unreadable(Problem(str(path), None, None, "is a directory, not a file")) from None
    except UnicodeDecodeError as exc:
        raise Unreadable(Problem(str(path), None, None, f"not UTF-8 text (byte {exc.start})")) from None
    except OSError as exc:
        raise Unreadable(Problem(str(path), None, None, f"cannot read the file: {exc.strerror}")) from None


def lint_file(
    path: str | Path,
    source: Optional[str] = None,
    today: Optional[date] = None,
    registry=None,
) -> list[Problem]:
    """Every problem in the pack at ``path``. ``source`` is the policy text its quotes must be in
    (default: the pack's own ``source`` file, where it has one). Raises :class:`Unreadable`."""
    name = str(path)
    text = read_text(path)
    if not text.strip():
        return [Problem(name, 1, 1, "the file is empty", severity="error")]
    try:
        loaded = loads(text, name)
    except InputError as exc:
        return [_as(p, "error") for p in exc.problems]
    return lint_loaded(loaded, source, today, registry, Path(path).parent)


def lint_loaded(
    loaded: Loaded,
    source: Optional[str] = None,
    today: Optional[date] = None,
    registry=None,
    folder: Optional[Path] = None,
) -> list[Problem]:
    """Every problem in a pack already read (a file's YAML, or the data a plugin gave for a pack).
    ``folder`` is where to look for the pack's own ``source`` file."""
    try:
        pack = parse_pack(loaded, registry)
    except InputError as exc:
        return [_as(p, "error") for p in exc.problems]
    if source is None and folder is not None:
        source = _own_source(pack, folder)
    return lint_pack(pack, loaded, source, today or date.today())


def _own_source(pack: PackBase, folder: Path) -> Optional[str]:
    if not pack.source:
        return None
    for candidate in (folder / "sources" / pack.source, folder / pack.source):
        if candidate.is_file():
            return read_text(candidate)
    return None


def _as(problem: Problem, severity: str) -> Problem:
    return Problem(problem.file, problem.line, problem.column, problem.message, problem.field, severity)


def lint_pack(pack: PackBase, loaded: Loaded, source: Optional[str], today: date) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple, severity: str, message: str) -> None:
        line, col = loaded.position(path)
        problems.append(Problem(loaded.file, line, col, message, field=_dotted(path), severity=severity))

    own = len(loaded.data.get("rules") or [])
    rules = list(pack.rules)[:own]  # inherited rules are linted in their own pack
    if source is not None:
        for i, rule in enumerate(rules):
            if not quote_in(rule.citation.quote, source):
                add(("rules", i, "citation", "quote"), "error",
                    f"rule '{rule.id}': the quote is not in the policy text; copy the policy's exact words")
        for i, entry in enumerate(pack.catalogue):
            if not quote_in(entry.quote, source):
                add(("catalogue", i, "quote"), "error", "catalogue quote is not in the policy text; copy the policy's exact words")
        if pack.review_due_text and not quote_in(pack.review_due_text, source):
            add(("review_due_text",), "error", "review_due_text is not in the policy text; copy the document's words")
    if pack.review_due is not None and pack.review_due < today:
        add(("review_due",), "warning",
            f"the policy was due for review on {pack.review_due.isoformat()}; decisions carry a reminder until it is reviewed")

    clock = pack.clock
    conditions = [normalise(r.condition(clock)) for r in pack.rules]
    for i, rule in enumerate(rules):
        if not satisfiable(conditions[i]):
            add(("rules", i), "error", f"rule '{rule.id}' can never fire: no visit meets its condition")
            continue
        for j, other in enumerate(pack.rules):
            if i == j or other.outcome != rule.outcome or not satisfiable(conditions[j]):
                continue
            if implies(conditions[i], conditions[j]) and (not implies(conditions[j], conditions[i]) or j < i):
                add(("rules", i), "warning",
                    f"rule '{rule.id}' is always shadowed: whenever it fires, rule '{other.id}' fires too with the "
                    f"same outcome ({rule.outcome}), so it never changes a decision")
                break
        if rule.kind == "condition" and rule.outcome == "conditional" and not rule.conditions and rule.remedy is None:
            add(("rules", i), "warning", f"rule '{rule.id}' is conditional but says no conditions; list what must be done first")
    return problems


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


# -- satisfiability over the condition form -------------------------------------------------------
# Each fact is checked against its own domain; facts are treated as independent, so "unsatisfiable"
# is always true when reported (a sound check), though some impossible combinations go unnoticed.

_MAX_TERMS = 512


def _dnf(cond: Condition) -> Optional[list[list[Compare]]]:
    """Disjunctive normal form of a normalised condition, or None when it grows too large."""
    if isinstance(cond, Compare):
        return [[cond]]
    if isinstance(cond, AnyOf):
        out: list = []
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


_INT_RANGES = {
    "start_minute": (0, 1439),
    "staff_count": (1, 10**6),
    "check_in_interval": (UNKNOWN, 10**6),
    "duration_minutes": (UNKNOWN, 10**6),
    "minutes_waited": (UNKNOWN, 10**6),
    "end_minute": (UNKNOWN, 10**7),
}


def _domain(name: str):
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
        lo, hi = _INT_RANGES.get(name, (0, 10**6))
        # -1 means not known; a known interval or duration is at least 1.
        excluded: set = {0} if name in ("check_in_interval", "duration_minutes") else set()
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


def _holds(c: Compare, v) -> bool:
    if c.op == "eq":
        return v == c.value
    if c.op == "ne":
        return v != c.value
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


def implies(a: Condition, b: Condition) -> bool:
    """True only when every visit meeting ``a`` also meets ``b`` (proven)."""
    return not satisfiable(all_of(a, negate(b)))
