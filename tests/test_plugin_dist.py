"""A real plugin distribution, installed with pip into a fresh virtual environment.

``tests/plugin_dist`` is a complete plugin (its own ``pyproject.toml`` with an entry point in the
``policyengine`` group): a rule kind, a trust pack and a school pack that use it, and a decision
listener writing an audit line to the file named by ``NORTHFIELD_AUDIT_LOG``. Here it is installed
with pip into a new virtual environment and used, in subprocesses, through the public API and the
command line, exactly as an installed third-party plugin would be.

Offline and fast on any machine: the new environment sees the running interpreter's site-packages
(a ``.pth`` calling ``site.addsitedir``, so the ``.pth`` files of an editable install are processed
too), so policyengine, its compiled durable-rules and pip itself are not installed again; pip runs
with ``--isolated --no-index --no-deps``, and the plugin's build backend is a page of standard
library code in the plugin itself (``requires = []``), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from policyengine import Registry, Visit
from policyengine.models import visit_digest
from tests.visits import ONE_STAFF, visit

DIST = Path(__file__).parent / "plugin_dist"
TIMEOUT = 180  # seconds for any one subprocess: generous for a slow CI machine, but never a hang
TRUST, SCHOOL = "northfield-trust", "northfield-oak-hill"


@dataclass(frozen=True)
class Env:
    python: Path
    root: Path

    def run(self, *args: str, log: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("NORTHFIELD_AUDIT_LOG", None)
        if log is not None:
            env["NORTHFIELD_AUDIT_LOG"] = str(log)
        # cwd outside the checkout, so nothing is imported from it by accident.
        result = subprocess.run(
            [str(self.python), *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        if check:
            assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return result

    def cli(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run("-m", "policyengine", *args, **kw)


def _site_dirs() -> list[str]:
    """Where the running interpreter finds policyengine, its dependencies and pip."""
    dirs = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    out: list[str] = []
    for d in dirs:
        if d and os.path.isdir(d) and d not in out:
            out.append(d)
    return out


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> Env:
    root = tmp_path_factory.mktemp("plugin-env")
    source = root / "northfield-home-visits"
    shutil.copytree(DIST, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    target = root / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(target)
    env = Env(target / ("Scripts/python.exe" if os.name == "nt" else "bin/python"), root)
    purelib = env.run("-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    assert Path(purelib).is_relative_to(target)
    lines = "; ".join(f"site.addsitedir({d!r})" for d in _site_dirs())
    Path(purelib, "_policyengine_outer_site.pth").write_text(f"import site; {lines}\n", encoding="utf-8")
    env.run(
        "-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--no-cache-dir",
        "--disable-pip-version-check", "--quiet", str(source),
    )
    return env


def test_pip_installed_a_distribution_with_an_entry_point_into_the_new_environment(plugin_env):
    shown = plugin_env.run(
        "-c",
        "import importlib.metadata as m, json; d = m.distribution('northfield-home-visits');"
        "import policyengine_northfield as p;"
        "print(json.dumps({'version': d.version, 'eps': [(e.group, e.name, e.value) for e in d.entry_points],"
        " 'file': p.__file__}))",
    )
    data = json.loads(shown.stdout)
    assert data["version"] == "0.1.0"
    assert data["eps"] == [["policyengine", "northfield", "policyengine_northfield"]]
    # Installed into the environment, not imported from the source tree.
    assert Path(data["file"]).is_relative_to(plugin_env.root / "venv")


def test_the_running_environment_does_not_see_the_plugin():
    assert TRUST not in Registry().packs()


API_SCRIPT = """
import json, sys
from datetime import date
from policyengine import available_packs, check, load_pack

visit = json.loads(sys.argv[1])
lone = dict(visit, duration_minutes=70, first_visit=True, approvals=["dsl"])
d_trust = check(lone, school="northfield-trust", today=date(2026, 11, 22))
d_school = check(dict(visit, purpose="early_years"), school="northfield-oak-hill", today=date(2026, 11, 22))
print(json.dumps({
    "packs": available_packs(),
    "trust": d_trust.model_dump(mode="json"),
    "school": d_school.model_dump(mode="json"),
    "origins": {r.id: load_pack("northfield-oak-hill").origin(r.id) for r in load_pack("northfield-oak-hill").rules},
}))
"""


def test_rule_kind_packs_and_listener_work_through_the_public_api(plugin_env, tmp_path):
    log = tmp_path / "audit.jsonl"
    base = visit(ONE_STAFF, {"approvals": ["headteacher"], "duration_minutes": 40})
    out = json.loads(plugin_env.run("-c", API_SCRIPT, json.dumps(base), log=log).stdout)

    assert {TRUST, SCHOOL} <= set(out["packs"])
    trust = out["trust"]
    assert trust["school"] == TRUST and trust["outcome"] == "blocked"
    findings = {f["rule"]: f for f in trust["findings"]}
    assert findings["first-visit-in-pairs"]["outcome"] == "blocked"
    length = findings["visit-length"]  # the plugin's own rule kind, with its remedy and citation
    assert length["outcome"] == "conditional" and length["remedy"] == {"duration_minutes": 45}
    assert length["citation"] == {
        "document": "Home Visits and Lone Working Policy",
        "section": "4. Length of visits",
        "quote": "Home visits should be planned to last no longer than 45 minutes.",
    }

    school = out["school"]
    assert school["outcome"] == "conditional"
    assert {f["rule"] for f in school["findings"] if f["outcome"] == "conditional"} == {"early-years-length"}
    assert out["origins"] == {
        "authorised": SCHOOL, "early-years-length": SCHOOL, "record-visit": SCHOOL,
        "first-visit-in-pairs": TRUST, "visit-length": TRUST,
    }

    # The listener saw both decisions, with a hash of each visit and never its facts.
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["school"], line["outcome"]) for line in lines] == [(TRUST, "blocked"), (SCHOOL, "conditional")]
    lone = dict(base, duration_minutes=70, first_visit=True, approvals=["dsl"])
    assert lines[0]["visit"] == visit_digest(Visit.model_validate(lone))
    assert lines[0]["pack_digest"] == trust["pack_digest"]


def test_the_command_line_checks_lists_shows_and_lints_the_plugin(plugin_env, tmp_path):
    log = tmp_path / "audit.jsonl"
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit(ONE_STAFF, {"approvals": ["dsl"], "duration_minutes": 60})))

    checked = plugin_env.cli("check", str(visit_file), "--school", SCHOOL, "--format", "json", log=log)
    decision = json.loads(checked.stdout)
    assert decision["outcome"] == "conditional"
    assert {f["rule"] for f in decision["findings"] if f["outcome"] == "conditional"} == {"authorised", "visit-length"}
    text = plugin_env.cli("check", str(visit_file), "--school", SCHOOL, log=log).stdout
    assert text.startswith("Planning: CONDITIONAL:") and "no longer than 45 minutes" in text
    assert [json.loads(line)["outcome"] for line in log.read_text().splitlines()] == ["conditional", "conditional"]

    packs = plugin_env.cli("packs").stdout
    assert f"{SCHOOL} Oak Hill Primary School: Home Visits Procedure (pack 3, 5 rules)" in packs
    assert TRUST in packs

    plugins = plugin_env.cli("plugins").stdout
    assert "northfield: northfield-home-visits 0.1.0\n  rule kinds: visit_length\n" in plugins
    assert f"  packs: {SCHOOL}, {TRUST}\n  listens to decisions\n" in plugins
    listed = json.loads(plugin_env.cli("plugins", "--format", "json").stdout)
    mine = next(p for p in listed if p["name"] == "northfield")
    assert mine == {
        "name": "northfield", "builtin": False, "distribution": "northfield-home-visits", "version": "0.1.0",
        "kinds": ["visit_length"], "packs": [SCHOOL, TRUST], "facts": [], "listens": True, "problems": [],
    }

    shown = plugin_env.cli("show", SCHOOL).stdout
    assert shown.startswith(f"{SCHOOL}: Oak Hill Primary School, Home Visits Procedure (pack 3)\n")
    assert "(plugin northfield (from northfield-home-visits 0.1.0))" in shown
    assert f"extends: {TRUST} (overrides authorised, record-visit)" in shown
    assert f"visit-length  [conditional]  kind visit_length, from {TRUST}\n" in shown
    assert f"authorised  [conditional]  kind authorisation, own, overrides {TRUST}\n" in shown
    assert "  when:  the visit is for early years, and either the visit lasts more than 30 minutes or its length\n" in shown

    packs_dir = plugin_env.run("-c", "import policyengine_northfield as p; print(p.PACKS)").stdout.strip()
    files = [str(Path(packs_dir) / f"{TRUST}.yaml"), str(Path(packs_dir) / f"{SCHOOL}.yaml")]
    linted = plugin_env.cli("lint", *files)
    assert linted.stdout == "" and "2 pack(s): 0 error(s)" in linted.stderr
    tested = plugin_env.cli("test", TRUST, SCHOOL)
    assert tested.stdout.strip() == "7 passed, 0 failed"


def test_a_plugin_pack_with_a_bad_visit_is_bad_input_not_a_traceback(plugin_env, tmp_path):
    visit_file = tmp_path / "visit.yaml"
    visit_file.write_text("purpose: attendance\nstart: '2026-11-23T10:00'\nstaff: [{role: attendance_officer}]\nduration_minutes: -5\n")
    result = plugin_env.cli("check", str(visit_file), "--school", SCHOOL, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{visit_file}:4:")
    assert "Traceback" not in result.stderr
