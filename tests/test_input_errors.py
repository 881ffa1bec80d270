"""Bad visit files: exit status 2, one plain line per problem naming file, line and field; never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import InputError, UnknownSchoolError, check, load_visit
from policyengine._yaml import loads
from policyengine.cli.main import main

HERE = Path(__file__).parent
BAD = HERE / "fixtures" / "bad_visits"
PACK = str(HERE / "fixtures" / "kinds.yaml")


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "name, expected",
    [
        ("malformed.yaml", "malformed.yaml:4:1: not valid YAML: a list in [ ] that is not closed"),
        ("unknown_field.yaml", "unknown_field.yaml:5:1: unknown field 'parent_informed'; did you mean 'parents_informed'?"),
        ("wrong_type.yaml", "wrong_type.yaml:5:1: 'first_visit' must be true or false, not 'yes'"),
        ("duplicate_key.yaml", "duplicate_key.yaml:5:1: duplicate key 'purpose' (first given on line 1); keep only one"),
        ("tag.yaml", "tag.yaml:2:8: YAML tags such as '!!python/object/apply:os.system' are not allowed"),
        ("empty.yaml", "empty.yaml:1:1: the file is empty"),
        ("negative.yaml", "negative.yaml:6:3: 'on_arrival.minutes_waited' must be at least 0, not -5"),
        ("norway.yaml", "norway.yaml:5:1: 'parents_informed' must be true or false, not 'no'"),
        ("spring_gap.yaml", "spring_gap.yaml:2:1: 'start': 2026-03-29T01:30:00 does not exist in London"),
        ("not_a_mapping.yaml", "not_a_mapping.yaml:1:1: a visit must be a mapping of fields"),
        ("unknown_school.yaml", "unknown_school.yaml:1:1: unknown school 'hogwarts'"),
        ("missing.yaml", "missing.yaml: file not found"),
    ],
)
def test_bad_visit_file_exits_2_with_one_line(capsys, name, expected):
    argv = ["check", str(BAD / name)]
    if name != "unknown_school.yaml":
        argv += ["--school", PACK]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(str(BAD / name).rsplit("/", 1)[0])
    assert expected in lines[0]
    assert "Traceback" not in err


def test_unknown_school_option(capsys):
    code, _, err = run_cli(capsys, "check", str(HERE.parent / "examples" / "prepared-daytime-visit.yaml"), "--school", "hogwart")
    assert code == 2
    assert err.startswith("--school: unknown school 'hogwart'")


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text('purpose: holiday\nstart: "2026-11-23T10:00"\nstaff: []\nfirst_visit: 1\n')
    code, _, err = run_cli(capsys, "check", str(f), "--school", PACK)
    assert code == 2
    assert f"{f}:1:1: 'purpose' cannot be 'holiday'" in err
    assert f"{f}:3:1: 'staff' needs at least 1 item(s)" in err
    assert f"{f}:4:1: 'first_visit' must be true or false, not 1" in err
    assert err.strip().endswith("3 problems")


def test_argument_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["check", "x.yaml", "--format", "xml"])
    assert exc.value.code == 2


def test_console_script_gives_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "policyengine", "check", str(BAD / "tag.yaml"), "--school", PACK],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "hacked" not in proc.stdout + proc.stderr  # the tag was never honoured


def test_internal_error_exits_1_and_makes_no_decision(capsys, monkeypatch):
    import policyengine.cli.check as cli_check

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli_check, "check", broken)
    code, out, err = run_cli(capsys, "check", str(HERE.parent / "examples" / "prepared-daytime-visit.yaml"), "--school", PACK)
    assert code == 1
    assert out == ""
    assert "internal error" in err and "no decision was made" in err


# -- the loader ----------------------------------------------------------------------------------

def test_yaml_11_surprises_are_not_applied():
    data = loads("a: no\nb: 9:30\nc: 2026-11-23\nd: on\ne: true\nf: 08\ng: 1.5\nh: ~\n").data
    assert data == {"a": "no", "b": "9:30", "c": "2026-11-23", "d": "on", "e": True, "f": 8, "g": 1.5, "h": None}


def test_unquoted_date_time_stays_text_for_the_model(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("purpose: attendance\nstart: 2026-11-23 10:00\nstaff:\n  - role: pastoral\n")
    assert load_visit(f).start.isoformat() == "2026-11-23T10:00:00+00:00"


def test_aliases_and_merge_keys_rejected():
    with pytest.raises(InputError, match="aliases"):
        loads("a: &x [1]\nb: *x\n")
    with pytest.raises(InputError, match="merge keys"):
        loads("a: {x: 1}\nb:\n  <<: {x: 2}\n")


def test_positions_point_at_keys():
    loaded = loads("a:\n  b:\n    - x: 1\n      y: 2\n")
    assert loaded.position(("a", "b", 0, "y")) == (4, 7)
    assert loaded.position(("a", "b", 0, "missing")) == (3, 7)


# -- the visit model -----------------------------------------------------------------------------

BASE = {"purpose": "attendance", "staff": [{"role": "pastoral"}]}


@pytest.mark.parametrize(
    "start, utc",
    [
        ("2026-07-06T16:00:00", "2026-07-06T15:00:00+00:00"),  # BST
        ("2026-11-23T16:00:00", "2026-11-23T16:00:00+00:00"),  # GMT
        ("2026-07-06T15:00:00Z", "2026-07-06T15:00:00+00:00"),
        ("2026-10-25T01:30:00+01:00", "2026-10-25T00:30:00+00:00"),  # first 01:30, with its offset
        ("2026-10-25T01:30:00+00:00", "2026-10-25T01:30:00+00:00"),  # second 01:30
    ],
)
def test_start_times_and_offsets(start, utc):
    assert check_start(start) == utc


def check_start(start):
    from policyengine import parse_visit

    return parse_visit(dict(BASE, start=start)).start.isoformat()


def test_ambiguous_local_time_is_rejected():
    with pytest.raises(InputError, match="happens twice in London"):
        check_start("2026-10-25T01:30:00")


def test_visit_school_must_match(tmp_path):
    with pytest.raises(InputError, match="says school 'tcat'"):
        check(dict(BASE, start="2026-11-23T10:00", school="tcat"), school="burgh")


def test_unknown_school_is_a_lookup_error():
    with pytest.raises(LookupError):
        check(dict(BASE, start="2026-11-23T10:00"), school="hogwarts")
    with pytest.raises(UnknownSchoolError):
        check(dict(BASE, start="2026-11-23T10:00"))


# -- the two YAML loaders ------------------------------------------------------------------------

@pytest.mark.parametrize("pack", sorted((Path(__file__).resolve().parents[1] / "schools").glob("*.yaml")), ids=lambda p: p.stem)
def test_libyaml_and_python_loaders_give_the_same_data_and_positions(pack):
    from policyengine import _yaml

    if _yaml._CParser is None:
        pytest.skip("PyYAML was built without libyaml")
    text = pack.read_text(encoding="utf-8")
    fast, slow = (_yaml._load(L, text, "x") for L in (_yaml._FastLoader, _yaml._Loader))
    assert fast.data == slow.data and fast.positions == slow.positions


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: [1, 2\nb: 3\n", "2:2: not valid YAML: a list in [ ] that is not closed, or an item in it containing ': '"),
        ("a: !!python/object/apply:os.system [ls]\n", "1:4: YAML tags such as '!!python/object/apply:os.system' are not allowed"),
        ("a: &x 1\nb: *x\n", "2:4: aliases (*name) are not allowed"),
        ("a: 1\na: 2\n", "2:1: duplicate key 'a' (first given on line 1)"),
    ],
)
def test_yaml_problems_read_the_same_whichever_loader_finds_them(text, message):
    from policyengine._yaml import loads

    with pytest.raises(InputError) as exc:
        loads(text, "f.yaml")
    assert str(exc.value).startswith(f"f.yaml:{message}")
