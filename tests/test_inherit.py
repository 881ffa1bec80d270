"""Pack inheritance: a school pack extends a trust pack, overriding, removing and adding rules by id.

Packs here come from a plugin, as a trust's would, in a fresh registry per test. ``policyengine
show`` output is asserted as exact text: it is what a policy lead reads to see the effective pack.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from policyengine import PluginError, Registry, check, hookimpl, load_pack
from policyengine.cli.show import render_show, show_data
from tests.scenarios import TODAY
from tests.visits import ONE_STAFF, visit

TRUST = """
id: trust
school: Example Learning Trust
document: Trust Home Visits Policy
version: '7'
school_day: {start: '08:45', end: '15:15'}
rules:
  - id: pairs
    kind: pairing
    outcome: blocked
    message: Never go alone.
    citation: {section: '3.2', quote: Staff never visit alone.}
  - id: authorised
    kind: authorisation
    any_of: [headteacher, dsl]
    outcome: conditional
    message: The headteacher or the DSL authorises every visit.
    conditions: [the headteacher or the DSL has authorised the visit]
    citation: {section: '3.1', quote: Every visit is authorised by the headteacher or the DSL.}
  - id: plan
    kind: preparation
    require: visit_plan_lodged
    outcome: conditional
    message: Leave the visit plan with the office.
    citation: {section: '3.3', quote: Leave a visit plan with the office.}
"""

SCHOOL = """
id: school
extends: trust
overrides: [authorised]
removes: [plan]
school: Example Primary School
document: School Home Visits Procedure
version: '2'
rules:
  - id: authorised
    kind: authorisation
    any_of: [headteacher]
    outcome: conditional
    message: Only the headteacher authorises visits here.
    citation: {section: A1, quote: Visits are authorised by the headteacher only.}
  - id: phone
    kind: preparation
    require: school_phone
    outcome: conditional
    message: Take a school phone.
    citation: {section: A2, quote: Always take a school phone.}
loosens: {plan: the school office records every visit plan in its own diary}
"""


class Files:
    def __init__(self, *paths):
        self.paths = list(paths)

    @hookimpl
    def policyengine_rule_packs(self):
        return self.paths


@pytest.fixture
def packs(tmp_path):
    """Write packs (id -> YAML text) and return a registry that offers them by id."""

    def make(**texts: str) -> Registry:
        paths = []
        (tmp_path / "sources").mkdir(exist_ok=True)
        for name, text in texts.items():
            path = tmp_path / f"{name}.yaml"
            text = textwrap.dedent(text).lstrip()
            # Each pack's policy text: its quotes (these tests are about inheritance, not quotes).
            quotes = re.findall(r"quote: (.*?)\}?$", text, re.M)
            (tmp_path / "sources" / f"{name}.txt").write_text("\n".join(quotes) + "\n", encoding="utf-8")
            if "\nsource:" not in text:
                text += f"source: {name}.txt\n"  # last, so that the lines of everything above stay put
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        registry = Registry(entry_points=False)
        registry.register(Files(*paths), name="trust-plugin")
        return registry

    make.dir = tmp_path
    return make


def test_override_remove_and_add_by_id_with_each_rule_s_origin(packs):
    registry = packs(trust=TRUST, school=SCHOOL)
    school = load_pack("school", registry=registry)
    assert {r.id: school.origin(r.id) for r in school.rules} == {
        "authorised": "school", "phone": "school", "pairs": "trust",
    }
    assert school.rule("authorised").any_of == ["headteacher"]
    assert school.school_day.start == "08:45"  # metadata the school leaves out is the trust's

    decision = check(visit(ONE_STAFF, {"approvals": ["dsl"], "visit_plan_lodged": False}), school="school",
                     registry=registry, today=TODAY)
    fired = {f.rule: f for f in decision.findings}
    assert set(fired) == {"pairs", "authorised"}  # plan was removed; the DSL no longer suffices
    # An inherited rule cites the trust's policy, an own rule the school's.
    assert fired["pairs"].citation.document == "Trust Home Visits Policy"
    assert fired["authorised"].citation.document == "School Home Visits Procedure"


def test_inheritance_goes_through_several_levels_keeping_the_first_origin(packs):
    classroom = """
        id: annexe
        extends: school
        school: Example Primary School, Annexe
        document: Annexe Procedure
        version: '1'
        rules:
          - id: badge
            kind: preparation
            require: id_badge
            outcome: conditional
            message: Wear your badge.
            citation: {section: '1', quote: Wear your badge.}
        """
    annexe = load_pack("annexe", registry=packs(trust=TRUST, school=SCHOOL, annexe=classroom))
    assert {r.id: annexe.origin(r.id) for r in annexe.rules} == {
        "badge": "annexe", "authorised": "school", "phone": "school", "pairs": "trust",
    }


def redefine(text: str) -> str:
    return text.replace("overrides: [authorised]\n", "")


@pytest.mark.parametrize(
    "school, expected",
    [
        (redefine(SCHOOL),
         "{dir}/school.yaml:8:5: rule 'authorised' is also in 'trust'; list it under 'overrides' to replace it, or rename it"),
        (SCHOOL.replace("overrides: [authorised]", "overrides: [authorized]"),
         "{dir}/school.yaml:3:1: 'authorized' is not a rule of 'trust', so it cannot be overridden or removed"),
        (SCHOOL.replace("overrides: [authorised]", "overrides: [authorised, pairs]"),
         "{dir}/school.yaml:3:1: 'pairs' is listed under 'overrides' but this pack has no rule 'pairs' to replace it with"),
        (SCHOOL.replace("removes: [plan]", "removes: [plan, authorised]"),
         "{dir}/school.yaml:4:1: 'authorised' is listed under both 'overrides' and 'removes'; keep one"),
        (SCHOOL.replace("overrides: [authorised]", "overrides: []").replace("removes: [plan]", "removes: [authorised]"),
         "{dir}/school.yaml:9:5: rule 'authorised' is listed under 'removes' but redefined here; to replace it, list "
         "it under 'overrides'"),
        (SCHOOL.replace("extends: trust", "extends: trussed"),
         "{dir}/school.yaml:2:1: cannot extend 'trussed': unknown school 'trussed'; did you mean 'trust'? (known: "
         "burgh, ellesmere, school, tcat, trust, washwood, wirksworth)"),
    ],
    ids=["redefined-without-overrides", "overrides-unknown", "overrides-without-rule", "overrides-and-removes",
         "removed-and-redefined", "unknown-parent"],
)
def test_inheritance_mistakes_are_named_where_they_are(packs, school, expected):
    registry = packs(trust=TRUST, school=school)
    with pytest.raises(PluginError) as caught:  # the packs come from a plugin: its pack cannot be used
        load_pack("school", registry=registry)
    assert [str(p) for p in caught.value.problems] == [expected.format(dir=packs.dir)]
    assert str(caught.value).startswith(f"rule pack 'school' from plugin trust-plugin cannot be used ({packs.dir}/school.yaml): ")


def test_a_loop_of_extends_is_an_error_naming_the_loop(packs):
    a = "id: a\nextends: b\nschool: A\ndocument: A\nversion: '1'\nrules: []\n"
    b = "id: b\nextends: a\nschool: B\ndocument: B\nversion: '1'\nrules: []\n"
    registry = packs(a=a, b=b)
    with pytest.raises(PluginError) as caught:
        load_pack("a", registry=registry)
    assert [str(p) for p in caught.value.problems] == [
        f"{packs.dir}/a.yaml:2:1: cannot extend 'b': it has 1 problem(s), below",
        f"{packs.dir}/b.yaml:2:1: 'extends: a' makes a loop of packs extending each other (a -> b -> a)",
    ]
    selfish = packs(c="id: c\nextends: c\nschool: C\ndocument: C\nversion: '1'\nrules: []\n")
    with pytest.raises(PluginError) as caught:
        load_pack("c", registry=selfish)
    assert [str(p) for p in caught.value.problems] == [
        f"{packs.dir}/c.yaml:2:1: 'extends: c' makes a loop of packs extending each other (c -> c)"
    ]


def test_a_problem_in_the_parent_is_shown_at_the_child_s_extends_and_where_it_is(packs):
    registry = packs(trust=TRUST.replace("any_of: [headteacher, dsl]", "any_of: [headteacher, caretaker]"), school=SCHOOL)
    with pytest.raises(PluginError) as caught:
        load_pack("school", registry=registry)
    first, second = (str(p) for p in caught.value.problems)
    assert first == f"{packs.dir}/school.yaml:2:1: cannot extend 'trust': it has 1 problem(s), below"
    assert second.startswith(f"{packs.dir}/trust.yaml:14:27: rule 'authorised': 'any_of[1]' cannot be 'caretaker'")


def test_show_prints_the_effective_pack_with_origins_conditions_and_citations(packs):
    registry = packs(trust=TRUST, school=SCHOOL)
    school = load_pack("school", registry=registry)
    assert render_show(school, registry) == textwrap.dedent(f"""\
        school: Example Primary School, School Home Visits Procedure (pack 2)
        file:    {packs.dir}/school.yaml (plugin trust-plugin)
        extends: trust (overrides authorised; removes plan)
        loosens: rule 'plan' of 'trust' is loosened, as declared (the school office records every visit plan
                 in its own diary): a visit 'trust' decides conditional is permitted under 'school', for
                 example the fully prepared visit with {{"visit_plan_lodged": false}}
        hours:   school day 08:45-15:15, office 08:00-16:00, evening from 18:00 (Europe/London)
        digest:  {school.digest}

        3 rules (2 own, 1 inherited):

        authorised  [conditional]  kind authorisation, own, overrides trust
          when:  the headteacher has not approved it (or it is not known)
          says:  Only the headteacher authorises visits here.
          cites: School Home Visits Procedure, A1: "Visits are authorised by the headteacher only."

        phone  [conditional]  kind preparation, own
          when:  not everyone going carries a school phone (or it is not known)
          says:  Take a school phone.
          cites: School Home Visits Procedure, A2: "Always take a school phone."

        pairs  [blocked]  kind pairing, from trust
          when:  fewer than 2 staff go
          says:  Never go alone.
          cites: Trust Home Visits Policy, 3.2: "Staff never visit alone."

        catalogue: none (the pack does not list the policy's statements)

        timed rules: none (the pack has no timed section: nothing is due by a deadline during a visit or on
        a day of absence)
        """)


def test_show_json_has_every_rule_with_its_origin_and_kind_plugin(packs):
    registry = packs(trust=TRUST, school=SCHOOL)
    data = show_data(load_pack("school", registry=registry), registry)
    assert data["extends"] == "trust" and data["overrides"] == ["authorised"] and data["removes"] == ["plan"]
    (loosened,) = data["loosens"]  # the declared loosening, with its witness and both outcomes
    assert loosened["rule"] == "plan" and loosened["reason"].startswith("the school office records")
    assert (loosened["parent_outcome"], loosened["outcome"]) == ("conditional", "permitted")
    assert loosened["witness"]["visit_plan_lodged"] is False
    assert data["plugin"] == "trust-plugin"
    authorised = data["rules"][0]
    assert authorised == {
        "id": "authorised",
        "kind": "authorisation",
        "kind_plugin": "policyengine.rules (built in)",
        "outcome": "conditional",
        "phases": {"plan": "conditional", "door": "conditional", "inside": "conditional"},
        "origin": "school",
        "overrides": "trust",
        "when": "approved_by_headteacher != true",
        "when_words": "the headteacher has not approved it (or it is not known)",
        "message": "Only the headteacher authorises visits here.",
        "conditions": [],
        "notes": None,
        "citation": {"document": "School Home Visits Procedure", "section": "A1",
                     "quote": "Visits are authorised by the headteacher only."},
    }
    json.dumps(data)  # plain JSON


def test_show_command_by_file_and_unknown_id(capsys, tmp_path):
    from policyengine.cli.main import main

    kinds = str(Path(__file__).parent / "fixtures" / "kinds.yaml")
    assert main(["show", kinds]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kinds: Test School, Test Policy (pack 1)\n") and "\n41 rules:\n" in out
    assert "\ncutoff  [blocked]  kind time_window, own\n  when:  the visit starts after 16:00 or before 06:00 and the SLT has not approved it (or it is\n"
    assert "\n  cites: Test Policy, Test: \"quote for long-visit\"\n\ncatalogue: none (the pack does not list the policy's statements)\n" in out
    assert main(["show", "no-such-pack"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policyengine show: unknown school 'no-such-pack'") and err.count("\n") == 1
    assert main(["show", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err == f"{tmp_path}/missing.yaml: file not found\n"


# -- tighten-only: what the search cannot decide, and declarations that are not needed ---------------

STRICTER = SCHOOL.replace("loosens: {plan: the school office records every visit plan in its own diary}\n", "").replace(
    "overrides: [authorised]", "overrides: [authorised, pairs]").replace("removes: [plan]\n", "") + """\
  - id: pairs
    kind: pairing
    min_staff: 3
    outcome: blocked
    message: Go in threes.
    citation: {section: A3, quote: Three staff go on every visit.}
"""


def test_a_stricter_school_pack_loads_without_declaring_anything(packs):
    school = load_pack("school", registry=packs(trust=TRUST, school=STRICTER))
    assert school.rule("pairs").min_staff == 3 and school.loosened == ()


def test_when_the_search_cannot_decide_within_its_budget_the_change_is_refused_unless_declared(packs, monkeypatch):
    from policyengine.packs import inherit as _inherit

    monkeypatch.setattr(_inherit, "BUDGET", 1)  # too small to follow the school's stricter rule
    with pytest.raises(PluginError) as caught:
        load_pack("school", registry=packs(trust=TRUST, school=STRICTER))
    assert [p.message for p in caught.value.problems] == [
        f"rule '{rule}' of 'trust': the search could not show within its budget that this change lets through no "
        f"visit 'trust' stops, so it is refused unless declared; list '{rule}' under 'loosens' with the reason, or "
        f"keep the rule as in 'trust'"
        for rule in ("authorised", "pairs")  # both overrides need the search to branch, past a budget of 1
    ]
    declared = packs(trust=TRUST, school=STRICTER + "loosens: {pairs: three staff, authorised: the head only}\n")
    said = load_pack("school", registry=declared).loosened
    assert [d.rule for d in said] == ["pairs", "authorised"] and not any(d.found.decided for d in said)
    assert said[0].said("trust", "school").endswith("the search could not finish, so there is no example")


def test_a_declared_loosening_that_loosens_nothing_is_a_warning(packs, monkeypatch, capsys):
    from policyengine.cli.main import main
    from policyengine.plugins import registry as _plugins

    registry = packs(trust=TRUST, school=STRICTER + "loosens: {pairs: we think we loosened it}\n")
    monkeypatch.setattr(_plugins, "_default", registry)
    assert main(["lint", "--strict", str(packs.dir / "school.yaml")]) == 1
    (said,) = [line for line in capsys.readouterr().out.splitlines() if "declared loosened" in line]
    assert said.endswith(
        "warning: rule 'pairs' of 'trust' is declared loosened (we think we loosened it), but no visit is decided more "
        "loosely; remove it from 'loosens'"
    )


def test_loosens_names_only_the_parent_s_rules_and_only_in_a_pack_that_extends(packs, tmp_path):
    with pytest.raises(PluginError) as caught:
        load_pack("school", registry=packs(trust=TRUST, school=SCHOOL.replace("{plan:", "{plans:")))
    assert [p.message for p in caught.value.problems] == ["'plans' is listed under 'loosens' but is not a rule of 'trust'"]
    with pytest.raises(PluginError) as caught:
        load_pack("trust", registry=packs(trust=TRUST + "loosens: {pairs: why}\n"))
    assert [p.message for p in caught.value.problems] == ["'loosens' is for a pack that extends another; remove it"]
