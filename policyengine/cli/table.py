"""``policyengine table``: rule behaviour by school, generated from the packs (for the README)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .._errors import InputError, Problem
from ..conditions.form import facts_used
from ..conditions.satisfy import always
from ..models import APPROVERS, Outcome
from ..packs.load import available_packs, load_pack
from ..packs.phase_checks import phases_it_fires_in

if TYPE_CHECKING:  # for annotations only
    from .._rule import Rule
    from ..packs.model import PackBase


def _about(kinds: set[str], facts: set[str], check: Callable[[Any], bool] = lambda rule: True) -> Callable[[Rule], bool]:
    """Rules of one of ``kinds`` (that ``check`` accepts), or generic ``condition`` rules testing one
    of ``facts`` (a reminder for every visit, ``{fact: staff_count, ge: 1}``, is about nothing in
    particular)."""

    def speaks_to(rule: Any) -> bool:  # any kind: a condition rule's `when` is read
        if rule.kind in kinds:
            return check(rule)
        if rule.kind != "condition":
            return False
        when = rule.when.compile()
        return not always(when) and bool(facts_used(when) & facts)

    return speaks_to


_GOING_IN = {"invited_by_responsible_adult", "responsible_adult_present", "person_not_in"}
_SAFETY = {"staff_feel_unsafe", "occupant_concern", "safety_not_confirmed"}

#: The behaviours people ask about, and which rules speak to each. A generic ``condition`` rule is
#: shown in the first row whose facts it tests.
BEHAVIOURS = (
    ("Waiting at the door", lambda r: r.kind == "wait_limit" or getattr(r, "check", None) == "person_not_in"
     or _about(set(), {"minutes_waited", "parents_present"})(r)),
    ("Staff safety at the door", _about({"entry"}, {"staff_feel_unsafe", "occupant_concern"}, lambda r: r.check in _SAFETY)),
    ("Contagious illness", _about({"household"}, {"contagious_illness"}, lambda r: r.check == "contagious_illness")),
    ("Animals", _about({"animals"}, {"animals", "animals_secured", "animal_request_refused"})),
    ("Going in (who lets you in)", _about({"entry"}, {"invited_in_by", "responsible_adult_present", "meeting_room"},
                                         lambda r: r.check in _GOING_IN - {"person_not_in"})),
    ("Upstairs and bedrooms", _about({"rooms"}, {"meeting_room", "upstairs_escort"})),
    ("Time of day", _about({"time_window"}, {"start_minute", "end_minute", "in_school_day", "in_office_hours", "evening"})),
    ("Pairing", _about({"pairing"}, {"staff_count", "lone_visit_approved_by"})),
    ("Authorisation", _about({"authorisation"}, {f"approved_by_{a}" for a in APPROVERS})),
    ("Parents told in advance", _about({"preparation"}, {"parents_informed"}, lambda r: r.require == "parents_informed")),
    ("Check-ins with the office", _about({"preparation"}, {"check_in_interval"}, lambda r: r.require == "check_in")),
    ("Staff: training, DBS, roles", _about({"staffing"}, {"trained_count", "all_trained", "lowest_dbs"})),
)

_WORD = {Outcome.PERMITTED: "reminder", Outcome.CONDITIONAL: "conditional", Outcome.BLOCKED: "blocked"}
_PHASE = {"plan": "plan", "door": "at the door", "inside": "inside"}


def outcome_words(pack: PackBase, rule: Rule) -> str:
    """The rule's outcome, in bold; per phase where it differs between the phases it fires in."""
    fires_in = phases_it_fires_in(pack, rule)
    outcomes = {phase: rule.outcome_in(phase) for phase in fires_in}
    said = {o for o in outcomes.values() if o is not None}
    if len(said) <= 1:
        return f"**{_WORD[said.pop() if said else Outcome(rule.outcome)]}**"
    groups: dict[Outcome, list[str]] = {}
    for phase, outcome in outcomes.items():
        if outcome is not None:
            groups.setdefault(outcome, []).append(_PHASE[phase])
    return ", ".join(f"{' and '.join(phases)} **{_WORD[o]}**" for o, phases in groups.items())


def behaviour_rules(pack: PackBase) -> list[tuple[str, list[Rule]]]:
    """Each behaviour, and the pack's rules that speak to it (blocked first, then by id); a generic
    ``condition`` rule only in the first row it speaks to."""
    severity = {"permitted": 0, "conditional": 1, "blocked": 2}
    shown: set[Any] = set()
    rows = []
    for name, speaks_to in BEHAVIOURS:
        mine = [r for r in pack.rules if speaks_to(r) and not (r.kind == "condition" and r.id in shown)]
        shown.update(r.id for r in mine)
        rows.append((name, sorted(mine, key=lambda r: (-severity[r.outcome], r.id))))
    return rows


def behaviour_table(pack_ids: Optional[Sequence[str]] = None) -> str:
    """A markdown table: one row per behaviour, one column per pack, each cell its rules' summaries
    and outcomes (per phase of the visit where a rule's outcome differs between them)."""
    packs = [load_pack(p) for p in (pack_ids or available_packs())]
    lines = ["| behaviour | " + " | ".join(p.id for p in packs) + " |", "|---" * (len(packs) + 1) + "|"]
    columns = [behaviour_rules(pack) for pack in packs]
    for row, (name, _) in enumerate(BEHAVIOURS):
        cells = [
            "<br>".join(f"{r.summary()}{r.scope_words()}: {outcome_words(pack, r)}" for r in column[row][1]) or "nothing"
            for pack, column in zip(packs, columns, strict=True)
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


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("table", help="print rule behaviour by school as a markdown table")
    p.add_argument("packs", nargs="*", metavar="PACK")
    p.add_argument(
        "--update", metavar="FILE", help=f"write the table into FILE between {START} and {END} instead of printing it"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
