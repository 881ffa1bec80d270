"""``policyengine due ABSENCE_FILE --school ID [--calendar FILE]``: what an absence makes due.

ABSENCE_FILE holds one absence record, or a list of them (YAML or JSON). For each, the absence
triggers that fall due, earliest first: by which date, on which school day of the absence, who does
what, and the policy's words. ``--format json`` writes one JSON object a line.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import TYPE_CHECKING

from .._errors import InputError, Problem
from .._yaml import Loaded, load_file
from ..monitor.absence import AbsenceTriggers, DueAction, parse_absence

if TYPE_CHECKING:  # for annotations only
    from ..monitor.absence import Absence


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "due",
        help="what a pupil's absence makes due, and by which school day",
        description="From absence records and the school's calendar: what is due, by which date, citing the policy.",
    )
    p.add_argument("absence", metavar="ABSENCE_FILE", help="an absence record, or a list of them (YAML or JSON)")
    p.add_argument("--school", required=True, help="the rule pack id (or a pack file)")
    p.add_argument("--calendar", metavar="FILE", help="the school calendar (terms, INSET days); default: the pack's own")
    p.add_argument(
        "--engine", choices=("durable", "python"), default=None,
        help="durable (the default where durable-rules runs) or python (the same answers; the default on Python 3.13)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    triggers = AbsenceTriggers(args.school, calendar=args.calendar, engine=args.engine)
    loaded = load_file(args.absence)
    records = loaded.data if isinstance(loaded.data, list) else [loaded.data]
    problems: list[Problem] = []
    results = []
    for index, data in enumerate(records):
        path = (index,) if isinstance(loaded.data, list) else ()
        line, col = loaded.position(path)
        where = Loaded(data, loaded.file, {k[len(path):]: v for k, v in loaded.positions.items() if k[: len(path)] == path})
        try:
            record = parse_absence(where)
            results.append((record, triggers.due(record, file=loaded.file)))
        except InputError as exc:
            problems.extend(p if p.line is not None else Problem(p.file, line, col, p.message, field=p.field) for p in exc.problems)
    if problems:
        raise InputError(problems)
    if not triggers.rules:
        print(
            f"policyengine due: the '{triggers.pack.id}' pack has no absence triggers (its policy sets no day of "
            "absence by which something is due)",
            file=sys.stderr,
        )
    for record, actions in results:
        if args.format == "json":
            for action in actions:
                sys.stdout.write(json.dumps(action.model_dump(mode="json"), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_text(record, actions, triggers.pack.id))
    return 0


def render_text(record: Absence, actions: list[DueAction], school: str) -> str:
    who = record.pupil or "The pupil"
    ended = f" to {record.last_day:%a %d %b %Y}" if record.last_day else ", still absent"
    lines = [f"{who}: absent from {record.first_day:%a %d %b %Y}{ended} ({school})"]
    if not actions:
        lines.append("  Nothing is due.")
    for action in actions:
        lines.append(f"  By {action.due:%a %d %b %Y} (school day {action.school_day}): {action.action}, {action.who}")
        lines += textwrap.wrap(action.message, width=96, initial_indent="    ", subsequent_indent="    ")
        c = action.citation
        lines += textwrap.wrap(f'{c.document}, {c.section}: "{c.quote}"', width=96, initial_indent="    Policy: ",
                               subsequent_indent="      ")
    return "\n".join(lines) + "\n\n"
