"""``policyengine diff OLD NEW [--visits FILE.jsonl]``: what a change to a pack changes.

For governors approving a policy change, and for a school's own CI guarding its pack. OLD and NEW
are pack ids or files: two versions of one pack, or two schools' packs. It says

1. what changed in the pack: its settings (hours, version...) and its rules, added, removed and
   changed field by field;
2. what that does to decisions: for each rule whose outcome or condition changed, a concrete visit
   (a *witness*, found by the search in ``_witness``) that the two packs decide differently, with
   both decisions;
3. with ``--visits``, how the visits of a JSONL file (one visit per line, as ``audit`` reads) fare:
   how many change, by old -> new outcome, and the first few of each. Each visit is decided by both
   packs whatever its ``school`` says.

Exit status: 0 when no decision can change (only wording, notes, reminders, the catalogue or
examples changed); 1 when decisions change, or may: a rule that blocks or sets conditions was added
or removed, or its outcome or condition changed (the witnesses and the visits show which decisions);
2 for bad input. A bad line in the visits file
is reported as ``FILE:LINE: message`` and skipped, the summary covers every other line, and the exit
status is then 2 whatever changed, since a comparison that skipped visits cannot vouch for them.
Decisions here are made by the python engine, which gives the same decisions as durable-rules.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import Counter
from typing import TYPE_CHECKING, Any

from .._errors import InputError, Problem
from .._patch import merge_diff
from .._policy import policy
from .._visits import parse_visit
from ..models import Decision, visit_json
from ..packs.load import PackBase, compile_pack, load_pack
from ..packs.witness import PREPARED, changed_rules, differences

if TYPE_CHECKING:  # for annotations only
    from .._rule import Rule
    from ..models import Visit

#: How many visits of each old -> new change ``--visits`` lists.
FIRST_FEW = 3
#: Pack fields that are not settings: the rules are compared one by one, the rest is not policy.
_NOT_SETTINGS = {"rules", "examples", "catalogue", "example_base", "timed"}
WIDTH = 100


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="what changes between two packs: rules, and decisions (with a witness visit for each)",
        description=(
            "Compare two rule packs (two versions of one pack, or two schools' packs): the rules added, removed "
            "and changed field by field, then for each changed rule a visit the two packs decide differently, "
            "with both decisions. Exit 0 when no decision can change, 1 when decisions change, 2 for bad input."
        ),
    )
    p.add_argument("old", metavar="OLD", help="the pack before: an id (see policyengine packs) or a pack file")
    p.add_argument("new", metavar="NEW", help="the pack after: an id or a pack file")
    p.add_argument(
        "--visits", metavar="FILE.jsonl",
        help="also decide every visit in this file (one JSON visit per line) with both packs and count the changes",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    old, new = load_pack(args.old), load_pack(args.new)
    report = compare(old, new, args.old, args.new)
    bad = 0
    if args.visits:
        report["visits"], bad = compare_visits(old, new, args.visits)
    if args.format == "json":
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(report))
    if bad:
        return 2
    return 1 if report["decisions_change"] else 0


# -- what changed in the pack -----------------------------------------------------------------------


def _label(pack: PackBase, given: str) -> dict[str, Any]:
    return {"given": given, "id": pack.id, "version": pack.version, "file": pack.file, "digest": pack.digest}


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted paths (``citation.quote``); lists and scalars as they are."""
    if not isinstance(data, dict) or not data:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_flat(value, f"{prefix}.{key}" if prefix else key))
    return out


#: Fields of a rule that say what it tells staff rather than when it fires: listed after the rest.
_WORDING = ("title", "message", "conditions", "citation", "notes")


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """``{field, old, new}`` for each dotted field whose value differs (``None``: not given); what
    decides when a rule fires (its kind's parameters, outcome, purposes...) before its wording."""
    a, b = _flat(before), _flat(after)
    fields = [f for f in dict.fromkeys([*a, *b]) if a.get(f) != b.get(f)]
    fields.sort(key=lambda f: f.split(".")[0] in _WORDING)
    return [{"field": f, "old": a.get(f), "new": b.get(f)} for f in fields]


def _rule_data(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", exclude_none=True)


def _timed(pack: PackBase) -> dict[str, dict[str, Any]]:
    """A pack's timed rules (and escalations, and calendar) by name, for comparing one by one."""
    timed = pack.timed.model_dump(mode="json", exclude_none=True) if pack.timed is not None else {}
    found = {t["id"]: t for part in ("visit", "absence") for t in timed.get(part, [])}
    found.update({f"escalation {name}": {"steps": steps} for name, steps in timed.get("escalations", {}).items()})
    if "calendar" in timed:
        found["calendar"] = timed["calendar"]
    return found


def compare_timed(old: PackBase, new: PackBase) -> dict[str, Any]:
    """The timed rules (``policyengine monitor``, ``policyengine due``) added, removed and changed."""
    before, after = _timed(old), _timed(new)
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": [{"id": name, "fields": field_changes(before[name], after[name])}
                    for name in sorted(before.keys() & after.keys()) if before[name] != after[name]],
    }


def compare(old: PackBase, new: PackBase, old_given: str = "", new_given: str = "") -> dict[str, Any]:
    """What changed from ``old`` to ``new``: settings, rules, and a witness visit per changed decision."""
    settings = field_changes(
        {k: v for k, v in old.model_dump(mode="json").items() if k not in _NOT_SETTINGS},
        {k: v for k, v in new.model_dump(mode="json").items() if k not in _NOT_SETTINGS},
    )
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    changed = []
    for rid in sorted(before.keys() & after.keys()):
        fields = field_changes(_rule_data(before[rid]), _rule_data(after[rid]))
        if fields:
            changed.append({"id": rid, "fields": fields})
    old_c, new_c = compile_pack(old), compile_pack(new)
    meaning = changed_rules(old_c, new_c)
    # A reminder (or no rule) on both sides changes when a reminder is given, never an outcome.
    reminders = [rid for rid in meaning
                 if all(rid not in side or side[rid].outcome == "permitted" for side in (before, after))]
    deciding = [rid for rid in meaning if rid not in reminders]
    base = visit_json(parse_visit(PREPARED))
    witnesses = []
    shown: set[str] = set()  # changed rules that fire on one side only for some witness
    for found in differences(old_c, new_c):
        visit = parse_visit(found.visit)
        a, b = _rules_alone(old, visit), _rules_alone(new, visit)
        fired_old, fired_new = {f.rule for f in a.findings}, {f.rule for f in b.findings}
        shown |= (fired_old ^ fired_new) & set(deciding)
        witnesses.append({
            "rule": found.rule,
            "looser": found.looser,
            "visit": found.visit,
            "changes_to_prepared_visit": merge_diff(base, found.visit),
            "old": _decision(a),
            "new": _decision(b),
            "fired_only_old": sorted(fired_old - fired_new),
            "fired_only_new": sorted(fired_new - fired_old),
        })
    return {
        "old": _label(old, old_given),
        "new": _label(new, new_given),
        "settings": settings,
        "rules": {
            "added": [_rule_data(after[rid]) for rid in sorted(after.keys() - before.keys())],
            "removed": [_rule_data(before[rid]) for rid in sorted(before.keys() - after.keys())],
            "changed": changed,
        },
        "timed": compare_timed(old, new),
        "meaning_changed": deciding,
        "reminders_changed": reminders,
        "witnesses": witnesses,
        "no_witness_found": [rid for rid in deciding if rid not in shown],
        "prepared_visit": base,
        "decisions_change": bool(deciding),
    }


def _decision(decision: Decision) -> dict[str, Any]:
    return decision.model_dump(mode="json")


# -- what happens to a file of visits ---------------------------------------------------------------


def compare_visits(old: PackBase, new: PackBase, path: str) -> tuple[dict[str, Any], int]:
    """Decide each visit of the JSONL file at ``path`` with both packs: the changes by old -> new
    outcome, with the first few visits of each. Bad lines are reported on stderr and skipped;
    returns the summary and the number of bad lines."""
    try:
        with open(path, encoding="utf-8") as source:
            lines = source.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(path, None, None, f"cannot read the file: {exc}")) from None
    decided = bad = 0
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        where = f"{path}:{number}"
        try:
            visit = parse_visit(json.loads(text), file=where)
        except json.JSONDecodeError as exc:
            print(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})", file=sys.stderr)
            bad += 1
            continue
        except InputError as exc:
            for problem in exc.problems:
                print(f"{where}: {problem.message}", file=sys.stderr)
            bad += 1
            continue
        a, b = _rules_alone(old, visit), _rules_alone(new, visit)
        decided += 1
        if a.outcome != b.outcome:
            key = (a.outcome.value, b.outcome.value)
            counts[key] += 1
            if len(first.setdefault(key, [])) < FIRST_FEW:
                first[key].append({"line": number, "old_rules": _deciding(a), "new_rules": _deciding(b)})
    changes = [
        {"old": o, "new": n, "visits": counts[(o, n)], "first": first[(o, n)]}
        for (o, n) in sorted(counts, key=lambda k: (-counts[k], k))
    ]
    summary = {"file": path, "decided": decided, "bad_lines": bad, "changed": sum(counts.values()), "changes": changes}
    return summary, bad


def _deciding(decision: Decision) -> list[str]:
    """The rules that decide the outcome: the findings at its severity (none for a plain permitted)."""
    return [f.rule for f in decision.findings if f.outcome == decision.outcome and f.outcome.value != "permitted"]


# -- text -----------------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None:
        return "(not given)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _wrap(text: str, indent: str, first: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent + first, subsequent_indent=indent + " " * len(first),
                         break_on_hyphens=False, break_long_words=False) or [indent + first]


def _changes(changes: list[dict[str, Any]], indent: str) -> list[str]:
    lines = []
    for c in changes:
        old, new = _shown(c["old"]), _shown(c["new"])
        if len(old) + len(new) + len(c["field"]) < 60:
            lines.append(f"{indent}{c['field']}: {old} -> {new}")
        else:
            lines.append(f"{indent}{c['field']}:")
            lines += _wrap(old, indent + "  ", "was: ")
            lines += _wrap(new, indent + "  ", "now: ")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _outcome_line(label: str, decision: dict[str, Any]) -> str:
    deciding = [f["rule"] for f in decision["findings"] if f["outcome"] == decision["outcome"] and f["outcome"] != "permitted"]
    return f"    {label} {decision['outcome'].upper()}" + (f" ({', '.join(deciding)})" if deciding else "")


def render(report: dict[str, Any]) -> str:
    old, new = report["old"], report["new"]
    width = max(len(old["given"]), len(new["given"])) + 1
    lines = [
        f"old: {old['given']} ({old['id']}, pack {old['version']})",
        f"new: {new['given']} ({new['id']}, pack {new['version']})",
    ]
    if report["settings"]:
        lines += ["", "Settings changed:"] + _changes(report["settings"], "  ")
    rules = report["rules"]
    for title, listed in (("added", rules["added"]), ("removed", rules["removed"])):
        if listed:
            lines += ["", f"Rules {title} ({len(listed)}):"]
            for rule in listed:
                lines += _wrap(f"{rule['id']} [{rule['outcome']}]: {rule['message']}", "  ")
    if rules["changed"]:
        lines += ["", f"Rules changed ({len(rules['changed'])}):"]
        for rule in rules["changed"]:
            lines += [f"  {rule['id']}"] + _changes(rule["fields"], "    ")
    timed = report["timed"]
    for title, listed in (("added", timed["added"]), ("removed", timed["removed"])):
        if listed:
            lines += ["", f"Timed rules {title} ({len(listed)}): {', '.join(listed)}"]
    if timed["changed"]:
        lines += ["", f"Timed rules changed ({len(timed['changed'])}):"]
        for rule in timed["changed"]:
            lines += [f"  {rule['id']}"] + _changes(rule["fields"], "    ")
    if not (report["settings"] or rules["added"] or rules["removed"] or rules["changed"] or any(timed.values())):
        lines += ["", "The packs have the same settings and rules."]

    witnesses = report["witnesses"]
    lines.append("")
    if not report["meaning_changed"]:
        lines.append("No decision changes: no rule that blocks a visit or sets conditions was added, removed, or changed "
                     "its outcome or condition.")
    elif witnesses:
        lines += _wrap(
            f"Decisions change. {_count(len(witnesses), 'visit')} that the packs decide differently, each the "
            "prepared visit (at the end) with the changes shown:", ""
        )
        for n, w in enumerate(witnesses, 1):
            looser = "looser" if w["looser"] else "stricter"
            fired = [f"{r} (old only)" for r in w["fired_only_old"]] + [f"{r} (new only)" for r in w["fired_only_new"]]
            lines += [
                f"  {n}. {w['old']['outcome']} -> {w['new']['outcome']} ({looser}), found by following {w['rule']}",
                *_wrap(json.dumps(w["changes_to_prepared_visit"], ensure_ascii=False), "    ", "visit: "),
                _outcome_line(f"{old['given']}:".ljust(width), w["old"]),
                _outcome_line(f"{new['given']}:".ljust(width), w["new"]),
                *_wrap(", ".join(fired), "    ", "fires: "),
            ]
    else:
        lines.append("Decisions may change: rules changed their outcome or condition.")
    if report["no_witness_found"]:
        lines += _wrap(
            "No visit was found that the packs decide differently because of "
            + ", ".join(report["no_witness_found"])
            + ": the change to its outcome or condition may change no decision.",
            "  ",
        )
    if report["reminders_changed"]:
        lines += _wrap(
            "Reminders given on other visits than before (no outcome changes): " + ", ".join(report["reminders_changed"]),
            "",
        )
    visits = report.get("visits")
    if visits is not None:
        lines += [
            "",
            f"Visits in {visits['file']}: {visits['decided']:,} decided, {visits['changed']:,} decided differently"
            + (f" ({visits['bad_lines']} bad line(s) skipped)" if visits["bad_lines"] else "")
            + (":" if visits["changes"] else "."),
        ]
        for change in visits["changes"]:
            lines.append(f"  {change['old']} -> {change['new']}: {_count(change['visits'], 'visit')}")
            for v in change["first"]:
                rule_words = f"{', '.join(v['old_rules']) or 'no rule'} -> {', '.join(v['new_rules']) or 'no rule'}"
                lines.append(f"    line {v['line']}: {rule_words}")
    if witnesses:
        lines += ["", "The prepared visit:"] + _wrap(json.dumps(report["prepared_visit"], ensure_ascii=False), "  ")
    return "\n".join(lines) + "\n"


def _rules_alone(pack: PackBase, visit: Visit) -> Decision:
    """What ``pack``'s rules decide for ``visit``, without the reminder of an overdue review (which
    depends on the date, not the rules)."""
    return policy(pack, engine="python").decide(visit, review_reminder=False)
