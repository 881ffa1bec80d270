"""Run the example visits a pack ships with, against the decisions they must get."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from ._errors import InputError
from ._patch import merge_patch
from ._policy import policy
from ._quotes import fold
from ._visits import parse_visit
from ._yaml import Loaded
from .engines.base import available_engines
from .models import Decision, Outcome
from .packs.load import PackBase


@dataclass(frozen=True)
class ExampleFailure:
    pack: str
    file: Optional[str]
    line: Optional[int]
    name: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or self.pack)
        return f"{where}: example '{self.name}': {self.problem}"


def example_visit(pack: PackBase, index: int) -> dict[str, Any]:
    example = pack.examples[index]
    visit: dict[str, Any] = merge_patch(pack.example_base or {}, example.visit)
    return visit


@dataclass(frozen=True)
class ExampleResult:
    """One example run: the decision it got (``None`` when its visit is not valid) and what is wrong."""

    name: str
    line: Optional[int]
    expect: Outcome
    decision: Optional[Decision]
    failures: tuple[ExampleFailure, ...]


def example_results(pack: PackBase, engines: Optional[tuple[str, ...]] = None, today: Optional[date] = None) -> list[ExampleResult]:
    """Run every example of ``pack`` on each engine (by default every engine available here: both,
    or the python one where durable-rules does not import): each example's decision and its failures."""
    engines = engines or available_engines()
    results: list[ExampleResult] = []
    loaded: Optional[Loaded] = pack._loaded
    for index, example in enumerate(pack.examples):
        line = loaded.position(("examples", index))[0] if loaded else None
        failures: list[ExampleFailure] = []

        def fail(problem: str) -> None:  # called only in this iteration, by _check_example below
            failures.append(ExampleFailure(pack.id, pack.file, line, example.name, problem))  # noqa: B023

        first = _check_example(pack, index, engines, today, fail)
        results.append(ExampleResult(example.name, line, example.expect, first, tuple(failures)))
    return results


def run_examples(pack: PackBase, engines: Optional[tuple[str, ...]] = None, today: Optional[date] = None) -> tuple[int, list[ExampleFailure]]:
    """Run every example of ``pack`` on each engine; return (examples run, failures)."""
    results = example_results(pack, engines, today)
    return len(results), [f for r in results for f in r.failures]


def _check_example(
    pack: PackBase, index: int, engines: Sequence[str], today: Optional[date], fail: Callable[[str], None]
) -> Optional[Decision]:
    """Decide example ``index`` on each engine, calling ``fail`` for each problem; the decision."""
    example = pack.examples[index]
    try:
        visit = parse_visit(example_visit(pack, index), file=f"{pack.file}: example '{example.name}'")
    except InputError as exc:
        fail("the example visit is not valid: " + "; ".join(p.message for p in exc.problems))
        return None
    outcomes = {}
    for engine in engines:
        # What the rules decide: an overdue review's reminder depends on the date, not the pack.
        decision = policy(pack, engine=engine).decide(visit, today=today, review_reminder=False)
        outcomes[engine] = decision
    first = next(iter(outcomes.values()))
    if any(d != first for d in outcomes.values()):
        fail("the engines disagree: " + ", ".join(f"{e}={d.outcome.value}" for e, d in outcomes.items()))
        return first
    if first.outcome != example.expect:
        detail = ", ".join(f"{f.rule} ({f.outcome.value})" for f in first.findings) or "no findings"
        fail(f"expected {example.expect.value}, got {first.outcome.value} ({detail})")
    fired = {f.rule for f in first.findings}
    for rule_id in example.fires:
        if rule_id not in fired:
            fail(f"rule '{rule_id}' should fire but did not (fired: {', '.join(sorted(fired)) or 'none'})")
    if example.cites:
        want = fold(example.cites).lower()
        if not any(f.citation and want in fold(f.citation.quote).lower() for f in first.findings):
            fail(f"no finding cites words containing {example.cites!r}")
    return first
