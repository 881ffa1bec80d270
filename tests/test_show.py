"""``policyengine show``: plain words, notes and the catalogue for people; the machine form in JSON."""

from __future__ import annotations

import json
import re

import pytest

from policyengine.cli.main import main
from policyengine.conditions.form import describe
from policyengine.packs.load import available_packs, load_pack


def _unwrapped(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("pack_id", available_packs())
def test_show_text_has_every_rule_in_words_with_its_notes_and_the_whole_catalogue(pack_id, capsys):
    pack = load_pack(pack_id)
    assert main(["show", pack_id]) == 0
    out = capsys.readouterr().out
    flat = _unwrapped(out)
    when_lines = re.findall(r"^  when:  (.*(?:\n {9}.*)*)", out, re.M)
    assert len(when_lines) == len(pack.rules)
    for when in when_lines:  # words, not the engine's terms
        assert not re.search(r"_|!=|>=|<=| = ", when), when
    for rule in pack.rules:
        if rule.notes:
            assert f"notes: {_unwrapped(rule.notes)}" in flat, rule.id
    unchecked = [e for e in pack.catalogue if e.not_checkable]
    assert f"catalogue: {len(pack.catalogue)} statements of the policy ({len(pack.catalogue) - len(unchecked)} " \
           f"encoded by rules, {len(unchecked)} not checked)" in out
    for entry in pack.catalogue:
        assert _unwrapped(entry.quote) in flat
        if entry.not_checkable:
            assert f"not checked: {_unwrapped(entry.not_checkable)}" in flat
        else:
            assert f"rules: {', '.join(entry.rules)}" in flat


def test_reminders_for_every_visit_say_so(capsys):
    assert main(["show", "tcat"]) == 0
    out = capsys.readouterr().out
    assert "contact-the-office  [permitted]  kind condition, own\n  when:  every visit\n" in out


def test_ellesmere_judgement_calls_are_shown_beside_their_rules(capsys):
    assert main(["show", "ellesmere"]) == 0
    out = capsys.readouterr().out
    block = out.split("\nrisk-assessment  [", 1)[1].split("\n\n", 1)[0]
    assert "  notes: The policy asks for the risk assessment to be completed and handed in, not approved." in block


def test_json_keeps_the_machine_form_beside_the_words(capsys):
    pack = load_pack("ellesmere")
    assert main(["show", "ellesmere", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for rule, shown in zip(pack.rules, data["rules"]):
        assert shown["when"] == describe(pack.condition(rule))
        assert shown["notes"] == rule.notes
        assert "_" not in shown["when_words"]
    evening = next(r for r in data["rules"] if r["id"] == "evening-visit")
    assert evening["when"] == (
        "(start_minute >= 1080 or start_minute < 360 or end_minute > 1080 or end_minute = -1) and out_of_hours_justified != true"
    )
    assert evening["when_words"].startswith("either the visit starts at or after 18:00 or before 06:00 or the visit ends after 18:00")
    assert data["catalogue"] == [e.model_dump(mode="json") for e in pack.catalogue]
    assert sum(1 for e in data["catalogue"] if e["not_checkable"]) == 36
