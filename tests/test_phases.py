"""The phase of a visit: derived from the facts or given, in the decision, and how rules say what
they do in each phase (``phases:``), on both engines."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from policyengine import InputError, check, merge_patch, parse_visit
from policyengine._policy import decide
from policyengine._yaml import from_mapping
from policyengine.facts import flatten
from policyengine.models import phase_of
from policyengine.packs.load import load_pack, parse_pack
from tests.conftest import ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import PREPARED, arrived, visit


def decided(p, v: dict, engine: str = "python"):
    return decide(p, parse_visit(v), engine, TODAY)


def pack(*rules: dict):
    base = {"outcome": "blocked", "message": "m", "citation": {"section": "s", "quote": "q"}}
    data = {"id": "p", "school": "S", "document": "D", "version": "1", "source": "p.txt",
            "rules": [{"id": f"r{n}", **base, **rule} for n, rule in enumerate(rules)]}
    return parse_pack(from_mapping(data, "p.yaml"), source="q")


@pytest.mark.parametrize("v, phase", [
    (visit(), "plan"),
    (visit({"on_arrival": {}}), "door"),
    (visit({"on_arrival": {"parents_present": False, "minutes_waited": 3}}), "door"),
    (arrived({"meeting_room": "doorstep"}), "door"),
    (arrived({"meeting_room": "ground_floor"}), "inside"),
    (arrived({"meeting_room": "child_bedroom"}), "inside"),
    (visit({"phase": "door"}), "door"),  # at the door, nothing recorded yet
    (arrived({"meeting_room": "upstairs"}) | {"phase": "inside"}, "inside"),
])
def test_the_phase_is_derived_from_the_visit_or_given(v, phase):
    parsed = parse_visit(v)
    assert phase_of(parsed) == phase
    fact = flatten(parsed, load_pack("tcat").clock)
    assert fact["phase"] == phase and fact["arrived"] == int(phase != "plan")
    for engine in ENGINES_HERE:
        assert check(v, school="tcat", engine=engine, today=TODAY).phase == phase


@pytest.mark.parametrize("v, words", [
    (arrived() | {"phase": "plan"}, "'plan' contradicts on_arrival"),
    (arrived({"meeting_room": "ground_floor"}) | {"phase": "door"}, "'door' contradicts on_arrival.meeting_room 'ground_floor'"),
    (arrived({"meeting_room": "doorstep"}) | {"phase": "inside"}, "'inside' contradicts on_arrival.meeting_room 'doorstep'"),
    (visit({"on_arrival": {"parents_present": True}, "phase": "inside"}), "'inside' needs on_arrival.meeting_room"),
    (visit({"phase": "inside"}), "'inside' needs on_arrival.meeting_room"),
])
def test_a_phase_that_contradicts_the_facts_is_bad_input(v, words):
    with pytest.raises(InputError) as caught:
        parse_visit(v)
    (problem,) = caught.value.problems
    assert problem.field == "phase" and words in problem.message


def test_the_command_line_names_the_line_of_a_contradicting_phase(tmp_path):
    path = tmp_path / "visit.yaml"
    path.write_text(
        "purpose: attendance\nstart: '2026-11-23T10:00:00'\nstaff: [{role: dsl}]\nphase: plan\n"
        "on_arrival: {parents_present: true}\n"
    )
    result = subprocess.run([sys.executable, "-m", "policyengine", "check", str(path), "--school", "tcat"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:4:1: 'phase': 'plan' contradicts on_arrival"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_rule_says_what_it_does_in_each_phase_and_off_phases_never_fire():
    # The same generic rule (animals present), three ways.
    when = {"fact": "animals", "eq": "present"}
    p = pack(
        {"kind": "condition", "when": when},
        {"kind": "condition", "when": when, "phases": {"plan": "reminder", "door": "conditional"},
         "remedy": {"household": {"animals": "none"}}},
        {"kind": "condition", "when": when, "phases": {"plan": "off"}},
    )
    animals = {"household": {"animals": "present"}}
    expected = {
        "plan": {"r0": "blocked", "r1": "permitted"},
        "door": {"r0": "blocked", "r1": "conditional", "r2": "blocked"},
        "inside": {"r0": "blocked", "r1": "blocked", "r2": "blocked"},
    }
    for phase, v in (("plan", visit(animals)), ("door", visit(animals, {"on_arrival": {}})),
                     ("inside", arrived() | animals)):
        for engine in ENGINES_HERE:
            d = decided(p, v, engine)
            assert d.phase == phase
            assert {f.rule: f.outcome.value for f in d.findings} == expected[phase]
    reminder = next(f for f in decided(p, visit(animals)).findings if f.rule == "r1")
    assert reminder.remedy is None and reminder.conditions == [] and not reminder.final


def test_phases_are_validated_with_the_line_and_words_people_can_act_on():
    with pytest.raises(InputError) as caught:
        pack({"kind": "condition", "when": {"fact": "animals", "eq": "present"}, "phases": {"arrival": "off"}})
    assert "'phases.arrival'" in str(caught.value)
    with pytest.raises(InputError) as caught:
        pack({"kind": "condition", "when": {"fact": "animals", "eq": "present"}, "phases": {"door": "permitted"}})
    assert "'blocked', 'conditional', 'reminder' or 'off'" in str(caught.value)
    with pytest.raises(InputError, match="can never fire"):
        pack({"kind": "condition", "when": {"fact": "animals", "eq": "present"},
              "phases": {"plan": "off", "door": "off", "inside": "off"}})


def test_a_remedy_that_moves_a_visit_with_a_stated_phase_drops_the_phase():
    # At the door with a stated phase, nothing recorded: going in needs an appropriate adult, and
    # the remedy (stay on the doorstep) keeps the visit at the door.
    v = visit({"phase": "door"})
    d = check(v, school="tcat", today=TODAY)
    adult = next(f for f in d.findings if f.rule == "appropriate-adult")
    assert adult.outcome.value == "conditional"
    assert adult.remedy == {"on_arrival": {"meeting_room": "doorstep"}}
    p = pack({"kind": "rooms", "rooms": ["doorstep"], "outcome": "conditional"})
    on_the_doorstep = visit({"phase": "door", "on_arrival": {"meeting_room": "doorstep"}})
    (f,) = decided(p, on_the_doorstep).findings
    assert f.remedy == {"on_arrival": {"meeting_room": "ground_floor"}, "phase": None}
    assert phase_of(parse_visit(merge_patch(on_the_doorstep, f.remedy))) == "inside"


def test_prepared_visit_is_a_plan():
    assert check(PREPARED, school="tcat", today=TODAY).phase == "plan"


def test_a_kind_whose_phase_or_number_method_breaks_is_named_when_its_pack_loads(tmp_path):
    from typing import Literal

    from policyengine import PluginError, Registry, Rule, hookimpl

    class BadPhases(Rule):
        kind: Literal["bad_phases"]

        def trigger(self, clock):
            return {"fact": "staff_count", "lt": 2}

        def phase_defaults(self):
            return {"door": "maybe"}

    class BadNumbers(Rule):
        kind: Literal["bad_numbers"]

        def trigger(self, clock):
            return {"fact": "staff_count", "lt": 2}

        def quoted_numbers(self):
            raise ValueError("no numbers here")

    class Plugin:
        @hookimpl
        def policyengine_rule_kinds(self):
            return [BadPhases, BadNumbers]

    registry = Registry(plugins=[Plugin()], entry_points=False)
    for kind, words in (("bad_phases", "failed in phase_defaults() for rule 'r': returned {'door': 'maybe'}"),
                        ("bad_numbers", "failed in quoted_numbers() for rule 'r': raised ValueError('no numbers here')")):
        path = tmp_path / f"{kind}.yaml"
        (tmp_path / "p.txt").write_text("q\n")
        path.write_text(f"id: p\nschool: S\ndocument: D\nversion: '1'\nsource: p.txt\nrules:\n- {{id: r, kind: {kind}, "
                        "outcome: blocked, message: m, citation: {section: s, quote: q}}\n")
        with pytest.raises(PluginError, match=re.escape(words)):
            check(visit(), school=str(path), registry=registry, today=TODAY)


def test_lint_compares_outcomes_phase_by_phase(tmp_path):
    from policyengine.packs.lint import lint_file

    base = {"outcome": "blocked", "message": "m", "citation": {"section": "s", "quote": "q"}}
    rules = [
        # Blocked in every phase, and only ever fires with 'door-conditional': not shadowed, since at
        # the door it blocks where the other is only conditional.
        {"id": "always-blocked", "kind": "condition", "when": {"all": [{"fact": "arrived", "eq": True},
                                                                        {"fact": "parents_present", "ne": True}]}, **base},
        {"id": "door-conditional", "kind": "condition", "when": {"fact": "arrived", "eq": True},
         "phases": {"door": "conditional"}, **base},
    ]
    import json

    path = tmp_path / "p.yaml"
    (tmp_path / "p.txt").write_text("q\n")
    path.write_text(json.dumps({"id": "p", "school": "S", "document": "D", "version": "1", "source": "p.txt", "rules": rules}))
    messages = [p.message for p in lint_file(path)]
    assert not any("shadowed" in m for m in messages), messages
    assert "rule 'door-conditional' is conditional but says no conditions; list what must be done first" in messages
