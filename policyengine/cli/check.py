"""``policyengine check VISIT_FILE --school ID [--format text|json]``."""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap

from .._errors import Problem, UnknownSchoolError
from .._limits import VISIT_FILE_BYTES
from .._policy import check
from .._visits import parse_visit
from .._yaml import load_file
from ..engines.base import ENGINES
from ..models import FINAL_NOTE, Decision, Outcome

#: How each phase is named at the top of the text, and the question it answers.
PHASE_NAMES = {"plan": "Planning", "door": "At the door", "inside": "Inside"}
#: The headline answers the phase's question: may we arrange the visit as planned (plan); may we
#: wait, speak on the doorstep, go in (door); may we stay, in this room, as things are (inside).
HEADLINES = {
    ("plan", Outcome.PERMITTED): "PERMITTED: the visit may go ahead as planned.",
    ("plan", Outcome.CONDITIONAL): "CONDITIONAL: do not go ahead until everything below is done.",
    ("plan", Outcome.BLOCKED): "BLOCKED: the visit must not go ahead as planned.",
    ("door", Outcome.PERMITTED): "PERMITTED: you may go ahead as things are.",
    ("door", Outcome.CONDITIONAL): "CONDITIONAL: you may wait or speak on the doorstep; go no further until everything below is done.",
    ("door", Outcome.BLOCKED): "BLOCKED: do not go in; the visit must not go ahead as things are.",
    ("inside", Outcome.PERMITTED): "PERMITTED: you may stay, in this room, as things are.",
    ("inside", Outcome.CONDITIONAL): "CONDITIONAL: stay only once everything below is done.",
    ("inside", Outcome.BLOCKED): "BLOCKED: do not stay; the visit must not go on as things are.",
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="decide one visit", description="Decide whether a visit may go ahead.")
    p.add_argument("visit", metavar="VISIT_FILE", help="the visit, as YAML or JSON")
    p.add_argument("--school", help="the rule pack id (or a pack file); defaults to the visit's 'school'")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--engine", choices=ENGINES, default=None, help="durable (the default where it is available) or python")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_file(args.visit, VISIT_FILE_BYTES)
    visit = parse_visit(loaded)
    try:
        decision = check(visit, school=args.school, engine=args.engine)
    except UnknownSchoolError as exc:
        # Say where the school was named: the --school option or the visit's own 'school' field.
        if args.school is None:
            line, col = loaded.position(("school",))
            where = Problem(args.visit, line, col, exc.problems[0].message, field="school")
        else:
            where = Problem("--school", None, None, exc.problems[0].message)
        raise UnknownSchoolError(where) from None
    if args.format == "json":
        json.dump(decision.model_dump(mode="json"), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(decision))
    return 0


def _wrap(marker: str, text: str) -> list[str]:
    """``text`` after ``marker``, wrapped for a phone, later lines hanging under the text."""
    hang = " " * len(marker)
    # "(see [2])" is one unit: a reference split over two lines is easy to miss.
    text = re.sub(r"\(see \[(\d+)\]\)", "(see\0[\\1])", text)
    lines = textwrap.wrap(text, width=72, initial_indent=marker, subsequent_indent=hang) or [marker]
    return [line.replace("\0", " ") for line in lines]


def render_text(decision: Decision) -> str:
    """What a member of staff reads on a phone before knocking: outcome, what to do, the policy."""
    lines = _wrap("", f"{PHASE_NAMES[decision.phase]}: {HEADLINES[(decision.phase, decision.outcome)]}") + [""]
    actions = [f for f in decision.findings if f.outcome is not Outcome.PERMITTED]
    reminders = [f for f in decision.findings if f.outcome is Outcome.PERMITTED]
    cited = []
    if actions:
        lines.append("What to do:")
        for f in actions:
            cited.append(f)
            lines += _wrap(f" {len(cited)}. ", f"[{f.outcome.value.upper()}] {f.message} (see [{len(cited)}])")
            for c in f.conditions:
                lines += _wrap("     - ", c)
            if f.final:
                lines += _wrap("     ", FINAL_NOTE)
        lines.append("")
    if reminders:
        lines.append("Remember:")
        for f in reminders:
            if f.citation:
                cited.append(f)
                ref = f" (see [{len(cited)}])"
            else:
                ref = ""
            lines += _wrap(" - ", f"{f.message}{ref}")
        lines.append("")
    if cited:
        lines.append("Policy:")
        for n, f in enumerate(cited, 1):
            cite = f.citation
            if cite is not None:  # only findings with a citation are cited
                lines += _wrap(f" [{n}] ", f"{cite.document}, {cite.section}: \"{cite.quote}\"")
        lines.append("")
    lines.append(f"({decision.school} rule pack {decision.pack_version}, {decision.pack_digest[:19]})")
    return "\n".join(lines) + "\n"
