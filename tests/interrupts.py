"""Raise an exception at every point of a check, one point per run, and see what the check gives.

Run as a script in a child process (``tests/test_interrupts.py`` does), because the failure this
guards against includes durable-rules crashing the interpreter:

    python -m tests.interrupts SCOPE ENGINE EXCEPTION [--subjects check,check_many,audit] [--visits N] [--broken]

``SCOPE`` is ``engine`` (every line durable-rules' Python layer and policyengine's engine modules
run, every call into them included), ``actions`` (the start of every action durable-rules runs) or
``check`` (every line of policyengine's own code during ``check``); ``ENGINE`` is ``durable`` or
``python``; ``EXCEPTION`` is ``KeyboardInterrupt`` or ``TimeoutError`` (what a signal handler for an
alarm raises). The subject is ``check``, ``check_many`` (three visits in one batch, or ``--visits N``) and ``audit``
(the command, as many lines). For each point N the check runs with a trace hook (``sys.settrace``)
that raises at the N-th event; then a check runs untraced. Printed (JSON): how many points, how
many runs raised, how many gave the uninterrupted decisions although the exception was raised (it
was swallowed on the way: the decision is right, the interrupt lost), how many never reached their
point, and the points where a run gave other decisions or the check after it did. ``--broken`` runs the same against durable-rules' own action
wrapper (the engine before the fix), which must be caught giving wrong decisions.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import policyengine  # noqa: E402
from policyengine import DecisionError, PolicyEngineError, check, check_many  # noqa: E402
from policyengine.cli.main import main  # noqa: E402
from tests.scenarios import TODAY  # noqa: E402
from tests.visits import arrived, visit  # noqa: E402

PACKAGE = str(Path(policyengine.__file__).parent)
try:  # durable-rules' Python layer, where it imports (not on 3.13)
    import durable.engine

    DURABLE = durable.engine.__file__
except ImportError:
    DURABLE = "(durable-rules is not installed)"
ENGINE_FILES = {DURABLE, str(Path(PACKAGE, "engines", "base.py")), str(Path(PACKAGE, "engines", "durable.py")),
                str(Path(PACKAGE, "engines", "python.py"))}

#: Visits with many findings, among them a blocked one (staff feel unsafe), so that a lost finding
#: changes the decision.
VISITS = [
    arrived({"staff_feel_unsafe": True, "invited_in_by": "child", "meeting_room": "upstairs"}),
    visit({"staff": [{"role": "teacher"}], "first_visit": True, "approvals": []}),
    arrived({"parents_present": False, "minutes_waited": 25, "animal_request_refused": True}),
]
SCHOOL = "tcat"


class Injector:
    """A trace hook raising ``exc`` at the ``at``-th event it counts (never, when ``at`` is 0)."""

    def __init__(self, scope: str, at: int, exc: type[BaseException]):
        self.scope, self.at, self.exc, self.count, self.raised = scope, at, exc, 0, False

    def _counts(self, code) -> bool:
        name = code.co_filename
        if self.scope == "engine":
            return name in ENGINE_FILES
        if self.scope == "check":
            return name.startswith(PACKAGE)
        return code.co_name in ("run", "action") and name in ENGINE_FILES

    def __call__(self, frame, event, arg):
        if not self._counts(frame.f_code):
            return None
        self._tick()
        return None if self.scope == "actions" else self._line

    def _line(self, frame, event, arg):
        if event == "line":
            self._tick()
        return self._line

    def _tick(self):
        self.count += 1
        if self.count == self.at:
            self.raised = True
            raise self.exc(f"injected at point {self.at}")


def subjects(engine: str, scratch: Path, count: int = len(VISITS)):
    visits = VISITS[:count]
    source = scratch / "term.jsonl"
    source.write_text("".join(json.dumps(v) + "\n" for v in visits), encoding="utf-8")
    output = scratch / "decisions.jsonl"

    def one():
        return [check(VISITS[0], school=SCHOOL, engine=engine, today=TODAY).model_dump(mode="json")]

    def many():
        return [d.model_dump(mode="json") for d in check_many(visits, school=SCHOOL, engine=engine, today=TODAY)]

    def audit():
        if output.exists():
            output.unlink()
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            code = main(["audit", str(source), "--school", SCHOOL, "--engine", engine, "--output", str(output)])
        if code != 0:
            if output.exists():
                return ["an interrupted audit left its output file behind"]
            if code == 130:
                raise KeyboardInterrupt("audit exited 130")
            raise DecisionError(f"audit exited {code}")
        # An interrupted audit must leave no file at all; a complete one, every decision.
        lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
        for line in lines:
            del line["line"]
        return lines

    return {"check": one, "check_many": many, "audit": audit}


def run(scope: str, engine: str, exc: type[BaseException], only: tuple[str, ...] = (), count: int = len(VISITS)) -> dict:
    report = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, subject in subjects(engine, Path(scratch), count).items():
            if only and name not in only:
                continue
            expected = subject()
            counter = Injector(scope, 0, exc)
            sys.settrace(counter)
            try:
                assert subject() == expected
            finally:
                sys.settrace(None)
            points, raised, same, missed, wrong, wrong_after = counter.count, 0, 0, 0, [], []
            for at in range(1, points + 1):
                injector = Injector(scope, at, exc)
                sys.settrace(injector)
                try:
                    got = subject()
                except (exc, PolicyEngineError):  # the exception itself, or an error: never a decision
                    raised += 1
                else:
                    if got != expected:
                        wrong.append(at)
                    elif injector.raised:
                        same += 1  # raised, yet swallowed somewhere: the decision is right, the interrupt lost
                    else:
                        missed += 1  # this run had fewer points (a cache was warm): nothing was raised
                finally:
                    sys.settrace(None)
                try:
                    if subject() != expected:
                        wrong_after.append(at)
                except DecisionError:
                    wrong_after.append(at)
            report[name] = {"points": points, "raised": raised, "same": same, "missed": missed, "wrong": wrong,
                            "wrong_after": wrong_after}
    return report


if __name__ == "__main__":
    scope, engine, exc_name = sys.argv[1:4]
    if "--broken" in sys.argv:
        from tests import interrupt_broken

        interrupt_broken.use_swallowing_actions()
        ENGINE_FILES.add(interrupt_broken.__file__)
    exc = {"KeyboardInterrupt": KeyboardInterrupt, "TimeoutError": TimeoutError}[exc_name]
    only = tuple(sys.argv[sys.argv.index("--subjects") + 1].split(",")) if "--subjects" in sys.argv else ()
    count = int(sys.argv[sys.argv.index("--visits") + 1]) if "--visits" in sys.argv else len(VISITS)
    print(json.dumps(run(scope, engine, exc, only, count)))
