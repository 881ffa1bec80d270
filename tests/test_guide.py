"""The README's "Changing your school's rules" guide, run step by step as a policy lead would.

Shell blocks are run in a scratch directory holding the repository's ``schools/`` and ``examples/``;
YAML blocks are applied to the copied pack (a rule replaces the rule with its id, or is added; a
catalogue entry replaces the entry that names the same rules); each text block must be what the shell
blocks since the previous one printed, where ``...`` stands for any number of lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def guide_blocks() -> list[tuple[str, str]]:
    section = re.search(r"^## Changing your school's rules\n(.*?)(?=^## )", README, re.S | re.M)
    assert section, "README has no 'Changing your school's rules' section"
    return re.findall(r"```(sh|yaml|text)\n(.*?)```", section.group(1), re.S)


def _entries(text: str, start: str) -> list[tuple[int, int]]:
    """(begin, end) offsets of each list item in ``text`` whose first line starts with ``start``
    (``  - id: `` for rules, ``    - id: `` for the rules of the ``timed`` section)."""
    lines = text.splitlines(keepends=True)
    spans, offset, begin = [], 0, None
    indent = start[: len(start) - len(start.lstrip(" "))]
    for line in lines:
        outdented = not line.startswith(indent + " ")
        ends_item = begin is not None and (line.startswith(indent + "- ") or line.startswith(indent + "#") or outdented)
        if ends_item and line.strip():
            spans.append((begin, offset))
            begin = None
        if line.startswith(start) and begin is None:
            begin = offset
        offset += len(line)
    if begin is not None:
        spans.append((begin, offset))
    # Trailing blank lines belong between items, not to one.
    return [(b, b + len(text[b:e].rstrip("\n")) + 1) for b, e in spans]


def apply_yaml(pack: Path, block: str) -> None:
    text = pack.read_text(encoding="utf-8")
    indent = block[: len(block) - len(block.lstrip(" "))]  # 4 spaces: an item of the timed section
    items = re.split(rf"(?m)^(?={indent}- )", block)
    for item in (i for i in items if i.strip()):
        item = item.rstrip("\n") + "\n"
        if item.startswith(f"{indent}- id: "):
            rule_id = item.split("\n", 1)[0].removeprefix(f"{indent}- id: ").strip()
            spans = [s for s in _entries(text, f"{indent}- id: ") if text[s[0]:s[1]].startswith(f"{indent}- id: {rule_id}\n")]
            if spans:
                text = text[: spans[0][0]] + item + text[spans[0][1]:]
            else:
                text = text.replace("\nrules:\n", "\nrules:\n" + item, 1)
        else:
            names = re.search(r"rules: \[.*\]", item).group(0)
            spans = [s for s in _entries(text, f"{indent}- section: ") if names in text[s[0]:s[1]]]
            assert len(spans) == 1, f"no single catalogue entry with {names}"
            text = text[: spans[0][0]] + item + text[spans[0][1]:]
    pack.write_text(text, encoding="utf-8")


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` standing for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def test_the_guide_runs_as_written(tmp_path):
    (tmp_path / "schools").symlink_to(ROOT / "schools")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "policyengine"  # the command as installed, for the interpreter running the tests
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policyengine "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONUNBUFFERED="1")
    env.pop("COLUMNS", None)

    printed: list[str] = []
    checked = 0
    for language, body in guide_blocks():
        if language == "sh":
            for command in (c for c in body.splitlines() if c.strip()):
                result = subprocess.run(
                    ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=False,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
                )
                assert "Traceback" not in result.stdout, result.stdout
                printed += result.stdout.splitlines()
        elif language == "yaml":
            apply_yaml(tmp_path / "my-school" / "tcat.yaml", body)
        else:
            expected = body.rstrip("\n").splitlines()
            assert matches(expected, printed), "\n".join(["expected:", *expected, "printed:", *printed])
            printed = []
            checked += 1
    assert checked >= 4


def test_yaml_edits_replace_rules_by_id_and_add_new_ones(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text("id: x\nrules:\n  - id: a\n    kind: k\n\n  - id: b\n    kind: k\n  # -- end\ncatalogue:\n  - section: S\n    rules: [a]\n")
    apply_yaml(pack, "  - id: b\n    kind: changed\n")
    apply_yaml(pack, "  - id: c\n    kind: new\n")
    apply_yaml(pack, "  - section: T\n    rules: [a]\n")
    assert pack.read_text() == (
        "id: x\nrules:\n  - id: c\n    kind: new\n  - id: a\n    kind: k\n\n  - id: b\n    kind: changed\n  # -- end\n"
        "catalogue:\n  - section: T\n    rules: [a]\n"
    )


def test_ellipsis_matching():
    assert matches(["A", "...", "C"], ["A", "B", "B", "C"])
    assert matches(["A", "..."], ["A"])
    assert not matches(["A", "C"], ["A", "B", "C"])


def test_the_mistakes_the_guide_mentions_are_reported_as_it_says(tmp_path, capsys):
    from policyengine.cli.main import main

    said = re.search(r"\(`\{fact: role_dls, lt: 1\}`\) gives\n?`(.*?)`, and `lt: one` gives `(.*?)`\.", README, re.S)
    assert said, "the guide no longer shows the two mistakes"
    pack = tmp_path / "tcat.yaml"
    rules = "".join(
        f"  - id: emergency-needs-dsl-{n}\n    kind: condition\n    when:\n      all:\n"
        f"        - {{fact: urgency, eq: emergency}}\n        - {mistake}\n"
        "    outcome: conditional\n    message: m\n    conditions: [c]\n"
        "    citation: {section: S, quote: q}\n"
        for n, mistake in enumerate(["{fact: role_dls, lt: 1}", "{fact: role_dsl, lt: one}"])
    )
    pack.write_text((ROOT / "schools" / "tcat.yaml").read_text().replace("\nrules:\n", "\nrules:\n" + rules, 1))
    assert main(["lint", str(pack)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(said.group(1) in line and line.startswith(f"{pack}:") for line in lines), lines
    assert any(line.endswith(said.group(2)) and line.startswith(f"{pack}:") for line in lines), lines
