"""The witness search between two packs: every visit it returns is decided differently by them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from policyengine import check, load_pack
from policyengine._pack import compile_pack
from policyengine._witness import changed_rules, differences

SCHOOLS = Path(__file__).resolve().parents[1] / "schools"


def _shorter_wait(tmp_path: Path) -> Path:
    shutil.copytree(SCHOOLS / "sources", tmp_path / "sources")
    pack = tmp_path / "tcat.yaml"
    # The rules quote the sentence that sets the wait, so the policy text changes with them.
    source = tmp_path / "sources" / "tcat.txt"
    source.write_text(source.read_text().replace("no longer than 20 minutes", "no longer than 15 minutes"))
    text = (SCHOOLS / "tcat.yaml").read_text().replace("minutes: 20", "minutes: 15")
    pack.write_text(re.sub(r"than(\s+)20 minutes", r"than\g<1>15 minutes", text))
    return pack


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
        for engine in ("python", "durable"):
            assert check(d.visit, school=old.file, engine=engine).outcome.value == d.old_outcome
            assert check(d.visit, school=new.file, engine=engine).outcome.value == d.new_outcome


def test_the_same_pack_has_no_differences():
    a = compile_pack(load_pack("tcat"))
    assert changed_rules(a, a) == [] and differences(a, a) == []


def test_another_school_differs_both_ways():
    found = differences(compile_pack(load_pack("tcat")), compile_pack(load_pack("washwood")))
    assert any(d.looser for d in found) and any(not d.looser for d in found)
