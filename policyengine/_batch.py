"""Deciding many visits at once: ``check_many``."""

from __future__ import annotations

from datetime import date
from typing import Iterable, Optional

from ._decide import VisitLike, _engines, _school_for, build_decision, parse_visit, visit_digest
from ._errors import DecisionError, InputError, PolicyEngineError, Problem
from ._facts import flatten
from ._models import Decision, Visit
from ._pack import load_pack

#: Facts per durable-rules ``assert_facts`` call in bulk work: measured about 10% faster per visit
#: than one fact at a time from 10 upwards (benchmarks/bench.py); firings are attributed to their
#: visit by the fact's ``check_ref``.
DURABLE_BATCH = 100


def check_many(
    visits: Iterable[VisitLike],
    school: Optional[str] = None,
    engine: str = "durable",
    *,
    registry=None,
    today: Optional[date] = None,
    share_visit: bool = False,
) -> list[Decision]:
    """Decide every visit; the decisions come back in the order of ``visits``.

    Each decision is exactly what :func:`check` gives for that visit. ``school`` applies to every
    visit; when it is omitted, each visit's own ``school`` field chooses its pack, so one call may
    span several schools.

    All or nothing: every visit is validated (and its school looked up) before any is decided. If
    any is bad, :class:`InputError` is raised with one problem per bad visit, its file named
    ``visits[INDEX]`` (counting from 0), and no decisions are returned, so a bad visit is never
    silently dropped. To skip bad visits and go on (as ``policyengine audit`` does), validate each
    with :func:`parse_visit` first and pass only the good ones. :class:`DecisionError` is raised if
    anything goes wrong inside the engine.

    Decision listeners are told of every decision, as by :func:`check` (``share_visit`` likewise);
    if any listener fails, :class:`PluginError` is raised once every decision has been told.
    """
    from ._plugins import default_registry

    registry = registry or default_registry()
    parsed: list[Visit] = []
    schools: list[str] = []
    problems: list[Problem] = []
    for index, raw in enumerate(visits):
        where = f"visits[{index}]"
        try:
            visit = parse_visit(raw, file=where, registry=registry)
            name = _school_for(visit, school)
        except InputError as exc:
            problems.extend(_located(p, where) for p in exc.problems)
            continue
        parsed.append(visit)
        schools.append(name)
    packs = {}
    for index, name in enumerate(schools):
        if name not in packs:
            try:
                packs[name] = load_pack(name, registry=registry)
            except InputError as exc:
                packs[name] = exc
        if isinstance(packs[name], InputError):
            problems.extend(_located(p, f"visits[{index}]") for p in packs[name].problems)
    if problems:
        raise InputError(problems)

    today = today or date.today()
    decisions: list[Optional[Decision]] = [None] * len(parsed)
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(schools):
        groups.setdefault(name, []).append(index)
    for name, indexes in groups.items():
        pack = packs[name]
        runner = _engines.get(pack, engine)
        try:
            facts = [flatten(parsed[i], runner.compiled.clock) for i in indexes]
            if runner.name == "durable":
                fired = runner.fired_many(facts, batch=DURABLE_BATCH)
            else:
                fired = runner.fired_many(facts)
            if len(fired) != len(indexes):
                raise DecisionError("the engine returned a different number of results than visits given")
            for i, rules in zip(indexes, fired):
                decisions[i] = build_decision(runner.compiled, parsed[i], sorted(rules), today)
        except PolicyEngineError:
            raise
        except Exception as exc:  # fail closed: an internal error is an error, never a decision
            raise DecisionError(f"internal error while deciding: {exc!r}") from exc
    if registry.has_listeners():
        from ._models import VisitSummary

        registry.decisions_made(
            (decision, visit if share_visit else VisitSummary(school=decision.school, purpose=visit.purpose, digest=visit_digest(visit)))
            for visit, decision in zip(parsed, decisions)
        )
    return decisions  # type: ignore[return-value]


def _located(problem: Problem, where: str) -> Problem:
    """``problem`` said of the visit at ``where`` (its index), keeping any line and field."""
    if problem.file.startswith("visits["):
        return problem
    message = problem.message
    if problem.field and problem.field not in message:
        message = f"{problem.field}: {message}"
    return Problem(where, problem.line, problem.column, message, field=problem.field)
