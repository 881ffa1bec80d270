"""``policyengine report PACK [-o FILE]``: one HTML page showing a policy lead what their pack does.

The page holds the policy text in full, each sentence marked with what the pack does with it
(encoded by rules, linked both ways; catalogued as not checkable, with why; or not mentioned), the
coverage figures at the top, every rule in plain words with its notes beside it, every timed rule
(deadline, what is due, escalation steps; its quotes are marked in the text like the rules'), the
pack's examples with their decisions, and the behaviour table. It is one self-contained file: no scripts, no fonts,
nothing fetched (its Content-Security-Policy forbids it), readable on a phone and printable to PDF.

It is rendered with Jinja2 from ``policyengine/templates/`` with autoescaping on, so a quote or note
holding markup appears as text.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, StrictUndefined

from .._errors import InputError, Problem
from .._examples import example_results
from .._version import __version__
from .._yaml import read_text
from ..packs.checks import source_path
from ..packs.load import PackBase, load_pack
from ..packs.text import Coverage, coverage
from .show import citation_data, timed_data, when_words
from .table import behaviour_rules

_ENV = Environment(
    loader=PackageLoader("policyengine", "templates"),
    autoescape=True,  # every value is text: a quote holding "<script>" is shown, never run
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

#: Rules that no behaviour of the table speaks to, in rows of their own (by kind).
_OTHER_ROWS = {
    "staffing": "Who goes",
    "preparation": "Preparation",
    "entry": "At the door",
    "household": "The household",
    "condition": "Other rules",
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="write an HTML page showing what a pack does, beside its policy text",
        description=(
            "Write one self-contained HTML page for a rule pack: the policy text with each sentence the pack "
            "relies on highlighted and linked to its rules, what is not checked and why, what the pack does not "
            "mention, coverage figures, every rule in plain words with its notes, every timed rule with its "
            "deadline, what is due and its escalation steps, the examples with their decisions and the behaviour table. Open it in any browser, on a phone too, or print it to PDF."
        ),
    )
    p.add_argument("pack", metavar="PACK", help="a pack id (see policyengine packs) or a pack file")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the page (default: ID-report.html; - for standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    page = render_report(pack)
    if args.output == "-":
        sys.stdout.write(page)
        return 0
    target = Path(args.output or f"{pack.id}-report.html")
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(target), None, None, f"cannot write the report: {exc.strerror}")) from None
    print(f"wrote {target}")
    return 0


def _policy_text(pack: PackBase) -> tuple[Optional[str], Optional[str]]:
    """The pack's policy text and its file name, where it is beside the pack."""
    if pack._loaded is None:
        return None, None
    found = source_path(pack, pack._loaded)
    return (read_text(found), found.name) if found else (None, None)


def _parts(text: str, bold: bool) -> tuple[list[tuple[str, bool]], bool]:
    """``text`` split at markdown ``**`` into (words, bold) runs; bold may carry on from before."""
    runs = []
    for index, piece in enumerate(text.split("**")):
        if index:
            bold = not bold
        if piece:
            runs.append((piece, bold))
    return runs, bold


def report_data(pack: PackBase) -> dict[str, Any]:
    """Everything the page shows, as plain data (the template only lays it out)."""
    source, source_name = _policy_text(pack)
    cover: Optional[Coverage] = coverage(pack, source) if source is not None else None
    blocks = []
    if cover is not None:
        for block in cover.blocks:
            bold, sentences = False, []
            for s in block.sentences:
                runs, bold = _parts(s.text, bold)
                sentences.append({"anchor": s.anchor, "status": s.status if s.counted else "plain", "cell": s.cell,
                                  "parts": runs, "rules": s.rules, "not_checked": s.not_checked, "timed": s.timed,
                                  "not_timed": s.not_timed})
            blocks.append({"kind": block.kind, "level": block.level, "marker": block.marker, "sentences": sentences})
    rules = []
    for rule in pack.rules:
        rules.append({
            "id": rule.id,
            "kind": rule.kind,
            "outcome": rule.outcome,
            "title": rule.title,
            "origin": pack.origin(rule.id),
            "when": when_words(pack.condition(rule)),
            "message": rule.message,
            "conditions": list(rule.conditions),
            "notes": rule.notes,
            "citation": citation_data(rule.citation, pack),
            "sentences": cover.rule_sentences.get(rule.id, []) if cover else [],
        })
    examples = []
    for index, result in enumerate(example_results(pack)):
        decision = result.decision
        examples.append({
            "name": result.name,
            "expect": result.expect.value,
            "outcome": decision.outcome.value if decision else None,
            "ok": not result.failures,
            "problems": [f.problem for f in result.failures],
            "findings": [{"rule": f.rule, "outcome": f.outcome.value, "message": f.message}
                         for f in (decision.findings if decision else [])],
            "visit": json.dumps(pack.examples[index].visit, ensure_ascii=False),
        })
    # The behaviour table's rows (each shown, "nothing" where no rule speaks to it), then the pack's
    # other rules by kind, so every rule is in the overview.
    rows = behaviour_rules(pack)
    listed = {r.id for _, found in rows for r in found}
    rest = [r for r in pack.rules if r.id not in listed]
    for kind, name in _OTHER_ROWS.items():
        rows.append((name, [r for r in rest if r.kind == kind]))
    rows.append(("Rules of other kinds", [r for r in rest if r.kind not in _OTHER_ROWS]))
    behaviour = [
        {"behaviour": name, "rules": [{"id": r.id, "words": f"{r.summary()}{r.scope_words()}", "outcome": r.outcome}
                                      for r in found]}
        for n, (name, found) in enumerate(rows) if found or n < len(rows) - len(_OTHER_ROWS) - 1
    ]
    timed = timed_data(pack)
    if timed is not None:  # where the text holds each timed rule's quote, its steps' and the timed catalogue's
        quoted = cover.quoted if cover else {}
        timers = timed["visit"] + timed["absence"]
        for rule in timers:
            rule["no_number"] = []
            rule["sentences"] = quoted.get(rule["citation"]["quote"], [])
            for step in rule["steps"]:
                step["sentences"] = quoted.get(step["citation"]["quote"], [])
            # The sentences the timed catalogue says it encodes, beyond its own quote and its steps'.
            shown = set(rule["sentences"]).union(*(step["sentences"] for step in rule["steps"]))
            rule["also"] = [a for a in (cover.timed_sentences.get(rule["id"], []) if cover else []) if a not in shown]
        for entry in timed["catalogue"]:
            entry["sentences"] = quoted.get(entry["quote"], [])
            for rule in (r for r in timers if r["id"] in entry["rules"]):  # where the policy gives no number
                if entry["no_number"] and entry["no_number"] not in rule["no_number"]:
                    rule["no_number"].append(entry["no_number"])
    counts = cover.counts() if cover else None
    not_mentioned = [
        {"anchor": s.anchor, "text": s.text} for s in (cover.sentences if cover else []) if s.counted and s.status == "not-mentioned"
    ]
    unchecked = [e for e in pack.catalogue if e.not_checkable]
    return {
        "version": __version__,
        "pack": {
            "id": pack.id, "school": pack.school, "document": pack.document, "version": pack.version,
            "file": pack.file, "digest": pack.digest, "adopted": pack.adopted,
            "review_due": pack.review_due.isoformat() if pack.review_due else None,
            "review_overdue": bool(pack.review_due and pack.review_due < date.today()),
            "school_day": f"{pack.school_day.start}-{pack.school_day.end}",
            "office_hours": f"{pack.office_hours.start}-{pack.office_hours.end}",
            "evening_starts": pack.evening_starts, "timezone": pack.timezone, "extends": pack.extends,
        },
        "source": source_name,
        "source_named": pack.source,
        "counts": counts,
        "percent": {k: round(100 * v / counts["sentences"]) for k, v in counts.items()} if counts and counts["sentences"] else None,
        "blocks": blocks,
        "rules": rules,
        "outcomes": {o: sum(1 for r in rules if r["outcome"] == o) for o in ("blocked", "conditional", "permitted")},
        "catalogue": [e.model_dump(mode="json") for e in pack.catalogue],
        "catalogue_unchecked": len(unchecked),
        "not_mentioned": not_mentioned,
        "unplaced": cover.unplaced if cover else [],
        "examples": examples,
        "examples_ok": sum(1 for e in examples if e["ok"]),
        "example_base": pack.example_base is not None,
        "behaviour": behaviour,
        "timed": timed,
        "timed_rules": (timed["visit"] + timed["absence"]) if timed else [],
    }


def render_report(pack: PackBase) -> str:
    """The report on ``pack`` as one HTML page."""
    return _ENV.get_template("report.html").render(**report_data(pack))
