"""``policyengine monitor [EVENTS] --school ID``: watch visits in event time.

Reads one JSON event a line (from EVENTS, or standard input), writes one JSON action a line as
deadlines pass. A bad line is reported on standard error as ``FILE:LINE: message`` and changes
nothing; the rest go on, and the exit status is then 2 (else 0).

``--state FILE`` makes the run resumable: after every ``--checkpoint-every`` lines the monitor's
state (event time, the events of the visits still watched, how many input lines and actions so
far) is written to FILE atomically (a temporary file, flushed to disk, then renamed over it). Run
the same command again after a crash or Ctrl-C and it resumes: the state is rebuilt by replaying
those events, the input lines already processed are skipped (the input must be the same log,
read from its start, and is checked against a hash of them), and with ``--output`` the output
file is cut back to what it held at the checkpoint, so no action is lost or written twice. Written
to standard output, the actions after the last checkpoint are written again on resume (the state
file's ``actions_written`` says how many had been written at the checkpoint).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import IO, Any, Optional

from .._errors import InputError, PolicyEngineError, Problem
from ..monitor.events import Action
from ..monitor.monitor import Monitor
from ..packs.load import load_pack

STATE_FORMAT = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "monitor",
        help="watch visits: JSON events in, the actions due out, in event time",
        description="Watch visits in event time: read one JSON event a line, write one JSON action a line as deadlines pass.",
    )
    p.add_argument("events", metavar="EVENTS", nargs="?", default="-", help="a file of JSON events, one a line (default: standard input)")
    p.add_argument("--school", required=True, help="the rule pack id (or a pack file)")
    p.add_argument(
        "--engine", choices=("durable", "python"), default=None,
        help="durable (the default where durable-rules runs) or python (the same answers; the default on Python 3.13)",
    )
    p.add_argument("--output", metavar="FILE", help="append the actions to FILE instead of standard output")
    p.add_argument("--state", metavar="FILE", help="save the state to FILE as the run goes, and resume from it if it exists")
    p.add_argument(
        "--checkpoint-every", metavar="N", type=_positive, default=1,
        help="with --state: save after every N input lines (default 1)",
    )
    p.set_defaults(run=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class _Stop:
    """Ctrl-C or a termination signal stops the run after the current line (an interrupt must never
    land inside the engine, where it would leave the state half-changed); while the run waits for
    input it stops at once."""

    def __init__(self) -> None:
        self.signal: Optional[int] = None
        self.waiting = False
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> _Stop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave the handlers alone
                pass
        return self

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        self.signal = signum
        if self.waiting:
            raise _Stopped

    def readline(self, source: IO[str]) -> str:
        """The next line, or ``""`` at the end of the input or when a signal arrives while waiting."""
        self.waiting = True
        try:
            if self.signal is not None:
                return ""
            return source.readline()
        except _Stopped:
            return ""
        finally:
            self.waiting = False

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class _Stopped(Exception):
    """Raised by the signal handler only while the run is waiting for a line."""


class _Run:
    """One run of the command: the monitor, where output goes, and the counts the state file keeps."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.name = "<stdin>" if args.events == "-" else args.events
        self.lines = 0
        self.digest = hashlib.sha256()
        self.actions = 0
        self.bad = 0
        self.out: IO[str] = sys.stdout
        self.monitor: Monitor

    # -- state -----------------------------------------------------------------------------------

    def start(self, source: IO[str]) -> None:
        args = self.args
        saved = _read_state(args.state) if args.state else None
        if saved is None:
            self.monitor = Monitor(args.school, engine=args.engine)
            if args.output:
                self.out = open(args.output, "a", encoding="utf-8")
            return
        where = args.state
        try:
            snapshot, lines, digest = saved["monitor"], int(saved["lines"]), saved["input_sha256"]
            self.actions, self.bad = int(saved["actions_written"]), int(saved["bad_lines"])
            size = saved.get("output_bytes")
        except (KeyError, TypeError, ValueError):
            raise InputError(Problem(where, None, None, "not a monitor state file (or a damaged one); remove it to start afresh")) from None
        try:
            self.monitor = Monitor.restore(snapshot, args.school, engine=args.engine)
        except InputError as exc:
            raise InputError([Problem(where, None, None, p.message) for p in exc.problems]) from None
        for _ in range(lines):
            raw = source.readline()
            if not raw:
                break
            self._count(raw)
        if self.lines != lines or self.digest.hexdigest() != digest:
            raise InputError(Problem(self.name, None, None, (
                f"this input does not begin with the {lines} lines the state file {where} has processed; "
                "resume with the same event log (or remove the state file to start afresh)")))
        if args.output:
            self.out = open(args.output, "a", encoding="utf-8")
            if size is not None:
                if self.out.tell() < int(size):
                    raise InputError(Problem(args.output, None, None, (
                        f"the output file is shorter than when the state file {where} was saved ({size} bytes); "
                        "it is not the output of that run")))
                self.out.truncate(int(size))  # what was written after the checkpoint is written again

    def _count(self, raw: str) -> None:
        self.lines += 1
        self.digest.update(raw.encode("utf-8"))

    def checkpoint(self, force: bool = False) -> None:
        args = self.args
        if not args.state or (not force and self.lines % args.checkpoint_every):
            return
        self.out.flush()
        size = None
        if self.out is not sys.stdout:
            os.fsync(self.out.fileno())
            size = self.out.tell()
        state = {
            "format": STATE_FORMAT,
            "lines": self.lines,
            "input_sha256": self.digest.hexdigest(),
            "actions_written": self.actions,
            "output_bytes": size,
            "bad_lines": self.bad,
            "monitor": self.monitor.snapshot(),
        }
        _write_atomically(Path(args.state), json.dumps(state, ensure_ascii=False, separators=(",", ":")))

    # -- lines -----------------------------------------------------------------------------------

    def line(self, raw: str) -> None:
        self._count(raw)
        where = f"{self.name}:{self.lines}"
        text = raw.strip()
        if not text:
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self._bad(where, [f"not valid JSON: {exc.msg} (column {exc.colno})"])
            return
        except RecursionError:
            self._bad(where, ["not valid JSON: nested too deeply"])
            return
        if not isinstance(data, dict):
            self._bad(where, ["an event must be a JSON object with 'visit', 'event' and 'at'"])
            return
        try:
            actions = self.monitor.feed(data, file=where)
        except InputError as exc:
            self._bad(where, [p.message for p in exc.problems])
            return
        self.write(actions)

    def _bad(self, where: str, messages: list[str]) -> None:
        self.bad += 1
        for message in messages:
            print(f"{where}: {message}", file=sys.stderr)

    def write(self, actions: list[Action]) -> None:
        if not actions:
            return
        for action in actions:
            self.out.write(json.dumps(action.model_dump(mode="json"), ensure_ascii=False) + "\n")
            self.actions += 1
        self.out.flush()  # as they fall due: whoever reads the actions must not wait for a buffer


def _read_state(path: str) -> Optional[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(Problem(path, None, None, f"cannot read the state file: {exc.strerror}")) from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise InputError(Problem(path, None, None, "not a monitor state file (or a damaged one); remove it to start afresh"))
    return data


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves either the old file or the new one whole."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    try:  # make the rename itself durable
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


def run(args: argparse.Namespace) -> int:
    load_pack(args.school)  # an unknown --school is bad input for the whole run: exit 2 now
    run = _Run(args)
    try:
        source = sys.stdin if args.events == "-" else open(args.events, encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(args.events, None, None, f"cannot read the file: {exc.strerror}")) from None
    try:
        with _Stop() as stop:
            run.start(source)
            if not run.monitor.watches_anything:
                print(
                    f"policyengine monitor: the '{run.monitor.pack.id}' pack has no timed rules for visits (its policy "
                    "sets no deadlines during a visit): events are checked, but no action will fall due",
                    file=sys.stderr,
                )
            while stop.signal is None:
                try:
                    raw = stop.readline(source)
                except UnicodeDecodeError as exc:
                    raise InputError(Problem(run.name, run.lines + 1, None, f"not UTF-8 text (byte {exc.start})")) from None
                if not raw:
                    break
                try:
                    run.line(raw)
                except PolicyEngineError as exc:
                    # The monitor refuses to go on; the last checkpoint (before this line) is where a
                    # resumed run starts.
                    run.out.flush()
                    print(f"{run.name}:{run.lines}: {exc} (this line was not applied)", file=sys.stderr)
                    return 1
                run.checkpoint()
            run.checkpoint(force=True)
            if stop.signal is not None:
                print(f"policyengine monitor: stopped by signal {stop.signal} after line {run.lines}", file=sys.stderr)
                return 128 + stop.signal
    finally:
        if source is not sys.stdin:
            source.close()
        if run.out is not sys.stdout:
            run.out.close()
    open_visits = run.monitor.visits
    if open_visits:
        shown = ", ".join(open_visits[:5]) + (", ..." if len(open_visits) > 5 else "")
        print(f"policyengine monitor: {len(open_visits)} visit(s) still watched at the end of the input "
              f"(no 'returned' yet): {shown}", file=sys.stderr)
    return 2 if run.bad else 0
