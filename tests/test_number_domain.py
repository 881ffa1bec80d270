"""One number domain: the satisfiability proofs, both engines and the visit model agree on every
whole number a visit accepts, with comparisons far outside everyday ranges.

The visit model bounds its numbers (minutes to a day, staff to 50); ``_facts.INT_DOMAINS`` says
exactly what each int fact can then hold, and ``_satisfy`` reasons over that. The property: for any
comparison of an int fact with any constant a pack may write, and any visit, "can never fire"
means it does not hold, "always" means it holds, and the durable engine fires it exactly when the
python engine does. Seen to fail when the proofs' domain is narrower than the model's (as before the
fix, where they assumed numbers up to 10**6 and visits accepted any).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine import InputError, load_pack, parse_visit
from policyengine import facts as _facts
from policyengine._limits import STAFF
from policyengine.conditions.form import LARGEST, evaluate, fact
from policyengine.conditions.satisfy import always, satisfiable
from policyengine.engines.base import available_engines, make_engine
from policyengine.facts import FACT_FIELDS, INT_DOMAINS, flatten
from policyengine.models import DAY_MINUTES, STAFF_ROLES
from policyengine.packs.load import compile_pack
from tests.packfiles import write_pack
from tests.properties.search import counterexample
from tests.visits import visit

#: The built-in whole-number facts (plugins may add more to FIELDS while tests run; theirs are 0 to 10**6).
INT_FACTS = sorted(f.name for f in FACT_FIELDS if f.type == "int")
EDGES = [-(10**9), -2, -1, 0, 1, 2, 49, 50, 51, 1439, 1440, 1441, 2878, 2879, 2880, 10**6, 10**6 + 1, 10**9]
constants = st.one_of(st.sampled_from(EDGES), st.integers(-LARGEST, LARGEST))
minutes = st.one_of(st.none(), st.sampled_from([0, 1, DAY_MINUTES - 1, DAY_MINUTES]), st.integers(0, DAY_MINUTES))


@st.composite
def visits(draw) -> dict:
    """Visits whose numbers reach the ends of what the model accepts."""
    size = draw(st.one_of(st.sampled_from([1, STAFF]), st.integers(1, STAFF)))
    staff = [{"role": draw(st.sampled_from(STAFF_ROLES)), "home_visit_trained": draw(st.booleans())} for _ in range(size)]
    patch: dict = {"staff": staff, "start": f"2026-11-{draw(st.integers(16, 22))}T{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"}
    duration = draw(minutes)
    patch["duration_minutes"] = duration or None
    interval = draw(minutes)
    patch["check_in"] = {"interval_minutes": interval or None, "code_word_agreed": True}
    if draw(st.booleans()):
        patch["on_arrival"] = {"parents_present": True, "minutes_waited": draw(minutes)}
    return visit(patch)


comparisons = st.tuples(st.sampled_from(INT_FACTS), st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), constants)


def domain_problems(example) -> list[str]:
    (name, op, value), raw = example
    cond = fact(name, op, value)
    parsed = parse_visit(raw)
    holds = evaluate(cond, flatten(parsed, load_pack("tcat").clock))
    problems = []
    if not satisfiable(cond) and holds:
        problems.append(f"{name} {op} {value} was proven never to hold, but holds for {name}={flatten(parsed, load_pack('tcat').clock)[name]}")
    if always(cond) and not holds:
        problems.append(f"{name} {op} {value} was proven always to hold, but does not for {name}={flatten(parsed, load_pack('tcat').clock)[name]}")
    return problems


@given(st.tuples(comparisons, visits()))
def test_proofs_hold_for_every_number_a_visit_accepts(example):
    assert domain_problems(example) == []


def test_every_whole_number_fact_has_its_domain():
    assert sorted(INT_DOMAINS) == INT_FACTS


def test_numbers_beyond_the_model_are_bad_input_naming_the_field():
    for patch, field in [({"duration_minutes": DAY_MINUTES + 1}, "duration_minutes"),
                         ({"check_in": {"interval_minutes": 2_000_000}}, "check_in.interval_minutes"),
                         ({"on_arrival": {"minutes_waited": 10**30}}, "on_arrival.minutes_waited")]:
        with pytest.raises(InputError) as caught:
            parse_visit(visit(patch))
        assert caught.value.problems[0].field == field and "at most 1440" in caught.value.problems[0].message


def test_a_condition_may_not_compare_with_a_number_beyond_a_billion():
    from policyengine.conditions.form import FactTest

    with pytest.raises(ValueError, match="between"):
        FactTest(fact="minutes_waited", le=10**12)


def test_the_property_fails_when_the_proofs_assume_a_narrower_domain_than_visits_have(monkeypatch):
    """As before the fix: the proofs assumed numbers up to 10**6 while visits accepted any. Here the
    proofs are told minutes_waited stops at 1000 while the model accepts 1440."""
    monkeypatch.setitem(_facts.FIELDS, "minutes_waited", replace(_facts.FIELDS["minutes_waited"], domain=(-1, 1000, frozenset())))
    strategy = st.tuples(st.tuples(st.just("minutes_waited"), st.sampled_from(["le", "gt"]), st.sampled_from([1000, 999])),
                         visits())
    found = counterexample(domain_problems, strategy, 1000, shrink=False)
    assert found is not None and "minutes_waited" in found.problems[0]


@pytest.mark.skipif("durable" not in available_engines(), reason="needs the durable engine")
@given(comparisons, st.lists(visits(), min_size=1, max_size=4))
def test_both_engines_fire_a_comparison_for_exactly_the_same_visits(comparison, raws):
    name, op, value = comparison
    with tempfile.TemporaryDirectory() as scratch:
        path = write_pack(
            Path(scratch) / "numbers.yaml",
            "id: numbers\nschool: S\ndocument: D\nversion: '1'\nrules:\n- id: r\n  kind: condition\n"
            f"  when: {{fact: {name}, {op}: {value}}}\n  outcome: conditional\n  message: m\n  conditions: [c]\n"
            "  citation: {section: S, quote: q}\n")
        try:
            pack = load_pack(path)
        except InputError as exc:  # never fires: the property above holds that true
            assert "can never fire" in str(exc)
            return
        compiled = compile_pack(pack)
        durable, python = make_engine(compiled, "durable"), make_engine(compiled, "python")
        facts = [flatten(parse_visit(raw), compiled.clock) for raw in raws]
        assert durable.fired_many(facts) == python.fired_many(facts)
