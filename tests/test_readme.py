"""The README is a contract: its commands, examples and generated table must be true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policyengine import available_packs
from policyengine._yaml import from_mapping
from policyengine.cli.main import build_parser
from policyengine.cli.table import END, START, behaviour_table, with_table
from policyengine.packs.load import parse_pack
from policyengine.plugins.registry import Registry
from tests.conftest import ENGINES_HERE

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_quick_start_holds_exactly_two_commands_and_ci_runs_the_second():
    (block,) = blocks(section("Quick start"), "sh")
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "pip install ." in commands[0] and "policyengine check examples/" in commands[0]
    assert '".[test]"' in commands[1] and "pytest" in commands[1]
    example = re.search(r"policyengine check (\S+)", commands[0]).group(1)
    assert (ROOT / example).is_file()
    # .ci/run reads the command from the README rather than keeping a copy of it.
    assert "Quick start" in (ROOT / ".ci" / "run").read_text()


def test_library_example_runs_and_says_what_it_prints(capsys, monkeypatch):
    (code,) = blocks(section("Using the library"), "python")
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    promised = re.search(r"print\(decision\.outcome\)\s+# (\w+)", code).group(1)
    assert printed[0] == promised


def test_every_command_is_documented():
    documented = set(re.findall(r"^\| `policyengine (\w+)", section("Command line"), re.M))
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    assert documented == set(sub.choices)


def test_every_built_in_rule_kind_is_documented():
    documented = set(re.findall(r"^\| `(\w+)` \|", section("Rule packs"), re.M))
    assert documented == set(Registry(entry_points=False).kinds())


def test_condition_rule_example_is_a_valid_rule():
    rule_yaml = next(b for b in blocks(section("Rule packs"), "yaml") if "kind: condition" in b)
    (rule,) = yaml.safe_load(rule_yaml)
    pack = {"id": "readme", "school": "README", "document": "Policy", "version": "1", "source": "policy.txt", "rules": [rule]}
    parsed = parse_pack(from_mapping(pack, "README.md"), source=rule["citation"]["quote"])
    assert [r.kind for r in parsed.rules] == ["condition"]


def test_pack_example_is_how_the_tcat_pack_begins():
    pack_yaml = next(b for b in blocks(section("Rule packs"), "yaml") if b.startswith("# yaml-language-server"))
    shown = pack_yaml.rsplit("  # ...", 1)[0]
    assert (ROOT / "schools" / "tcat.yaml").read_text(encoding="utf-8").startswith(shown)
    text = (ROOT / "schools" / "sources" / "tcat.txt").read_text(encoding="utf-8")
    pack = parse_pack(from_mapping(yaml.safe_load(pack_yaml), "README.md"), source=text)
    assert pack.id == "tcat" and pack.rules[0].kind == "wait_limit"


def test_behaviour_table_is_current():
    table = behaviour_table()
    assert with_table(README, table) == README, "the table is stale: run `policyengine table --update README.md`"
    assert set(available_packs()) >= {"tcat", "burgh", "wirksworth", "washwood", "ellesmere"}


def test_table_update_needs_its_markers(tmp_path):
    target = tmp_path / "doc.md"
    target.write_text("no markers here\n")
    result = subprocess.run(
        [sys.executable, "-m", "policyengine", "table", "--update", str(target)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"{target}: the markers {START} and {END} are missing"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("schema", ["pack", "visit"])
def test_editor_setup_points_at_committed_schemas(schema):
    assert f"schemas/{schema}.schema.json" in section("Rule packs")
    assert (ROOT / "schemas" / f"{schema}.schema.json").is_file()


def test_extending_a_trust_pack_example_is_what_lint_and_show_say(tmp_path, capsys, monkeypatch):
    import json

    from policyengine import check
    from policyengine._patch import merge_patch
    from policyengine.cli.main import main
    from tests.visits import PREPARED

    rules = section("Rule packs")
    pack = next(b for b in blocks(rules, "yaml") if b.startswith("id: oak-lane"))
    loosens = next(b for b in blocks(rules, "yaml") if b.startswith("loosens:"))
    error, note = [b.strip() for b in blocks(rules, "text") if b.startswith("oak-lane.yaml:")]
    (tmp_path / "sources").mkdir()
    quotes = [rule["citation"]["quote"] for rule in yaml.safe_load(pack)["rules"]]
    (tmp_path / "sources" / "oak-lane.txt").write_text("2. At the door\n" + "\n".join(quotes) + "\n")
    (tmp_path / "oak-lane.yaml").write_text(pack)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "oak-lane.yaml"]) == 1
    assert capsys.readouterr().out.strip() == error
    (tmp_path / "oak-lane.yaml").write_text(pack + loosens)
    assert main(["lint", "--strict", "oak-lane.yaml"]) == 0
    assert capsys.readouterr().out.strip() == note
    assert main(["show", "oak-lane.yaml"]) == 0
    assert "\nloosens: rule 'wait-exceeded' of 'tcat' is loosened, as declared (the governors" in capsys.readouterr().out
    # The witness is decided as the message says, on both engines.
    witness = json.loads(error[error.index("{"):error.index("}}") + 2])
    for engine in ENGINES_HERE:
        assert check(merge_patch(PREPARED, witness), school="tcat", engine=engine).outcome.value == "blocked"
        assert check(merge_patch(PREPARED, witness), school="oak-lane.yaml", engine=engine).outcome.value == "conditional"


def test_phase_examples_print_what_the_readme_shows():
    """"Phases of a visit": one example per phase, each command's output as the README shows it."""
    from tests.test_guide import matches

    text = section("Phases of a visit")
    pairs = re.findall(r"```sh\n(.*?)```\s*(?:.*?\n)??```text\n(.*?)```", text, re.S)
    assert len(pairs) == 3
    phases = []
    for command, expected in pairs:
        args = command.split()
        assert args[:2] == ["policyengine", "check"]
        result = subprocess.run([sys.executable, "-m", "policyengine", *args[1:]], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        printed = result.stdout.splitlines()
        assert matches(expected.splitlines(), printed), "\n".join(["expected:", expected, "printed:", *printed])
        phases.append(printed[0].split(":")[0])
    assert phases == ["Planning", "At the door", "Inside"]


def test_phases_yaml_example_is_a_rule_that_does_what_the_readme_says():
    from policyengine._policy import decide
    from policyengine._visits import parse_visit
    from tests.scenarios import TODAY
    from tests.visits import arrived, visit

    (block,) = [b for b in blocks(section("Phases of a visit"), "yaml") if "phases:" in b]
    (rule,) = yaml.safe_load(block)
    rule["citation"] = {"section": "s", "quote": "q"}
    pack = parse_pack(from_mapping({"id": "readme", "school": "README", "document": "Policy", "version": "1", "source": "p.txt",
                                    "rules": [rule]}, "README.md"), source="q")
    animals = {"household": {"animals": "present"}}

    def outcome(v):
        (finding,) = decide(pack, parse_visit(v), "python", TODAY).findings
        return finding.outcome.value

    assert outcome(visit(animals)) == "permitted"
    assert outcome(visit(animals, {"on_arrival": {}})) == "conditional"
    assert outcome(arrived() | animals) == "blocked"


def test_how_it_works_example_prints_what_its_comments_say(capsys):
    (code,) = blocks(section("How it works"), "python")
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["conditional", "['conditional', 'blocked']"]
    assert f"# {printed[0]}:" in code and f"# {printed[1]}" in code


def test_how_it_works_draws_modules_that_exist():
    """Every module and package the layer picture names is where it says (it is not left behind by
    a move), and every subpackage of policyengine is in the picture."""
    (picture,) = blocks(section("How it works"), "text")
    package = ROOT / "policyengine"
    layer, named = "", set()
    for line in picture.splitlines():
        if line and not line[0].isspace():
            first = line.split()[0]
            layer = first if first.endswith("/") else ""
        for name in re.findall(r"[\w/]+\.py|\b\w+/", line):
            path = package / name if "/" in name or (package / name).exists() else package / layer / name
            assert path.exists(), f"the README's layer picture names {name}, which is not at {path}"
            named.add(path.relative_to(package).parts[0])
    subpackages = {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert subpackages <= named, subpackages - named

