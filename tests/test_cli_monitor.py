"""``policyengine monitor`` and ``policyengine due`` from the command line: formats, exit status,
bad lines, and resuming after a crash (a SIGKILL mid-stream, detected by output, not by sleeping)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import Monitor
from tests.monitor.harness import ENGINES

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = ROOT / "examples" / "absence" / "calendar-2026-27.yaml"
PLAN = {"purpose": "attendance", "start": "2026-11-23T10:00:00", "duration_minutes": 45,
        "staff": [{"role": "attendance_officer"}, {"role": "pastoral"}], "check_in": {"interval_minutes": 30}}


def cli(*args, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policyengine", *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=cwd or ROOT)


def jsonl(events) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def office_day(visits: int, school: str = "tcat") -> list[dict]:
    """A day of visits, one every few minutes, each missing check-ins so that actions keep coming."""
    events = []
    for i in range(visits):
        start_minute = 9 * 60 + 3 * i
        start = f"2026-11-23T{start_minute // 60:02d}:{start_minute % 60:02d}:00"
        events.append({"visit": f"V-{i}", "event": "planned", "at": start, "plan": dict(PLAN, start=start),
                       "escalation_minutes": 5, "expected_return": f"2026-11-23T{start_minute // 60 + 2:02d}:{start_minute % 60:02d}:00"})
    # Interleave: each visit arrives, checks in once, and leaves an hour later; ticks every minute.
    timed = []
    for i in range(visits):
        m = 9 * 60 + 3 * i
        timed += [(m, {"visit": f"V-{i}", "event": "arrived"}), (m + 12, {"visit": f"V-{i}", "event": "check_in"}),
                  (m + 70, {"visit": f"V-{i}", "event": "left"}), (m + 100, {"visit": f"V-{i}", "event": "returned"})]
    last = max(m for m, _ in timed)
    timed += [(m, {"event": "tick"}) for m in range(9 * 60, last + 1)]
    timed.sort(key=lambda item: item[0])
    stream = sorted(events, key=lambda e: e["at"])
    for m, event in timed:
        stream.append(dict(event, at=f"2026-11-23T{m // 60:02d}:{m % 60:02d}:00"))
    stream.sort(key=lambda e: e["at"])
    return stream


# -- monitor ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_monitor_writes_what_the_library_gives(tmp_path, engine):
    events = office_day(3)
    (tmp_path / "events.jsonl").write_text(jsonl(events))
    result = cli("monitor", tmp_path / "events.jsonl", "--school", "tcat", "--engine", engine)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected = Monitor("tcat", engine="python").replay(events)
    assert [json.loads(line) for line in result.stdout.splitlines()] == [a.model_dump(mode="json") for a in expected]
    assert len(expected) > 3


def test_monitor_reads_standard_input():
    events = office_day(2)
    result = cli("monitor", "--school", "tcat", stdin=jsonl(events))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == len(Monitor("tcat", engine="python").replay(events))


def test_bad_lines_are_reported_by_line_and_the_rest_processed(tmp_path):
    events = office_day(2)
    lines = jsonl(events).splitlines()
    lines.insert(3, "{not json")
    lines.insert(5, json.dumps({"visit": "V-9", "event": "arrived", "at": "2026-11-23T09:01:00"}))
    lines.insert(7, json.dumps({"visit": "V-0", "event": "arrived", "at": "2026-11-23T08:00:00"}))
    lines.insert(9, "[1, 2]")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("monitor", path, "--school", "tcat")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}:4: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:6: unknown visit 'V-9': it was never planned, or it has already returned",
        f"{path}:8: out of time order: 2026-11-23T08:00:00 is before 2026-11-23T09:02:00, the time already reached",
        f"{path}:10: an event must be a JSON object with 'visit', 'event' and 'at'",
    ]
    assert [json.loads(x) for x in result.stdout.splitlines()] == [
        a.model_dump(mode="json") for a in Monitor("tcat", engine="python").replay(events)
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--school", "tcatt"], "unknown school 'tcatt'; did you mean 'tcat'?"),
        (["missing.jsonl", "--school", "tcat"], "missing.jsonl: cannot read the file"),
        (["--school", "tcat", "--checkpoint-every", "0"], "must be at least 1"),
    ],
)
def test_bad_arguments_exit_2_without_a_traceback(args, message):
    result = cli("monitor", *args, stdin="")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_pack_without_visit_timers_says_so(tmp_path):
    result = cli("monitor", "--school", "wirksworth", stdin=jsonl(office_day(1)))
    assert result.returncode == 0 and result.stdout == ""
    assert "the 'wirksworth' pack has no timed rules for visits" in result.stderr


def test_visits_still_watched_at_the_end_are_listed():
    events = [e for e in office_day(2) if e["event"] != "returned"]
    result = cli("monitor", "--school", "tcat", stdin=jsonl(events))
    assert result.returncode == 0
    assert "2 visit(s) still watched at the end of the input (no 'returned' yet): V-0, V-1" in result.stderr


# -- resuming --------------------------------------------------------------------------------------


def test_an_appended_log_resumes_where_the_state_file_left_off(tmp_path):
    events = office_day(4)
    whole = cli("monitor", "--school", "tcat", stdin=jsonl(events)).stdout
    state = tmp_path / "state.json"
    first = cli("monitor", "--school", "tcat", "--state", state, stdin=jsonl(events[:40]))
    saved = json.loads(state.read_text())
    assert saved["lines"] == 40 and saved["actions_written"] == len(first.stdout.splitlines())
    second = cli("monitor", "--school", "tcat", "--state", state, "--engine", "python", stdin=jsonl(events))
    assert first.returncode == second.returncode == 0
    assert first.stdout + second.stdout == whole


def test_resuming_refuses_another_log(tmp_path):
    events = office_day(2)
    state = tmp_path / "state.json"
    cli("monitor", "--school", "tcat", "--state", state, stdin=jsonl(events[:10]))
    other = [dict(events[0], visit="V-other")] + events[1:]
    result = cli("monitor", "--school", "tcat", "--state", state, stdin=jsonl(other))
    assert result.returncode == 2 and "does not begin with the 10 lines the state file" in result.stderr


def test_resuming_refuses_another_school_or_pack_version(tmp_path):
    state = tmp_path / "state.json"
    cli("monitor", "--school", "tcat", "--state", state, stdin=jsonl(office_day(1)[:3]))
    result = cli("monitor", "--school", "burgh", "--state", state, stdin="")
    assert result.returncode == 2 and "the state is for school 'tcat', not 'burgh'" in result.stderr
    saved = json.loads(state.read_text())
    saved["monitor"]["pack_digest"] = "sha256:0"
    state.write_text(json.dumps(saved))
    result = cli("monitor", "--school", "tcat", "--state", state, stdin="")
    assert result.returncode == 2 and "saved with another version of the 'tcat' pack" in result.stderr


def test_resuming_refuses_a_damaged_state_file(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{")
    result = cli("monitor", "--school", "tcat", "--state", state, stdin="")
    assert result.returncode == 2 and "not a monitor state file" in result.stderr


def test_resuming_into_an_output_file_cuts_what_came_after_the_checkpoint(tmp_path):
    events = office_day(4)
    whole = cli("monitor", "--school", "tcat", stdin=jsonl(events)).stdout
    state, out = tmp_path / "state.json", tmp_path / "actions.jsonl"
    cli("monitor", "--school", "tcat", "--state", state, "--output", out, stdin=jsonl(events[:60]))
    # A crash after the checkpoint, with actions of later lines already written:
    with open(out, "a") as partial:
        partial.write('{"visit": "V-0", "due": "written after the checkpoint"}\n{"visit": "V-1", "du')
    result = cli("monitor", "--school", "tcat", "--state", state, "--output", out, stdin=jsonl(events))
    assert result.returncode == 0
    assert out.read_text() == whole


def _start(tmp_path, events, *extra):
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(events))
    return subprocess.Popen(
        [sys.executable, "-m", "policyengine", "monitor", str(path), "--school", "tcat", "--state", str(tmp_path / "state.json"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    ), path


def _read_actions(process, count: int) -> list[str]:
    got = []
    while len(got) < count:
        line = process.stdout.readline()
        assert line, "the monitor ended before it was stopped"
        got.append(line)
    return got


def _finish(process) -> tuple[str, str]:
    """The rest of its output, including what the reader had buffered (communicate() would skip it)."""
    rest, err = process.stdout.read(), process.stderr.read()
    process.wait()
    return rest, err


@pytest.mark.parametrize("engine", ENGINES)
def test_killed_mid_stream_then_resumed_gives_the_actions_of_an_uninterrupted_run(tmp_path, engine):
    events = office_day(60)
    whole = cli("monitor", "--school", "tcat", "--engine", engine, stdin=jsonl(events)).stdout.splitlines(keepends=True)
    process, path = _start(tmp_path, events, "--engine", engine)
    seen = _read_actions(process, 40)  # the monitor is mid-stream: it has written 40 actions
    process.send_signal(signal.SIGKILL)
    rest, _ = _finish(process)
    assert process.returncode == -signal.SIGKILL
    written = seen + rest.splitlines(keepends=True)
    state = json.loads((tmp_path / "state.json").read_text())
    assert 0 < state["lines"] < len(events)
    kept = written[: state["actions_written"]]  # what the checkpoint vouches for; anything after is written again
    assert kept == whole[: len(kept)]
    resumed = subprocess.run([sys.executable, "-m", "policyengine", "monitor", str(path), "--school", "tcat", "--state",
                              str(tmp_path / "state.json"), "--engine", engine], capture_output=True, text=True, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert kept + resumed.stdout.splitlines(keepends=True) == whole


def test_ctrl_c_saves_the_state_and_stops(tmp_path):
    events = office_day(60)
    whole = cli("monitor", "--school", "tcat", stdin=jsonl(events)).stdout.splitlines(keepends=True)
    process, path = _start(tmp_path, events)
    seen = _read_actions(process, 20)
    process.send_signal(signal.SIGINT)
    rest, err = _finish(process)
    assert process.returncode == 128 + signal.SIGINT, err
    assert "stopped by signal" in err and "Traceback" not in err
    written = seen + rest.splitlines(keepends=True)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["actions_written"] == len(written)  # a clean stop saves after the last line it took
    resumed = cli("monitor", path, "--school", "tcat", "--state", tmp_path / "state.json")
    assert written + resumed.stdout.splitlines(keepends=True) == whole


# -- due ----------------------------------------------------------------------------------------------


def test_due_writes_text_for_people_and_json_for_programs(tmp_path):
    record = tmp_path / "absence.yaml"
    record.write_text("pupil: P-7\nfirst_day: 2026-11-19\nvulnerable: false\nwhereabouts_known: true\n"
                      "contact:\n  - {on: 2026-11-20, reason_known: true}\n")
    text = cli("due", record, "--school", "burgh", "--calendar", CALENDAR)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("P-7: absent from Thu 19 Nov 2026, still absent (burgh)\n  By Thu 19 Nov 2026 (school day 1): attempt-contact")
    as_json = cli("due", record, "--school", "burgh", "--calendar", CALENDAR, "--format", "json", "--engine", "python")
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["due"], r["school_day"], r["rule"]) for r in rows] == [
        ("2026-11-19", 1, "day-1-no-contact"), ("2026-11-26", 6, "day-6-eyes-on"), ("2026-12-02", 10, "pnar-10-consecutive-days")]


def test_due_reports_each_bad_record_with_its_line(tmp_path):
    records = tmp_path / "absences.yaml"
    records.write_text("- {first_day: 2026-11-19, vulnerable: false}\n- {first_day: 2026-11-21}\n- {first_day: 2026-11-19, colour: red}\n")
    result = cli("due", records, "--school", "burgh", "--calendar", CALENDAR)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{records}:2:3: first_day 2026-11-21 is not a school day in the calendar {CALENDAR}",
        f"{records}:3:27: unknown field 'colour' (remove it or correct the spelling)",
        "2 problems",
    ]


def test_due_without_a_calendar_or_for_a_school_without_triggers(tmp_path):
    record = tmp_path / "absence.json"
    record.write_text(json.dumps({"first_day": "2026-11-19"}))
    result = cli("due", record, "--school", "burgh")
    assert result.returncode == 2 and "the 'burgh' pack has no school calendar" in result.stderr
    result = cli("due", record, "--school", "ellesmere")
    assert result.returncode == 0 and "the 'ellesmere' pack has no absence triggers" in result.stderr
