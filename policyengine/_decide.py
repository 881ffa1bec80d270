"""From a visit and a pack to a decision."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from ._errors import DecisionError, InputError, PolicyEngineError, Problem, UnknownSchoolError
from ._facts import flatten
from ._models import Citation, Decision, Finding, Outcome, Visit
from ._pack import CompiledPack, PackBase, compile_pack, load_pack
from ._validation import validate
from ._yaml import Loaded, from_mapping, load_file

ENGINES = ("durable", "python")
_SEVERITY = {"permitted": 0, "conditional": 1, "blocked": 2}

VisitLike = Union[Visit, Mapping[str, Any]]


def parse_visit(data: VisitLike | Loaded, file: str = "<visit>", registry=None) -> Visit:
    """A :class:`Visit` from a mapping (or loaded YAML); raise :class:`InputError` with every problem.

    Facts a visit gives under ``facts`` are checked against those the plugins of ``registry`` add
    (by default the installed ones)."""
    if isinstance(data, Visit):
        return _with_plugin_facts(data, None, registry)
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    # A plain dict is validated as it is (no JSON round trip: that doubled the cost of a check);
    # pydantic's strict fields refuse what JSON could not carry.
    loaded = data if isinstance(data, Loaded) else Loaded(data, file, {}) if isinstance(data, dict) else from_mapping(data, file)
    if not isinstance(loaded.data, dict):
        raise InputError(Problem(loaded.file, 1, 1, "a visit must be a mapping of fields (purpose, start, staff...)"))
    try:
        visit = validate(Visit, loaded)
    except InputError:
        raise
    except Exception as exc:  # a value pydantic cannot even inspect (an odd object deep inside)
        raise InputError(Problem(loaded.file, None, None, f"not plain data: {exc}")) from None
    return _with_plugin_facts(visit, loaded, registry)


def _with_plugin_facts(visit: Visit, loaded: Optional[Loaded], registry) -> Visit:
    """``visit``, once the plugin facts it gives are known to ``registry``, of the right type and
    phase; else :class:`InputError` at each fact's line."""
    if not visit.facts:
        return visit
    from ._plugin_facts import phase_of, value_problems
    from ._plugins import default_registry

    wrong = value_problems(visit.facts, (registry or default_registry()).facts(), phase_of(visit))
    if wrong:
        file = loaded.file if loaded is not None else "<visit>"
        raise InputError([
            Problem(file, *(loaded.position(("facts", name)) if loaded is not None else (None, None)), message,
                    field=f"facts.{name}")
            for name, message in wrong
        ])
    return visit


def load_visit(path: str | Path) -> Visit:
    """Read a visit from a YAML or JSON file; raise :class:`InputError` naming file, line and field."""
    return parse_visit(load_file(path))


class _Engines:
    """Compiled packs and engines, built once per pack content and engine kind.

    A pack's digest hashes its whole content (about 150 us), so it is remembered per pack object:
    ``load_pack`` hands back the same object for an unchanged file, and the memo keeps a reference
    to each pack it has seen, so an ``id`` is never reused while it is a key.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._engines: dict[tuple, Any] = {}
        self._digests: dict[int, tuple[PackBase, str]] = {}

    def digest(self, pack: PackBase) -> str:
        seen = self._digests.get(id(pack))
        if seen is not None and seen[0] is pack:
            return seen[1]
        digest = pack.digest
        with self._lock:
            if len(self._digests) > 256:
                self._digests.clear()
            self._digests[id(pack)] = (pack, digest)
        return digest

    def get(self, pack: PackBase, engine: str):
        if engine not in ENGINES:
            raise InputError(
                Problem("<engine>", None, None, f"unknown engine '{engine}'; use one of: {', '.join(ENGINES)}")
            )
        key = (self.digest(pack), engine)
        found = self._engines.get(key)
        if found is not None and not getattr(found, "broken", False):
            return found
        with self._lock:
            found = self._engines.get(key)
            # An engine whose session was abandoned by the hang guard is replaced, never reused.
            if found is None or getattr(found, "broken", False):
                found = build_engine(pack, engine)
                self._engines[key] = found
            return found


def build_engine(pack: PackBase, engine: str):
    """Compile ``pack`` and build the named engine for it. A rule kind that fails while compiling
    (its ``trigger`` raises or returns something that is not a condition) is an error while
    deciding, raised as :class:`DecisionError` like any other: never a raw exception."""
    try:
        return make_engine(compile_pack(pack), engine)
    except PolicyEngineError:
        raise
    except Exception as exc:
        raise DecisionError(f"internal error while compiling rule pack '{pack.id}': {exc!r}") from exc


def make_engine(compiled: CompiledPack, engine: str):
    if engine == "python":
        from ._engine_python import PythonEngine

        return PythonEngine(compiled)
    from ._engine_durable import DurableEngine

    return DurableEngine(compiled)


_engines = _Engines()


def visit_json(visit: Visit) -> dict:
    """The visit as plain JSON data (what remedies patch)."""
    return visit.model_dump(mode="json", exclude_none=True)


def visit_digest(visit: Visit) -> str:
    canonical = json.dumps(visit_json(visit), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def build_decision(compiled: CompiledPack, visit: Visit, fired: Iterable[str], today: Optional[date] = None) -> Decision:
    """The decision for ``visit`` given the ids of the rules that fired."""
    pack = compiled.pack
    rules = _rules_of(compiled)
    as_json = None  # only a remedy needs the visit as JSON; most findings do not
    findings = []
    for rule_id in fired:
        rule, citation = rules[rule_id]
        remedy = None
        if rule.outcome != "permitted":
            if as_json is None:
                as_json = visit_json(visit)
            remedy = compiled.remedy_for(rule, as_json)
        findings.append(
            Finding(
                rule=rule.id,
                outcome=Outcome(rule.outcome),
                message=rule.message,
                conditions=list(rule.conditions),
                remedy=remedy,
                citation=citation,
                # A kind gives a remedy wherever a change staff can make removes its finding (the
                # property tests hold it to that), so a blocked finding without one is final.
                final=rule.outcome == "blocked" and remedy is None,
            )
        )
    if today is not None and pack.review_due is not None and today > pack.review_due:
        findings.append(review_reminder(pack))
    # Most severe first; among blocked findings, final ones (the visit ends here) before the rest.
    findings.sort(key=lambda f: (-_SEVERITY[f.outcome.value], not f.final, f.rule))
    outcome = max((f.outcome for f in findings), key=lambda o: _SEVERITY[o.value], default=Outcome.PERMITTED)
    return Decision(
        school=pack.id,
        pack_version=pack.version,
        pack_digest=compiled.digest,
        outcome=outcome,
        findings=findings,
    )


_rule_memo: dict[int, tuple[CompiledPack, dict]] = {}


def _rules_of(compiled: CompiledPack) -> dict:
    """Rule id -> (rule, its citation), built once per compiled pack (citations are frozen)."""
    seen = _rule_memo.get(id(compiled))
    if seen is not None and seen[0] is compiled:
        return seen[1]
    pack = compiled.pack
    rules = {
        r.rule.id: (
            r.rule,
            Citation(
                document=r.rule.citation.document or pack.document,
                section=r.rule.citation.section,
                quote=r.rule.citation.quote,
            ),
        )
        for r in compiled.rules
    }
    if len(_rule_memo) > 256:
        _rule_memo.clear()
    _rule_memo[id(compiled)] = (compiled, rules)
    return rules


def review_reminder(pack: PackBase) -> Finding:
    due = pack.review_due
    when = f"{due.day} {due:%B %Y}"  # type: ignore[union-attr]
    # The date in plain words; the document's own words (which may be "Annually") are the citation.
    return Finding(
        rule="policy-review-overdue",
        outcome=Outcome.PERMITTED,
        message=(
            f"This policy was due for review by {when}. It is still the policy in force, but check with "
            "your school that no newer version exists."
        ),
        citation=Citation(document=pack.document, section="Document control", quote=pack.review_due_text)
        if pack.review_due_text
        else None,
    )


def decide(pack: PackBase, visit: Visit, engine: str = "durable", today: Optional[date] = None) -> Decision:
    """Decide ``visit`` under ``pack`` with the named engine. Never returns "permitted" on error."""
    return decide_with(_engines.get(pack, engine), visit, today)


def decide_with(runner, visit: Visit, today: Optional[date] = None) -> Decision:
    """Decide ``visit`` with an engine built by :func:`build_engine` (or any object with its
    ``compiled`` and ``fired``; the property tests pass deliberately broken ones)."""
    try:
        fact = flatten(visit, runner.compiled.clock)
        fired = runner.fired(fact)
        return build_decision(runner.compiled, visit, sorted(fired), today)
    except PolicyEngineError:
        raise
    except Exception as exc:  # fail closed: an internal error is an error, never a decision
        raise DecisionError(f"internal error while deciding: {exc!r}") from exc


def check(
    visit: VisitLike,
    school: Optional[str] = None,
    engine: str = "durable",
    *,
    registry=None,
    today: Optional[date] = None,
    share_visit: bool = False,
) -> Decision:
    """Decide whether ``visit`` may go ahead under ``school``'s rule pack.

    ``visit`` is a :class:`Visit` or a mapping of its fields. ``school`` is a pack id (or a pack
    file path); it may be omitted when the visit names its school. ``engine`` is ``"durable"``
    (durable-rules) or ``"python"``; both give the same decisions. ``today`` (a ``date``) adds a
    reminder when the policy is overdue for review; it defaults to the system date.

    Decision listeners (plugins) are told of the decision with a :class:`VisitSummary` of the visit,
    or the visit itself when ``share_visit`` is true. ``registry`` (a :class:`Registry`) chooses the
    rule kinds, packs and listeners; by default the built-ins and installed plugins.

    Raises :class:`InputError` for a bad visit or unknown school, :class:`DecisionError` if
    anything goes wrong inside the engine, and :class:`PluginError` naming a plugin that failed
    (a rule kind, or a listener, in which case the decision is not returned): an error is never
    turned into "permitted".
    """
    from ._plugins import default_registry

    registry = registry or default_registry()
    parsed = parse_visit(visit, registry=registry)
    school = _school_for(parsed, school)
    pack = load_pack(school, registry=registry)
    decision = decide(pack, parsed, engine, today or date.today())
    if registry.has_listeners():
        from ._models import VisitSummary

        told = parsed if share_visit else VisitSummary(school=pack.id, purpose=parsed.purpose, digest=visit_digest(parsed))
        registry.decision_made(decision, told)
    return decision


def _school_for(visit: Visit, school: Optional[str]) -> str:
    if school is None:
        if visit.school is None:
            raise UnknownSchoolError(Problem("<visit>", None, None, "no school given: pass school=ID (--school ID) or put 'school' in the visit"))
        return visit.school
    if visit.school is not None and str(school) != visit.school and not str(school).endswith((".yaml", ".yml")):
        raise InputError(
            Problem("<visit>", None, None, f"the visit says school '{visit.school}' but it was checked against '{school}'")
        )
    return str(school)
