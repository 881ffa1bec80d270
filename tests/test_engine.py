"""The engines: durable-rules' hazards are guarded, and an internal error never becomes "permitted"."""

from __future__ import annotations

from pathlib import Path

import pytest

import policyengine
from policyengine import DecisionError, Outcome, check, load_pack
from policyengine._policy import decide
from policyengine._visits import parse_visit
from policyengine.conditions.form import FALSE, TRUE, AnyOf, Compare, Not, all_of, evaluate, fact, normalise
from policyengine.engines.base import make_engine
from policyengine.engines.durable import DurableEngine
from policyengine.engines.durable_form import to_durable
from policyengine.facts import FACT_FIELDS, flatten
from policyengine.packs.load import compile_pack
from tests.conftest import ENGINE_PARAMS, requires_durable
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, arrived, visit

PACK = str(Path(__file__).parent / "fixtures" / "kinds.yaml")


def compiled():
    return compile_pack(load_pack(PACK))


@requires_durable
def test_no_rule_matching_is_not_an_error():
    """durable-rules raises when no rule matches a fact; the catch-all rule prevents that."""
    engine = DurableEngine(compiled())
    v = parse_visit(visit({"staff": [{"role": "pastoral", "home_visit_trained": True, "dbs": "enhanced", "school_phone": True, "id_badge": True}] * 2}))
    assert engine.fired(flatten(v, engine.compiled.clock)) == set()


@requires_durable
def test_every_matching_rule_fires_not_just_the_first():
    engine = DurableEngine(compiled())
    fact_ = flatten(parse_visit(visit(ONE_STAFF, {"first_visit": True, "approvals": []})), engine.compiled.clock)
    assert {"pairs-always", "pairs-first", "pairs-lone-ht", "auth"} <= engine.fired(fact_)


@requires_durable
def test_same_visit_twice_gives_the_same_answer_and_leaves_no_facts():
    engine = DurableEngine(compiled())
    fact_ = flatten(parse_visit(visit(ONE_STAFF)), engine.compiled.clock)
    first = engine.fired(fact_)
    assert all(engine.fired(fact_) == first for _ in range(50))
    assert engine._host.get_facts(engine.ruleset, "policyengine") == []


@requires_durable
def test_compiling_the_same_pack_twice_uses_a_new_ruleset_name():
    a, b = DurableEngine(compiled()), DurableEngine(compiled())
    assert a.ruleset != b.ruleset


@requires_durable
def test_set_rulesets_does_not_eat_our_definition():
    """durable-rules deletes 'run' from the dict it is given; a second engine must still work."""
    c = compiled()
    DurableEngine(c)
    fact_ = flatten(parse_visit(visit(ONE_STAFF)), c.clock)
    assert "pairs-always" in DurableEngine(c).fired(fact_)


@requires_durable
def test_reserved_names_never_reach_the_engine():
    assert not {"sid", "id", "$s"} & {f.name for f in FACT_FIELDS}
    engine = DurableEngine(compiled())
    with pytest.raises(DecisionError, match="reserved"):
        engine.fired({"sid": "x"})


@requires_durable
def test_an_engine_failure_is_an_error_not_a_decision(monkeypatch):
    pack = load_pack(PACK)
    engine = make_engine(compile_pack(pack), "durable")

    def broken(*args, **kwargs):
        raise RuntimeError("C engine fell over")

    monkeypatch.setattr(engine._host, "assert_fact", broken)
    with pytest.raises(DecisionError):
        engine.fired(flatten(parse_visit(visit()), engine.compiled.clock))


@requires_durable
def test_no_proof_of_evaluation_is_an_error(monkeypatch):
    engine = DurableEngine(compiled())
    monkeypatch.setattr(engine._host, "assert_fact", lambda *a, **k: None)  # silently does nothing
    with pytest.raises(DecisionError, match="no proof"):
        engine.fired(flatten(parse_visit(visit()), engine.compiled.clock))


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_rule_that_raises_fails_closed(monkeypatch, engine):
    import policyengine._policy as decide_mod

    pack = load_pack(PACK)

    def boom(*args, **kwargs):
        raise KeyError("a fact went missing")

    monkeypatch.setattr(decide_mod, "flatten", boom)
    with pytest.raises(DecisionError):
        decide(pack, parse_visit(visit()), engine)


def test_unknown_engine_is_bad_input():
    with pytest.raises(policyengine.InputError, match="unknown engine"):
        check(visit(), school=PACK, engine="drools")


# -- the condition form --------------------------------------------------------------------------

def test_negation_is_pushed_to_comparisons():
    cond = Not(all_of(fact("staff_count", "lt", 2), fact("purpose", "in", ["attendance", "transport"])))
    n = normalise(cond)
    assert n == AnyOf((Compare("staff_count", "ge", 2), Compare("purpose", "not_in", ("attendance", "transport"))))


def test_constants_fold_and_compile():
    assert all_of(TRUE, fact("arrived", "eq", True)) == Compare("arrived", "eq", 1)
    assert all_of(FALSE, fact("arrived", "eq", True)) == FALSE
    assert to_durable(TRUE) == {"$ex": {"check_ref": 1}}
    assert to_durable(FALSE) == {"$nex": {"check_ref": 1}}


def test_bool_facts_are_three_valued():
    unknown = {"first_visit": -1}
    assert evaluate(fact("first_visit", "ne", True), unknown)
    assert not evaluate(fact("first_visit", "eq", False), unknown)


@requires_durable
def test_both_engines_agree_on_a_grid_of_visits():
    pack = load_pack(PACK)
    visits = [
        visit(),
        visit(ONE_STAFF, {"first_visit": None, "approvals": []}),
        visit({"start": "2026-07-06T15:01:00Z", "household": {"animals": "unknown", "contagious_illness": None}}),
        arrived({"parents_present": False, "minutes_waited": 21, "meeting_room": "child_bedroom"}),
        arrived({"invited_in_by": "child", "animal_request_refused": True, "staff_feel_unsafe": True}),
    ]
    for v in visits:
        parsed = parse_visit(v)
        assert decide(pack, parsed, "durable", TODAY) == decide(pack, parsed, "python", TODAY)


def test_decision_is_most_severe_finding_and_sorted():
    d = check(arrived({"parents_present": False, "minutes_waited": 30}), school=PACK, today=TODAY)
    assert d.outcome is Outcome.BLOCKED
    ranks = [{"blocked": 2, "conditional": 1, "permitted": 0}[f.outcome.value] for f in d.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert d.pack_digest.startswith("sha256:") and d.pack_version == "1"


@requires_durable
def test_rules_sharing_a_condition_share_one_durable_rule_and_reminders_ride_on_the_catch_all():
    """tcat's two always-on reminders and its two feel-unsafe rules cost no durable firings of their own."""
    c = compile_pack(load_pack("tcat"))
    engine = DurableEngine(c)
    assert len(engine._host.get_ruleset(engine.ruleset).get_definition()) < len(c.rules)
    every = parse_visit(visit())
    fired = engine.fired(flatten(every, c.clock))
    assert {"contact-the-office", "log-the-visit"} <= fired
    unsafe = parse_visit(arrived({"staff_feel_unsafe": True}))
    assert {"feel-unsafe", "unsafe-cancellation-in-writing"} <= engine.fired(flatten(unsafe, c.clock))
    python = make_engine(c, "python")
    for v in (every, unsafe):
        assert python.fired(flatten(v, c.clock)) == engine.fired(flatten(v, c.clock))


# -- a rule kind that fails ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["trigger_raises", "wrong_type_condition"])
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_kind_failing_to_build_its_condition_is_an_error_naming_it_never_a_decision(tmp_path, kind, engine):
    """The pack is refused as it loads (its conditions are built and checked then), so no visit is decided."""
    from policyengine import PluginError, Registry, check_many
    from tests.properties.broken import PLUGIN, pack_file

    registry = Registry(plugins=[PLUGIN], entry_points=False)
    pack = str(pack_file(tmp_path, kind))
    with pytest.raises(PluginError, match=f"rule kind '{kind}'"):
        check(visit(), school=pack, engine=engine, registry=registry)
    with pytest.raises(PluginError, match=f"rule kind '{kind}'"):
        check_many([visit()], school=pack, engine=engine, registry=registry)


def test_a_condition_comparing_a_fact_with_a_value_of_another_type_is_refused():
    """durable-rules would compare them as strings; the python engine would not: one would be wrong."""
    from policyengine.conditions.form import Compare, checked

    for bad in (Compare("staff_count", "lt", "2"), Compare("first_visit", "eq", True), Compare("purpose", "eq", "holiday"),
                Compare("purpose", "lt", 3), Compare("nonsense", "eq", 1)):
        with pytest.raises(ValueError):
            checked(bad)
    assert checked(Compare("first_visit", "eq", 1)) == Compare("first_visit", "eq", 1)
