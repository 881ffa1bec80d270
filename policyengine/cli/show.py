"""``policyengine show ID``: a pack as it is used, every rule with the pack it came from.

Text is for people: each rule's condition in plain words, its notes (the judgement calls behind it)
and the pack's catalogue, then each timed rule's deadline, what is due and its escalation steps in
words, and the timed catalogue. ``--format json`` is for programs and keeps the condition in the
pack's own terms (``when``) beside the words (``when_words``), and each timed rule as the pack gives
it beside its words (``words``).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import TYPE_CHECKING, Any, Optional

from .._errors import Problem, UnknownSchoolError
from ..conditions.form import Condition, describe, plain
from ..conditions.satisfy import always
from ..packs.load import PackBase, load_pack
from ..packs.phase_checks import phases_it_fires_in
from ..packs.timed import AbsenceTimer, Deadline, OnlyIf, Timed, VisitTimer, Wait
from ..plugins.registry import Registry, default_registry, registry_or_default

if TYPE_CHECKING:  # for annotations only
    from .._rule import CitationSpec
    from ..models import Citation

WIDTH = 100


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "show",
        help="print a pack as it is used: its rules (inherited ones too), where each came from, when it fires",
        description=(
            "Print a rule pack as check uses it: its metadata, then every rule in effect (its own and those "
            "inherited through 'extends') with its id, kind, outcome, the pack it came from, the condition "
            "under which it fires in plain words, its notes and the policy's words it cites; then the catalogue "
            "of the policy's statements and what the pack does with each; then the timed rules (policyengine "
            "monitor, policyengine due), each with its deadline in words, what is due, its escalation steps in "
            "order and its words, and the timed catalogue."
        ),
    )
    p.add_argument("pack", metavar="ID", help="a pack id (see policyengine packs) or a pack file")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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


def show_data(pack: PackBase, registry: Optional[Registry] = None) -> dict[str, Any]:
    """What ``show`` prints, as JSON data."""
    registry = registry_or_default(registry)
    kind_sources = registry.kind_sources()
    rules = []
    for rule in pack.rules:
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
                "citation": citation_data(rule.citation, pack),
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
        "timed": timed_data(pack),
    }


def when_words(cond: Condition) -> str:
    """A rule's condition in plain words; "every visit" for one that holds whatever the visit."""
    return "every visit" if always(cond) else plain(cond)


# -- timed rules in words ---------------------------------------------------------------------------

#: A visit's events as the thing a deadline is counted from ("10 minutes after the arrival call").
_EVENT_NOUNS = {
    "planned": "the visit plan", "arrived": "the arrival call", "parents_arrived": "the parents' arrival",
    "entered": "going in", "check_in": "check-in", "left": "the call on leaving", "returned": "the return",
    "cancelled": "the cancellation",
}
#: A visit's events as what happens ("met if staff check in").
_EVENT_CLAUSES = {
    "planned": "the visit is planned", "arrived": "staff call on arrival", "parents_arrived": "the parents arrive",
    "entered": "staff go in", "check_in": "staff check in", "left": "staff call to say they have left",
    "returned": "staff are back", "cancelled": "the visit is cancelled",
}
#: What an absence record says of a day.
_ABSENCE_CLAUSES = {
    "contact": "there is contact with the family", "contact_reason_known": "contact with the family explains the absence",
    "seen": "the child is seen", "seen_by_school_staff": "the child is seen by school staff",
    "authorised": "the absence is authorised",
}
#: A day that starts an absence trigger's count again.
_ABSENCE_DAYS = {
    "contact": "a day with contact with the family", "contact_reason_known": "a day with contact that explains the absence",
    "seen": "a day the child is seen", "seen_by_school_staff": "a day the child is seen by school staff",
    "authorised": "an authorised day",
}
#: The numbers a visit's plan gives where the policy gives none.
_PLAN_NUMBERS = {
    "check_in.interval_minutes": "the check-in interval set in the visit's plan",
    "escalation_minutes": "the minutes agreed with the office for the visit",
}
#: What an absence trigger's ``only_if`` asks of a record: (true, false, what the record may not say).
_ONLY_IF = {
    "vulnerable": ("the child is vulnerable", "the child is not vulnerable", "whether the child is vulnerable"),
    "known_on_holiday": ("the child is known to be on holiday", "the child is not on holiday",
                         "whether the child is on holiday"),
    "whereabouts_known": ("the child's whereabouts are confirmed", "the child's whereabouts are not confirmed",
                          "whether the child's whereabouts are confirmed"),
}


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _minutes(n: int) -> str:
    return f"{n} minute{'' if n == 1 else 's'}"


def _wait_parts(wait: Wait) -> tuple[str, str]:
    """How long, in words: the main words and, where the plan may replace the policy's number, a suffix."""
    if wait.minutes is None:
        return _PLAN_NUMBERS[wait.plan or ""], ""
    if wait.plan is None:
        return _minutes(wait.minutes), ""
    return _minutes(wait.minutes), f", or {_PLAN_NUMBERS[wait.plan]} where it gives one"


def wait_words(wait: Wait) -> str:
    """``{minutes: 30, plan: check_in.interval_minutes}`` as "30 minutes, or the check-in interval set
    in the visit's plan where it gives one"."""
    main, suffix = _wait_parts(wait)
    return main + suffix


def deadline_words(timer: VisitTimer | AbsenceTimer) -> str:
    """When a timed rule's action is due, in words: "10 minutes after the arrival call", "every 30
    minutes after the last check-in, or the check-in interval set in the visit's plan where it gives one",
    "day 3 of absence, school days (the first day absent is day 1)"."""
    if isinstance(timer, AbsenceTimer):
        words = f"day {timer.day} of absence, school days (the first day absent is day 1)"
        if timer.restarts:
            words += f"; {_or([_ABSENCE_DAYS[e] for e in timer.restarts])} starts the count again " \
                     f"(then due {timer.day} school day{'' if timer.day == 1 else 's'} after it)"
        return words
    d: Deadline = timer.deadline
    starts = _or([_EVENT_NOUNS[e] for e in timer.starts])
    if d.after == "start":
        return f"{_minutes(d.minutes or 0)} after the visit's arranged start (watched from {starts})"
    if d.after == "expected_return":
        back = "the time staff are expected back (agreed in the visit's plan; a check-in may move it)"
        return f"{_minutes(d.minutes)} after {back}" if d.minutes else f"at {back}"
    main, suffix = _wait_parts(d)
    every = "every " if d.minutes is not None and timer.restarts else ""
    if not timer.restarts:
        return f"{main} after {starts}{suffix}"
    again = _or([_EVENT_NOUNS[e] for e in timer.restarts])
    if set(timer.starts) <= set(timer.restarts):
        return f"{every}{main} after the last {again}{suffix}"
    return f"{every}{main} after {starts} or the last {again}{suffix}"


def only_if_words(only: Optional[OnlyIf]) -> Optional[str]:
    """The records an absence trigger applies to, in words (``None``: every record)."""
    if only is None:
        return None
    said = []
    for name, (yes, no, topic) in _ONLY_IF.items():
        allowed = getattr(only, name)
        if allowed is None or {True, False, "unknown"} <= set(allowed):
            continue
        known = [yes if value is True else no for value in (True, False) if value in allowed]
        if not known:
            said.append(f"the record does not say {topic}")
        elif len(known) == 2:
            said.append(f"the record says {topic}")
        else:
            said.append(known[0] + (", or the record does not say" if "unknown" in allowed else ""))
    return "; and ".join(said) or None


def citation_data(citation: Citation | CitationSpec, pack: PackBase) -> dict[str, Any]:
    """A citation as shown: its document (the pack's, where it names none), section and quote."""
    return {"document": citation.document or pack.document, "section": citation.section, "quote": citation.quote}


def timed_data(pack: PackBase) -> Optional[dict[str, Any]]:
    """The pack's ``timed`` section as data: each timed rule as the pack gives it, with its deadline,
    what meets or ends it and its escalation steps in words; ``None`` when the pack has none."""
    timed: Optional[Timed] = pack.timed
    if timed is None:
        return None

    def rule(timer: VisitTimer | AbsenceTimer, kind: str) -> dict[str, Any]:
        data = timer.model_dump(mode="json")
        data["citation"] = citation_data(timer.citation, pack)
        met = [(_EVENT_CLAUSES if kind == "visit" else _ABSENCE_CLAUSES)[e] for e in timer.met_by]
        words: dict[str, Any] = {
            "deadline": deadline_words(timer),
            "met_by": _or(met) + (" first" if kind == "visit" else ", on or before that day") if met else None,
            "ends": None,
            "only_if": None,
        }
        data["steps"] = []
        if isinstance(timer, VisitTimer):  # kind "visit"
            if timer.ends:
                words["ends"] = _or([_EVENT_CLAUSES[e] for e in timer.ends])
            steps = timed.escalations.get(timer.escalation, []) if timer.escalation else []
            data["steps"] = [
                {**step.model_dump(mode="json"), "citation": citation_data(step.citation, pack),
                 "after": f"{wait_words(step.wait)} after {'the missed deadline' if n == 0 else f'step {n}'}"}
                for n, step in enumerate(steps)
            ]
        else:
            words["only_if"] = only_if_words(timer.only_if)
        data["kind"] = kind
        data["words"] = words
        return data

    return {
        "visit": [rule(t, "visit") for t in timed.visit],
        "absence": [rule(t, "absence") for t in timed.absence],
        "escalations": {name: [s.model_dump(mode="json") for s in steps]
                        for name, steps in timed.escalations.items()},
        "calendar": timed.calendar.model_dump(mode="json") if timed.calendar is not None else None,
        "catalogue": [entry.model_dump(mode="json") for entry in timed.catalogue],
    }


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
    lines += _timed(data["timed"])
    return "\n".join(lines) + "\n"


def _catalogue(entries: list[dict[str, Any]]) -> list[str]:
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


def _cites(c: dict[str, Any], label: str = "  cites:", indent: int = 14) -> list[str]:
    return _field(label, f"{c['document']}, {c['section']}: \"{c['quote']}\"", indent=indent)


def _timed(timed: Optional[dict[str, Any]]) -> list[str]:
    """The timed rules in words: each deadline, what is due, its escalation in order, the words cited."""
    if timed is None:
        return [""] + _field("", "timed rules: none (the pack has no timed section: nothing is due by a deadline "
                             "during a visit or on a day of absence)", indent=0)
    rules = timed["visit"] + timed["absence"]
    if not rules:
        lines = [""] + _field("", "timed rules: none. The pack encodes no deadline during a visit and no day of "
                              "absence; the timed catalogue below says why for each of the policy's statements about "
                              "time.", indent=0)
    else:
        lines = ["", f"timed rules: {len(rules)} ({len(timed['visit'])} during a visit, for policyengine monitor; "
                 f"{len(timed['absence'])} on days of absence, for policyengine due):"]
    for rule in rules:
        words = rule["words"]
        kind = "during a visit" if rule["kind"] == "visit" else "absence trigger"
        lines += ["", f"{rule['id']}  [{kind}]" + (f"  {rule['title']}" if rule["title"] else "")]
        lines += _field("  deadline:", words["deadline"], indent=14)
        if words["only_if"]:
            lines += _field("  only if:", words["only_if"], indent=14)
        if words["met_by"]:
            lines += _field("  met if:", words["met_by"], indent=14)
        if words["ends"]:
            lines += _field("  ends if:", words["ends"], indent=14)
        lines += _field("  due:", f"{rule['who']} ({rule['action']}): {rule['message']}", indent=14)
        if rule["steps"]:
            lines += _field("  escalation:", f"{rule['escalation']}, step by step while it goes unanswered:", indent=14)
            for n, step in enumerate(rule["steps"], 1):
                lines += _field(f"    {n}.", f"{step['after']}: {step['who']} ({step['action']}): {step['message']}",
                                indent=7)
                lines += _cites(step["citation"], "       cites:", indent=14)
        if rule["notes"]:
            lines += _field("  notes:", rule["notes"], indent=14)
        lines += _cites(rule["citation"])
    calendar = timed["calendar"]
    if calendar is not None:
        terms = ", ".join(f"{t['start']} to {t['end']}" for t in calendar["terms"])
        off = len(calendar["inset_days"]) + len(calendar["closures"])
        holidays = "England's bank holidays are not school days" if calendar["bank_holidays"] == "england" else \
            "bank holidays are not counted apart"
        lines += ["", *_field("calendar:", f"terms {terms}; {off} INSET or closure day(s); {holidays}", indent=10)]
    elif timed["absence"]:
        lines += ["", *_field("calendar:", "none in the pack: policyengine due counts school days from a calendar "
                              "file (--calendar)", indent=10)]
    entries = timed["catalogue"]
    if entries:
        untimed = sum(1 for e in entries if e["not_timed"])
        lines += ["", f"timed catalogue: {len(entries)} statements of the policy about time ({len(entries) - untimed} "
                  f"encoded by timed rules, {untimed} not)"]
        for entry in entries:
            lines += [""] + _field("", f"{entry['section']}: \"{entry['quote']}\"", indent=2)
            if entry["rules"]:
                lines += _field("    timed rules:", ", ".join(entry["rules"]), indent=19)
            if entry["no_number"]:
                lines += _field("    no number:", entry["no_number"], indent=19)
            if entry["not_timed"]:
                lines += _field("    no timed rule:", entry["not_timed"], indent=19)
    return lines
