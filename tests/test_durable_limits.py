"""durable-rules' hard limits (see policyengine/_durable_form.py), at the figures measured.

Each limit is shown twice: on durable-rules itself (a raw ruleset fails exactly there), and on
policyengine, where a pack at and beyond it decides exactly as the python engine does, or is refused
(by lint and at load, exit 2) naming the rule and the limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyengine import InputError, check, check_many, load_pack
from policyengine._policy import policy
from policyengine.cli.main import main
from tests.conftest import requires_durable
from tests.packfiles import write_pack
from tests.scenarios import TODAY
from tests.visits import visit

pytestmark = requires_durable
ROOT = Path(__file__).resolve().parent.parent

HEADER = """\
id: {id}
school: Test School
document: Test Policy
version: '1'
rules:
"""


def rule(n: int, when: dict, outcome: str = "conditional") -> str:
    return (
        f"- id: r{n}\n  kind: condition\n  when: {json.dumps(when)}\n  outcome: {outcome}\n"
        f"  message: rule {n} applies\n  conditions: [do {n}]\n"
        f"  citation: {{section: Test, quote: quote {n}}}\n"
    )


def pack(tmp_path, name: str, whens: list[dict]) -> str:
    return write_pack(tmp_path / f"{name}.yaml", HEADER.format(id=name) + "".join(rule(n, w) for n, w in enumerate(whens)))


def decided(school: str, visits: list[dict]) -> list[dict]:
    """Both engines' decisions (one by one and in a batch), required equal; the durable ones."""
    durable = [check(v, school=school, engine="durable", today=TODAY).model_dump() for v in visits]
    python = [check(v, school=school, engine="python", today=TODAY).model_dump() for v in visits]
    assert durable == python
    assert [d.model_dump() for d in check_many(visits, school=school, engine="durable", today=TODAY)] == durable
    return durable


# -- durable-rules itself ------------------------------------------------------------------------


def raw_assert(rules: list[dict], fact: dict):
    """Assert ``fact`` into a raw ruleset of ``rules`` (plus a catch-all); the firings or the error."""
    from policyengine.engines.durable import _QuietHost

    hits: list = []
    guard = {"$nex": {"$s": 1}}
    definition = {f"r{i}": {"all": [{"m": {"$and": [guard, *r]}}], "run": lambda c: hits.append(1)} for i, r in enumerate(rules)}
    definition["seen"] = {"all": [{"m": {"$and": [guard, {"$ex": {"ref": 1}}]}}], "run": lambda c: hits.append(0)}
    host = _QuietHost()
    name = f"limits_{id(host)}"
    host.set_rulesets({name: definition})
    try:
        host.assert_fact(name, dict(fact, sid="s", ref=1))
    except Exception as exc:
        return str(exc)
    return len(hits)


def test_durable_rules_fails_at_64_rules_matching_one_fact():
    matching = lambda k: raw_assert([[{f"x{i}": 1}] for i in range(k)], {f"x{i}": 1 for i in range(k)})  # noqa: E731
    assert matching(63) == 64  # 63 rules and the catch-all
    assert "error code: 303" in matching(64)


def test_durable_rules_fails_at_64_half_matched_rules_with_nothing_firing():
    def half(k):
        return raw_assert([[{f"x{i}": 1}, {f"y{i}": 1}] for i in range(k)], {**{f"x{i}": 1 for i in range(k)}, **{f"y{i}": 0 for i in range(k)}})

    assert half(63) == 1
    assert "error code: 303" in half(64)


def test_durable_rules_fails_to_compile_a_rule_of_16_operators():
    from policyengine.engines.durable import _QuietHost

    def compiles(groups):
        expr = {"$and": [{"$nex": {"$s": 1}}] + [{"$or": [{f"a{i}": 1}, {f"b{i}": 1}]} for i in range(groups)]}
        try:
            _QuietHost().set_rulesets({f"ops_{groups}": {"r": {"all": [{"m": expr}], "run": lambda c: None}}})
        except Exception as exc:
            return str(exc)
        return "ok"

    assert compiles(14) == "ok"  # 15 operators
    assert "error code: 113" in compiles(15)  # 16


# -- policyengine at and beyond them ---------------------------------------------------------------


@pytest.mark.parametrize("count", [62, 63, 64, 65, 130])
def test_packs_with_more_rules_matching_one_visit_than_durable_rules_allows_decide_as_python(tmp_path, count):
    school = pack(tmp_path, f"match{count}", [{"fact": "duration_minutes", "ne": 1000 + n} for n in range(count)])
    [decision] = decided(school, [visit({"duration_minutes": 45})])
    assert len(decision["findings"]) == count
    assert len(policy(load_pack(school), engine="durable").engine.rulesets) == (1 if count < 58 else 2 if count < 116 else 3)


@pytest.mark.parametrize("count", [63, 64, 100])
def test_packs_with_many_half_matched_rules_decide_as_python(tmp_path, count):
    whens = [{"all": [{"fact": "duration_minutes", "ne": 1000 + n}, {"fact": "parents_informed", "eq": False}]} for n in range(count)]
    school = pack(tmp_path, f"half{count}", whens)
    informed, not_informed = decided(school, [visit({"parents_informed": True}), visit({"parents_informed": False})])
    assert informed["findings"] == [] and len(not_informed["findings"]) == count


EXCLUSIVE = [{"any": [{"fact": "duration_minutes", "lt": 30 + n}, {"fact": "duration_minutes", "gt": 90 + n}]} for n in range(16)]


@pytest.mark.parametrize("groups", [14, 15, 16])
def test_a_rule_of_15_or_16_any_groups_is_cut_into_pieces_and_decides_as_python(tmp_path, groups):
    """16 operators (one per group, one for the rule) fail in durable-rules; the engine cuts the rule."""
    school = pack(tmp_path, f"groups{groups}", [{"all": EXCLUSIVE[:groups]}])
    visits = [visit({"duration_minutes": m}) for m in (1, 20, 29, 45, 100, 200, 1440)] + [visit()]
    decisions = decided(school, visits)
    assert [d["outcome"] for d in decisions[:7]] == ["conditional", "conditional", "conditional", "permitted",
                                                     "permitted", "conditional", "conditional"]


def test_a_rule_that_holds_in_more_ways_than_durable_can_fire_is_refused_naming_rule_and_limit(tmp_path, capsys):
    groups = [{"any": [{"fact": "first_visit", "eq": True}, {"fact": f"approved_by_{a}", "eq": True}]}
              for a in ("headteacher", "dsl", "deputy_dsl", "senior_attendance_lead", "line_manager", "slt")]
    groups += [{"any": [{"fact": "parents_informed", "ne": True}, {"fact": f"role_{r}", "ge": 1}]}
               for r in ("dsl", "pastoral", "teacher", "office", "other", "headteacher", "form_tutor")]
    ok = pack(tmp_path, "twelve", [{"all": groups[:12]}])  # 4,096 ways: the limit
    assert check(visit(), school=ok, today=TODAY).outcome.value in ("permitted", "conditional")
    school = pack(tmp_path, "thirteen", [{"all": groups}])  # 8,192 ways
    with pytest.raises(InputError) as caught:
        load_pack(school)
    [problem] = caught.value.problems
    assert problem.line == 7 and "rule 'r0'" in problem.message and "8,192" in problem.message and "4,096" in problem.message
    assert main(["lint", school]) != 0
    assert "rule 'r0'" in capsys.readouterr().out
    assert main(["check", "--school", school, str(ROOT / "examples" / "prepared-daytime-visit.yaml")]) == 2


def test_a_pack_of_2000_distinct_rules_of_which_a_visit_matches_200(tmp_path):
    whens = [{"fact": "duration_minutes", "ge": n} for n in range(1, 1001)]
    whens += [{"fact": "check_in_interval", "ge": n} for n in range(1, 1001)]
    school = pack(tmp_path, "big", whens)
    visits = [visit({"duration_minutes": 100, "check_in": {"interval_minutes": 100}}),
              visit({"duration_minutes": 1, "check_in": None}), visit({"duration_minutes": 1440, "check_in": {"interval_minutes": 1440}})]
    two_hundred, one, all_of_them = decided(school, visits)
    assert [len(d["findings"]) for d in (two_hundred, one, all_of_them)] == [200, 1, 2000]
    assert len(policy(load_pack(school), engine="durable").engine.rulesets) == 34


def test_facts_of_one_batch_whose_content_hashes_collide_are_both_decided():
    """Without an id of its own, durable-rules names a fact by a hash of its content and refuses a
    second fact with the same hash in one batch ("already observed"). These ten workload visits, as
    checks 104134 to 104143, hold such a pair (found by benchmarks/bench.py: check_many of 10,000
    visits in one call failed): each fact now carries its check number as its id."""
    import itertools
    import sys

    from policyengine import parse_visit
    from policyengine.engines.durable import DurableEngine
    from policyengine.engines.python import PythonEngine
    from policyengine.facts import flatten
    from policyengine.packs.load import compile_pack

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload

    compiled = compile_pack(load_pack("tcat"))
    visits = [parse_visit(v) for v in workload.visits(4142)[4132:]]
    durable = DurableEngine(compiled)
    durable._refs = itertools.count(104134)  # the check numbers at which the pair collided
    got = durable.fired_many([flatten(v, compiled.clock) for v in visits], batch=len(visits))
    python = PythonEngine(compiled)
    assert got == [python.fired(flatten(v, compiled.clock)) for v in visits]
