"""From a visit and a pack to a decision."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from pydantic import BaseModel

from ._errors import DecisionError, InputError, PolicyEngineError, Problem, UnknownSchoolError
from ._facts import flatten
from ._limits import NESTING_DEPTH, VISIT_FILE_BYTES
from ._models import Citation, Decision, Finding, OnArrival, Outcome, Visit, phase_contradiction, phase_of
from ._patch import merge_patch
from ._pack import CompiledPack, PackBase, compile_pack, load_pack
from ._validation import validate
from ._yaml import Loaded, from_mapping, load_file

ENGINES = ("durable", "python")

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
    except Exception as exc:
        # Plain data (what files give) runs no code of the caller's while it is validated, so the
        # exception came from elsewhere (a signal handler, a bug): not bad input. Only an odd object
        # deep inside a caller's mapping makes it bad input.
        odd = _not_plain(loaded.data)
        if odd is None:
            raise
        raise InputError(Problem(loaded.file, None, None, f"not plain data: {odd} ({exc!r})")) from None
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


_PLAIN = (str, int, float, bool, type(None), datetime, date)


def _not_plain(data: Any, depth: int = 0) -> Optional[str]:
    """What in ``data`` is not plain data (mappings, lists, text, numbers, dates, policyengine's own
    models), or None when all of it is."""
    if depth > NESTING_DEPTH:
        return "data nested too deeply"
    if type(data) in (dict, list, tuple):
        items = data.items() if type(data) is dict else enumerate(data)
        for key, value in items:
            if type(data) is dict and type(key) is not str:
                return f"a key of type {type(key).__name__}"
            found = _not_plain(value, depth + 1)
            if found:
                return found
        return None
    if type(data) in _PLAIN or isinstance(data, BaseModel) and type(data).__module__.startswith("policyengine."):
        return None
    return f"a value of type {type(data).__name__}"


def load_visit(path: str | Path) -> Visit:
    """Read a visit from a YAML or JSON file; raise :class:`InputError` naming file, line and field."""
    return parse_visit(load_file(path, VISIT_FILE_BYTES))


class EngineUnavailableError(InputError):
    """An engine was asked for that cannot run on this Python (durable-rules does not import on 3.13)."""


def available_engines() -> tuple[str, ...]:
    """The engines that can be used on this Python: ``("durable", "python")`` where durable-rules
    imports (3.11, 3.12), ``("python",)`` where it does not (3.13)."""
    # Imported when first needed, as make_engine does: importing durable-rules costs start-up time.
    from ._engine_durable import available

    return ENGINES if available() else ("python",)


def default_engine() -> str:
    """The engine used when none is named: ``durable`` where it is available, else ``python`` (which
    gives the same decisions)."""
    return available_engines()[0]


def resolve_engine(engine: Optional[str]) -> str:
    """``engine`` checked (``None`` is the default); raise :class:`InputError` saying what to do."""
    if engine is None:
        return default_engine()
    if engine not in ENGINES:
        raise InputError(Problem("<engine>", None, None, f"unknown engine '{engine}'; use one of: {', '.join(ENGINES)}"))
    if engine not in available_engines():
        from ._engine_durable import unavailable_reason

        raise EngineUnavailableError(
            Problem(
                "<engine>",
                None,
                None,
                f"the '{engine}' engine is not available: {unavailable_reason()}. Use the 'python' engine "
                "(the default here), which gives the same decisions, or Python 3.11 or 3.12 for durable-rules",
            )
        )
    return engine


#: Compiled engines kept: about 1 MB each (durable-rules' rulesets and the compiled conditions).
#: A pack spread over several rulesets (a very large pack) counts once per ruleset.
ENGINE_CACHE_SIZE = 32


class _Engines:
    """Compiled packs and engines, built once per pack content and engine kind, least recently used
    dropped beyond :data:`ENGINE_CACHE_SIZE` (a dropped durable engine's rulesets are freed once no
    check is using it).

    A pack's digest hashes its whole content (about 150 us), so it is remembered for the packs seen
    last: ``load_pack`` hands back the same object for an unchanged file.
    """

    def __init__(self):
        # Re-entrant: an interrupt can land between a block's end and the lock's release (CPython
        # runs the release as ordinary code), and a caller that catches it and goes on must not hang.
        self._lock = threading.RLock()
        self._engines: OrderedDict[tuple, Any] = OrderedDict()
        self._digests: OrderedDict[int, tuple[PackBase, str]] = OrderedDict()

    def digest(self, pack: PackBase) -> str:
        seen = self._digests.get(id(pack))
        if seen is not None and seen[0] is pack:
            return seen[1]
        digest = pack.digest
        with self._lock:
            self._digests[id(pack)] = (pack, digest)
            while len(self._digests) > ENGINE_CACHE_SIZE:
                self._digests.popitem(last=False)
        return digest

    def get(self, pack: PackBase, engine: Optional[str]):
        engine = resolve_engine(engine)
        key = (self.digest(pack), engine)
        with self._lock:
            found = self._engines.get(key)
            # An engine abandoned after an interrupted or failed check is replaced, never reused.
            if found is None or found.broken:
                found = build_engine(pack, engine)
                self._engines[key] = found
                size = 0
                for cached_key in list(reversed(self._engines)):
                    size += _weight(self._engines[cached_key])
                    if size > ENGINE_CACHE_SIZE and cached_key != key:
                        del self._engines[cached_key]
            else:
                self._engines.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
            self._digests.clear()

    def after_fork_in_child(self) -> None:
        # Another thread may have held the lock at the fork; engines built before it are dropped
        # (their durable-rules sessions are the parent's).
        self._lock = threading.RLock()
        self._engines = OrderedDict()
        self._digests = OrderedDict()


def _weight(engine) -> int:
    return len(getattr(engine, "rulesets", ())) or 1


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
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _engines.after_fork_in_child())


def visit_json(visit: Visit) -> dict:
    """The visit as plain JSON data (what remedies patch)."""
    return visit.model_dump(mode="json", exclude_none=True)


def visit_digest(visit: Visit) -> str:
    canonical = json.dumps(visit_json(visit), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def build_decision(compiled: CompiledPack, visit: Visit, fired: Iterable[str], today: Optional[date] = None) -> Decision:
    """The decision for ``visit`` given the ids of the rules that fired: each finding takes its
    rule's outcome in the visit's phase (engines only say which rules fired)."""
    pack = compiled.pack
    rules = compiled.rules_by_id
    phase = phase_of(visit)
    as_json = None  # only a remedy needs the visit as JSON; most findings do not
    findings = []
    for rule_id in fired:
        rule, citation, outcomes = rules[rule_id]
        outcome = outcomes.get(phase)
        if outcome is None:  # its condition excludes the phases it is off in: an engine misread it
            raise DecisionError(f"rule '{rule_id}' fired in the {phase} phase, where it does not apply")
        remedy = None
        if outcome is not Outcome.PERMITTED:
            if as_json is None:
                as_json = visit_json(visit)
            remedy = compiled.remedy_for(rule, as_json)
            if remedy is not None and visit.phase is not None:
                remedy = _with_phase(as_json, remedy)
        findings.append(
            Finding(
                rule=rule.id,
                outcome=outcome,
                message=rule.message,
                # A reminder asks for nothing now: what it tells staff is in its message.
                conditions=list(rule.conditions) if outcome is not Outcome.PERMITTED else [],
                remedy=remedy,
                citation=citation,
                # A kind gives a remedy wherever a change staff can make removes its finding (the
                # property tests hold it to that), so a blocked finding without one is final.
                final=outcome is Outcome.BLOCKED and remedy is None,
            )
        )
    if today is not None and pack.review_due is not None and today > pack.review_due:
        findings.append(review_reminder(pack))
    # Most severe first; among blocked findings, final ones (the visit ends here) before the rest.
    findings.sort(key=lambda f: (-f.outcome.severity, not f.final, f.rule))
    outcome = max((f.outcome for f in findings), key=lambda o: o.severity, default=Outcome.PERMITTED)
    return Decision(
        school=pack.id,
        pack_version=pack.version,
        pack_digest=compiled.digest,
        phase=phase,
        outcome=outcome,
        findings=findings,
    )


def _with_phase(visit: dict, remedy: dict) -> dict:
    """``remedy`` for a visit that names its phase: where the remedy moves the visit to another
    phase (staying on the doorstep, say, when no room was given), it also drops the stated phase,
    so the patched visit is valid and its facts say which phase it is in."""
    patched = merge_patch(visit, remedy)
    door = patched.get("on_arrival")
    try:
        arrival = OnArrival.model_validate(door) if door is not None else None
    except Exception:  # the patched visit is refused later, with the rule named
        return remedy
    if phase_contradiction(patched.get("phase"), arrival) is None:
        return remedy
    return {**remedy, "phase": None}


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


def decide(pack: PackBase, visit: Visit, engine: Optional[str] = None, today: Optional[date] = None) -> Decision:
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
    engine: Optional[str] = None,
    *,
    registry=None,
    today: Optional[date] = None,
    share_visit: bool = False,
) -> Decision:
    """Decide whether ``visit`` may go ahead under ``school``'s rule pack.

    ``visit`` is a :class:`Visit` or a mapping of its fields. ``school`` is a pack id (or a pack
    file path); it may be omitted when the visit names its school. ``engine`` is ``"durable"``
    (durable-rules) or ``"python"``; both give the same decisions. By default durable where it is
    available (see :func:`available_engines`), else python. ``today`` (a ``date``) adds a
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
