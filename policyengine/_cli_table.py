"""``policyengine table``: rule behaviour by school, generated from the packs (for the README)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._conditions import facts_used
from ._satisfy import always
from ._errors import InputError, Problem
from ._models import APPROVERS

from ._pack import available_packs, load_pack

#: The behaviours people ask about: the rule kinds that speak to each, and the facts by which a
#: generic ``condition`` rule is recognised as speaking to it.
BEHAVIOURS = (
    ("Waiting at the door", {"wait_limit"}, {"minutes_waited", "parents_present"}),
    ("Time of day", {"time_window"}, {"start_minute", "end_minute", "in_school_day", "in_office_hours", "evening"}),
    ("Pairing", {"pairing"}, {"staff_count", "lone_visit_approved_by"}),
    ("Animals", {"animals"}, {"animals", "animals_secured", "animal_request_refused"}),
    ("Upstairs and bedrooms", {"rooms"}, {"meeting_room", "upstairs_escort"}),
    ("Authorisation", {"authorisation"}, {f"approved_by_{a}" for a in APPROVERS}),
)


def _speaks_to(rule, kinds: set, facts: set) -> bool:
    if rule.kind in kinds or getattr(rule, "check", None) == "person_not_in" and "wait_limit" in kinds:
        return True
    if rule.kind != "condition":
        return False
    when = rule.when.compile()
    # A reminder for every visit ({fact: staff_count, ge: 1}) is about no behaviour in particular.
    return not always(when) and bool(facts_used(when) & facts)


def behaviour_rules(pack) -> list[tuple[str, list]]:
    """Each behaviour, and the pack's rules that speak to it (blocked first, then by id)."""
    return [
        (name, sorted((r for r in pack.rules if _speaks_to(r, kinds, facts)), key=lambda r: (r.outcome, r.id)))
        for name, kinds, facts in BEHAVIOURS
    ]


def behaviour_table(pack_ids=None) -> str:
    """A markdown table: one row per behaviour, one column per pack, each cell its rules' summaries."""
    packs = [load_pack(p) for p in (pack_ids or available_packs())]
    lines = ["| behaviour | " + " | ".join(p.id for p in packs) + " |", "|---" * (len(packs) + 1) + "|"]
    columns = [behaviour_rules(pack) for pack in packs]
    label = {"permitted": "reminder"}
    for row, (name, _, _) in enumerate(BEHAVIOURS):
        cells = [
            "<br>".join(f"{r.summary()}{r.scope_words()}: **{label.get(r.outcome, r.outcome)}**" for r in column[row][1])
            or "nothing"
            for column in columns
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


START, END = "<!-- behaviour-table:start -->", "<!-- behaviour-table:end -->"


def with_table(document: str, table: str, file: str = "<document>") -> str:
    """``document`` with the text between the table markers replaced by ``table``."""
    before, start, rest = document.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise InputError(Problem(file, None, None, f"the markers {START} and {END} are missing"))
    return f"{before}{START}\n{table}{END}{after}"


def add_parser(sub) -> None:
    p = sub.add_parser("table", help="print rule behaviour by school as a markdown table")
    p.add_argument("packs", nargs="*", metavar="PACK")
    p.add_argument(
        "--update", metavar="FILE", help=f"write the table into FILE between {START} and {END} instead of printing it"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    table = behaviour_table(args.packs or None)
    if not args.update:
        sys.stdout.write(table)
        return 0
    path = Path(args.update)
    try:
        document = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(path), None, None, f"cannot read the file: {exc.strerror}")) from None
    path.write_text(with_table(document, table, str(path)), encoding="utf-8")
    return 0
