"""The consistency properties (README: "What 'consistent' means") for every built-in pack, the
every-kind fixture pack and generated packs. Thin wrappers: each check is a function in
tests/properties/checks.py, run here over hypothesis' visits (or, for satisfiability and
liveness, over witnesses built from the rules' conditions), and seen to fail on deliberately broken
packs and engines in tests/test_properties_broken.py.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from policyengine import Registry, available_packs, check
from tests import strategies as S
from tests.conftest import ENGINE_PARAMS
from tests.properties import checks
from tests.properties.broken import KINDS as BROKEN_KINDS
from tests.properties.broken import PLUGIN, pack_file
from tests.properties.moves import MOVES
from tests.properties.search import counterexample
from tests.properties.subject import KINDS, generated, named, variants
from tests.scenarios import TODAY

#: Every built-in pack (and plugin packs installed), and the pack with every rule kind.
PACKS = [*available_packs(), KINDS]
ids = [Path(p).stem for p in PACKS]
packs = pytest.mark.parametrize("ref", PACKS, ids=ids)


def no_problems(found) -> None:
    assert found is None, str(found)


def budget(share: float = 1.0) -> int:
    return max(5, int(settings.default.max_examples * share))


def pack_visits(ref: str):
    return S.visits(named(ref).bases())


@cache
def pack_variants(ref: str):
    return variants(named(ref))


# -- 1. engines agree -----------------------------------------------------------------------------

@packs
def test_engines_agree(ref):
    subject = named(ref)
    no_problems(counterexample(lambda v: checks.engines_agree(subject, v), pack_visits(ref)))


def on_generated_packs(check, packs=None, most_visits: int = 4) -> None:
    """Fail unless ``check(subject, visit)`` finds no problem on generated packs, a few visits each."""

    def run(x):
        (pack, source, data), visits = x
        subject = generated(pack, source, data)
        return [p for v in visits for p in check(subject, v)]

    visits = st.lists(S.visits(), min_size=1, max_size=most_visits)
    no_problems(counterexample(run, st.tuples(packs if packs is not None else S.rule_packs(), visits)))


def test_engines_agree_on_generated_packs():
    on_generated_packs(checks.engines_agree)


# -- 2. order and repetition ----------------------------------------------------------------------

@packs
def test_rule_order_loading_and_repetition_never_change_a_decision(ref):
    many = st.lists(pack_visits(ref), min_size=2, max_size=5)
    no_problems(counterexample(lambda vs: checks.order_and_repetition(pack_variants(ref), vs), many, budget(0.5)))


def test_rule_order_never_matters_in_generated_packs():
    def check_(x):
        (pack, source, data), visits = x
        return checks.order_and_repetition(variants(generated(pack, source, data)), visits)

    no_problems(counterexample(check_, st.tuples(S.rule_packs(), st.lists(S.visits(), min_size=2, max_size=4)), budget(0.5)))


# -- 3. monotonic safety --------------------------------------------------------------------------

@packs
@pytest.mark.parametrize("move", MOVES, ids=[m.name.replace(" ", "-") for m in MOVES])
def test_riskier_is_never_more_permissive(ref, move):
    subject = named(ref)
    clock = subject.pack.clock
    moved = st.tuples(pack_visits(ref), st.integers(0, 2**16)).filter(lambda x: move.apply(x[0], clock, x[1]) is not None)
    tried = []

    def check_(x):
        tried.append(x)
        return checks.monotone(subject, x[0], move, x[1])

    no_problems(counterexample(check_, moved, budget(0.5)))
    assert len(tried) >= budget(0.25), f"the move applied to only {len(tried)} visits"  # not vacuous


def test_riskier_is_never_more_permissive_in_generated_monotone_packs():
    def check_(x):
        (pack, source, data), visit, move, param = x
        return checks.monotone(generated(pack, source, data), visit, move, param)

    drawn = st.tuples(S.monotone_packs(), S.visits(), st.sampled_from(MOVES), st.integers(0, 2**16))
    no_problems(counterexample(check_, drawn))


# -- 4. remedies ----------------------------------------------------------------------------------

@packs
def test_remedies_remove_their_findings_and_together_permit(ref):
    subject = named(ref)
    no_problems(counterexample(lambda v: checks.remedies_work(subject, v), pack_visits(ref)))


def test_remedies_of_every_kind_remove_their_findings_and_final_is_final():
    # Kinds only: a generic condition rule's remedy is whatever its author writes.
    kinds = tuple(k for k in S.KIND_FIELDS if k != "condition")
    rules = st.lists(S.rules(kinds=kinds, any_unless=False), min_size=1, max_size=6)

    on_generated_packs(
        lambda subject, v: checks.remedies_remove(subject, v) + checks.no_remedy_means_final(subject, v, False),
        S.rule_packs(rules),
    )


# -- 5. citations ---------------------------------------------------------------------------------

@packs
def test_every_rule_quotes_its_policy(ref):
    assert checks.pack_citations(named(ref)) == []


@packs
def test_every_finding_cites_words_in_its_policy(ref):
    subject = named(ref)
    no_problems(counterexample(lambda v: checks.citations_hold(subject, v), pack_visits(ref), budget(0.5)))


# -- 6. totality and failing closed ---------------------------------------------------------------

@packs
def test_every_valid_visit_gets_a_decision(ref):
    subject = named(ref)
    no_problems(counterexample(lambda v: checks.total(subject, v), pack_visits(ref)))


def test_every_valid_visit_gets_a_decision_from_generated_packs():
    on_generated_packs(checks.total, most_visits=3)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize("kind", [k.kind_name for k in BROKEN_KINDS])
def test_a_broken_rule_kind_fails_closed(tmp_path, kind, engine):
    registry = Registry(plugins=[PLUGIN], entry_points=False)
    pack = str(pack_file(tmp_path, kind))

    def decide(v):
        return check(v, school=pack, engine=engine, registry=registry, today=TODAY)

    no_problems(counterexample(lambda v: checks.fails_closed(decide, v), S.visits(), budget(0.25)))


# -- 7. satisfiable and live ----------------------------------------------------------------------

@packs
def test_some_visit_is_permitted_for_every_purpose(ref):
    assert checks.satisfiable(named(ref)) == []


@packs
def test_every_rule_fires_for_some_visit(ref):
    assert checks.live(named(ref)) == []


# -- 8 to 11. the phase of a visit ----------------------------------------------------------------

#: Each property of the phase of a visit, and the visits it is tried on.
PHASE_PROPERTIES = {
    "a plan's remedy never adds on_arrival": (checks.plan_remedies_stay_plans, S.as_plans),
    "no remedy changes what staff saw at the door": (checks.remedies_keep_what_staff_saw, S.at_the_door),
    "a door fact not known never makes a door decision permitted": (checks.unknown_never_permits, S.at_the_door),
}


@packs
@pytest.mark.parametrize("prop", PHASE_PROPERTIES, ids=[p.replace(" ", "-") for p in PHASE_PROPERTIES])
def test_the_phase_of_a_visit(ref, prop):
    check_, tried_on = PHASE_PROPERTIES[prop]
    subject = named(ref)
    no_problems(counterexample(lambda v: check_(subject, v), tried_on(pack_visits(ref)), budget(0.5)))


@packs
def test_a_rule_with_a_number_quotes_the_sentence_that_says_it(ref):
    assert checks.numbers_quoted(named(ref)) == []


def test_the_readme_lists_every_riskier_move():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index('## What "consistent" means'):readme.index("## Engines")]
    listed = re.findall(r"^   \| ([a-z -]+) \| ", section, re.M)
    assert listed[1:] == [m.name for m in MOVES]  # after the header row
