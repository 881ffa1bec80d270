"""Plugins: rule kinds, packs and decision listeners from plugins, and every way a plugin can fail.

Every test builds its own ``Registry(plugins=[...], entry_points=False)``: nothing is registered
globally, so tests cannot leak plugins into each other. Error messages are asserted as the exact
text people see, as documentation of what they say.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Literal, Optional

import pytest
from pydantic import Field, StrictInt, field_validator

import policyengine
from policyengine import (
    InputError,
    PluginError,
    Registry,
    Rule,
    Visit,
    VisitFact,
    VisitSummary,
    available_packs,
    check,
    check_many,
    hookimpl,
    load_pack,
    merge_patch,
)
from policyengine.models import visit_digest
from policyengine.plugins import hookspecs
from policyengine.plugins import registry as _plugins
from tests.conftest import ENGINE_PARAMS, ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, visit

# -- a plugin rule kind, and plugins built from parts -----------------------------------------------


class VisitLength(Rule):
    """Fires when the visit is planned to last more than ``max_minutes`` (or its length is not known)."""

    kind: Literal["visit_length"]
    max_minutes: StrictInt = Field(gt=0, le=480)

    def trigger(self, clock):
        return {"any": [{"fact": "duration_minutes", "gt": self.max_minutes}, {"fact": "duration_minutes", "lt": 0}]}

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        return {"duration_minutes": self.max_minutes}


class Kinds:
    """A plugin offering rule kinds."""

    def __init__(self, *kinds):
        self.kinds = list(kinds)

    @hookimpl
    def policyengine_rule_kinds(self):
        return self.kinds


class Packs:
    """A plugin offering packs (files or data)."""

    def __init__(self, *packs):
        self.packs = list(packs)

    @hookimpl
    def policyengine_rule_packs(self):
        return self.packs


class Listener:
    """A plugin that records what it is told."""

    def __init__(self):
        self.told: list[tuple] = []

    @hookimpl
    def policyengine_decision_made(self, decision, visit):
        self.told.append((decision, visit))


class Raising:
    """A plugin whose hooks for kinds and packs raise."""

    @hookimpl
    def policyengine_rule_kinds(self):
        raise RuntimeError("kinds broke")

    @hookimpl
    def policyengine_rule_packs(self):
        raise RuntimeError("packs broke")


class RaisingListener:
    """A decision listener that raises."""

    @hookimpl
    def policyengine_decision_made(self, decision, visit):
        raise RuntimeError("listener broke")


def registry(*plugins) -> Registry:
    return Registry(plugins=plugins, entry_points=False)


def messages(reg: Registry) -> list[str]:
    """What is wrong with the registry's plugins, as ``policyengine plugins`` lists it."""
    return [p.message for p in reg.problems()]


def pack_data(pack_id: str = "plugged", *rules: dict, **meta) -> dict:
    """A pack as data; its policy text is tests/sources/plugged.txt, in the test plugins' folder."""
    return {"id": pack_id, "school": "Plugged School", "document": "Plugged Policy", "version": "1",
            "source": "plugged.txt", **meta, "rules": list(rules) or [LENGTH_RULE]}


PLUGGED_TEXT = Path(__file__).parent / "sources" / "plugged.txt"


LENGTH_RULE = {
    "id": "visit-length",
    "kind": "visit_length",
    "max_minutes": 45,
    "outcome": "conditional",
    "message": "Plan the visit to last no longer than 45 minutes.",
    "citation": {"section": "4. Length of visits", "quote": "Home visits should be planned to last no longer than 45 minutes."},
}
BLOCK_LONE = {
    "id": "pairs",
    "kind": "pairing",
    "outcome": "blocked",
    "message": "Never go alone.",
    "citation": {"section": "3. Before the visit", "quote": "Staff never visit alone."},
}
LONG = visit(ONE_STAFF, {"duration_minutes": 60})


def write(path: Path, text: str) -> Path:
    """A pack file, with its policy text beside it in sources/ (added last when the pack names none,
    so that the lines above stay put)."""
    text = textwrap.dedent(text).lstrip()
    if "source" not in text:
        text += "source: plugged.txt\n"
    (path.parent / "sources").mkdir(exist_ok=True)
    (path.parent / "sources" / "plugged.txt").write_text(PLUGGED_TEXT.read_text())
    path.write_text(text, encoding="utf-8")
    return path


# -- policyengine_rule_kinds --------------------------------------------------------------------------


def test_hook_policyengine_rule_kinds_adds_a_kind_that_decides_on_both_engines():
    reg = registry(Kinds(VisitLength), Packs(pack_data()))
    assert reg.kinds()["visit_length"] is VisitLength
    for engine in ENGINES_HERE:
        decision = check(LONG, school="plugged", engine=engine, registry=reg, today=TODAY)
        assert decision.outcome.value == "conditional"
        (finding,) = decision.findings
        assert finding.rule == "visit-length" and finding.remedy == {"duration_minutes": 45}
        assert finding.citation.document == "Plugged Policy"
        fixed = check(merge_patch(LONG, finding.remedy), school="plugged", engine=engine, registry=reg, today=TODAY)
        assert fixed.outcome.value == "permitted"


def test_hook_policyengine_rule_kinds_parameters_are_validated_like_built_ins(tmp_path):
    pack = write(tmp_path / "pack.yaml", """
        id: plugged
        school: Plugged School
        document: Plugged Policy
        version: '1'
        rules:
          - id: too-short
            kind: visit_length
            max_minutes: -5
            outcome: conditional
            message: m
            citation: {section: s, quote: q}
          - id: misspelt
            kind: visit_length
            max_minutez: 45
            outcome: conditional
            message: m
            citation: {section: s, quote: q}
        """)
    with pytest.raises(InputError) as caught:
        load_pack(pack, registry=registry(Kinds(VisitLength)))
    assert [str(p) for p in caught.value.problems] == [
        f"{pack}:8:5: rule 'too-short': 'max_minutes' must be more than 0, not -5",
        f"{pack}:12:5: rule 'misspelt': 'max_minutes' is missing; add it",
        f"{pack}:14:5: rule 'misspelt': unknown field 'max_minutez'; did you mean 'max_minutes'? (remove it or correct the spelling)",
    ]
    # Without the plugin, the kind is unknown, and said so at the rule.
    with pytest.raises(InputError) as caught:
        load_pack(pack, registry=registry())
    assert str(caught.value.problems[0]).startswith(f"{pack}:6:5: unknown rule kind 'visit_length' (known kinds: 'animals'")


def test_a_plugin_kind_is_in_the_pack_schema():
    from policyengine.cli.schema import schema

    assert "visit_length" in json.dumps(schema("pack", registry(Kinds(VisitLength))))
    assert "visit_length" not in json.dumps(schema("pack", registry()))


class BadTrigger(VisitLength):
    kind: Literal["bad_trigger"]
    returns: str = "raise"

    def trigger(self, clock):
        if self.returns == "raise":
            raise ZeroDivisionError("division by zero")
        return {"text": "staff_count < 2", "unknown fact": {"fact": "nonsense", "eq": 1}, "tree": ("not", "a tree")}[self.returns]


BAD_TRIGGER = "<pack 0 from plugin tests.test_plugins.Packs>: rule kind 'bad_trigger' (tests.test_plugins.BadTrigger) failed in trigger() for rule 'bad': "


@pytest.mark.parametrize(
    "returns, said",
    [
        ("raise", "raised ZeroDivisionError('division by zero')"),
        ("text", "returned 'staff_count < 2', which is not a condition (return a mapping such as {'fact': 'staff_count', 'lt': 2})"),
        ("unknown fact", "returned an invalid condition {'fact': 'nonsense', 'eq': 1} (fact: Value error, unknown fact 'nonsense')"),
        ("tree", "returned ('not', 'a tree'), which is not a condition (return a mapping such as {'fact': 'staff_count', 'lt': 2})"),
    ],
)
@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_kind_whose_trigger_fails_gives_an_error_naming_it_never_a_decision(returns, said, engine):
    rule = dict(LENGTH_RULE, id="bad", kind="bad_trigger", returns=returns)
    reg = registry(Kinds(BadTrigger), Packs(pack_data("plugged", rule)))
    with pytest.raises(PluginError) as caught:
        check(LONG, school="plugged", engine=engine, registry=reg, today=TODAY)
    assert str(caught.value) == BAD_TRIGGER + said


class BadRemedy(VisitLength):
    kind: Literal["bad_remedy"]
    returns: str = "raise"

    def suggest_remedy(self, visit):
        if self.returns == "raise":
            raise KeyError("staff")
        return {"list": [{"duration_minutes": 45}], "set": {"tags": {"a"}}}[self.returns]


@pytest.mark.parametrize(
    "returns, said",
    [
        ("raise", "raised KeyError('staff')"),
        ("list", "returned [{'duration_minutes': 45}], not a JSON object (a dict) or None"),
        ("set", "returned a remedy that is not plain JSON (Object of type set is not JSON serializable)"),
    ],
)
def test_a_kind_whose_remedy_fails_gives_an_error_naming_it_never_a_decision(returns, said):
    rule = dict(LENGTH_RULE, id="bad", kind="bad_remedy", returns=returns)
    reg = registry(Kinds(BadRemedy), Packs(pack_data("plugged", rule, BLOCK_LONE)))
    for engine in ENGINES_HERE:
        with pytest.raises(PluginError) as caught:
            check(LONG, school="plugged", engine=engine, registry=reg, today=TODAY)
        assert str(caught.value) == (
            f"rule kind 'bad_remedy' (tests.test_plugins.BadRemedy) failed in suggest_remedy() for rule 'bad': {said}"
        )
        # A visit the rule does not fire on needs no remedy, and is decided as usual.
        short = check(visit(ONE_STAFF, {"duration_minutes": 30}), school="plugged", engine=engine, registry=reg, today=TODAY)
        assert short.outcome.value == "blocked"


def test_a_kind_validator_that_raises_something_other_than_value_error_is_named(tmp_path):
    class Fussy(VisitLength):
        kind: Literal["fussy"]

        @field_validator("max_minutes")
        @classmethod
        def _fuss(cls, value):
            return {}[value]  # a bug: KeyError, where ValueError was meant

    pack = write(tmp_path / "fussy.yaml", json.dumps(pack_data("fussy", dict(LENGTH_RULE, kind="fussy"))))
    with pytest.raises(PluginError) as caught:
        load_pack(pack, registry=registry(Kinds(Fussy)))
    message = str(caught.value)
    # At the rule (the JSON pack is one line): the rule whose kind broke is found and named.
    assert message.startswith(f"{pack}:1:") and f": rule 'visit-length': validating it raised KeyError(45) at {__file__}:" in message
    assert message.endswith("a rule kind's validators must raise ValueError with a message for the pack's author")
    assert [p.line for p in caught.value.problems] == [1]


@pytest.mark.parametrize(
    "returned, said",
    [
        (VisitLength, "policyengine_rule_kinds() returned <class 'tests.test_plugins.VisitLength'>; return a list"),
        ([dict], "policyengine_rule_kinds() returned <class 'dict'>, which is not a rule kind (a subclass of "
                 "policyengine.Rule with a field kind: Literal[\"name\"])"),
        ([Rule], "policyengine_rule_kinds() returned <class 'policyengine._rule.Rule'>, which is not a rule kind "
                 "(a subclass of policyengine.Rule with a field kind: Literal[\"name\"])"),
    ],
)
def test_hook_policyengine_rule_kinds_invalid_returns_are_named(returned, said):
    plugin = Kinds()
    plugin.kinds = returned
    reg = registry(plugin)
    assert "pairing" in reg.kinds()  # the built-in kinds are still there
    assert messages(reg) == [f"plugin tests.test_plugins.Kinds: {said}"]


def test_a_kind_must_define_trigger_and_a_usable_name():
    class NoTrigger(Rule):
        kind: Literal["no_trigger"]

    class BadName(VisitLength):
        kind: Literal["Visit-Length"]

    reg = registry(Kinds(NoTrigger, VisitLength))
    assert "no_trigger" not in reg.kinds() and "visit_length" in reg.kinds()  # only the broken kind is withdrawn
    assert messages(reg) == [
        "plugin tests.test_plugins.Kinds: rule kind 'no_trigger' "
        "(tests.test_plugins.test_a_kind_must_define_trigger_and_a_usable_name.<locals>.NoTrigger) does not define trigger()"
    ]
    (said,) = messages(registry(Kinds(BadName)))
    assert re.search(r"rule kind 'Visit-Length' \(.*BadName\) needs a name of lower-case letters", said)


def test_a_duplicate_kind_name_is_an_error_naming_both_sources():
    class Pairing(VisitLength):
        kind: Literal["pairing"]

    reg = registry(Kinds(Pairing))
    assert reg.kinds()["pairing"].__module__ == "policyengine.rules.pairing"  # a built-in kind keeps its name
    assert messages(reg) == [
        "rule kind 'pairing' is defined twice: policyengine.rules.pairing.Pairing by plugin policyengine.rules "
        "(built in) and tests.test_plugins.test_a_duplicate_kind_name_is_an_error_naming_both_sources.<locals>.Pairing "
        "by plugin tests.test_plugins.Kinds; the built-in one is kept"
    ]

    class Other(VisitLength):
        kind: Literal["visit_length"]

    reg = Registry(entry_points=False)
    reg.register(Kinds(VisitLength), name="first")
    reg.register(Kinds(Other), name="second")
    reg.register(Packs(pack_data("plugged")), name="packs")
    said = (
        "rule kind 'visit_length' is defined twice: tests.test_plugins.VisitLength by plugin first and "
        "tests.test_plugins.test_a_duplicate_kind_name_is_an_error_naming_both_sources.<locals>.Other by plugin second; "
        "neither is used until one is renamed"
    )
    assert "visit_length" not in reg.kinds() and messages(reg) == [said, said]
    # The packs that use the kind are unavailable, saying why; every other pack still decides.
    with pytest.raises(PluginError) as caught:
        load_pack("plugged", registry=reg)
    assert [p.message for p in caught.value.problems] == [f"rule kind 'visit_length' is unavailable: {said}"]
    for engine in ENGINES_HERE:
        assert check(LONG, school="tcat", engine=engine, registry=reg, today=TODAY).outcome.value == "conditional"


# -- policyengine_rule_packs --------------------------------------------------------------------------


def test_hook_policyengine_rule_packs_file_is_addressable_by_id(tmp_path):
    pack = write(tmp_path / "anything.yaml", json.dumps(pack_data("plugged", BLOCK_LONE)))
    reg = registry(Packs(pack))
    assert "plugged" in available_packs(registry=reg)
    assert load_pack("plugged", registry=reg).file == str(pack)
    assert check(visit(ONE_STAFF), school="plugged", registry=reg, today=TODAY).outcome.value == "blocked"
    # The visit may name its school instead.
    assert check(visit(ONE_STAFF, {"school": "plugged"}), registry=reg, today=TODAY).school == "plugged"


def test_hook_policyengine_rule_packs_data_is_addressable_by_id():
    reg = registry(Kinds(VisitLength), Packs(pack_data("plugged")))
    assert "plugged" in available_packs(registry=reg)
    pack = load_pack("plugged", registry=reg)
    assert pack is load_pack("plugged", registry=reg)  # parsed once
    assert pack.file == "<pack 0 from plugin tests.test_plugins.Packs>"
    assert check(LONG, school="plugged", registry=reg, today=TODAY).outcome.value == "conditional"


def test_a_pack_given_as_data_is_validated_and_its_problems_named():
    bad = pack_data("plugged", dict(LENGTH_RULE, max_minutes=0))
    with pytest.raises(PluginError) as caught:
        load_pack("plugged", registry=registry(Kinds(VisitLength), Packs(bad)))
    assert [str(p) for p in caught.value.problems] == [
        "<pack 0 from plugin tests.test_plugins.Packs>: rule 'visit-length': 'max_minutes' must be more than 0, not 0"
    ]
    assert str(caught.value).startswith("rule pack 'plugged' from plugin tests.test_plugins.Packs cannot be used")


@pytest.mark.parametrize(
    "item, said",
    [
        (42, ": policyengine_rule_packs() returned 42; return pack file paths or mappings of pack data"),
        ("missing.yaml", " provides a rule pack that cannot be read: missing.yaml: file not found"),
        ({"school": "No Id"}, " provides a rule pack without an 'id' (pack 0 of its list)"),
        ({"id": "x", "when": {1, 2}}, " provides a rule pack that cannot be used (pack 0 of its list): not plain data: "
                                      "set is not plain data"),
    ],
)
def test_hook_policyengine_rule_packs_invalid_returns_are_named(item, said):
    reg = registry(Packs(item, pack_data("plugged", BLOCK_LONE)))
    assert messages(reg) == [f"plugin tests.test_plugins.Packs{said}"]
    # The pack that cannot be used is left out; the plugin's other pack and the built-ins still decide.
    assert {"plugged", "tcat"} <= set(reg.packs())
    assert check(visit(ONE_STAFF), school="plugged", registry=reg, today=TODAY).outcome.value == "blocked"


def test_hook_policyengine_rule_packs_refuses_a_loaded_pack_and_says_why(tmp_path):
    loaded = load_pack(write(tmp_path / "p.yaml", json.dumps(pack_data("plugged", BLOCK_LONE))), registry=registry())
    assert messages(registry(Packs(loaded))) == [(
        "plugin tests.test_plugins.Packs: policyengine_rule_packs() returned a loaded pack ('plugged'); return its "
        "file or its data instead, so that it is validated against the rule kinds of the registry that loads it"
    )]


def test_hook_policyengine_rule_packs_not_a_list_is_named():
    plugin = Packs()
    plugin.packs = "pack.yaml"
    assert messages(registry(plugin)) == [
        "plugin tests.test_plugins.Packs: policyengine_rule_packs() returned 'pack.yaml'; return a list"
    ]


def test_a_duplicate_pack_id_is_an_error_naming_both_sources(tmp_path):
    one = write(tmp_path / "one.yaml", json.dumps(pack_data("plugged", BLOCK_LONE)))
    two = write(tmp_path / "two.yaml", json.dumps(pack_data("plugged", BLOCK_LONE)))
    reg = Registry(entry_points=False)
    reg.register(Packs(one), name="trust-plugin")
    reg.register(Packs(two), name="school-plugin")
    said = (f"rule pack 'plugged' is provided twice: {one} by plugin trust-plugin and {two} by plugin school-plugin; "
            "neither is used until one is renamed")
    assert messages(reg) == [said, said]
    with pytest.raises(PluginError) as caught:  # the id is unavailable from either, whatever the order
        load_pack("plugged", registry=reg)
    assert str(caught.value) == said
    for engine in ENGINES_HERE:  # every other pack still decides
        assert check(LONG, school="tcat", engine=engine, registry=reg, today=TODAY).outcome.value == "conditional"
    reg = Registry(entry_points=False)
    reg.register(Packs(one), name="files")
    reg.register(Packs(pack_data("plugged", BLOCK_LONE)), name="data")
    assert messages(reg)[0] == (
        f"rule pack 'plugged' is provided twice: {one} by plugin files and <pack 0 from plugin data> by plugin data; "
        "neither is used until one is renamed"
    )
    # A plugin's pack with a built-in pack's id: the built-in keeps it.
    reg = registry(Packs(write(tmp_path / "tcat.yaml", json.dumps(pack_data("tcat", BLOCK_LONE)))))
    assert load_pack("tcat", registry=reg).school == "The Consortium Academy Trust"
    assert messages(reg)[0].endswith("; the built-in one is kept")


class Nosy:
    """A plugin that asks the registry for a pack while the registry is asking it for packs."""

    reg = None

    @hookimpl
    def policyengine_rule_packs(self):
        return [policyengine.load_pack("tcat", registry=self.reg)]


def test_a_plugin_pack_may_not_call_back_into_the_registry_while_packs_are_collected():
    nosy = Nosy()
    nosy.reg = registry(nosy)
    assert messages(nosy.reg) == [
        "plugin tests.test_plugins.Nosy: policyengine_rule_packs() raised PluginError(\"a plugin asked for the "
        "registry's packs while policyengine_rule_packs was being called; a hook must not call back into "
        "policyengine\"); its packs are unavailable"
    ]


# -- policyengine_visit_facts ------------------------------------------------------------------------


class Facts:
    """A plugin adding visit facts."""

    def __init__(self, *facts):
        self.facts = list(facts)

    @hookimpl
    def policyengine_visit_facts(self):
        return self.facts


WEATHER = VisitFact("weather_warning", "enum", "the weather warning in force where the visit is",
                    values=("none", "yellow", "amber", "red"))
DEVICE = VisitFact("lone_worker_device", "bool", "every member of staff carries a lone-worker alarm")
DOGS = VisitFact("dogs_loose", "bool", "dogs are loose in the front garden", phase="door")


class LoneWorker(Rule):
    """A lone visit needs a lone-worker alarm: a plugin kind testing a plugin fact."""

    kind: Literal["lone_worker"]

    def trigger(self, clock):
        return {"all": [{"fact": "staff_count", "lt": 2}, {"fact": "lone_worker_device", "ne": True}]}

    def suggest_remedy(self, visit):
        return {"facts": {**(visit.get("facts") or {}), "lone_worker_device": True}}


WEATHER_RULE = {"id": "weather", "kind": "condition", "when": {"fact": "weather_warning", "in": ["amber", "red"]},
                "outcome": "blocked", "message": "No visits under an amber or red warning.",
                "citation": {"section": "3. Before the visit", "quote": "Staff never visit alone."}}
DEVICE_RULE = {"id": "device", "kind": "lone_worker", "outcome": "conditional", "message": "Take a lone-worker alarm.",
               "citation": {"section": "3. Before the visit", "quote": "Staff never visit alone."}}


class Other:
    """A second plugin declaring one of the same facts, differently."""

    @hookimpl
    def policyengine_visit_facts(self):
        return [VisitFact("weather_warning", "bool", "it is windy")]


def facts_registry(*extra):
    return registry(Facts(WEATHER, DEVICE, DOGS), Kinds(LoneWorker), Packs(pack_data("plugged", WEATHER_RULE, DEVICE_RULE)), *extra)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_hook_policyengine_visit_facts_adds_facts_that_a_plugin_kind_and_the_condition_kind_test(engine):
    reg = facts_registry()
    assert set(reg.facts()) == {"weather_warning", "lone_worker_device", "dogs_loose"}

    def decide(v):
        return check(v, school="plugged", engine=engine, registry=reg, today=TODAY)

    lone = visit(ONE_STAFF)
    not_known = decide(lone)  # not given is "not known": the alarm is asked for, never assumed
    assert not_known.outcome.value == "conditional"
    (finding,) = not_known.findings
    assert finding.rule == "device" and finding.remedy == {"facts": {"lone_worker_device": True}}
    assert decide(merge_patch(lone, finding.remedy)).outcome.value == "permitted"
    assert decide(visit(ONE_STAFF, {"facts": {"lone_worker_device": True, "weather_warning": "red"}})).outcome.value == "blocked"
    assert decide(visit(ONE_STAFF, {"facts": {"lone_worker_device": True, "weather_warning": "yellow"}})).outcome.value == "permitted"
    assert policyengine.combined_remedy(lone, school="plugged", engine=engine, registry=reg, today=TODAY) == finding.remedy


def test_hook_policyengine_visit_facts_values_are_checked_like_built_in_facts(tmp_path, monkeypatch):
    from policyengine.cli.main import main

    monkeypatch.setattr(_plugins, "_default", facts_registry())
    visit_file = tmp_path / "visit.yaml"
    visit_file.write_text(
        "purpose: attendance\nstart: '2026-11-23T10:00'\nstaff: [{role: attendance_officer}]\n"
        "facts:\n  weather_warning: purple\n  lone_worker_device: yes\n  lone_worker_devise: true\n  dogs_loose: true\n"
    )
    with pytest.raises(InputError) as caught:
        policyengine.load_visit(visit_file)
    assert [str(p) for p in caught.value.problems] == [
        f"{visit_file}:5:3: 'facts.weather_warning' cannot be 'purple'; it must be one of: none, yellow, amber, red",
        f"{visit_file}:6:3: 'facts.lone_worker_device' must be true or false, not 'yes'",
        f"{visit_file}:7:3: unknown fact 'lone_worker_devise' in 'facts'; did you mean 'lone_worker_device'? (the facts "
        "plugins add here: dogs_loose, lone_worker_device, weather_warning)",
        f"{visit_file}:8:3: 'facts.dogs_loose' is found at the door: give it with on_arrival, once staff are there",
    ]
    assert main(["check", str(visit_file), "--school", "plugged"]) == 2
    # A registry without the plugin knows none of them.
    with pytest.raises(InputError, match=r"unknown fact 'weather_warning' in 'facts' \(no plugin adds visit facts here\)"):
        check(visit({"facts": {"weather_warning": "red"}}), school="tcat", registry=registry(), today=TODAY)


def test_hook_policyengine_visit_facts_a_pack_may_test_only_the_facts_its_registry_declares(tmp_path):
    facts_registry().facts()  # declared in this process by another registry...
    pack = write(tmp_path / "weather.yaml", json.dumps(pack_data("plugged", WEATHER_RULE)))
    with pytest.raises(InputError) as caught:  # ...but not by this one
        load_pack(pack, registry=registry())
    assert [p.message for p in caught.value.problems] == [
        "rule 'weather' tests the fact 'weather_warning', which no plugin here adds (policyengine facts lists the facts)"
    ]


def test_hook_policyengine_visit_facts_invalid_declarations_are_named():
    reg = registry(Facts(VisitFact("staff_count", "int", "clash"), VisitFact("Bad Name", "bool", "x"),
                         VisitFact("mood", "colour", "x"), "not a fact", WEATHER), Other())
    assert reg.facts() == {}
    assert messages(reg) == [
        "plugin tests.test_plugins.Facts: fact 'staff_count' is a built-in fact's name (or reserved); choose another",
        "plugin tests.test_plugins.Facts: fact name 'Bad Name' must be lower-case letters, digits and _, starting with a letter",
        "plugin tests.test_plugins.Facts: fact 'mood': type must be 'bool', 'int' or 'enum', not 'colour'",
        "plugin tests.test_plugins.Facts: policyengine_visit_facts() returned 'not a fact', which is not a policyengine.VisitFact",
        "visit fact 'weather_warning' is declared twice, differently: enum (the weather warning in force where the visit is) "
        "by plugin tests.test_plugins.Facts and bool (it is windy) by plugin tests.test_plugins.Other; neither is used "
        "until one is renamed",
    ] + ["visit fact 'weather_warning' is declared twice, differently: enum (the weather warning in force where the "
         "visit is) by plugin tests.test_plugins.Facts and bool (it is windy) by plugin tests.test_plugins.Other; "
         "neither is used until one is renamed"]


def test_hook_policyengine_visit_facts_one_name_has_one_meaning_in_a_program():
    first = registry(Facts(VisitFact("kettle_on", "bool", "the kettle is on")))
    assert set(first.facts()) == {"kettle_on"}
    second = registry(Facts(VisitFact("kettle_on", "int", "cups of tea offered")))
    assert second.facts() == {} and messages(second) == [
        "plugin tests.test_plugins.Facts: visit fact 'kettle_on' is declared differently by another registry in this "
        "program (bool, 'the kettle is on'); one name has one meaning"
    ]
    assert set(first.facts()) == {"kettle_on"}  # the first registry's packs and visits are unaffected


def test_the_facts_command_lists_the_facts_plugins_add(monkeypatch, capsys):
    from policyengine.cli.main import main

    monkeypatch.setattr(_plugins, "_default", facts_registry())
    assert main(["facts"]) == 0
    out = capsys.readouterr().out
    assert "weather_warning              one of none|yellow|amber|red|unknown (plan; from plugin tests.test_plugins.Facts)\n" in out
    assert "dogs_loose                   bool (door; from plugin tests.test_plugins.Facts)\n" in out


# -- policyengine_decision_made -----------------------------------------------------------------------


def test_hook_policyengine_decision_made_gets_a_summary_of_the_visit_by_default():
    listener = Listener()
    reg = registry(Kinds(VisitLength), Packs(pack_data()), listener)
    decision = check(LONG, school="plugged", registry=reg, today=TODAY)
    ((told, summary),) = listener.told
    assert told == decision
    assert isinstance(summary, VisitSummary) and not isinstance(summary, Visit)
    assert summary == VisitSummary(school="plugged", purpose="attendance", digest=visit_digest(Visit.model_validate(LONG)))
    assert "staff" not in summary.model_dump()


def test_hook_policyengine_decision_made_gets_the_visit_only_when_the_caller_shares_it():
    listener = Listener()
    reg = registry(Kinds(VisitLength), Packs(pack_data()), listener)
    check(LONG, school="plugged", registry=reg, today=TODAY, share_visit=True)
    ((_, shared),) = listener.told
    assert shared == Visit.model_validate(LONG)


def test_hook_policyengine_decision_made_is_told_of_each_decision_check_many_makes():
    listener = Listener()
    reg = registry(Kinds(VisitLength), Packs(pack_data()), listener)
    visits = [LONG, visit(ONE_STAFF, {"duration_minutes": 30}), LONG]
    decisions = check_many(visits, school="plugged", registry=reg, today=TODAY)
    assert [d for d, _ in listener.told] == decisions
    assert [s.digest for _, s in listener.told] == [visit_digest(Visit.model_validate(v)) for v in visits]
    check_many(visits[:1], school="plugged", registry=reg, today=TODAY, share_visit=True)
    assert listener.told[-1][1] == Visit.model_validate(LONG)


def test_a_listener_that_raises_gets_an_error_never_a_decision_and_the_others_are_still_told():
    audit = Listener()
    reg = registry(Packs(pack_data("plugged", BLOCK_LONE)), audit, RaisingListener())
    with pytest.raises(PluginError) as caught:
        check(visit(ONE_STAFF), school="plugged", registry=reg, today=TODAY)
    assert str(caught.value) == (
        "a decision listener failed, so no decision is returned (it may not have been recorded): plugin "
        "tests.test_plugins.RaisingListener raised RuntimeError('listener broke')"
    )
    # The audit log still saw the (blocked) decision.
    assert [d.outcome.value for d, _ in audit.told] == ["blocked"]
    with pytest.raises(PluginError) as caught:
        check_many([visit(ONE_STAFF)] * 3, school="plugged", registry=reg, today=TODAY)
    assert str(caught.value).endswith("raised RuntimeError('listener broke') (3 times)")
    assert len(audit.told) == 4


def test_a_listener_cannot_change_the_decision_the_caller_gets():
    class Meddler:
        @hookimpl
        def policyengine_decision_made(self, decision, visit):
            decision.findings.clear()  # the model is frozen, but its list is not: it is a copy

    reg = registry(Packs(pack_data("plugged", BLOCK_LONE)), Meddler())
    decision = check(visit(ONE_STAFF), school="plugged", registry=reg, today=TODAY)
    assert decision.outcome.value == "blocked" and [f.rule for f in decision.findings] == ["pairs"]


# -- registering --------------------------------------------------------------------------------------


def test_a_misspelt_hook_is_an_error_not_silently_ignored():
    class Misspelt:
        @hookimpl
        def policyengine_rule_kind(self):
            return [VisitLength]

    with pytest.raises(PluginError) as caught:
        registry(Misspelt())
    assert str(caught.value) == (
        "plugin tests.test_plugins.test_a_misspelt_hook_is_an_error_not_silently_ignored.<locals>.Misspelt: "
        "'policyengine_rule_kind' is not a policyengine hook; did you mean 'policyengine_rule_kinds'?"
    )


def test_a_hook_with_the_wrong_parameters_or_a_wrapper_is_refused():
    class Extra:
        @hookimpl
        def policyengine_decision_made(self, decision, visit, extra):
            pass

    class Wrapper:
        @hookimpl(wrapper=True)
        def policyengine_rule_kinds(self):
            return (yield)

    with pytest.raises(PluginError, match=r"^plugin .*Extra is not a valid policyengine plugin: .*\{'extra'\} are declared in the hookimpl but can not be found in the hookspec$"):
        registry(Extra())
    with pytest.raises(PluginError, match=r"^plugin .*Wrapper: policyengine_rule_kinds cannot be a hook wrapper"):
        registry(Wrapper())


def test_registering_the_same_plugin_twice_does_nothing_and_two_instances_are_two_plugins():
    one, two = Listener(), Listener()
    reg = registry(one, one, two)
    names = [r.info.name for r in reg.report()]
    assert names[-2:] == ["tests.test_plugins.Listener", "tests.test_plugins.Listener-2"]
    reg.register(one)
    assert [r.info.name for r in reg.report()] == names


def test_registering_a_kind_later_makes_packs_that_use_it_loadable(tmp_path):
    pack = write(tmp_path / "p.yaml", json.dumps(pack_data("plugged")))
    reg = registry()
    with pytest.raises(InputError):
        load_pack(pack, registry=reg)
    reg.register(Kinds(VisitLength))
    assert load_pack(pack, registry=reg).rules[0].kind == "visit_length"


def test_policyengine_register_adds_to_the_default_registry(monkeypatch):
    monkeypatch.setattr(_plugins, "_default", Registry(entry_points=False))
    policyengine.register(Kinds(VisitLength), name="lengths")
    policyengine.register(Packs(pack_data()), name="plugged-packs")
    assert "plugged" in available_packs()
    assert check(LONG, school="plugged", today=TODAY).outcome.value == "conditional"


def test_hooks_that_raise_are_named():
    reg = registry(Raising())
    assert messages(reg) == [
        "plugin tests.test_plugins.Raising: policyengine_rule_kinds() raised RuntimeError('kinds broke'); its kinds are unavailable",
        "plugin tests.test_plugins.Raising: policyengine_rule_packs() raised RuntimeError('packs broke'); its packs are unavailable",
    ]
    assert check(LONG, school="tcat", registry=reg, today=TODAY).outcome.value == "conditional"


# -- entry points -------------------------------------------------------------------------------------


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a distribution the cheap way: a module and a .dist-info folder on sys.path."""

    def install(dist: str, module: str, code: str, version: str = "1.2.3") -> None:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[policyengine]\n{module.split('_')[-1]} = {module}\n")
        monkeypatch.delitem(sys.modules, module, raising=False)

    monkeypatch.syspath_prepend(str(tmp_path))
    yield install
    for name in [m for m in sys.modules if m.startswith("pe_test_")]:
        del sys.modules[name]


def test_installed_plugins_are_found_through_the_entry_point_group_with_their_distribution(installed):
    installed("pe-test-lengths", "pe_test_lengths", """
        from policyengine import hookimpl
        from tests.test_plugins import VisitLength

        @hookimpl
        def policyengine_rule_kinds():
            return [VisitLength]
        """)
    reg = Registry()
    assert reg.kinds()["visit_length"] is VisitLength
    (report,) = [r for r in reg.report() if r.info.name == "lengths"]
    assert str(report.info) == "lengths (from pe-test-lengths 1.2.3)"
    assert report.kinds == ("visit_length",)
    assert "visit_length" not in Registry(entry_points=False).kinds()


def test_an_installed_plugin_that_fails_to_import_is_named(installed):
    installed("pe-test-broken", "pe_test_broken", "raise ImportError('needs a module that is not installed')\n")
    reg = Registry()  # building the registry does not fail: the tools to diagnose it still work
    said = ("plugin broken (from pe-test-broken 1.2.3) failed to load (pe_test_broken): "
            "raised ImportError('needs a module that is not installed')")
    assert [(p.plugin, p.message, p.fatal) for p in reg.problems()] == [("broken", said, True)]
    assert "tcat" in reg.packs()
    # It may have been an audit listener: no decision is handed out until it is fixed or uninstalled.
    with pytest.raises(PluginError) as caught:
        check(LONG, school="tcat", registry=reg, today=TODAY)
    assert str(caught.value) == ("no decision is handed out while an installed plugin cannot be loaded (it may be a "
                                 f"decision listener, such as an audit log): {said}")


# -- policyengine plugins -----------------------------------------------------------------------------


def test_plugins_lists_what_each_plugin_provides_and_from_where(tmp_path):
    from policyengine.cli.plugins import plugins_data, render_plugins

    reg = Registry(entry_points=False)
    reg.register(Kinds(VisitLength), name="lengths")
    reg.register(Packs(pack_data("plugged-b"), pack_data("plugged-a")), name="packs")
    reg.register(Listener(), name="audit")
    reg.register(Kinds(), name="idle")
    text = render_plugins(reg)
    version = policyengine.__version__
    assert text.startswith(
        f"policyengine.rules: built in (homevisit-policyengine {version})\n"
        "  rule kinds: animals, authorisation, condition, entry, household, pairing, preparation, rooms, staffing, "
        "time_window, wait_limit\n"
        f"policyengine._builtin_packs: built in (homevisit-policyengine {version})\n"
    )
    assert text.endswith(
        "lengths: registered in code\n"
        "  rule kinds: visit_length\n"
        "packs: registered in code\n"
        "  packs: plugged-a, plugged-b\n"
        "audit: registered in code\n"
        "  listens to decisions\n"
        "idle: registered in code\n"
        "  provides nothing\n"
    )
    assert plugins_data(reg)[-3] == {
        "name": "packs", "builtin": False, "distribution": None, "version": None,
        "kinds": [], "packs": ["plugged-a", "plugged-b"], "facts": [], "listens": False, "problems": [],
    }


def test_plugins_command_lists_a_broken_plugin_and_why_and_exits_1(monkeypatch, capsys):
    from policyengine.cli.main import main

    monkeypatch.setattr(_plugins, "_default", registry(Raising()))
    assert main(["plugins"]) == 1
    out, err = capsys.readouterr()
    assert out.endswith(
        "tests.test_plugins.Raising: registered in code\n"
        "  BROKEN: plugin tests.test_plugins.Raising: policyengine_rule_kinds() raised RuntimeError('kinds broke'); "
        "its kinds are unavailable\n"
        "  BROKEN: plugin tests.test_plugins.Raising: policyengine_rule_packs() raised RuntimeError('packs broke'); "
        "its packs are unavailable\n"
    )
    assert err == "1 plugin(s) broken: what they offer that cannot be used is listed under BROKEN\n"


def test_check_command_names_a_broken_listener_and_exits_1(monkeypatch, capsys, tmp_path):
    from policyengine.cli.main import main

    monkeypatch.setattr(_plugins, "_default", registry(Packs(pack_data("plugged", BLOCK_LONE)), RaisingListener()))
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit(ONE_STAFF)))
    assert main(["check", str(visit_file), "--school", "plugged"]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no decision shown, let alone a permitted one
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("policyengine: error: a decision listener failed") and "listener broke" in err


# -- meta: every hook documented and tested (as datasette does) ---------------------------------------


@pytest.mark.parametrize("hook", _plugins.HOOKS)
def test_every_hook_is_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Called" in doc, f"{hook}: say when it is called"
    assert "Return" in doc or "return value" in doc, f"{hook}: say what it returns"
    for parameter in inspect.signature(getattr(hookspecs, hook)).parameters:
        assert f":param {parameter}:" in doc, f"{hook}: document the parameter {parameter}"
    assert ":return:" in doc, f"{hook}: say what it returns"
    assert "Example" in doc and "@policyengine.hookimpl" in doc, f"{hook}: give an example"
    signature = inspect.signature(getattr(hookspecs, hook))
    assert signature.return_annotation is not inspect.Signature.empty, f"{hook}: type what it returns"
    assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), f"{hook}: type it"
    assert "PluginError" in doc, f"{hook}: say what happens when it fails"


@pytest.mark.parametrize("hook", _plugins.HOOKS)
def test_every_hook_has_tests(hook):
    tests = [name for name in globals() if name.startswith(f"test_hook_{hook}")]
    assert tests, f"add a test named test_hook_{hook}_..."


def test_the_hooks_are_exactly_the_documented_ones():
    assert _plugins.HOOKS == (
        "policyengine_decision_made", "policyengine_rule_kinds", "policyengine_rule_packs", "policyengine_visit_facts"
    )


def test_lint_without_files_covers_plugin_packs_given_as_data(monkeypatch, capsys):
    from policyengine import rules
    from policyengine.cli.main import main

    never = dict(BLOCK_LONE, id="never", kind="condition", when={"fact": "staff_count", "lt": 0})
    reg = Registry(plugins=[rules, Packs(pack_data("plugged", BLOCK_LONE, never))], entry_points=False, builtins=False)
    monkeypatch.setattr(_plugins, "_default", reg)
    assert main(["lint"]) == 1
    out, err = capsys.readouterr()
    assert out == "<pack 0 from plugin tests.test_plugins.Packs>: error: rule 'never' can never fire: no visit meets its condition\n"
    assert err == "1 pack(s): 1 error(s), 0 warning(s)\n"


def test_two_classes_for_one_kind_name_in_two_registries_never_share_a_compiled_pack():
    class Stricter(VisitLength):
        kind: Literal["visit_length"]

        def trigger(self, clock):
            return {"fact": "duration_minutes", "gt": self.max_minutes - 30}

    lenient = registry(Kinds(VisitLength), Packs(pack_data()))
    strict = registry(Kinds(Stricter), Packs(pack_data()))
    forty = visit(ONE_STAFF, {"duration_minutes": 40})
    for engine in ENGINES_HERE:
        assert check(forty, school="plugged", engine=engine, registry=lenient, today=TODAY).outcome.value == "permitted"
        assert check(forty, school="plugged", engine=engine, registry=strict, today=TODAY).outcome.value == "conditional"
    assert load_pack("plugged", registry=lenient).digest != load_pack("plugged", registry=strict).digest


# -- learning a pack file's id without parsing it ---------------------------------------------------

@pytest.mark.parametrize(
    "first_lines, expected",
    [
        ("id: oak\n", "oak"),
        ('id: "oak"   # the school\n', "oak"),
        ("id: 'oak-hill_2'\n", "oak-hill_2"),
        ("{id: oak, school: S}\n", "oak"),  # not an id line: the YAML is parsed instead
    ],
)
def test_a_pack_files_id_is_read_from_its_id_line(tmp_path, first_lines, expected):
    from policyengine.plugins.registry import peek_pack_id

    f = tmp_path / "p.yaml"
    f.write_text(first_lines + ("school: S\n" if not first_lines.startswith("{") else ""))
    assert peek_pack_id(f) == expected


def test_a_pack_whose_id_was_misread_is_refused_when_loaded(tmp_path, monkeypatch):
    """The id line is a shortcut; loading checks the real id, so a misread can never swap packs."""
    import policyengine.plugins.registry as pack_module

    f = write(tmp_path / "p.yaml", (Path(__file__).parent / "lint" / "valid.yaml").read_text())
    (tmp_path / "sources" / "source.txt").write_text((Path(__file__).parent / "lint" / "source.txt").read_text())
    real = pack_module.peek_pack_id
    monkeypatch.setattr(pack_module, "peek_pack_id", lambda path: "other" if path == f else real(path))
    reg = registry(Packs(f))
    with pytest.raises(PluginError) as caught:
        load_pack("other", registry=reg)
    assert [str(p) for p in caught.value.problems] == [f"{f}:2:1: this pack was offered as 'other' but its id is 'lintdemo'"]


def test_a_pack_given_as_data_finds_its_policy_text_in_the_plugin_s_folder_for_the_report_too():
    from policyengine.cli.report import render_report
    from policyengine.packs.checks import source_path

    pack = load_pack("plugged", registry=registry(Kinds(VisitLength), Packs(pack_data())))
    assert source_path(pack, pack._loaded) == PLUGGED_TEXT  # tests/sources/, beside this plugin's module
    assert 'id="policy"' in render_report(pack)
