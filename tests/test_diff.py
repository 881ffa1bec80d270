"""``policyengine diff OLD NEW [--visits FILE.jsonl]``: what a change to a pack changes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from policyengine import check
from policyengine.cli.main import main
from tests.scenarios import tcat_with_a_shorter_wait

ROOT = Path(__file__).resolve().parent.parent
TCAT = (ROOT / "schools" / "tcat.yaml").read_text(encoding="utf-8")
VISITS = ROOT / "examples" / "visits.jsonl"


def pack_copy(tmp_path: Path, text: str, name: str = "tcat.yaml") -> str:
    """A copy of a pack beside a copy of its policy text (so its quotes are still checked)."""
    (tmp_path / "sources").mkdir(exist_ok=True)
    (tmp_path / "sources" / "tcat.txt").write_text((ROOT / "schools" / "sources" / "tcat.txt").read_text(encoding="utf-8"))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def diff_json(capsys, *args: str) -> tuple[int, dict]:
    status = main(["diff", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_a_shorter_wait_shows_a_witness_visit_decided_differently(tmp_path, capsys):
    shorter = str(tcat_with_a_shorter_wait(tmp_path))
    status, report = diff_json(capsys, "tcat", shorter)
    assert status == 1
    assert [r["id"] for r in report["rules"]["changed"]] == ["wait-exceeded", "wait-within-limit"]
    # The rule's quote changes with its number: it quotes the sentence that sets the wait.
    assert [f["field"] for f in report["rules"]["changed"][0]["fields"]] == ["minutes", "citation.quote"]
    assert report["rules"]["changed"][0]["fields"][0] == {"field": "minutes", "old": 20, "new": 15}
    assert report["meaning_changed"] == ["wait-exceeded", "wait-within-limit"]
    (witness,) = report["witnesses"]
    # The witness is a real visit, decided as the report says by the ordinary check.
    assert 15 < witness["visit"]["on_arrival"]["minutes_waited"] <= 20
    assert check(witness["visit"], school="tcat").outcome.value == witness["old"]["outcome"] == "conditional"
    assert check(witness["visit"], school=shorter).outcome.value == witness["new"]["outcome"] == "blocked"
    assert witness["looser"] is False
    assert report["no_witness_found"] == []


def test_text_names_both_packs_the_changes_and_the_witness(tmp_path, capsys):
    shorter = str(tcat_with_a_shorter_wait(tmp_path))
    assert main(["diff", "tcat", shorter]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"old: tcat (tcat, pack 1)\nnew: {shorter} (tcat, pack 1)\n\nRules changed (2):\n")
    assert "  1. conditional -> blocked (stricter), found by following wait-exceeded\n" in out
    assert "    tcat:" in out and "wait-within-limit)\n" in out and "BLOCKED (wait-exceeded)\n" in out


@pytest.mark.parametrize(("old", "new"), [("tcat", "burgh"), ("ellesmere", "wirksworth"), ("washwood", "tcat")])
def test_two_schools_packs_every_witness_is_decided_as_shown(old, new, capsys):
    status, report = diff_json(capsys, old, new)
    assert status == 1
    assert report["witnesses"], "two schools' packs decide some visit differently"
    for witness in report["witnesses"]:
        before = check(witness["visit"], school=old)
        after = check(witness["visit"], school=new)
        assert before.outcome.value == witness["old"]["outcome"]
        assert after.outcome.value == witness["new"]["outcome"]
        assert before.outcome != after.outcome
        order = ["permitted", "conditional", "blocked"]
        assert witness["looser"] == (order.index(after.outcome.value) < order.index(before.outcome.value))
    added = {r["id"] for r in report["rules"]["added"]}
    removed = {r["id"] for r in report["rules"]["removed"]}
    assert added and removed and not added & removed
    assert {"field": "id", "old": old, "new": new} in report["settings"]


def test_the_same_pack_changes_nothing(capsys):
    assert main(["diff", "tcat", "tcat"]) == 0
    out = capsys.readouterr().out
    assert "The packs have the same settings and rules." in out
    assert "No decision changes: no rule that blocks a visit or sets conditions was added, removed, or changed its " \
           "outcome or condition." in out


def test_a_change_of_wording_only_changes_no_decision(tmp_path, capsys):
    reworded = pack_copy(tmp_path, TCAT.replace("Cancel the visit.", "Cancel the visit and go back to school."))
    status, report = diff_json(capsys, "tcat", reworded)
    assert status == 0
    assert report["rules"]["changed"] and not report["meaning_changed"] and not report["witnesses"]


def test_a_reminder_given_at_other_times_changes_no_decision(tmp_path, capsys):
    burgh = (ROOT / "schools" / "burgh.yaml").read_text(encoding="utf-8")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "burgh.txt").write_text((ROOT / "schools" / "sources" / "burgh.txt").read_text(encoding="utf-8"))
    later = tmp_path / "burgh.yaml"
    later.write_text(burgh.replace('office_hours: {start: "08:00", end: "16:00"}', 'office_hours: {start: "08:00", end: "17:00"}'))
    status, report = diff_json(capsys, "burgh", str(later))
    assert status == 0
    assert report["meaning_changed"] == [] and report["reminders_changed"] == ["office-is-check-in-contact"]


def test_other_school_hours_change_decisions_of_time_rules(tmp_path, capsys):
    later = pack_copy(tmp_path, TCAT.replace('school_day: {start: "08:30", end: "15:30"}', 'school_day: {start: "08:30", end: "16:30"}'))
    status, report = diff_json(capsys, "tcat", later)
    assert status == 1
    assert report["settings"] == [{"field": "school_day.end", "old": "15:30", "new": "16:30"}]
    assert report["rules"]["changed"] == [] and report["meaning_changed"] == ["outside-school-hours"]
    (witness,) = report["witnesses"]
    assert witness["looser"] and witness["old"]["outcome"] == "conditional" and witness["new"]["outcome"] == "permitted"
    # The nearest such visit to the prepared one: the same 45 minutes, ending just after the old end.
    assert witness["changes_to_prepared_visit"] == {"start": "2026-11-23T14:46:00Z"}
    assert check(witness["visit"], school="tcat").outcome.value == "conditional"
    assert check(witness["visit"], school=later).outcome.value == "permitted"


def test_visits_are_counted_by_change_with_the_first_few_of_each(tmp_path, capsys):
    shorter = str(tcat_with_a_shorter_wait(tmp_path))
    status, report = diff_json(capsys, "tcat", shorter, "--visits", str(VISITS))
    assert status == 1
    lines = VISITS.read_text().splitlines()
    changed: dict = {}
    for number, line in enumerate(lines, 1):
        visit = json.loads(line)
        key = (check(visit, school="tcat", engine="python").outcome.value,
               check(visit, school=shorter, engine="python").outcome.value)
        if key[0] != key[1]:
            changed.setdefault(key, []).append(number)
    summary = report["visits"]
    assert summary["decided"] == len(lines) >= 1000 and summary["bad_lines"] == 0
    assert summary["changed"] == sum(len(v) for v in changed.values()) > 0
    assert {(c["old"], c["new"]): c["visits"] for c in summary["changes"]} == {k: len(v) for k, v in changed.items()}
    for c in summary["changes"]:
        assert [v["line"] for v in c["first"]] == changed[(c["old"], c["new"])][:3]


def test_bad_lines_are_reported_skipped_and_make_the_exit_status_2(tmp_path, capsys):
    good = VISITS.read_text().splitlines()[:5]
    path = tmp_path / "visits.jsonl"
    path.write_text("\n".join([good[0], "{not json", good[1], '{"purpose": "attendance"}', "", *good[2:]]) + "\n")
    status = main(["diff", "tcat", "burgh", "--visits", str(path)])
    captured = capsys.readouterr()
    assert status == 2
    err = captured.err.splitlines()
    assert err[0].startswith(f"{path}:2: not valid JSON: ")
    assert all(line.startswith(f"{path}:4: ") for line in err[1:]) and len(err) >= 2
    assert f"Visits in {path}: 5 decided, " in captured.out and "(2 bad line(s) skipped)" in captured.out
    assert "Traceback" not in captured.err


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["diff", "tcat", "no-such-pack"]) == 2
    assert capsys.readouterr().err.startswith("<school>: unknown school 'no-such-pack'")
    assert main(["diff", "tcat", "tcat", "--visits", str(tmp_path / "missing.jsonl")]) == 2
    assert capsys.readouterr().err.startswith(f"{tmp_path}/missing.jsonl: cannot read the file")


def test_the_example_visits_are_what_the_script_writes():
    spec = importlib.util.spec_from_file_location("make_visits", ROOT / "examples" / "make_visits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert VISITS.read_text(encoding="utf-8") == module.text(), "run: python3 examples/make_visits.py"
    assert len(VISITS.read_text().splitlines()) >= 1000


def test_timed_rules_added_and_removed_are_listed_and_change_no_decision(tmp_path, capsys):
    at = TCAT.rindex("\n  catalogue:\n")
    added = TCAT[:at] + """
    - id: second-office-call
      action: office-check-in-call
      starts: [arrived]
      deadline: {minutes: 40}
      met_by: [check_in]
      who: school office
      message: Call the staff member again.
      citation:
        section: Procedure 4 Personal safety
        quote: The school office will check in by calling a staff member ten minutes after the staff member's arrival phone call.
""" + TCAT[at:]
    path = pack_copy(tmp_path, added, "more.yaml")
    status, report = diff_json(capsys, "tcat", path)
    assert status == 0 and report["timed"] == {"added": ["second-office-call"], "removed": [], "changed": []}
    assert main(["diff", path, "tcat"]) == 0
    out = capsys.readouterr().out
    assert "\nTimed rules removed (1): second-office-call\n" in out and "Timed rules added" not in out
    assert "The packs have the same settings and rules." not in out
