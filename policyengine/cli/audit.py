"""``policyengine audit VISITS.jsonl --school ID [--engine E] [--output FILE]``: a term of visits.

Reads one visit per line (JSON), writes one decision per line (JSONL) to ``--output`` or standard
output. Each decision line is the decision's JSON with one extra leading key, ``line``: the input
line it answers, since bad lines are skipped. A bad line is reported on standard error as
``FILE:LINE:COLUMN: message`` and skipped; the rest go on, and the exit status is then 2 (else 0). A
progress bar is drawn on standard error only when it is a terminal. The summary table (visits by
outcome, findings by rule) goes to standard error when decisions go to standard output, so the
JSONL stays clean, and to standard output when they go to a file.

Lines are what ``\n`` ends (a form feed, a lone carriage return or U+2028 inside a line is part of
it; a ``\r\n`` ending is allowed), a byte-order mark may open the file, and each line is decoded
and parsed by itself: a line that is not UTF-8 or not JSON, nested too deeply, longer than
``AUDIT_LINE_BYTES`` or holding a number of more than ``NUMBER_DIGITS`` digits is reported by its
number and skipped. The file is read as it goes (a term of visits need not fit in memory).

``--output`` is written to a temporary file beside it, renamed over ``FILE`` only once every
decision is written: an interrupted run or a full disk leaves no partial file (and any earlier
``FILE`` untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Optional

from .._errors import InputError, PolicyEngineError, Problem
from .._limits import AUDIT_LINE_BYTES, NUMBER_DIGITS
from .._policy import check_many
from .._visits import parse_visit, school_for
from .._yaml import loads, open_regular, size_words
from ..engines.base import ENGINES
from ..packs.load import load_pack

if TYPE_CHECKING:  # for annotations only
    from ..models import Visit

#: Visits decided per check_many call: large enough to amortise, small enough for steady progress.
CHUNK = 500


class OutputError(PolicyEngineError, OSError):
    """The decisions could not be written (a full disk, no permission); nothing was left behind."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "audit",
        help="decide every visit in a JSONL file",
        description="Decide every visit in a JSONL file (one visit per line); write one decision per line.",
    )
    p.add_argument("visits", metavar="VISITS_JSONL", help="one visit per line, as JSON")
    p.add_argument("--school", help="the rule pack id (or a pack file); defaults to each visit's 'school'")
    p.add_argument("--engine", choices=ENGINES, default=None, help="durable (the default where it is available) or python")
    p.add_argument("--output", metavar="FILE", help="write the decisions here instead of standard output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.school is not None:
        load_pack(args.school)  # an unknown --school is bad input for the whole run: exit 2 now
    source = os.fdopen(open_regular(args.visits), "rb")
    try:
        size = os.fstat(source.fileno()).st_size
        with _Output(args.output) as out:
            outcomes, rules, bad = _audit(args, source, out, _Progress(size) if sys.stderr.isatty() else None)
    finally:
        source.close()
    summary = sys.stdout if args.output else sys.stderr
    summary.write(render_summary(outcomes, rules, bad))
    return 2 if bad else 0


def _audit(
    args: argparse.Namespace, source: IO[bytes], out: _Output, progress: Optional[_Progress]
) -> tuple[Counter[str], Counter[tuple[str, str]], int]:
    outcomes: Counter[str] = Counter()
    rules: Counter[tuple[str, str]] = Counter()
    bad = 0
    pending: list[tuple[int, Visit]] = []

    def flush() -> None:
        decisions = check_many([v for _, v in pending], school=args.school, engine=args.engine)
        for (number, _), decision in zip(pending, decisions, strict=True):
            record = {"line": number, **decision.model_dump(mode="json")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            outcomes[decision.outcome.value] += 1
            for finding in decision.findings:
                rules[(finding.rule, finding.outcome.value)] += 1
        pending.clear()

    for number, raw in _lines(source):
        if isinstance(raw, Problem):
            _report(args.visits, raw)
            bad += 1
            continue
        if raw.strip():
            visit = _visit_on_line(args, number, raw)
            if visit is None:
                bad += 1
            else:
                pending.append((number, visit))
        if len(pending) >= CHUNK:
            flush()
            if progress:
                progress.show(number, source.tell())
    if pending:
        flush()
    if progress:
        progress.done()
    return outcomes, rules, bad


def _lines(source: IO[bytes]) -> Iterator[tuple[int, str | Problem]]:
    """(number, text) for each line ending in ``\n`` (or the file), or (number, Problem) for a line
    that cannot be read: too long or not UTF-8."""
    number = 0
    while True:
        data = source.readline(AUDIT_LINE_BYTES + 1)
        if not data:
            return
        number += 1
        if len(data) > AUDIT_LINE_BYTES and not data.endswith(b"\n"):
            while data and not data.endswith(b"\n"):  # skip the rest of the line
                data = source.readline(1 << 20)
            yield number, Problem("", number, None, f"the line is longer than {size_words(AUDIT_LINE_BYTES)}, the limit for one visit")
            continue
        if data.endswith(b"\n"):
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            yield number, data.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, Problem("", number, exc.start + 1, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")


class _NumberTooLong(ValueError):
    pass


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > NUMBER_DIGITS:
        raise _NumberTooLong(text)
    return int(text)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[Any]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[Any] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _visit_on_line(args: argparse.Namespace, number: int, text: str) -> Optional[Visit]:
    """The visit on this line, or ``None`` after reporting why it cannot be decided."""
    where = f"{args.visits}:{number}"
    try:
        data = json.loads(text, parse_int=_whole_number, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        _report(args.visits, Problem("", number, exc.colno, f"not valid JSON: {exc.msg}"))
        return None
    except _NumberTooLong as exc:
        column = text.find(str(exc)) + 1 or None
        _report(args.visits, Problem("", number, column, f"a whole number of more than {NUMBER_DIGITS} digits is not allowed"))
        return None
    except _DuplicateKey as exc:
        _report(args.visits, Problem("", number, None, f"duplicate key {json.dumps(str(exc))}; keep only one"))
        return None
    except (RecursionError, ValueError):
        _report(args.visits, Problem("", number, None, "not valid JSON: nested too deeply or too large"))
        return None
    try:
        visit = parse_visit(data, file=where)
        load_pack(school_for(visit, args.school))
    except InputError as exc:
        problems = exc.problems
        try:  # read the line again as YAML, which knows where each value is, for the columns
            parse_visit(loads(text, where))
        except InputError as positioned:
            if len(positioned.problems) == len(problems):
                problems = positioned.problems
        for problem in problems:
            _report(args.visits, Problem("", number, problem.column, problem.message))
        return None
    return visit


def _report(file: str, problem: Problem) -> None:
    print(str(Problem(file, problem.line, problem.column, problem.message)), file=sys.stderr)


class _Output:
    """Standard output, or a file written whole: to a temporary file beside it, renamed over it once
    complete, removed if anything goes wrong (a full disk, an interrupt)."""

    def __init__(self, path: Optional[str]):
        self.path = path
        self.temp: Optional[Path] = None
        self.stream: IO[str] = sys.stdout

    def __enter__(self) -> _Output:
        if self.path is not None:
            target = Path(self.path)
            self.temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
            try:
                fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            except OSError as exc:
                raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None
            self.stream = os.fdopen(fd, "w", encoding="utf-8")
        return self

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write {self.path or 'standard output'}: {exc.strerror} (no decisions were kept)") from None

    def __exit__(self, kind: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self.temp is None:
            if kind is None:
                self.stream.flush()
            return
        try:
            if kind is None:
                try:
                    self.stream.flush()
                    os.fsync(self.stream.fileno())
                    self.stream.close()
                    os.replace(self.temp, self.path)  # type: ignore[arg-type]  # a temp file only for a path
                except OSError as error:
                    raise OutputError(f"cannot write {self.path}: {error.strerror} (no decisions were kept)") from None
        finally:
            if not self.stream.closed:
                try:
                    self.stream.close()
                except OSError:
                    pass
            if self.temp.exists():
                self.temp.unlink()


def render_summary(outcomes: Counter[str], rules: Counter[tuple[str, str]], bad: int) -> str:
    decided = sum(outcomes.values())
    lines = [f"{'outcome':<24}{'visits':>8}"]
    for outcome in ("permitted", "conditional", "blocked"):
        lines.append(f"{outcome:<24}{outcomes[outcome]:>8}")
    lines.append(f"{'decided':<24}{decided:>8}")
    lines.append(f"{'bad lines (skipped)':<24}{bad:>8}")
    if rules:
        width = max(24, max(len(rule) for rule, _ in rules) + 2)
        lines += ["", f"{'rule':<{width}}{'outcome':<13}{'visits':>8}"]
        for (rule, outcome), count in sorted(rules.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"{rule:<{width}}{outcome:<13}{count:>8}")
    return "\n".join(lines) + "\n"


class _Progress:
    """A one-line bar on a terminal, redrawn in place, by the share of the file read."""

    def __init__(self, total_bytes: int, stream: Optional[IO[str]] = None):
        self.total = max(total_bytes, 1)
        self.stream = stream or sys.stderr

    def show(self, lines: int, done_bytes: int) -> None:
        filled = int(30 * min(done_bytes, self.total) / self.total)
        self.stream.write(f"\raudit [{'#' * filled}{'.' * (30 - filled)}] {lines} lines")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\n")
