"""``policyengine test -v``: each example's decision, its outcome and the rules that fired."""

from __future__ import annotations

import re
from pathlib import Path

from policyengine import check
from policyengine._examples import example_visit
from policyengine.cli.main import main
from policyengine.packs.load import load_pack
from tests.scenarios import tcat_with_a_shorter_wait

ROOT = Path(__file__).resolve().parent.parent


def test_verbose_prints_every_example_s_outcome_and_the_rules_that_fired(capsys):
    pack = load_pack("tcat")
    assert main(["test", "tcat", "-v"]) == 0
    out = capsys.readouterr().out
    entries = re.findall(r"^(.*?):(\d+): example '(.*)': (\w+), (.*)\n    fired: (.*)$", out, re.M)
    assert [e[2] for e in entries] == [x.name for x in pack.examples]
    for index, (file, line, _name, outcome, verdict, fired) in enumerate(entries):
        decision = check(example_visit(pack, index), school="tcat")
        assert file == pack.file and int(line) > 0
        assert outcome == decision.outcome.value == pack.examples[index].expect.value
        assert verdict == "as expected"
        words = {"permitted": "reminder"}
        assert fired == ", ".join(f"{f.rule} ({words.get(f.outcome.value, f.outcome.value)})" for f in decision.findings)
    assert out.endswith(f"{len(pack.examples)} passed, 0 failed\n")


def test_without_verbose_only_the_count_is_printed(capsys):
    assert main(["test", "tcat"]) == 0
    assert capsys.readouterr().out == f"{len(load_pack('tcat').examples)} passed, 0 failed\n"


def test_verbose_shows_what_a_failing_example_got(tmp_path, capsys):
    pack = tcat_with_a_shorter_wait(tmp_path)  # with its policy text, saying 15 minutes too
    assert main(["test", str(pack), "-v"]) == 1
    captured = capsys.readouterr()
    assert re.search(
        r"^.*tcat\.yaml:\d+: example 'parents 20 minutes late, still waiting': blocked, expected conditional\n"
        r"    fired: wait-exceeded \(blocked\), contact-the-office \(reminder\), log-the-visit \(reminder\)$",
        captured.out, re.M,
    ), captured.out
    assert "expected conditional, got blocked" in captured.err
    assert captured.out.endswith(f"{len(load_pack('tcat').examples) - 1} passed, 1 failed\n")
