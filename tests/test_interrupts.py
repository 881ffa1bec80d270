"""No interrupt, exception or signal at any point of a check gives a decision other than the one an
uninterrupted check gives: it raises, or gives the same decision, and the next check is right.

``tests/interrupts.py`` raises an exception at every traced point of a check, one point per run
(see its docstring); each test here runs it in a child process (a crash fails the test, not the
run) and requires no wrong decision, during or after. Points: the start of every action
(``actions``), every line durable-rules' Python layer and the engine modules run, every call into
durable-rules included (``engine``), and every line of policyengine's own code (``check``, on the
python engine: on the durable engine that is the ``engine`` points plus the same pure-Python code).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import requires_durable

ROOT = Path(__file__).resolve().parent.parent


def harness(*args: str, timeout: float = 900) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.interrupts", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def never_wrong(report: dict) -> None:
    """No wrong decision, during or after; and no interrupt lost: every exception raised came out."""
    for subject, result in report.items():
        assert result["wrong"] == [] and result["wrong_after"] == [], (subject, result)
        assert result["same"] == 0, (subject, result)
        assert result["raised"] + result["missed"] == result["points"] and result["missed"] <= 1, (subject, result)


@requires_durable
@pytest.mark.parametrize("exc", ["KeyboardInterrupt", "TimeoutError"])
def test_an_exception_as_any_action_starts(exc):
    report = harness("actions", "durable", exc)
    never_wrong(report)
    assert all(r["points"] >= 2 for r in report.values())


@requires_durable
def test_a_keyboardinterrupt_at_every_line_of_the_durable_engine():
    report = harness("engine", "durable", "KeyboardInterrupt", "--visits", "2")
    never_wrong(report)
    assert report["check"]["points"] > 100  # durable-rules' dispatch loop, every action, every call


@requires_durable
def test_an_exception_at_every_line_of_the_durable_engine():
    never_wrong(harness("engine", "durable", "TimeoutError", "--subjects", "check"))


def test_a_keyboardinterrupt_at_every_line_of_the_python_engine():
    report = harness("engine", "python", "KeyboardInterrupt")
    never_wrong(report)
    assert all(r["points"] > 10 for r in report.values())


@pytest.mark.parametrize("exc", ["KeyboardInterrupt", "TimeoutError"])
def test_an_exception_at_every_line_of_a_python_engine_check(exc):
    report = harness("check", "python", exc, "--subjects", "check")
    never_wrong(report)
    assert report["check"]["points"] > 200  # parsing, flattening, evaluating, building the decision


@requires_durable
def test_the_harness_catches_the_engine_before_the_fix():
    """durable-rules' own action wrapper swallows the interrupt: the harness must see wrong decisions."""
    report = harness("actions", "durable", "KeyboardInterrupt", "--broken")
    assert report["check"]["wrong"] and report["check_many"]["wrong"]


@requires_durable
@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")
def test_a_real_ctrl_c_during_an_action_lands_after_the_engine_call_which_stays_usable():
    """SIGINT sent from inside an action (so it arrives mid-call): it is delivered once the engine
    call is over, as KeyboardInterrupt, and the engine was not abandoned."""
    code = """
import json, os, signal, sys
# A job started in the background by a non-interactive shell (as CI may be) ignores SIGINT, and
# Python then installs no handler for it: install it, as an interactive run has it.
signal.signal(signal.SIGINT, signal.default_int_handler)
from policyengine import check, load_pack
from policyengine._policy import policy
from tests.scenarios import TODAY
from tests.visits import arrived

unsafe = arrived({"staff_feel_unsafe": True})
expected = check(unsafe, school="tcat", today=TODAY)
engine = policy(load_pack("tcat"), engine="durable").engine

def send(frame, event, arg):
    if frame.f_code.co_name == "run" and frame.f_code.co_filename.endswith("engines/durable.py"):
        sys.settrace(None)
        os.kill(os.getpid(), signal.SIGINT)
    return None

sys.settrace(send)
try:
    check(unsafe, school="tcat", today=TODAY)
    said = "no interrupt"
except KeyboardInterrupt:
    said = "interrupted"
finally:
    sys.settrace(None)
again = policy(load_pack("tcat"), engine="durable").engine
print(json.dumps({"said": said, "broken": engine.broken, "same_engine": again is engine,
                  "right": check(unsafe, school="tcat", today=TODAY) == expected}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"said": "interrupted", "broken": False, "same_engine": True, "right": True}


@requires_durable
def test_an_interrupted_engine_is_abandoned_and_its_rulesets_freed():
    code = """
import json, sys
import durable_rules_engine
from policyengine import check, load_pack
from policyengine._policy import policy
from policyengine.engines import durable as _engine_durable
from tests.scenarios import TODAY
from tests.visits import arrived

unsafe = arrived({"staff_feel_unsafe": True})
check(unsafe, school="tcat", today=TODAY)
first = policy(load_pack("tcat"), engine="durable").engine
handles = list(first._handles)

def stop(frame, event, arg):
    if frame.f_code.co_name == "run" and frame.f_code.co_filename.endswith("engines/durable.py"):
        raise KeyboardInterrupt
    return None

sys.settrace(stop)
try:
    check(unsafe, school="tcat", today=TODAY)
except KeyboardInterrupt:
    pass
sys.settrace(None)
broken = first.broken
del first
check(unsafe, school="tcat", today=TODAY)  # a fresh engine; the old one's rulesets are freed
freed = []
for handle in handles:
    try:
        durable_rules_engine.get_facts(handle, "policyengine")
        freed.append(False)
    except Exception:
        freed.append(True)
print(json.dumps({"broken": broken, "freed": freed, "fresh": not policy(load_pack("tcat"), engine="durable").engine.broken}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MALLOC_PERTURB_": "165"})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["broken"] and result["fresh"] and all(result["freed"])
