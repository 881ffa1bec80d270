"""Issue 14 (packs and plugins people can trust) and issue 12 items 7 and 10 (plugin parts): one test
per numbered problem, each seen to fail on the code before the fix and to pass now, on both engines
where a decision is involved. Fuller tests of each feature live beside it (test_plugins,
test_plugin_calls, test_inherit, test_schema, test_readme_plugin, lint/test_lint); these reproduce
what the issue reported, as it reported it.

Names the fixes added to the library are imported inside the tests, so that this file runs against
the code before them too (that is how "failed before" was seen).
"""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from pathlib import Path
from typing import Literal, Optional

import pytest

from policyengine import InputError, PluginError, Registry, Rule, check, hookimpl, load_pack
from policyengine.cli.main import main
from policyengine.plugins import registry as _plugins
from tests.conftest import ENGINE_PARAMS, ENGINES_HERE
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, PREPARED, visit

ROOT = Path(__file__).resolve().parents[1]
SCHOOLS = ROOT / "schools"


def write(folder: Path, name: str, text: str, sources: Optional[dict] = None) -> Path:
    """A pack file in ``folder``, with ``sources`` (file name -> text) in ``sources/`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for file, body in (sources or {}).items():
        (folder / "sources").mkdir(exist_ok=True)
        (folder / "sources" / file).write_text(body, encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


TEXT = "4. Personal safety\nStaff never visit alone.\n"
PAIRS = """
    id: pairs
    school: Test School
    document: Test Policy
    version: '1'
    {source}
    rules:
      - id: pairs
        kind: pairing
        outcome: blocked
        message: Never go alone.
        citation: {{section: 4. Personal safety, quote: {quote}}}
    """


# -- 14.1: quotes that are never checked ----------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_1_a_pack_that_names_no_policy_text_is_refused_by_check_not_decided(tmp_path, engine):
    pack = write(tmp_path, "pairs.yaml", PAIRS.format(source="", quote="An invented sentence."))
    with pytest.raises(InputError) as caught:
        check(visit(ONE_STAFF), school=str(pack), engine=engine, today=TODAY)
    assert [p.message for p in caught.value.problems][0].startswith("'source' is missing")


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_1_a_pack_whose_policy_text_is_missing_is_refused_naming_the_file_to_ship(tmp_path, engine):
    pack = write(tmp_path, "pairs.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone."))
    with pytest.raises(InputError) as caught:
        check(visit(ONE_STAFF), school=str(pack), engine=engine, today=TODAY)
    assert [p.message for p in caught.value.problems] == [
        f"the policy text 'pairs.txt' is missing, so the pack's quotes cannot be checked: ship it as "
        f"{tmp_path}/sources/pairs.txt (in a plugin, as package data beside the pack)"
    ]
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "pairs.txt").write_text(TEXT)  # shipped: the pack decides
    assert check(visit(ONE_STAFF), school=str(pack), engine=engine, today=TODAY).outcome.value == "blocked"


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_1_an_invented_quote_in_a_plugin_pack_is_never_shown_to_staff(tmp_path, engine):
    pack = write(tmp_path, "pairs.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff may always go alone."),
                 {"pairs.txt": TEXT})

    class Packs:
        @hookimpl
        def policyengine_rule_packs(self):
            return [pack]

    reg = Registry(plugins=[Packs()], entry_points=False)
    with pytest.raises(PluginError) as caught:
        check(visit(ONE_STAFF), school="pairs", engine=engine, registry=reg, today=TODAY)
    assert "the quote is not in the policy text" in str(caught.value) and str(pack) in str(caught.value)
    assert check(visit(ONE_STAFF), school="tcat", engine=engine, registry=reg, today=TODAY).outcome.value == "conditional"


# -- 14.2: yes, no and 1 are not booleans in packs ------------------------------------------------------


@pytest.mark.parametrize("written", ["no", "yes", "1", "'false'"])
def test_14_2_yes_no_and_1_are_refused_in_packs_with_the_message_visits_get(tmp_path, written):
    text = (SCHOOLS / "tcat.yaml").read_text().replace("needs_justification: true", f"needs_justification: {written}")
    pack = write(tmp_path, "tcat.yaml", text, {"tcat.txt": (SCHOOLS / "sources" / "tcat.txt").read_text()})
    with pytest.raises(InputError) as caught:
        load_pack(pack)
    value = {"no": "'no'", "yes": "'yes'", "1": "1", "'false'": "'false'"}[written]
    (problem,) = caught.value.problems
    assert problem.message == f"rule 'outside-school-hours': 'needs_justification' must be true or false, not {value}"
    with pytest.raises(InputError) as visit_said:  # the same words as a visit's
        check(visit({"first_visit": "no"}), school="tcat", today=TODAY)
    assert visit_said.value.problems[0].message == "'first_visit' must be true or false, not 'no'"


# -- 14.3: a school pack cannot loosen its trust's rules without a word ---------------------------------

TRUST_TEXT = ("Staff will wait no longer than 15 minutes; if the parents do not arrive, the visit is cancelled. "
              "Two members of staff make every home visit. Every visit is authorised by the headteacher.")
TRUST = """
    id: trust
    school: Example Trust
    document: Trust Policy
    version: '1'
    source: trust.txt
    rules:
      - id: wait
        kind: wait_limit
        minutes: 15
        stage: exceeded
        outcome: blocked
        message: Cancel the visit.
        citation: {section: '1', quote: 'Staff will wait no longer than 15 minutes; if the parents do not arrive, the visit is cancelled.'}
      - id: two-staff
        kind: pairing
        outcome: blocked
        message: Two of you go.
        citation: {section: '1', quote: Two members of staff make every home visit.}
      - id: pairs-first
        kind: pairing
        applies_to: first_visits
        outcome: blocked
        message: Never a lone first visit.
        citation: {section: '1', quote: Two members of staff make every home visit.}
      - id: authorised
        kind: authorisation
        any_of: [headteacher]
        outcome: conditional
        message: The headteacher authorises every visit.
        citation: {section: '1', quote: Every visit is authorised by the headteacher.}
    """
SCHOOL = """
    id: school
    extends: trust
    overrides: [wait, pairs-first]
    removes: [two-staff, authorised]
    school: Example School
    document: School Procedure
    version: '1'
    source: school.txt
    rules:
      - id: wait
        kind: wait_limit
        minutes: 30
        stage: exceeded
        outcome: blocked
        message: Cancel the visit.
        citation: {section: '1', quote: We wait 30 minutes.}
      - id: pairs-first
        kind: pairing
        applies_to: first_visits
        outcome: permitted
        message: Take care on a first visit.
        citation: {section: '1', quote: Lone first visits are agreed case by case.}
    """
LOOSENS = """
    loosens:
      wait: the governors agreed a longer wait
      two-staff: lone working is covered by our own procedure
      authorised: the DSL authorises visits here
      pairs-first: lone first visits are agreed case by case
    """


def trust_registry(tmp_path: Path, school: str) -> Registry:
    files = [write(tmp_path, "trust.yaml", TRUST, {"trust.txt": TRUST_TEXT}),
             write(tmp_path, "school.yaml", school, {"school.txt": "We wait 30 minutes. Lone first visits are agreed case by case."})]

    class Packs:
        @hookimpl
        def policyengine_rule_packs(self):
            return files

    return Registry(plugins=[Packs()], entry_points=False)


def test_14_3_an_undeclared_loosening_is_refused_naming_each_rule_with_a_witness(tmp_path):
    reg = trust_registry(tmp_path, SCHOOL)
    with pytest.raises(PluginError) as caught:
        load_pack("school", registry=reg)
    said = {p.message.split("'")[1]: p.message for p in caught.value.problems}
    assert set(said) == {"wait", "two-staff", "authorised", "pairs-first"}
    assert said["wait"].startswith("rule 'wait' of 'trust': a visit 'trust' decides blocked is permitted under 'school', "
                                   "for example the fully prepared visit with {\"on_arrival\": {\"minutes_waited\": 16")
    assert said["authorised"].startswith("rule 'authorised' of 'trust': a visit 'trust' decides conditional is permitted")
    assert all(m.endswith(f"with the reason ({rule}: why)") for rule, m in said.items())


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_3_a_declared_loosening_loads_and_its_witness_is_decided_as_shown(tmp_path, engine, capsys, monkeypatch):
    reg = trust_registry(tmp_path, SCHOOL + LOOSENS)
    school = load_pack("school", registry=reg)
    witnesses = {d.rule: d.found for d in school.loosened}
    assert set(witnesses) == {"wait", "two-staff", "authorised", "pairs-first"}
    for rule, found in witnesses.items():
        decided = [check(found.visit, school=pack, engine=engine, registry=reg, today=TODAY).outcome.value
                   for pack in ("trust", "school")]
        assert decided == [found.old_outcome, found.new_outcome] and found.old_outcome != found.new_outcome, rule
    # What the issue saw: a lone, unauthorised first visit went from BLOCKED to PERMITTED, unremarked.
    lone = visit(ONE_STAFF, {"approvals": [], "first_visit": True})
    assert check(lone, school="trust", engine=engine, registry=reg, today=TODAY).outcome.value == "blocked"
    assert check(lone, school="school", engine=engine, registry=reg, today=TODAY).outcome.value == "permitted"
    monkeypatch.setattr(_plugins, "_default", reg)
    assert main(["lint", str(tmp_path / "school.yaml")]) == 0
    notes = capsys.readouterr().out.splitlines()
    assert len(notes) == 4 and all(": note: rule '" in n and "is loosened, as declared (" in n for n in notes)


# -- 14.4: one broken plugin does not stop every school --------------------------------------------------


def test_14_4_a_duplicate_pack_id_a_duplicate_kind_and_a_missing_pack_file_leave_every_other_pack_deciding(
        tmp_path, monkeypatch, capsys):
    pack = write(tmp_path, "pairs.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone."),
                 {"pairs.txt": TEXT})

    class Broken:
        @hookimpl
        def policyengine_rule_packs(self):
            return [pack, pack, tmp_path / "missing.yaml", SCHOOLS / "tcat.yaml"]  # pairs twice; tcat is built in

        @hookimpl
        def policyengine_rule_kinds(self):
            from policyengine.rules import Pairing

            class Pairing2(Pairing):
                kind: Literal["pairing"]

            return [Pairing2]

    reg = Registry(plugins=[Broken()], entry_points=False)
    for engine in ENGINES_HERE:
        for school in ("tcat", "washwood"):
            assert check(visit(), school=school, engine=engine, registry=reg, today=TODAY).outcome.value == "permitted"
    monkeypatch.setattr(_plugins, "_default", reg)
    assert main(["plugins"]) == 1  # the tool to diagnose it works, and says what is broken
    out = capsys.readouterr().out
    assert out.count("  BROKEN: ") >= 3 and "missing.yaml: file not found" in out and "is provided twice" in out


class RaisingTrigger(Rule):
    kind: Literal["raising"]

    def trigger(self, clock):
        raise ZeroDivisionError("division by zero")


def test_14_4_lint_reports_a_kind_that_raises_at_the_rule_s_line_and_goes_on(tmp_path, monkeypatch, capsys):
    bad = write(tmp_path / "a", "bad.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone.")
                .replace("kind: pairing", "kind: raising"), {"pairs.txt": TEXT})

    class Kinds:
        @hookimpl
        def policyengine_rule_kinds(self):
            return [RaisingTrigger]

    monkeypatch.setattr(_plugins, "_default", Registry(plugins=[Kinds()], entry_points=False))
    good = str(SCHOOLS / "washwood.yaml")
    assert main(["lint", str(bad), good]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{bad}:7:5: error: rule kind 'raising' (tests.test_trust.RaisingTrigger) failed in trigger() "
                          "for rule 'pairs': raised ZeroDivisionError('division by zero')")
    assert "2 pack(s): 1 error(s)" in err  # the second pack was linted too


# -- 14.5: an implementation declaring only the arguments it uses ----------------------------------------


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_5_a_listener_that_declares_only_decision_is_called(engine):
    told = []

    class Audit:
        @hookimpl
        def policyengine_decision_made(self, decision):
            told.append(decision.outcome.value)

    reg = Registry(plugins=[Audit()], entry_points=False)
    assert check(visit(ONE_STAFF), school="washwood", engine=engine, registry=reg, today=TODAY).outcome.value == "blocked"
    assert told == ["blocked"]


# -- 14.6: the plugin API: documented, remedies promised, visit facts ----------------------------------


def test_14_6_every_hook_is_typed_with_a_param_per_argument_and_an_example():
    import inspect

    from policyengine.plugins import hookspecs

    for hook in _plugins.HOOKS:
        spec = getattr(hookspecs, hook)
        doc = inspect.getdoc(spec)
        signature = inspect.signature(spec)
        assert signature.return_annotation is not inspect.Signature.empty, hook
        for name, parameter in signature.parameters.items():
            assert parameter.annotation is not inspect.Parameter.empty and f":param {name}:" in doc, (hook, name)
        assert "Example" in doc and "@policyengine.hookimpl" in doc, hook


class NoRemedy(Rule):
    kind: Literal["no_remedy"]

    def trigger(self, clock):
        return {"fact": "duration_minutes", "gt": 45}


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_6_a_conditional_finding_from_a_plugin_kind_must_have_a_remedy(tmp_path, engine):
    pack = write(tmp_path, "long.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone.")
                 .replace("kind: pairing", "kind: no_remedy").replace("outcome: blocked", "outcome: conditional"),
                 {"pairs.txt": TEXT})

    class Kinds:
        @hookimpl
        def policyengine_rule_kinds(self):
            return [NoRemedy]

    reg = Registry(plugins=[Kinds()], entry_points=False)
    with pytest.raises(PluginError) as caught:
        check(visit({"duration_minutes": 60}), school=str(pack), engine=engine, registry=reg, today=TODAY)
    assert str(caught.value) == (
        "rule kind 'no_remedy' (tests.test_trust.NoRemedy) failed in suggest_remedy() for rule 'pairs': returned None "
        "for a conditional rule; return the merge patch that meets the condition (or give the rule a 'remedy' in the pack)"
    )


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_14_6_a_plugin_adds_a_visit_fact_its_kinds_and_the_condition_kind_test(tmp_path, engine):
    from policyengine import VisitFact

    class Weather:
        @hookimpl
        def policyengine_visit_facts(self):
            # As every test and example in this process declares it: one name has one meaning per program.
            return [VisitFact("weather_warning", "enum", "the weather warning in force where the visit is",
                              values=("none", "yellow", "amber", "red"))]

    pack = write(tmp_path, "weather.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone.")
                 .replace("kind: pairing", "kind: condition\n        when: {fact: weather_warning, eq: red}"),
                 {"pairs.txt": TEXT})
    reg = Registry(plugins=[Weather()], entry_points=False)
    red = visit({"facts": {"weather_warning": "red"}})
    assert check(red, school=str(pack), engine=engine, registry=reg, today=TODAY).outcome.value == "blocked"
    assert check(visit(), school=str(pack), engine=engine, registry=reg, today=TODAY).outcome.value == "permitted"


# -- 14.7: a free name on the package index -----------------------------------------------------------


def test_14_7_the_distribution_has_a_name_of_its_own_and_plugins_depend_on_it():
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name == "homevisit-policyengine"  # `pip download --no-deps homevisit-policyengine` found nothing
    readme = (ROOT / "README.md").read_text()
    assert "must not be installed in the same environment" in readme and "import name" in readme
    plugin = tomllib.loads((ROOT / "tests" / "plugin_dist" / "pyproject.toml").read_text())
    assert plugin["project"]["dependencies"] == [name]
    assert readme.count(f'dependencies = ["{name}"]') >= 2 and 'dependencies = ["policyengine"]' not in readme


# -- 14.8: editors, schemas and YAML messages -----------------------------------------------------------


def test_14_8_outcome_deny_in_a_pairing_rule_is_reported_against_the_pairing_kind():
    import jsonschema

    from policyengine._yaml import load_file
    from policyengine.cli.schema import schema

    data = load_file(SCHOOLS / "tcat.yaml").data
    index = next(i for i, r in enumerate(data["rules"]) if r["kind"] == "pairing")
    data["rules"][index]["outcome"] = "deny"
    errors = list(jsonschema.Draft202012Validator(schema("pack", Registry(entry_points=False))).iter_errors(data))
    assert [(list(e.absolute_path), e.message) for e in errors] == [
        (["rules", index, "outcome"], "'deny' is not one of ['permitted', 'conditional', 'blocked']")
    ]


def test_14_8_yaml_syntax_errors_are_said_in_plain_words_with_the_fix(tmp_path, capsys):
    tab = tmp_path / "tab.yaml"
    tab.write_text("id: x\nrules:\n\t- id: y\n")
    apostrophe = tmp_path / "apostrophe.yaml"
    apostrophe.write_text("id: x\nschool: 'St Mary's'\n")
    assert main(["lint", str(tab), str(apostrophe)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{tab}:3:1: error: not valid YAML: a Tab character: use spaces, not a Tab, to indent (and put text that "
        "holds a Tab in quotes)",
        f"{apostrophe}:2:18: error: not valid YAML: more text after a closing quote: text containing an apostrophe "
        "needs double quotes (\"the learner's parents\"), or the apostrophe written twice inside single quotes "
        "('the learner''s parents')",
    ]


# -- 12.7: a pack reads only its own policy text ---------------------------------------------------------


@pytest.mark.parametrize("source", ["../../../../etc/passwd", "/etc/passwd", "/proc/self/environ", "sources/../../x.txt"])
def test_12_7_source_cannot_name_a_file_outside_the_pack_s_folder(tmp_path, source):
    pack = write(tmp_path / "school", "pairs.yaml", PAIRS.format(source=f"source: '{source}'", quote="root"))
    with pytest.raises(InputError) as caught:
        load_pack(pack)
    (problem,) = caught.value.problems
    assert problem.line == 5 and "must name a file in the pack's own folder" in problem.message
    assert "root" not in [p.message for p in caught.value.problems]  # no answer about the file's contents


def test_12_7_a_symlink_out_of_the_pack_s_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Staff never visit alone.\n")
    pack = write(tmp_path / "school", "pairs.yaml", PAIRS.format(source="source: pairs.txt", quote="Staff never visit alone."))
    (tmp_path / "school" / "sources").mkdir()
    os.symlink(secret, tmp_path / "school" / "sources" / "pairs.txt")
    with pytest.raises(InputError) as caught:
        load_pack(pack)
    (problem,) = caught.value.problems
    assert problem.message.startswith(f"the policy text {tmp_path}/school/sources/pairs.txt leads outside the pack's "
                                      f"folder (to {secret})")


# -- 12.10: SystemExit from a plugin, and a time limit on plugin calls -----------------------------------


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_12_10_a_listener_raising_system_exit_is_a_plugin_error(engine, tmp_path, monkeypatch, capsys):
    class Exits:
        @hookimpl
        def policyengine_decision_made(self, decision, visit):
            raise SystemExit(0)

    reg = Registry(plugins=[Exits()], entry_points=False)
    with pytest.raises(PluginError):
        check(visit(), school="tcat", engine=engine, registry=reg, today=TODAY)
    monkeypatch.setattr(_plugins, "_default", reg)
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(PREPARED))
    assert main(["check", str(visit_file), "--school", "tcat", "--engine", engine]) == 1  # not a silent 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_12_10_a_listener_that_hangs_fails_the_check_closed_when_a_time_limit_is_set(engine):
    import threading

    release = threading.Event()

    class Hangs:
        @hookimpl
        def policyengine_decision_made(self, decision, visit):
            release.wait()

    try:
        reg = Registry(plugins=[Hangs()], entry_points=False, plugin_timeout=0.1)
        with pytest.raises(PluginError, match="did not return within 0.1 s"):
            check(visit(), school="tcat", engine=engine, registry=reg, today=TODAY)
    finally:
        release.set()
