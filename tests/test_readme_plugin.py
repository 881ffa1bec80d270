"""The README's "Writing a plugin" example is a plugin that works: its code, pack, policy text and
both pyproject.tomls (hatchling and setuptools).

In process, the package is written out and imported; then it is built with each backend and
installed with pip into a fresh virtual environment (offline, as tests/test_plugin_dist.py does: the
new environment sees this one's site-packages, where the test extras put hatchling and setuptools),
and used from the command line exactly as an installed plugin is. A setuptools build that leaves
the policy text out of its package data is installed too: its pack is refused, naming the file to
ship, and every other pack still decides.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from policyengine import InputError, Registry, Visit, check, load_pack
from policyengine.models import visit_digest
from policyengine.plugins.registry import DISTRIBUTION, ENTRY_POINT_GROUP, HOOKS
from tests.conftest import ENGINE_PARAMS, ENGINES_HERE
from tests.scenarios import TODAY
from tests.test_plugin_dist import Env, _site_dirs
from tests.test_readme import blocks, section
from tests.visits import visit

SECTION = section("Writing a plugin")
(CODE,) = blocks(SECTION, "python")
(PACK,) = blocks(SECTION, "yaml")
LAYOUT, TEXT = blocks(SECTION, "text")
HATCHLING, SETUPTOOLS = blocks(SECTION, "toml")
MONDAY, FRIDAY = "2026-11-23T10:00:00", "2026-11-27T10:00:00"


def write_package(root: Path, text: bool = True) -> Path:
    """The README's package under ``root``: the layout it shows, with or without the policy text."""
    package = root / "policyengine_riverside"
    (package / "sources").mkdir(parents=True)
    (package / "__init__.py").write_text(CODE, encoding="utf-8")
    (package / "riverside.yaml").write_text(PACK, encoding="utf-8")
    if text:
        (package / "sources" / "riverside.txt").write_text(TEXT, encoding="utf-8")
    return package


@pytest.fixture
def riverside(tmp_path):
    """The README's plugin, written out as its package and imported under its own name."""
    package = write_package(tmp_path)
    spec = importlib.util.spec_from_file_location("policyengine_riverside", package / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the kind's annotations through its module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_the_layout_shown_is_the_package_the_tests_build():
    assert [line.strip() for line in LAYOUT.splitlines()] == [
        "riverside-home-visits/", "pyproject.toml", "policyengine_riverside/", "__init__.py", "riverside.yaml",
        "sources/riverside.txt",
    ]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_the_readme_plugin_provides_its_kind_fact_and_pack_and_logs_decisions(riverside, tmp_path, monkeypatch, engine):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("RIVERSIDE_AUDIT_LOG", str(log))
    registry = Registry(plugins=[riverside], entry_points=False)
    assert "weekdays" in registry.kinds() and "riverside" in registry.packs() and "weather_warning" in registry.facts()

    friday = visit({"start": FRIDAY})
    blocked = check(friday, school="riverside", engine=engine, registry=registry, today=TODAY)
    assert blocked.outcome.value == "blocked"
    (finding,) = blocked.findings
    assert finding.rule == "weekdays-only"
    assert finding.citation.quote == "Home visits take place from Monday to Thursday."
    monday = visit({"start": MONDAY})
    assert check(monday, school="riverside", engine=engine, registry=registry, today=TODAY).outcome.value == "permitted"
    red = visit({"start": MONDAY, "facts": {"weather_warning": "red"}})
    assert [f.rule for f in check(red, school="riverside", engine=engine, registry=registry, today=TODAY).findings] == [
        "no-visits-in-a-red-warning"
    ]

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == [
        {"school": "riverside", "outcome": "blocked", "visit": visit_digest(Visit.model_validate(friday))},
        {"school": "riverside", "outcome": "permitted", "visit": visit_digest(Visit.model_validate(monday))},
        {"school": "riverside", "outcome": "blocked", "visit": visit_digest(Visit.model_validate(red))},
    ]


def test_the_readme_plugin_kind_is_validated_with_line_and_column(riverside, tmp_path):
    bad = tmp_path / "bad.yaml"
    shutil.copytree(Path(riverside.__file__).parent / "sources", tmp_path / "sources")
    bad.write_text(PACK.replace("allowed: [monday, tuesday, wednesday, thursday]", "allowed: [monday, funday]"))
    with pytest.raises(InputError) as caught:
        load_pack(bad, registry=Registry(plugins=[riverside], entry_points=False))
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:9:23: rule 'weekdays-only': 'allowed[1]' cannot be 'funday'; it must be one of: 'monday', 'tuesday', "
        "'wednesday', 'thursday', 'friday', 'saturday' or 'sunday'"
    ]


@pytest.mark.parametrize("pyproject", [HATCHLING, SETUPTOOLS], ids=["hatchling", "setuptools"])
def test_both_readme_pyprojects_have_the_entry_point_and_depend_on_this_distribution(pyproject):
    data = tomllib.loads(pyproject)
    assert data["project"]["entry-points"][ENTRY_POINT_GROUP] == {"riverside": "policyengine_riverside"}
    assert data["project"]["dependencies"] == [DISTRIBUTION]
    assert data["build-system"]["build-backend"]


def test_the_readme_names_every_hook():
    for hook in HOOKS:
        assert f"`{hook}(" in SECTION, hook


# -- built and installed, with each backend ----------------------------------------------------------


def _venv(root: Path) -> Env:
    target = root / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=sys.platform != "win32").create(target)
    env = Env(target / "bin" / "python", root)
    purelib = env.run("-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    lines = "; ".join(f"site.addsitedir({d!r})" for d in _site_dirs())
    Path(purelib, "_policyengine_outer_site.pth").write_text(f"import site; {lines}\n", encoding="utf-8")
    return env


def _install(root: Path, pyproject: str, text: bool = True) -> Env:
    project = root / "riverside-home-visits"
    project.mkdir()
    (project / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    write_package(project, text=text)
    env = _venv(root)
    # --no-build-isolation: the backend comes from the test extras, so nothing is downloaded.
    env.run("-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--no-build-isolation", "--no-cache-dir",
            "--disable-pip-version-check", "--quiet", str(project))
    return env


@pytest.mark.parametrize("pyproject", [HATCHLING, SETUPTOOLS], ids=["hatchling", "setuptools"])
def test_the_readme_plugin_installed_with_each_backend_ships_its_pack_and_text(tmp_path, pyproject):
    env = _install(tmp_path, pyproject)
    where = env.run("-c", "import policyengine_riverside as p; print(p.__file__)").stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv")  # installed, not imported from the source tree
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit({"start": FRIDAY, "facts": {"weather_warning": "amber"}})))
    for engine in ENGINES_HERE:
        decided = json.loads(env.cli("check", str(visit_file), "--school", "riverside", "--format", "json",
                                     "--engine", engine).stdout)
        assert decided["outcome"] == "blocked" and [f["rule"] for f in decided["findings"]] == ["weekdays-only"]
    plugins = env.cli("plugins").stdout
    assert ("riverside: riverside-home-visits 1.0.0\n  rule kinds: weekdays\n  packs: riverside\n"
            "  visit facts: weather_warning\n  listens to decisions\n") in plugins
    assert "weather_warning" in env.cli("facts").stdout
    requires = env.run("-c", "import importlib.metadata as m; print(m.requires('riverside-home-visits'))").stdout
    assert requires.strip() == f"['{DISTRIBUTION}']"


def test_a_wheel_without_its_policy_text_makes_only_that_pack_unavailable_naming_the_file_to_ship(tmp_path):
    env = _install(tmp_path, SETUPTOOLS.replace('["*.yaml", "sources/*.txt"]', '["*.yaml"]'), text=True)
    shipped = Path(env.run("-c", "import policyengine_riverside as p; print(p.__file__)").stdout.strip()).parent
    assert (shipped / "riverside.yaml").is_file() and not (shipped / "sources" / "riverside.txt").exists()
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit({"start": MONDAY})))
    for engine in ENGINES_HERE:
        refused = env.cli("check", str(visit_file), "--school", "riverside", "--engine", engine, check=False)
        assert refused.returncode == 1 and refused.stdout == "" and "Traceback" not in refused.stderr
        assert refused.stderr == (
            f"policyengine: error: rule pack 'riverside' from plugin riverside (from riverside-home-visits 1.0.0) cannot "
            f"be used ({shipped}/riverside.yaml): {shipped}/riverside.yaml:5:1: the policy text 'riverside.txt' is "
            f"missing, so the pack's quotes cannot be checked: ship it as {shipped}/sources/riverside.txt (in a plugin, "
            "as package data beside the pack)\n"
        )
        # Every other pack still decides.
        assert env.cli("check", str(visit_file), "--school", "tcat", "--engine", engine).stdout.startswith("Planning: PERMITTED")
    listed = env.cli("plugins", check=False)
    assert listed.returncode == 1
    assert "  BROKEN: rule pack 'riverside' from plugin riverside (from riverside-home-visits 1.0.0) cannot be used" in listed.stdout
