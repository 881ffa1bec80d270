"""Scenario tables: a visit patch, the outcome it must get, and words the citation must contain.

Each school's test module lists its scenarios as a table of :class:`Scenario` and calls
:func:`parametrize`; every scenario runs on both engines and the engines must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from policyengine import check
from policyengine._quotes import fold
from tests.conftest import ENGINES_HERE

#: Decisions in scenario tests are made as of this day (before any built-in pack's review date
#: except ellesmere's, whose reminder never changes an outcome).
TODAY = date(2026, 11, 22)


@dataclass(frozen=True)
class Scenario:
    name: str
    visit: dict
    outcome: str
    cites: str | None = None  # words some finding's citation quote must contain
    fires: tuple[str, ...] = field(default_factory=tuple)  # rule ids that must be among the findings

    def __str__(self) -> str:
        return self.name


def parametrize(scenarios: list[Scenario]):
    ids = [s.name for s in scenarios]
    assert len(set(ids)) == len(ids), "scenario names must be unique"
    return pytest.mark.parametrize("scenario", scenarios, ids=ids)


def run(school: str, scenario: Scenario) -> None:
    decisions = [check(scenario.visit, school=school, engine=e, today=TODAY) for e in ENGINES_HERE]
    assert all(d == decisions[0] for d in decisions), "the engines disagree"
    d = decisions[0]
    assert d.outcome.value == scenario.outcome, (
        f"expected {scenario.outcome}, got {d.outcome.value}: " + "; ".join(f"{f.rule}={f.outcome.value}" for f in d.findings)
    )
    fired = {f.rule for f in d.findings}
    for rule_id in scenario.fires:
        assert rule_id in fired, f"rule {rule_id} did not fire; fired: {sorted(fired)}"
    if scenario.cites:
        relevant = [f for f in d.findings if f.outcome.value == scenario.outcome] or d.findings
        quotes = [fold(f.citation.quote).lower() for f in relevant if f.citation]
        want = fold(scenario.cites).lower()
        assert any(want in q for q in quotes), f"no citation contains {scenario.cites!r}: {quotes}"


def tcat_with_a_shorter_wait(folder, minutes: int = 15):
    """A copy of the TCAT pack and its policy text in ``folder`` with the 20-minute wait made
    ``minutes``: in the policy's sentence, the rules' ``minutes`` and the quotes that state it (a
    rule quotes the sentence that sets its number). Returns the pack file's path."""
    import re
    from pathlib import Path

    schools = Path(__file__).resolve().parents[1] / "schools"
    folder = Path(folder)
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    policy = (schools / "sources" / "tcat.txt").read_text(encoding="utf-8")
    (folder / "sources" / "tcat.txt").write_text(policy.replace("no longer than 20 minutes", f"no longer than {minutes} minutes"),
                                                 encoding="utf-8")
    text = (schools / "tcat.yaml").read_text(encoding="utf-8").replace("    minutes: 20\n", f"    minutes: {minutes}\n")
    pack = folder / "tcat.yaml"
    pack.write_text(re.sub(r"than(\s+)20 minutes", rf"than\g<1>{minutes} minutes", text), encoding="utf-8")
    return pack
