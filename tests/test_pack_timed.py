"""The ``timed`` section of a pack is validated like the rest: its shape by the models, its quotes
against the policy text, every problem with its line and column."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policyengine import InputError, load_pack

SCHOOLS = Path(__file__).resolve().parent.parent / "schools"


def tcat_with(tmp_path, old: str, new: str) -> Path:
    (tmp_path / "sources").mkdir()
    shutil.copy(SCHOOLS / "sources" / "tcat.txt", tmp_path / "sources" / "tcat.txt")
    text = (SCHOOLS / "tcat.yaml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "tcat.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The last line holding ``needle`` (a repeated id is reported where it is repeated)."""
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line][-1]


@pytest.mark.parametrize(
    "old, new, message, at",
    [
        ("quote: The police will be contacted where", "quote: The police will always be contacted where",
         "escalation 'cannot-contact' step 2: the quote is not in the policy text; copy the policy's exact words",
         "The police will always"),
        ("  - id: check-in-every-30-minutes", "  - id: office-check-in-call", "timed rule id 'office-check-in-call' is used twice",
         "- id: office-check-in-call"),
        ("      escalation: cannot-contact\n      citation:\n        section: Procedure 4 Personal safety\n        quote: >-\n          The school office",
         "      escalation: cannot-be-contacted\n      citation:\n        section: Procedure 4 Personal safety\n        quote: >-\n          The school office",
         "names escalation 'cannot-be-contacted', which is not under 'escalations'", "escalation: cannot-be-contacted"),
        ("deadline: {after: start, minutes: 20}", "deadline: {after: start}", "a deadline after the arranged start needs 'minutes'",
         "deadline: {after: start}"),
        ("      met_by: [parents_arrived, entered]", "      met_by: [parents_arrived, arrived]", "'arrived' both starts and stops the timer",
         "met_by: [parents_arrived, arrived]"),
        ("      met_by: [parents_arrived, entered]", "      met_by: [parents_arrived, knocked]", "'timed.visit[2].met_by[1]' cannot be 'knocked'",
         "met_by: [parents_arrived, knocked]"),
        ("      rules: [wait-for-the-parents]", "      rules: [wait-20]", "the timed catalogue names rule 'wait-20'",
         "rules: [wait-20]"),
        ("deadline: {minutes: 10}", "deadline: {minutes: ten}", "'timed.visit[0].deadline.minutes' must be a whole number",
         "deadline: {minutes: ten}"),
        ("        wait: {plan: escalation_minutes}\n        who: Headteacher", "        wait: {}\n        who: Headteacher",
         "give 'minutes' (the policy's number) or 'plan'", "wait: {}"),
    ],
)
def test_a_bad_timed_section_is_refused_where_it_is(tmp_path, old, new, message, at):
    path = tcat_with(tmp_path, old, new)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        load_pack(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path)
    assert problem.line == line_of(path, at), (problem, line_of(path, at))


def test_every_built_in_pack_has_a_timed_section_with_a_catalogue():
    for school in ("tcat", "burgh", "washwood", "ellesmere", "wirksworth"):
        timed = load_pack(school).timed
        assert timed is not None and timed.catalogue, school
        encoded = {r for entry in timed.catalogue for r in entry.rules}
        assert encoded == {t.id for t in timed.visit} | {t.id for t in timed.absence}, school


def test_the_timed_rules_change_the_pack_digest(tmp_path):
    path = tcat_with(tmp_path, "deadline: {minutes: 10}", "deadline: {minutes: 15}")
    assert load_pack(path).digest != load_pack("tcat").digest


def test_an_inherited_timed_section_cites_the_pack_it_comes_from(tmp_path):
    from policyengine import Monitor

    child = tmp_path / "academy.yaml"
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "academy.txt").write_text("Academy Visiting Procedure. The trust's policy applies.\n")
    child.write_text("id: academy\nschool: An Academy of the Trust\ndocument: Academy Visiting Procedure\nversion: '1'\n"
                     "source: academy.txt\nextends: tcat\nrules: []\n")
    pack = load_pack(child)
    assert pack.timed == load_pack("tcat").timed
    monitor = Monitor(pack, engine="python")
    monitor.feed({"visit": "V", "event": "planned", "at": "2026-11-23T09:00:00", "escalation_minutes": 5,
                  "plan": {"purpose": "attendance", "start": "2026-11-23T10:00:00", "staff": [{"role": "pastoral"}]}})
    monitor.feed({"visit": "V", "event": "arrived", "at": "2026-11-23T10:00:00"})
    (call, wait) = monitor.feed({"event": "tick", "at": "2026-11-23T10:30:00"})[:2]
    assert call.citation.document == "Home Visit Policy" and call.school == "academy"


def test_diff_lists_the_timed_rules_that_changed(tmp_path):
    from policyengine.cli.diff import compare, render

    path = tcat_with(tmp_path, "deadline: {minutes: 10}", "deadline: {minutes: 15}")
    report = compare(load_pack("tcat"), load_pack(path), "tcat", "new")
    assert report["timed"] == {"added": [], "removed": [], "changed": [
        {"id": "office-check-in-call", "fields": [{"field": "deadline.minutes", "old": 10, "new": 15}]}]}
    assert report["settings"] == []
    assert "Timed rules changed (1):\n  office-check-in-call\n    deadline.minutes: 10 -> 15\n" in render(report)
