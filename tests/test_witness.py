"""The witness search between two packs: every visit it returns is decided differently by them."""

from __future__ import annotations

import shutil
from pathlib import Path

from policyengine import check, load_pack
from policyengine.packs.load import compile_pack
from policyengine.packs.witness import PREPARED, changed_rules, differences
from tests.conftest import ENGINES_HERE
from tests.scenarios import tcat_with_a_shorter_wait

SCHOOLS = Path(__file__).resolve().parents[1] / "schools"


def _shorter_wait(tmp_path: Path) -> Path:
    return tcat_with_a_shorter_wait(tmp_path)


def test_a_shorter_wait_is_found_stricter_with_a_visit_that_shows_it(tmp_path):
    old, new = load_pack("tcat"), load_pack(str(_shorter_wait(tmp_path)))
    a, b = compile_pack(old), compile_pack(new)
    assert set(changed_rules(a, b)) == {"wait-within-limit", "wait-exceeded"}
    found = differences(a, b)
    assert found and not any(d.looser for d in found)
    for d in found:
        waited = d.visit["on_arrival"]["minutes_waited"]
        assert 15 < waited <= 20
        # Decided for real, on both engines: the outcomes the search reports are the packs' own.
        for engine in ENGINES_HERE:
            assert check(d.visit, school=old.file, engine=engine).outcome.value == d.old_outcome
            assert check(d.visit, school=new.file, engine=engine).outcome.value == d.new_outcome


def test_the_same_pack_has_no_differences():
    a = compile_pack(load_pack("tcat"))
    assert changed_rules(a, a) == [] and differences(a, a) == []


def test_another_school_differs_both_ways():
    found = differences(compile_pack(load_pack("tcat")), compile_pack(load_pack("washwood")))
    assert any(d.looser for d in found) and any(not d.looser for d in found)


def _later_school_day(tmp_path: Path) -> Path:
    shutil.copytree(SCHOOLS / "sources", tmp_path / "sources", dirs_exist_ok=True)
    pack = tmp_path / "tcat-later.yaml"
    pack.write_text((SCHOOLS / "tcat.yaml").read_text().replace('end: "15:30"}', 'end: "16:30"}'))
    return pack


def test_other_hours_change_the_rules_that_test_the_time_and_a_visit_shows_it(tmp_path):
    """The school day's hours are not in a rule's condition (it tests "inside the school day"), so
    a change of hours is seen through the clock, and the search reads the old rule's time on the old
    clock."""
    old, new = load_pack("tcat"), load_pack(str(_later_school_day(tmp_path)))
    a, b = compile_pack(old), compile_pack(new)
    assert changed_rules(a, b) == ["outside-school-hours"]
    (d,) = differences(a, b)
    assert d.looser and (d.old_outcome, d.new_outcome) == ("conditional", "permitted")
    assert check(d.visit, school="tcat").outcome.value == "conditional"
    assert check(d.visit, school=new.file).outcome.value == "permitted"


def test_a_witness_keeps_the_base_visit_where_the_rule_asks_nothing_of_it(tmp_path):
    shutil.copytree(SCHOOLS / "sources", tmp_path / "sources")
    pack = tmp_path / "tcat.yaml"
    rule = (
        "  - id: emergency-needs-dsl\n    kind: condition\n    when:\n      all:\n"
        "        - {fact: urgency, eq: emergency}\n        - {fact: role_dsl, lt: 1}\n"
        "    outcome: conditional\n    message: m\n    conditions: [c]\n"
        "    citation: {section: Procedure 3 Home Visits, quote: Any issues or incidents during a home visit will be reported to the Headteacher.}\n"
    )
    pack.write_text((SCHOOLS / "tcat.yaml").read_text().replace("\nrules:\n", "\nrules:\n" + rule, 1))
    (d,) = differences(compile_pack(load_pack("tcat")), compile_pack(load_pack(str(pack))))
    # The base visit's staff (no DSL among them) already meet the rule: they are left as they are.
    assert d.visit["staff"] == PREPARED["staff"] and d.visit["urgency"] == "emergency"
