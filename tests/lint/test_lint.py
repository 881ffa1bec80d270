"""policyengine lint: one broken pack per mistake, with the exact line, column and message people see.

The expected lines double as documentation of what lint says (as strictyaml's tests do).
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import InputError, load_pack
from policyengine.cli.main import main
from policyengine.conditions.form import all_of, any_of, fact, negate
from policyengine.conditions.satisfy import implies, satisfiable
from policyengine.packs.lint import lint_file

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
SOURCE = HERE / "source.txt"
TODAY = date(2026, 11, 22)

EXPECTED = {
    "malformed_yaml": "12:12: error: not valid YAML: a list in [ ] that is not closed, or an item in it containing "
                      "': ': close the list with ] on the same line, and put such an item in double quotes",
    "duplicate_key": "11:5: error: duplicate key 'minutes' (first given on line 10); keep only one",
    "yaml_tag": "20:11: error: YAML tags such as '!!str' are not allowed; remove the tag and write a plain value",
    "unknown_top_field": "6:1: error: unknown field 'review_dew'; did you mean 'review_due'? (remove it or correct the spelling)",
    "unknown_rule_field": "10:5: error: rule 'wait-exceeded': unknown field 'minutse'; did you mean 'minutes'? (remove it or correct the spelling)",
    "unknown_kind": "17:5: error: unknown rule kind 'time_windw'; did you mean 'time_window'?",
    "wrong_type": "10:5: error: rule 'wait-exceeded': 'minutes' must be a whole number, not 'twenty'",
    "negative_wait": "10:5: error: rule 'wait-exceeded': 'minutes' must be at least 0, not -5",
    "cutoff_25": "20:5: error: rule 'cutoff': 'time': '25:00' is not a time of day between 00:00 and 23:59",
    "duplicate_rule_id": "17:5: error: rule id 'wait-exceeded' is used twice (rules 1 and 2); give each rule its own id",
    "missing_citation": "17:5: error: rule 'cutoff': 'citation' is missing; add a citation: the section and the policy's exact words (quote)",
    "quote_not_in_source": "17:7: error: rule 'wait-exceeded': the quote is not in the policy text; copy the policy's exact words",
    "review_overdue": "6:1: warning: the policy was due for review on 2020-01-31; decisions carry a reminder until it is reviewed",
    "never_fires": "17:5: error: rule 'cutoff' can never fire: no visit meets its condition",
    "shadowed": "26:5: warning: rule 'cutoff-attendance' is always shadowed: whenever it fires, rule 'cutoff' fires too with the same outcome (blocked)",
    "number_not_quoted": "17:7: error: rule 'wait-exceeded' applies 20 minutes, but its quote does not say it: quote the sentence that sets it",
    "in_null": "11:7: error: rule 'wait-exceeded': 'when.fact': 'in' needs a list of values for fact 'staff_count'",
    "plan_remedy_sets_door": "15:5: error: rule 'parents-there': its remedy sets on_arrival (what staff find at the door), but it applies to plans as conditional; a plan's remedy changes only what can be arranged in advance: make it a reminder on plans (phases: {plan: reminder}) or leave plans out (phases: {plan: off})",
}


def lint_lines(capsys, *argv) -> tuple[int, list[str]]:
    code = main(["lint", *argv])
    out, _ = capsys.readouterr()
    return code, out.splitlines()


def test_every_broken_pack_has_an_expectation():
    assert {p.stem for p in BROKEN.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_pack(capsys, name):
    path = BROKEN / f"{name}.yaml"
    code, lines = lint_lines(capsys, "--source", str(SOURCE), str(path))
    assert lines, "lint found nothing"
    assert any(line.startswith(f"{path}:{EXPECTED[name]}") for line in lines), lines
    warning_only = all(": warning: " in line for line in lines)
    assert code == (0 if warning_only else 1)
    if warning_only:
        assert lint_lines(capsys, "--strict", "--source", str(SOURCE), str(path))[0] == 1


def test_valid_pack_is_clean(capsys):
    assert lint_lines(capsys, "--strict", "--source", str(SOURCE), str(HERE / "valid.yaml")) == (0, [])


def test_json_format(capsys):
    main(["lint", "--format", "json", "--source", str(SOURCE), str(BROKEN / "negative_wait.yaml")])
    problems = json.loads(capsys.readouterr().out)
    assert problems == [
        {
            "file": str(BROKEN / "negative_wait.yaml"),
            "line": 10,
            "column": 5,
            "severity": "error",
            "field": "rules[0].minutes",
            "message": "rule 'wait-exceeded': 'minutes' must be at least 0, not -5",
        }
    ]


def test_unreadable_input_exits_2(capsys, tmp_path):
    assert main(["lint", str(tmp_path / "nope.yaml")]) == 2
    assert main(["lint", "--source", str(tmp_path / "nope.txt"), str(HERE / "valid.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if ": error: " in e))
def test_lint_errors_are_what_check_refuses(name):
    """The loader and lint share one validation path: a pack lint rejects, load_pack rejects too,
    with the same problems (quotes are checked against the policy text the pack names)."""
    with pytest.raises(InputError) as exc:
        load_pack(BROKEN / f"{name}.yaml")
    errors = [p for p in lint_file(BROKEN / f"{name}.yaml", today=TODAY) if p.severity == "error"]
    assert [str(p) for p in exc.value.problems] == [str(p) for p in errors]


def test_a_named_policy_text_that_is_missing_is_an_error_naming_the_file_to_ship(tmp_path, capsys):
    pack = tmp_path / "pack.yaml"
    text = (HERE / "valid.yaml").read_text().replace("source: source.txt", "source: gone.txt")
    pack.write_text(text)
    line = text.splitlines().index("source: gone.txt") + 1
    code, lines = lint_lines(capsys, str(pack))
    assert code == 1
    assert lines == [
        f"{pack}:{line}:1: error: the policy text 'gone.txt' is missing, so the pack's quotes cannot be checked: "
        f"ship it as {tmp_path}/sources/gone.txt (in a plugin, as package data beside the pack)"
    ]


def test_built_in_packs_have_no_errors(capsys):
    code, lines = lint_lines(capsys)
    assert code == 0, "\n".join(lines)
    assert not [line for line in lines if ": error: " in line]


# -- the proofs behind "never fires" and "shadowed" -----------------------------------------------

def test_satisfiability_over_fact_domains():
    assert not satisfiable(fact("staff_count", "lt", 1))
    assert not satisfiable(all_of(fact("start_minute", "gt", 1000), fact("start_minute", "lt", 900)))
    assert not satisfiable(all_of(fact("purpose", "eq", "attendance"), fact("purpose", "eq", "transport")))
    assert not satisfiable(all_of(fact("first_visit", "ne", True), fact("first_visit", "ne", False), fact("first_visit", "ne", None)))
    assert satisfiable(fact("first_visit", "ne", True))
    assert satisfiable(any_of(fact("staff_count", "lt", 1), fact("staff_count", "eq", 1)))


def test_implication():
    late = fact("start_minute", "gt", 17 * 60)
    later = fact("start_minute", "gt", 16 * 60)
    assert implies(late, later) and not implies(later, late)
    assert implies(all_of(late, fact("staff_count", "eq", 1)), later)
    assert not implies(later, negate(later))


# -- mutations of a valid pack: lint never crashes, and never passes what check cannot load ------

ROOT = HERE.parent.parent
#: Valid packs to mutate, each with the policy text its quotes come from: the small lint pack, and
#: tcat (every kind of rule it uses, a catalogue and examples).
BASES = {
    "valid": (yaml.safe_load((HERE / "valid.yaml").read_text()), SOURCE.read_text()),
    "tcat": (yaml.safe_load((ROOT / "schools" / "tcat.yaml").read_text()), (ROOT / "schools" / "sources" / "tcat.txt").read_text()),
}
for _data, _ in BASES.values():
    _data["source"] = "policy.txt"


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-100, 3000), st.text(max_size=8), st.lists(st.integers(), max_size=2), st.just({"x": 1}))


@st.composite
def mutations(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    data, _ = BASES[base]
    path = draw(st.sampled_from([p for p in _paths(data) if p and p != ("source",)]))
    return base, path, draw(st.sampled_from(["drop", "retype", "duplicate_rule", "rename"])), draw(VALUES)


def _mutate(data, path, op, value):
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "drop":
        del parent[last]
    elif op == "retype":
        parent[last] = value
    elif op == "duplicate_rule":
        data["rules"].append(copy.deepcopy(data["rules"][0]))
    elif op == "rename":
        if isinstance(parent, dict):
            parent[str(last) + "x"] = parent.pop(last)
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_mutated_pack_never_crashes_lint_and_lint_errors_are_exactly_what_check_refuses(tmp_path_factory, mutation):
    base, path, op, value = mutation
    data, source = BASES[base]
    mutated = _mutate(data, path, op, value)
    folder = tmp_path_factory.mktemp("m")
    (folder / "policy.txt").write_text(source)
    f = folder / "pack.yaml"
    f.write_text(yaml.safe_dump(mutated, sort_keys=False))
    problems = lint_file(f, today=TODAY)
    errors = [p for p in problems if p.severity == "error"]
    try:
        load_pack(f)
        loads = True
    except InputError:
        loads = False
    assert loads != bool(errors), f"lint {'passed' if loads else 'failed'} a pack check {'loads' if loads else 'refuses'}: {errors}"
    for p in problems:
        assert p.line is None or p.line >= 1
