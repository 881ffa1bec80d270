"""Issue 12's attacks, one regression test each, numbered as the issue numbers them.

Each failed on the code before the fix (the closing note of issue 12 records how) and passes now.
Item 7 (``source:`` reading any file) and item 10's plugin parts (``SystemExit`` from a listener,
``--plugin-timeout``) are tested with the plugin and pack-source work in ``tests/test_plugins.py``.
Anything that could hang or crash the interpreter runs in a child process with a timeout, so a hang
or a segfault fails the test instead of the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import policyengine
from policyengine import InputError, check, load_pack
from policyengine.cli.main import main
from tests.packfiles import write_pack
from tests.scenarios import TODAY
from tests.visits import arrived, visit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "prepared-daytime-visit.yaml"
# (Written to run on the code before the fix too, which had no available_engines.)
ENGINES_HERE = getattr(policyengine, "available_engines", lambda: ("durable", "python"))()
needs_durable = pytest.mark.skipif("durable" not in ENGINES_HERE, reason="needs the durable engine (durable-rules does not import on this Python)")


def child(code: str, timeout: float = 240, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; its last line of output, as JSON. A crash or a hang fails."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. An interrupt turns a blocked visit into permitted -----------------------------------------


@needs_durable
def test_1_an_interrupt_in_any_action_never_loses_a_finding():
    """KeyboardInterrupt raised as each action starts, in check, check_many and audit: each run
    raises or gives the uninterrupted decisions (tests/test_interrupts.py goes to every line)."""
    done = subprocess.run([sys.executable, "-m", "tests.interrupts", "actions", "durable", "KeyboardInterrupt"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for subject, result in report.items():
        assert result["points"] > 0, subject
        assert result["wrong"] == [] and result["wrong_after"] == [], (subject, result)


# -- 2. After an interrupt inside durable-rules, the next check segfaulted ------------------------


@needs_durable
def test_2_a_caller_that_catches_keyboardinterrupt_and_goes_on_gets_right_decisions_and_no_crash():
    result = child(
        """
        import json, sys
        from policyengine import check
        from tests.scenarios import TODAY
        from tests.visits import arrived

        unsafe = arrived({"staff_feel_unsafe": True, "invited_in_by": "child"})
        expected = check(unsafe, school="tcat", today=TODAY)

        class AtAction:
            def __init__(self, n): self.n, self.seen = n, 0
            def __call__(self, frame, event, arg):
                if frame.f_code.co_name in ("run", "action") and frame.f_code.co_filename.endswith("engines/durable.py"):
                    self.seen += 1
                    if self.seen == self.n:
                        raise KeyboardInterrupt
                return None

        interrupted = wrong = 0
        for n in range(1, 40):
            sys.settrace(AtAction(n % 3 + 1))
            try:
                got = check(unsafe, school="tcat", today=TODAY)
                wrong += got != expected
            except KeyboardInterrupt:
                interrupted += 1
            finally:
                sys.settrace(None)
            for _ in range(5):  # a service goes on deciding
                wrong += check(unsafe, school="tcat", today=TODAY) != expected
        print(json.dumps({"interrupted": interrupted, "wrong": wrong}))
        """,
        env={"MALLOC_PERTURB_": "165"},  # use of freed or uninitialised memory crashes for sure
    )
    assert result["interrupted"] > 0 and result["wrong"] == 0


# -- 3. A fork while another thread decides hung the child ----------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_3_a_child_forked_while_other_threads_decide_decides_correctly():
    result = child(
        """
        import json, os, signal, threading
        from policyengine import check
        from tests.scenarios import TODAY
        from tests.visits import arrived

        unsafe = arrived({"staff_feel_unsafe": True})
        expected = check(unsafe, school="tcat", today=TODAY).model_dump_json()
        stop = threading.Event()

        def decide():
            while not stop.is_set():
                check(unsafe, school="tcat", today=TODAY)

        threads = [threading.Thread(target=decide) for _ in range(3)]
        for t in threads:
            t.start()
        results = []
        for _ in range(20):
            pid = os.fork()
            if pid == 0:
                signal.alarm(30)  # a child that hangs is killed, and the parent sees it
                ok = check(unsafe, school="tcat", today=TODAY).model_dump_json() == expected
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            results.append(status)
        stop.set()
        for t in threads:
            t.join()
        print(json.dumps({"statuses": results}))
        """,
        timeout=300,
    )
    assert result["statuses"] == [0] * 20


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_3_a_child_forked_while_another_thread_holds_every_lock_decides_correctly():
    """The worst moment, made certain: a thread holds the engine lock, the engine cache's lock and the
    plugin registry's lock when the fork happens."""
    result = child(
        """
        import json, os, signal, threading
        import policyengine.engines.durable as engine
        from policyengine import check
        from policyengine._policy import _policies
        from policyengine.plugins.registry import _default_lock, default_registry
        from tests.scenarios import TODAY
        from tests.visits import arrived

        unsafe = arrived({"staff_feel_unsafe": True})
        expected = check(unsafe, school="tcat", today=TODAY).model_dump_json()
        engine.FORK_WAIT_SECONDS = 0.05
        holding, release = threading.Event(), threading.Event()

        def hold():
            with engine.ENGINE_LOCK, _policies._lock, _default_lock, default_registry()._lock:
                holding.set()
                release.wait()

        thread = threading.Thread(target=hold)
        thread.start()
        holding.wait()
        pid = os.fork()
        if pid == 0:
            signal.alarm(30)
            os._exit(0 if check(unsafe, school="tcat", today=TODAY).model_dump_json() == expected else 3)
        _, status = os.waitpid(pid, 0)
        release.set()
        thread.join()
        print(json.dumps({"status": status, "parent_still_decides": check(unsafe, school="tcat", today=TODAY).model_dump_json() == expected}))
        """,
        timeout=120,
    )
    assert result == {"status": 0, "parent_still_decides": True}


# -- 4. The engines disagreed on very large numbers -----------------------------------------------


def condition_pack(tmp_path, when: dict, name: str = "numbers") -> str:
    return write_pack(tmp_path / f"{name}.yaml", textwrap.dedent(f"""\
        id: {name}
        school: Test School
        document: Test Policy
        version: '1'
        rules:
        - id: waited
          kind: condition
          when: {json.dumps(when)}
          outcome: conditional
          message: waited
          conditions: [wait]
          citation: {{section: Test, quote: a quote}}
        """))


@needs_durable
def test_4_both_engines_agree_on_every_number_a_visit_accepts(tmp_path):
    school = condition_pack(tmp_path, {"fact": "minutes_waited", "le": 1000000})
    for waited in (0, 20, 1440):
        v = arrived({"minutes_waited": waited})
        assert check(v, school=school, engine="durable", today=TODAY) == check(v, school=school, engine="python", today=TODAY)
    with pytest.raises(InputError) as caught:
        check(arrived({"minutes_waited": 2000000}), school=school, today=TODAY)
    assert "on_arrival.minutes_waited" in str(caught.value) and "at most 1440" in str(caught.value)


# -- 5. Packs that lint clean but the durable engine could not run --------------------------------


@needs_durable
def test_5_a_pack_with_64_rules_matching_one_visit_decides_as_the_python_engine(tmp_path):
    rules = "".join(
        f"- id: r{n}\n  kind: condition\n  when: {{fact: duration_minutes, ne: {1000 + n}}}\n  outcome: permitted\n"
        f"  message: rule {n}\n  citation: {{section: Test, quote: quote {n}}}\n"
        for n in range(64)
    )
    path = write_pack(tmp_path / "sixty-four.yaml", "id: sixty-four\nschool: S\ndocument: D\nversion: '1'\nrules:\n" + rules)
    durable = check(visit(), school=path, engine="durable", today=TODAY)
    assert durable == check(visit(), school=path, engine="python", today=TODAY)
    assert len(durable.findings) == 64


@needs_durable
def test_5_a_rule_of_16_any_groups_decides_as_the_python_engine(tmp_path):
    groups = [{"any": [{"fact": "duration_minutes", "lt": 30 + n}, {"fact": "duration_minutes", "gt": 90 + n}]} for n in range(16)]
    school = condition_pack(tmp_path, {"all": groups}, "groups")
    for minutes in (10, 45, 200):
        v = visit({"duration_minutes": minutes})
        assert check(v, school=school, engine="durable", today=TODAY) == check(v, school=school, engine="python", today=TODAY)


# -- 6. Bad input reported as an internal error ---------------------------------------------------


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "name, content, where, words",
    [
        ("nul.yaml", "purpose: attendance\nstart: '2026-11-23T10:00'\nstaff: [{role: dsl}]\ncase_ref: 'a\x00b'\n", ":4:", "not allowed"),
        ("bell.json", '{"purpose": "attendance",\n "case_ref": "a\x07b"}', ":2:", "not allowed"),
        ("deep.json", "[" * 900 + "]" * 900, ":1:", "nested more than 64 levels"),
        ("digits.yaml", "purpose: attendance\nduration_minutes: " + "9" * 5000 + "\n", ":2:", "more than 18 digits"),
    ],
)
def test_6_a_malformed_visit_file_is_bad_input_with_file_line_and_column(tmp_path, capsys, name, content, where, words):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = cli(capsys, "check", str(path), "--school", "tcat")
    line = one_line(err)
    assert code == 2 and out == ""
    assert line.startswith(str(path) + where) and words in line, line


def test_6_a_pack_condition_400_nots_deep_is_bad_input(tmp_path, capsys):
    when = "{fact: first_visit, eq: true}"
    for _ in range(400):
        when = "{not: " + when + "}"
    school = condition_pack(tmp_path, {"fact": "first_visit", "eq": True}, "nots")
    Path(school).write_text(Path(school).read_text().replace('{"fact": "first_visit", "eq": true}', when), encoding="utf-8")
    code, out, err = cli(capsys, "check", str(EXAMPLE), "--school", school)
    assert code == 2 and f"{school}:" in one_line(err) and "nested more than" in err


def test_6_an_extends_chain_400_packs_deep_is_bad_input(tmp_path, capsys):
    for n in range(400):
        parent = f"extends: p{n + 1}\n" if n < 399 else ""
        write_pack(tmp_path / f"p{n}.yaml",
                   f"id: p{n}\nschool: S\ndocument: D\nversion: '1'\n{parent}rules:\n- id: r{n}\n  kind: condition\n"
                   f"  when: {{fact: first_visit, eq: true}}\n  outcome: permitted\n  message: m\n"
                   f"  citation: {{section: S, quote: q}}\n")
    from policyengine import Registry, hookimpl

    class Packs:
        @hookimpl
        def policyengine_rule_packs(self):
            return [str(tmp_path / f"p{n}.yaml") for n in range(400)]

    # Packs a plugin offers: a pack it cannot use is the plugin's error (PluginError), with the problems.
    with pytest.raises((InputError, policyengine.PluginError)) as caught:
        load_pack("p0", registry=Registry(plugins=[Packs()], entry_points=False))
    assert "more than 16 packs" in str(caught.value)
    first = caught.value.problems[0]
    assert first.file.endswith("p0.yaml") and first.line == 6


def audit_file(tmp_path, raw: bytes) -> str:
    path = tmp_path / "term.jsonl"
    path.write_bytes(raw)
    return str(path)


GOOD = json.dumps(visit()).encode()


def test_6_audit_reports_a_hostile_line_and_decides_the_rest(tmp_path, capsys):
    lines = [GOOD, b"[" * 900 + b"]" * 900, b'{"purpose": "attendance", "duration_minutes": ' + b"9" * 5000 + b"}",
             b'{"purpose": "attendance", "case_ref": "a\x00b"}', GOOD]
    source = audit_file(tmp_path, b"\n".join(lines) + b"\n")
    code, out, err = cli(capsys, "audit", source, "--school", "tcat")
    assert code == 2 and "Traceback" not in err
    assert [json.loads(line)["line"] for line in out.splitlines()] == [1, 5]
    for number in (2, 3, 4):
        assert f"{source}:{number}:" in err


def test_6_audit_numbers_lines_by_newline_only(tmp_path, capsys):
    """U+2028, U+2029 and U+0085 inside a string, and a lone carriage return between fields, are
    part of their line; a form feed (not JSON) makes its own line bad, not the next one."""
    tricky = [json.dumps(visit({"case_ref": f"x{c}y"}), ensure_ascii=False).encode() for c in ("\u2028", "\u2029", "\x85")]
    lines = [GOOD, tricky[0], b"\x0c" + GOOD, GOOD.replace(b", ", b",\r ", 1), tricky[1], tricky[2], b"{bad", GOOD]
    source = audit_file(tmp_path, b"\n".join(lines) + b"\n")
    code, out, err = cli(capsys, "audit", source, "--school", "tcat")
    assert [json.loads(line)["line"] for line in out.splitlines()] == [1, 2, 4, 5, 6, 8]
    assert [line.split(":")[1] for line in err.splitlines() if line.startswith(source)] == ["3", "7"]


def test_6_audit_accepts_a_bom_and_crlf_and_reports_an_undecodable_byte_by_line(tmp_path, capsys):
    source = audit_file(tmp_path, b"\xef\xbb\xbf" + GOOD + b"\r\n" + GOOD[:20] + b"\xff" + GOOD[20:] + b"\r\n" + GOOD + b"\r\n")
    code, out, err = cli(capsys, "audit", source, "--school", "tcat")
    assert [json.loads(line)["line"] for line in out.splitlines()] == [1, 3]
    assert err.startswith(f"{source}:2:21: not UTF-8") and f"{source}:1" not in err and f"{source}:3" not in err
    assert code == 2


# -- 8. No size limits ----------------------------------------------------------------------------


def test_8_a_huge_policy_text_is_refused_without_reading_it_all(tmp_path, capsys):
    pack = (ROOT / "schools" / "tcat.yaml").read_text(encoding="utf-8")
    (tmp_path / "tcat.yaml").write_text(pack, encoding="utf-8")
    (tmp_path / "sources").mkdir()
    with open(tmp_path / "sources" / "tcat.txt", "wb") as text:
        text.truncate(600 * 1024 * 1024)  # a sparse 600 MB file: reading it all would take minutes
    code, out, err = cli(capsys, "check", str(EXAMPLE), "--school", str(tmp_path / "tcat.yaml"))
    assert code == 2 and "larger than 4 MB" in one_line(err)


def test_8_a_device_or_a_fifo_is_refused_at_once():
    result = child(
        """
        import json, os, tempfile
        from policyengine.cli.main import main
        fifo = os.path.join(tempfile.mkdtemp(), "visit.yaml")
        os.mkfifo(fifo)
        print(json.dumps([main(["check", "/dev/zero", "--school", "tcat"]), main(["check", fifo, "--school", "tcat"]),
                          main(["audit", fifo, "--school", "tcat"])]))
        """,
        timeout=60,
    )
    assert result == [2, 2, 2]


def test_8_a_visit_with_200000_staff_is_refused_quickly(tmp_path, capsys):
    path = tmp_path / "crowd.json"
    path.write_text(json.dumps(visit({"staff": [{"role": "dsl"}] * 200_000})), encoding="utf-8")
    code, out, err = cli(capsys, "check", str(path), "--school", "tcat")
    assert code == 2 and "larger than 1 MB" in one_line(err)
    with pytest.raises(InputError, match="more than 50 items"):
        check(visit({"staff": [{"role": "dsl"}] * 200_000}), school="tcat")


def test_8_a_huge_field_is_not_echoed_back(tmp_path, capsys):
    path = tmp_path / "long.json"
    path.write_text(json.dumps(visit({"start": "x" * 900_000})), encoding="utf-8")
    code, out, err = cli(capsys, "check", str(path), "--school", "tcat")
    assert code == 2 and len(one_line(err)) < 400
    with pytest.raises(InputError) as caught:
        check(visit({"case_ref": "y" * 10_000_000}), school="tcat")
    assert len(str(caught.value)) < 400


# -- 9. Every pack version compiled stayed in memory ----------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads VmRSS from /proc")
def test_9_editing_a_pack_500_times_keeps_memory_flat(tmp_path):
    result = child(
        f"""
        import gc, json
        from pathlib import Path
        from policyengine import check
        from tests.scenarios import TODAY
        from tests.visits import arrived

        def rss_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

        source = Path("schools/tcat.yaml").read_text(encoding="utf-8")
        pack = Path({str(tmp_path)!r}) / "tcat.yaml"
        (pack.parent / "sources").mkdir()
        (pack.parent / "sources" / "tcat.txt").write_bytes(Path("schools/sources/tcat.txt").read_bytes())
        unsafe = arrived({{"staff_feel_unsafe": True}})
        sizes = {{}}
        for edit in range(500):
            pack.write_text(source.replace("version: ", f"version: edit-{{edit}}-", 1), encoding="utf-8")
            assert check(unsafe, school=str(pack), today=TODAY).outcome.value == "blocked"
            if edit in (99, 499):
                gc.collect()
                sizes[edit] = rss_mb()
        print(json.dumps({{"growth_mb": sizes[499] - sizes[99]}}))
        """,
        timeout=600,
    )
    assert result["growth_mb"] < 20, result


# -- 10. Smaller ------------------------------------------------------------------------------------


def test_10_a_full_disk_leaves_no_partial_output_file(tmp_path):
    """RLIMIT_FSIZE makes writes past 64 kB fail with EFBIG, as a full disk fails them."""
    source = tmp_path / "term.jsonl"
    source.write_text("".join(json.dumps(visit()) + "\n" for _ in range(200)), encoding="utf-8")
    output = tmp_path / "decisions.jsonl"
    code = f"""
        import resource, sys
        from policyengine.cli.main import main
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        sys.exit(main(["audit", {str(source)!r}, "--school", "tcat", "--output", {str(output)!r}]))
        """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == [source]  # neither a cut file nor the temporary one


def test_10_an_exception_from_a_signal_handler_during_validation_is_not_bad_input():
    import signal

    def alarm(signum, frame):
        raise TimeoutError("the caller's time limit")

    class SignalInValidation:
        def __call__(self, frame, event, arg):
            if frame.f_code.co_name == "_parse_start":
                sys.settrace(None)
                os.kill(os.getpid(), signal.SIGUSR1)
            return None

    previous = signal.signal(signal.SIGUSR1, alarm)
    sys.settrace(SignalInValidation())
    try:
        with pytest.raises(TimeoutError):
            check(visit(), school="tcat", today=TODAY)
    finally:
        sys.settrace(None)
        signal.signal(signal.SIGUSR1, previous)
