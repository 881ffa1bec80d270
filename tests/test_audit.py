"""policyengine audit: one decision per line, bad lines reported by number and skipped, a summary."""

from __future__ import annotations

import json

import pytest

from policyengine import check
from policyengine.cli.main import main
from tests.test_batch import KINDS, mixed_visits


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_every_line_gets_its_decision_in_order(tmp_path, capsys):
    visits = mixed_visits(40)
    source = write_lines(tmp_path / "term.jsonl", [json.dumps(v) for v in visits])
    assert main(["audit", source, "--school", KINDS, "--engine", "python"]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r.pop("line") for r in records] == list(range(1, 41))
    assert records == [check(v, school=KINDS).model_dump(mode="json") for v in visits]
    # The summary goes to stderr when the decisions go to stdout, and adds up.
    counts = {line.split()[0]: int(line.split()[-1]) for line in err.splitlines()[1:4]}
    assert sum(counts.values()) == 40
    assert counts["blocked"] == sum(r["outcome"] == "blocked" for r in records)


def test_bad_lines_are_reported_by_number_and_the_rest_go_on(tmp_path, capsys):
    good = [json.dumps(v) for v in mixed_visits(4)]
    lines = [good[0], "{not json", good[1], "", json.dumps({"purpose": "burglary", "start": "2026-11-23T10:00", "staff": [{"role": "dsl"}]}), good[2], "[1, 2]", good[3]]
    source = write_lines(tmp_path / "term.jsonl", lines)
    output = tmp_path / "decisions.jsonl"
    assert main(["audit", source, "--school", KINDS, "--output", str(output)]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["line"] for line in output.read_text().splitlines()] == [1, 3, 6, 8]
    assert f"{source}:2:2: not valid JSON" in err
    assert f"{source}:5:2: 'purpose' cannot be 'burglary'" in err
    assert f"{source}:7:1: " in err
    assert not any(f"{source}:4" in line for line in err.splitlines())  # a blank line is not a visit
    assert "Traceback" not in err
    # With the decisions in a file, the summary is on stdout.
    assert "bad lines (skipped)" in out and out.split("bad lines (skipped)")[1].split()[0] == "3"


def test_a_visit_naming_an_unknown_school_is_a_bad_line(tmp_path, capsys):
    visits = [dict(v, school=KINDS) for v in mixed_visits(2)]
    visits.insert(1, dict(visits[0], school="no-such-school"))
    source = write_lines(tmp_path / "term.jsonl", [json.dumps(v) for v in visits])
    assert main(["audit", source]) == 2
    out, err = capsys.readouterr()
    assert f"{source}:2:" in err and "unknown school 'no-such-school'" in err
    assert len(out.splitlines()) == 2


def test_an_unknown_school_option_is_bad_input_for_the_whole_run(tmp_path, capsys):
    source = write_lines(tmp_path / "term.jsonl", [json.dumps(mixed_visits(1)[0])])
    assert main(["audit", source, "--school", "no-such-school"]) == 2
    assert "unknown school" in capsys.readouterr().err


def test_a_missing_file_is_bad_input(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nowhere.jsonl"), "--school", KINDS]) == 2
    assert "nowhere.jsonl" in capsys.readouterr().err


def test_summary_counts_findings_by_rule(tmp_path, capsys):
    visits = mixed_visits(30)
    source = write_lines(tmp_path / "term.jsonl", [json.dumps(v) for v in visits])
    main(["audit", source, "--school", KINDS])
    out, err = capsys.readouterr()
    by_rule = {}
    for r in map(json.loads, out.splitlines()):
        for f in r["findings"]:
            by_rule[(f["rule"], f["outcome"])] = by_rule.get((f["rule"], f["outcome"]), 0) + 1
    table = err.split("\nrule")[1].splitlines()[1:]
    assert {(row.split()[0], row.split()[1]): int(row.split()[2]) for row in table} == by_rule


@pytest.mark.parametrize("tty", [False, True])
def test_progress_bar_only_on_a_terminal(tmp_path, capsys, monkeypatch, tty):
    import policyengine.cli.audit as audit

    monkeypatch.setattr(audit, "CHUNK", 10)
    monkeypatch.setattr("sys.stderr.isatty", lambda: tty)
    source = write_lines(tmp_path / "term.jsonl", [json.dumps(v) for v in mixed_visits(25)])
    assert main(["audit", source, "--school", KINDS, "--engine", "python"]) == 0
    out, err = capsys.readouterr()
    assert ("\raudit [" in err) is tty
    assert "\r" not in out and len(out.splitlines()) == 25
