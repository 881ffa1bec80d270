"""check_many: the same decisions as check, in input order, and no bad visit silently dropped."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from policyengine import DecisionError, InputError, available_packs, check, check_many, merge_patch
from policyengine._policy import policy
from policyengine.packs.load import load_pack
from tests.conftest import ENGINE_PARAMS, requires_durable
from tests.scenarios import TODAY
from tests.visits import AT_THE_DOOR, PREPARED

KINDS = str(Path(__file__).parent / "fixtures" / "kinds.yaml")

#: Patches that each change one thing about PREPARED; a mixed visit applies a random few.
CHANGES = (
    {"staff": [PREPARED["staff"][0]]},
    {"first_visit": True},
    {"first_visit": None},
    {"approvals": []},
    {"approvals": ["dsl"]},
    {"purpose": "safeguarding"},
    {"purpose": "welfare_check", "urgency": "emergency"},
    {"start": "2026-11-23T16:30:00"},
    {"start": "2026-11-23T19:00:00", "out_of_hours": {"justification": "parent works days", "responsible_contact": True}},
    {"start": "2026-11-28T10:00:00"},
    {"start": "2026-12-25T10:00:00"},
    {"start": "2026-07-01T15:00:00+01:00"},
    {"duration_minutes": 120},
    {"risk_assessment": "none"},
    {"parents_informed": None},
    {"visit_plan_lodged": False},
    {"check_in": {"interval_minutes": 60, "code_word_agreed": False}},
    {"household": {"animals": "present", "known_risks": True, "contagious_illness": True}},
    {"lone_visit_approved_by": "headteacher"},
    AT_THE_DOOR,
    merge_patch(AT_THE_DOOR, {"on_arrival": {"parents_present": False, "minutes_waited": 25}}),
    merge_patch(AT_THE_DOOR, {"on_arrival": {"parents_present": False, "minutes_waited": 15}}),
    merge_patch(AT_THE_DOOR, {"on_arrival": {"invited_in_by": "child", "meeting_room": "child_bedroom"}}),
    merge_patch(AT_THE_DOOR, {"on_arrival": {"staff_feel_unsafe": True, "animal_request_refused": True}}),
    merge_patch(AT_THE_DOOR, {"on_arrival": {"meeting_room": "upstairs", "upstairs_escort": True}}),
)


def mixed_visits(n: int, seed: int = 7) -> list[dict]:
    """``n`` reproducible visits, each PREPARED with up to four random changes."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        v = PREPARED
        for patch in rng.sample(CHANGES, rng.randint(0, 4)):
            v = merge_patch(v, patch)
        out.append(v)
    return out


def packs() -> list[str]:
    """Every pack that can be checked now: the fixture, and whichever built-in packs exist."""
    return [KINDS, *available_packs()]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize("school", packs())
def test_check_many_equals_check_in_order(school, engine):
    visits = mixed_visits(60, seed=hash(school) % 1000)
    expected = [check(v, school=school, engine=engine, today=TODAY) for v in visits]
    assert check_many(visits, school=school, engine=engine, today=TODAY) == expected
    # The outcomes vary, so a mix-up of order would show.
    assert len({d.outcome for d in expected}) > 1


@requires_durable
def test_engines_agree_in_bulk():
    visits = mixed_visits(300)
    assert check_many(visits, school=KINDS, engine="durable", today=TODAY) == check_many(
        visits, school=KINDS, engine="python", today=TODAY
    )


def test_visits_may_name_their_own_schools():
    built_in = available_packs()
    if not built_in:
        pytest.skip("no built-in pack yet")
    visits = [merge_patch(v, {"school": built_in[i % len(built_in)]}) for i, v in enumerate(mixed_visits(20))]
    assert check_many(visits, today=TODAY) == [check(v, today=TODAY) for v in visits]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_batch_assertion_attributes_each_firing_to_its_visit(engine):
    """In one assert_facts call, each rule that fired is credited to the visit whose fact it saw."""
    from policyengine import parse_visit
    from policyengine.facts import flatten

    runner = policy(load_pack(KINDS), engine=engine).engine
    facts = [flatten(parse_visit(v), runner.compiled.clock) for v in mixed_visits(50)]
    one_by_one = [runner.fired(f) for f in facts]
    if engine == "durable":
        for batch in (2, 7, 50):
            assert runner.fired_many(facts, batch=batch) == one_by_one
    assert runner.fired_many(facts) == one_by_one
    assert len({frozenset(s) for s in one_by_one}) > 5


def test_a_bad_visit_is_named_by_index_and_nothing_is_decided():
    visits = mixed_visits(5)
    visits[1] = merge_patch(visits[1], {"purpose": "burglary"})
    visits[3] = merge_patch(visits[3], {"staff": []})
    with pytest.raises(InputError) as caught:
        check_many(visits, school=KINDS, today=TODAY)
    where = [p.file for p in caught.value.problems]
    assert "visits[1]" in where and "visits[3]" in where
    assert set(where) == {"visits[1]", "visits[3]"}
    assert "purpose" in str(caught.value)


def test_an_unknown_school_is_named_by_index():
    visits = [merge_patch(v, {"school": KINDS}) for v in mixed_visits(3)]
    visits[1] = merge_patch(visits[1], {"school": "no-such-school"})
    with pytest.raises(InputError) as caught:
        check_many(visits, today=TODAY)
    assert [p.file for p in caught.value.problems] == ["visits[1]"]
    assert "no-such-school" in str(caught.value)


def test_empty_input_gives_no_decisions():
    assert check_many([], school=KINDS) == []


def test_an_engine_failure_in_bulk_is_an_error_not_a_decision(monkeypatch):
    import policyengine._policy as batch

    def broken(*args, **kwargs):
        raise KeyError("a fact went missing")

    monkeypatch.setattr(batch, "flatten", broken)
    with pytest.raises(DecisionError):
        check_many(mixed_visits(3), school=KINDS)


def test_a_lost_result_is_an_error(monkeypatch):
    runner = policy(load_pack(KINDS), engine="python").engine
    monkeypatch.setattr(runner, "fired_many", lambda facts, batch=1: [set() for _ in facts[1:]])
    with pytest.raises(DecisionError, match="number of results"):
        check_many(mixed_visits(3), school=KINDS, engine="python")
