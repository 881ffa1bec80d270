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
    for rule, shown in zip(pack.rules, data["rules"], strict=True):
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


# -- timed rules ------------------------------------------------------------------------------------


def _timed_block(out: str, rule_id: str) -> str:
    """The lines ``show`` prints for one timed rule (up to the blank line after it)."""
    return out.split(f"\n{rule_id}  [", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("pack_id", available_packs())
def test_show_text_has_every_timed_rule_with_its_deadline_what_is_due_its_steps_and_its_words(pack_id, capsys):
    pack = load_pack(pack_id)
    assert main(["show", pack_id]) == 0
    out = capsys.readouterr().out
    timers = [*pack.timed.visit, *pack.timed.absence] if pack.timed else []
    if timers:
        assert f"\ntimed rules: {len(timers)} ({len(pack.timed.visit)} during a visit, for policyengine monitor; " \
               f"{len(pack.timed.absence)} on days of absence, for policyengine due):\n" in out
    for timer in timers:
        block = _unwrapped(_timed_block(out, timer.id))
        assert "deadline: " in block and not re.search(r"deadline: [^:]*_", block), block  # words, not field names
        assert f"due: {timer.who} ({timer.action}): {_unwrapped(timer.message)}" in block
        assert f"cites: {timer.citation.document or pack.document}, {timer.citation.section}: " \
               f"\"{_unwrapped(timer.citation.quote)}\"" in block
        if timer.notes:
            assert f"notes: {_unwrapped(timer.notes)}" in block
        steps = pack.timed.escalations.get(getattr(timer, "escalation", None) or "", [])
        at = 0
        for n, step in enumerate(steps, 1):  # every step, in order, with its wait and its own words
            said = f"{n}. the minutes agreed with the office for the visit after " \
                   f"{'the missed deadline' if n == 1 else f'step {n - 1}'}: {step.who} ({step.action}): " \
                   f"{_unwrapped(step.message)} cites: "
            assert step.wait.plan == "escalation_minutes" and said in block[at:], (timer.id, n)
            at = block.index(said, at)
            assert f"\"{_unwrapped(step.citation.quote)}\"" in block[at:]
        if not steps:
            assert "escalation:" not in block
    for entry in pack.timed.catalogue if pack.timed else []:
        assert _unwrapped(entry.quote) in _unwrapped(out)
        if entry.not_timed:
            assert f"no timed rule: {_unwrapped(entry.not_timed)}" in _unwrapped(out)


@pytest.mark.parametrize("pack_id, rule_id, deadline", [
    ("tcat", "office-check-in-call", "10 minutes after the arrival call"),
    ("tcat", "check-in-every-30-minutes",
     "every 30 minutes after the last check-in, or the check-in interval set in the visit's plan where it gives one"),
    ("tcat", "wait-for-the-parents", "20 minutes after the visit's arranged start (watched from the arrival call)"),
    ("burgh", "agreed-check-in-times",
     "the check-in interval set in the visit's plan after the arrival call or the last check-in"),
    ("burgh", "day-3-safe-and-well-visit", "day 3 of absence, school days (the first day absent is day 1)"),
    ("burgh", "day-6-eyes-on", "day 6 of absence, school days (the first day absent is day 1); a day the child is seen "
                               "starts the count again (then due 6 school days after it)"),
    ("washwood", "not-back-at-expected-time",
     "at the time staff are expected back (agreed in the visit's plan; a check-in may move it)"),
])
def test_a_timed_rule_s_deadline_is_said_in_plain_words(pack_id, rule_id, deadline, capsys):
    assert main(["show", pack_id]) == 0
    assert f"deadline: {deadline} " in _unwrapped(_timed_block(capsys.readouterr().out, rule_id)) + " "


def test_what_meets_or_ends_a_timed_rule_and_whom_it_applies_to_are_said(capsys):
    assert main(["show", "tcat"]) == 0
    parents = _unwrapped(_timed_block(capsys.readouterr().out, "wait-for-the-parents"))
    assert "met if: the parents arrive or staff go in first" in parents
    assert "ends if: staff call to say they have left, the visit is cancelled or staff are back" in parents
    assert main(["show", "burgh"]) == 0
    out = capsys.readouterr().out
    assert "only if: the child is vulnerable, or the record does not say met if: contact with the family explains " \
           "the absence or the child is seen by school staff, on or before that day" \
           in _unwrapped(_timed_block(out, "sooner-for-vulnerable-children"))
    assert "only if: the child is not vulnerable" in _unwrapped(_timed_block(out, "day-3-safe-and-well-visit"))
    assert "calendar: none in the pack: policyengine due counts school days from a calendar file (--calendar)" in out


def test_wirksworth_says_plainly_it_has_no_timed_rules_and_why(capsys):
    assert main(["show", "wirksworth"]) == 0
    out = _unwrapped(capsys.readouterr().out)
    assert "timed rules: none. The pack encodes no deadline during a visit and no day of absence; the timed catalogue " \
           "below says why for each of the policy's statements about time." in out
    assert "timed catalogue: 4 statements of the policy about time (0 encoded by timed rules, 4 not)" in out
    assert "deadline:" not in out


def test_a_pack_without_a_timed_section_says_so(tmp_path, capsys):
    from tests.test_report import hostile_pack

    assert main(["show", str(hostile_pack(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n\ntimed rules: none (the pack has no timed section: nothing is due by a deadline during a visit or on\n"
                        "a day of absence)\n")


def test_json_keeps_the_timed_section_s_machine_form_beside_its_words(capsys):
    pack = load_pack("tcat")
    assert main(["show", "tcat", "--format", "json"]) == 0
    timed = json.loads(capsys.readouterr().out)["timed"]
    for timer, shown in zip(pack.timed.visit, timed["visit"], strict=True):
        machine = {k: v for k, v in shown.items() if k not in ("kind", "words", "steps")}
        expected = timer.model_dump(mode="json")
        expected["citation"]["document"] = pack.document  # as rules give it: the pack's document where not named
        assert machine == expected
        assert shown["kind"] == "visit" and "_" not in shown["words"]["deadline"]
        steps = pack.timed.escalations[timer.escalation] if timer.escalation else []
        assert [s["action"] for s in shown["steps"]] == [s.action for s in steps]
    assert timed["escalations"] == {k: [s.model_dump(mode="json") for s in v] for k, v in pack.timed.escalations.items()}
    assert timed["catalogue"] == [e.model_dump(mode="json") for e in pack.timed.catalogue]
    assert timed["absence"] == [] and timed["calendar"] is None
    assert timed["visit"][0]["words"] == {"deadline": "10 minutes after the arrival call", "met_by": "staff check in first",
                                          "ends": "staff call to say they have left, the visit is cancelled or staff are back",
                                          "only_if": None}
