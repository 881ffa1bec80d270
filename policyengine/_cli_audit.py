"""``policyengine audit VISITS.jsonl --school ID [--engine E] [--output FILE]``: a term of visits.

Reads one visit per line (JSON), writes one decision per line (JSONL) to ``--output`` or standard
output. Each decision line is the decision's JSON with one extra leading key, ``line``: the input
line it answers, since bad lines are skipped. A bad line is reported on standard error as
``FILE:LINE: message`` and skipped; the rest go on, and the exit status is then 2 (else 0). A
progress bar is drawn on standard error only when it is a terminal. The summary table (visits by
outcome, findings by rule) goes to standard error when decisions go to standard output, so the
JSONL stays clean, and to standard output when they go to a file.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import IO, Optional

from ._batch import check_many
from ._decide import ENGINES, _school_for, parse_visit
from ._errors import InputError, Problem
from ._pack import load_pack

#: Visits decided per check_many call: large enough to amortise, small enough for steady progress.
CHUNK = 500


def add_parser(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="decide every visit in a JSONL file",
        description="Decide every visit in a JSONL file (one visit per line); write one decision per line.",
    )
    p.add_argument("visits", metavar="VISITS_JSONL", help="one visit per line, as JSON")
    p.add_argument("--school", help="the rule pack id (or a pack file); defaults to each visit's 'school'")
    p.add_argument("--engine", choices=ENGINES, default="durable")
    p.add_argument("--output", metavar="FILE", help="write the decisions here instead of standard output")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.school is not None:
        load_pack(args.school)  # an unknown --school is bad input for the whole run: exit 2 now
    try:
        with open(args.visits, encoding="utf-8") as source:
            lines = source.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(args.visits, None, None, f"cannot read the file: {exc}")) from None
    out: IO[str] = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    progress = _Progress(len(lines)) if sys.stderr.isatty() else None
    outcomes: Counter = Counter()
    rules: Counter = Counter()
    bad = 0
    pending: list[tuple[int, object]] = []

    def flush():
        decisions = check_many([v for _, v in pending], school=args.school, engine=args.engine)
        for (number, _), decision in zip(pending, decisions):
            record = {"line": number, **decision.model_dump(mode="json")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            outcomes[decision.outcome.value] += 1
            for finding in decision.findings:
                rules[(finding.rule, finding.outcome.value)] += 1
        pending.clear()

    try:
        for number, text in enumerate(lines, 1):
            if text.strip():
                visit = _visit_on_line(args, number, text)
                if visit is None:
                    bad += 1
                else:
                    pending.append((number, visit))
            if len(pending) >= CHUNK:
                flush()
                if progress:
                    progress.show(number)
        if pending:
            flush()
        if progress:
            progress.done()
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    summary = sys.stdout if args.output else sys.stderr
    summary.write(render_summary(outcomes, rules, bad))
    return 2 if bad else 0


def _visit_on_line(args, number: int, text: str):
    """The visit on this line, or ``None`` after reporting why it cannot be decided."""
    where = f"{args.visits}:{number}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _report(where, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    try:
        visit = parse_visit(data, file=where)
        load_pack(_school_for(visit, args.school))
    except InputError as exc:
        for problem in exc.problems:
            _report(where, problem.message)
        return None
    return visit


def _report(where: str, message: str) -> None:
    print(f"{where}: {message}", file=sys.stderr)


def render_summary(outcomes: Counter, rules: Counter, bad: int) -> str:
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
    """A one-line bar on a terminal, redrawn in place."""

    def __init__(self, total: int, stream: Optional[IO[str]] = None):
        self.total = max(total, 1)
        self.stream = stream or sys.stderr

    def show(self, done: int) -> None:
        filled = int(30 * done / self.total)
        self.stream.write(f"\raudit [{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} lines")
        self.stream.flush()

    def done(self) -> None:
        self.show(self.total)
        self.stream.write("\n")
