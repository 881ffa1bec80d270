"""``policyengine table``: rule behaviour by school, generated from the packs (for the README)."""

from __future__ import annotations

import sys

from ._pack import available_packs, load_pack

#: The behaviours people ask about, and which rules speak to each.
BEHAVIOURS = (
    ("Waiting at the door", lambda r: r.kind == "wait_limit" or getattr(r, "check", None) == "person_not_in"),
    ("Time of day", lambda r: r.kind == "time_window"),
    ("Pairing", lambda r: r.kind == "pairing"),
    ("Animals", lambda r: r.kind == "animals"),
    ("Upstairs and bedrooms", lambda r: r.kind == "rooms"),
    ("Authorisation", lambda r: r.kind == "authorisation"),
)


def behaviour_table(pack_ids=None) -> str:
    """A markdown table: one row per behaviour, one column per pack, each cell its rules' summaries."""
    packs = [load_pack(p) for p in (pack_ids or available_packs())]
    lines = ["| behaviour | " + " | ".join(p.id for p in packs) + " |", "|---" * (len(packs) + 1) + "|"]
    for name, matches in BEHAVIOURS:
        cells = []
        for pack in packs:
            rules = sorted((r for r in pack.rules if matches(r)), key=lambda r: (r.outcome, r.id))
            label = {"permitted": "reminder"}
            cell = "<br>".join(f"{r.summary()}: **{label.get(r.outcome, r.outcome)}**" for r in rules) or "nothing"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def add_parser(sub) -> None:
    p = sub.add_parser("table", help="print rule behaviour by school as a markdown table")
    p.add_argument("packs", nargs="*", metavar="PACK")
    p.set_defaults(run=run)


def run(args) -> int:
    sys.stdout.write(behaviour_table(args.packs or None))
    return 0
