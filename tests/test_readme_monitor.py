"""The README's "During the visit" and "When a visit is due" examples run and print what they say."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.test_readme import ROOT, blocks, section


def run_cli(command: str) -> subprocess.CompletedProcess:
    assert command.startswith("policyengine ")
    args = command.split()[1:]
    return subprocess.run([sys.executable, "-m", "policyengine", *args], capture_output=True, text=True, cwd=ROOT)


def test_during_the_visit_command_writes_the_action_shown():
    text = section("During the visit")
    (command,) = blocks(text, "sh")
    shown = json.loads(blocks(text, "json")[0])
    result = run_cli(command.strip())
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert json.loads(lines[0]) == shown




@pytest.mark.parametrize("title", ["During the visit", "When a visit is due"])
def test_python_examples_print_what_the_readme_says(title, capsys, monkeypatch):
    text = section(title)
    (code,) = blocks(text, "python")
    promised = blocks(text, "text")[-1]
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == promised


def test_the_python_monitor_example_agrees_with_the_command():
    (command,) = blocks(section("During the visit"), "sh")
    lines = run_cli(command.strip()).stdout.splitlines()
    summary = blocks(section("During the visit"), "text")[0].splitlines()
    assert [f"{a['due']} {a['action']} - {a['who']}" for a in map(json.loads, lines)] == summary


def test_when_a_visit_is_due_command_prints_what_the_readme_shows():
    text = section("When a visit is due")
    (command,) = blocks(text, "sh")
    shown = blocks(text, "text")[0]
    result = run_cli(command.strip())
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == shown + "\n"


def test_the_table_of_what_each_pack_watches_names_every_visit_timer():
    from policyengine import load_pack

    rows = {line.split("|")[1].strip(): line for line in section("During the visit").splitlines() if line.startswith("| ")}
    for school in ("tcat", "washwood", "ellesmere", "burgh", "wirksworth"):
        assert school in rows, school
        timers = load_pack(school).timed.visit
        assert bool(timers) == ("nothing" not in rows[school]), school


def test_the_timed_rule_shown_is_tcat_s_own():
    snippet = next(b for b in blocks(section("During the visit"), "yaml") if "office-check-in-call" in b)
    assert snippet in (ROOT / "schools" / "tcat.yaml").read_text(encoding="utf-8")
