"""``policyengine show ID``: a pack as it is used, every rule with the pack it came from.

Text is for people: each rule's condition in plain words, its notes (the judgement calls behind it)
and the pack's catalogue. ``--format json`` is for programs and keeps the condition in the pack's own
terms (``when``) beside the words (``when_words``).
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Optional

from ..conditions.form import Condition, describe, plain
from .._errors import Problem, UnknownSchoolError
from ..packs.load import PackBase, load_pack
from ..packs.phase_checks import phases_it_fires_in
from ..plugins.registry import Registry, default_registry
from ..conditions.satisfy import always

WIDTH = 100


def add_parser(sub) -> None:
    p = sub.add_parser(
        "show",
        help="print a pack as it is used: its rules (inherited ones too), where each came from, when it fires",
        description=(
            "Print a rule pack as check uses it: its metadata, then every rule in effect (its own and those "
            "inherited through 'extends') with its id, kind, outcome, the pack it came from, the condition "
            "under which it fires in plain words, its notes and the policy's words it cites; then the catalogue "
            "of the policy's statements and what the pack does with each."
        ),
    )
    p.add_argument("pack", metavar="ID", help="a pack id (see policyengine packs) or a pack file")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args) -> int:
    registry = default_registry()
    try:
        pack = load_pack(args.pack, registry=registry)
    except UnknownSchoolError as exc:
        raise UnknownSchoolError(Problem("policyengine show", None, None, exc.problems[0].message)) from None
    if args.format == "json":
        json.dump(show_data(pack, registry), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_show(pack, registry))
    return 0


def _provider(pack: PackBase, registry: Registry) -> Optional[str]:
    """The plugin a pack came from, when it was loaded by id (or from the file a plugin named)."""
    entry = registry.packs().get(pack.id)
    if entry is None:
        return None
    if entry.loaded is not None and pack._loaded is entry.loaded:
        return registry.describe(entry.plugin)
    if entry.path is not None and pack.file is not None and str(entry.path) == pack.file:
        return registry.describe(entry.plugin)
    return None


def show_data(pack: PackBase, registry: Optional[Registry] = None) -> dict:
    """What ``show`` prints, as JSON data."""
    registry = registry or default_registry()
    kind_sources = registry.kind_sources()
    rules = []
    for rule in pack.rules:  # type: ignore[attr-defined]
        origin = pack.origin(rule.id)
        rules.append(
            {
                "id": rule.id,
                "kind": rule.kind,
                "kind_plugin": registry.describe(kind_sources[rule.kind]) if rule.kind in kind_sources else None,
                "outcome": rule.outcome,
                # What the rule gives in each phase of a visit it can fire in (see "Phases of a visit").
                "phases": {p: o.value for p in phases_it_fires_in(pack, rule) if (o := rule.outcome_in(p)) is not None},
                "origin": origin,
                "overrides": pack.extends if rule.id in pack.overrides else None,
                "when": describe(pack.condition(rule)),
                "when_words": when_words(pack.condition(rule)),
                "message": rule.message,
                "conditions": list(rule.conditions),
                "notes": rule.notes,
                "citation": {
                    "document": rule.citation.document or pack.document,
                    "section": rule.citation.section,
                    "quote": rule.citation.quote,
                },
            }
        )
    return {
        "id": pack.id,
        "school": pack.school,
        "document": pack.document,
        "version": pack.version,
        "digest": pack.digest,
        "file": pack.file,
        "plugin": _provider(pack, registry),
        "extends": pack.extends,
        "overrides": list(pack.overrides),
        "removes": list(pack.removes),
        "loosens": [
            {"rule": d.rule, "reason": d.reason, "said": d.said(pack.extends, pack.id),
             "witness": d.found.visit if d.found else None,
             "parent_outcome": d.found.old_outcome if d.found else None,
             "outcome": d.found.new_outcome if d.found else None}
            for d in pack.loosened
        ],
        "adopted": pack.adopted,
        "review_due": pack.review_due.isoformat() if pack.review_due else None,
        "timezone": pack.timezone,
        "school_day": [pack.school_day.start, pack.school_day.end],
        "office_hours": [pack.office_hours.start, pack.office_hours.end],
        "evening_starts": pack.evening_starts,
        "rules": rules,
        "catalogue": [entry.model_dump(mode="json") for entry in pack.catalogue],
    }


def when_words(cond: Condition) -> str:
    """A rule's condition in plain words; "every visit" for one that holds whatever the visit."""
    return "every visit" if always(cond) else plain(cond)


def _field(label: str, text: str, wrap: bool = True, indent: int = 9) -> list[str]:
    if not wrap:  # a file name or a digest: one line, to copy whole
        return [f"{label:<{indent}}{text}"]
    # Never break inside an id or a fact name.
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{label:<{indent}}", subsequent_indent=" " * indent, break_on_hyphens=False,
        break_long_words=False,
    ) or [label]


def render_show(pack: PackBase, registry: Optional[Registry] = None) -> str:
    """The pack's metadata, then each effective rule: id, outcome, kind, origin, condition, citation."""
    data = show_data(pack, registry)
    lines = [f"{data['id']}: {data['school']}, {data['document']} (pack {data['version']})"]
    where = data["file"] or "given as data"
    if data["plugin"]:
        where += f" (plugin {data['plugin']})"
    lines += _field("file:", where, wrap=False)
    if data["extends"]:
        changes = [f"overrides {', '.join(data['overrides'])}" if data["overrides"] else "",
                   f"removes {', '.join(data['removes'])}" if data["removes"] else ""]
        said = "; ".join(c for c in changes if c)
        lines += _field("extends:", data["extends"] + (f" ({said})" if said else ""))
        for loosened in data["loosens"]:  # each deliberate loosening, with its reason and the visit that shows it
            lines += _field("loosens:", loosened["said"])
    lines += _field(
        "hours:",
        f"school day {'-'.join(data['school_day'])}, office {'-'.join(data['office_hours'])}, evening from "
        f"{data['evening_starts']} ({data['timezone']})",
    )
    if data["adopted"] or data["review_due"]:
        lines += _field("adopted:", f"{data['adopted'] or 'not stated'}; review due {data['review_due'] or 'not stated'}")
    lines += _field("digest:", data["digest"], wrap=False)
    own = sum(1 for r in data["rules"] if r["origin"] == data["id"])
    inherited = len(data["rules"]) - own
    lines += ["", f"{len(data['rules'])} rules ({own} own, {inherited} inherited):" if data["extends"] else f"{own} rules:"]
    for rule in data["rules"]:
        if rule["origin"] != data["id"]:
            origin = f"from {rule['origin']}"
        elif rule["overrides"]:
            origin = f"own, overrides {rule['overrides']}"
        else:
            origin = "own"
        c = rule["citation"]
        by_phase = rule["phases"]
        label = rule["outcome"] if len(set(by_phase.values())) <= 1 else ", ".join(f"{p}: {o}" for p, o in by_phase.items())
        lines += ["", f"{rule['id']}  [{label}]  kind {rule['kind']}, {origin}"]
        lines += _field("  when:", rule["when_words"])
        lines += _field("  says:", rule["message"])
        for condition in rule["conditions"]:
            lines += _field("  needs:", condition)
        if rule["notes"]:
            lines += _field("  notes:", rule["notes"])
        lines += _field("  cites:", f"{c['document']}, {c['section']}: \"{c['quote']}\"")
    lines += _catalogue(data["catalogue"])
    return "\n".join(lines) + "\n"


def _catalogue(entries: list[dict]) -> list[str]:
    """The policy's statements and what the pack does with each: the rules, or why none can."""
    if not entries:
        return ["", "catalogue: none (the pack does not list the policy's statements)"]
    unchecked = sum(1 for e in entries if e["not_checkable"])
    lines = ["", f"catalogue: {len(entries)} statements of the policy ({len(entries) - unchecked} encoded by rules, "
             f"{unchecked} not checked)"]
    for entry in entries:
        lines += [""] + _field("", f"{entry['section']}: \"{entry['quote']}\"", indent=2)
        if entry["rules"]:
            lines += _field("    rules:", ", ".join(entry["rules"]), indent=17)
        else:
            lines += _field("    not checked:", entry["not_checkable"], indent=17)
    return lines
