"""The policy: a school's rule pack compiled once, with its engine, ready to decide visits.

A :class:`Policy` is what a caller holds, as OPA's prepared query or httpx's ``Client``: compiled
from a pack (every rule's condition, its outcome in each phase of a visit, its citation) with the
engine that evaluates the conditions, it validates a visit, flattens it into the fact, asks the
engine which rules fire, and builds the decision (findings with their citations and remedies), then
tells the registry's decision listeners. ``check(visit, school=...)`` finds the policy for the
school (the pack is looked up once per file version, the policy once per pack content and engine)
and calls it.

``today`` has one meaning wherever it is taken (``check``, ``check_many``, ``decide``, ``remedy``,
``combined_remedy`` and the :class:`Policy` methods): the date against which the pack's review date
is judged, adding a reminder to every decision once the policy is overdue for review; ``None`` is
the system date. What the rules decide never depends on it; ``Policy.decide(...,
review_reminder=False)`` leaves the reminder out (a pack's examples, a comparison of two packs).

Fail closed: any error while deciding is raised (an internal one as :class:`DecisionError`), never
turned into a decision, and an engine left in an unknown state by an interrupt is replaced.
"""

from __future__ import annotations

import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Optional, TypeVar, Union

from ._errors import DecisionError, InputError, PolicyEngineError, Problem
from ._patch import merge_patch
from ._remedy import fold_remedies
from ._visits import VisitLike, parse_visit, school_for
from .engines.base import Engine, make_engine, resolve_engine
from .facts import flatten
from .models import (
    Citation,
    Decision,
    Finding,
    OnArrival,
    Outcome,
    Visit,
    VisitSummary,
    phase_contradiction,
    phase_of,
    visit_digest,
    visit_json,
)
from .packs.load import CompiledPack, PackBase, compile_pack, file_version, load_pack, pack_file
from .plugins.registry import Registry, registry_or_default

#: Policies kept (each with its compiled pack and engine, about 1 MB with durable-rules' rulesets),
#: least recently used dropped beyond this; a policy spread over several rulesets (a very large
#: pack on the durable engine) counts once per ruleset. A dropped durable engine's rulesets are
#: freed once no check is using it.
POLICY_CACHE_SIZE = 32

T = TypeVar("T")


class Policy:
    """A rule pack compiled for deciding visits, with its engine.

    Get one with :func:`policyengine.policy` (``policy("tcat")``: built once per pack version and
    engine, and shared) or build your own with ``Policy(pack, engine=..., registry=...)``. Then
    :meth:`check` decides one visit, :meth:`check_many` many, and :meth:`remedy` says what would
    make a visit permitted. ``engine`` is ``"durable"`` or ``"python"`` (``None``: the default here,
    see :func:`policyengine.available_engines`); ``registry`` chooses the plugin facts a visit may
    give and the listeners told of each decision (by default the built-ins and installed plugins).

    Thread-safe: one policy may decide in many threads at once.
    """

    def __init__(self, pack: PackBase, *, engine: Optional[str] = None, registry: Optional[Registry] = None,
                 compiled: Optional[CompiledPack] = None) -> None:
        self.pack = pack
        self._registry = registry
        self.engine_name = resolve_engine(engine)
        #: Every rule's condition, outcome per phase and citation, built once.
        self.compiled = compiled if compiled is not None else _compiled(pack)
        self._lock = threading.RLock()
        self._engine = self._build_engine()

    @classmethod
    def load(cls, school: Union[str, Path], *, engine: Optional[str] = None,
             registry: Optional[Registry] = None) -> Policy:
        """The policy for ``school`` (a pack id or a pack file), from the cache: the same object
        while the pack file and the registry are unchanged."""
        return policy(school, engine=engine, registry=registry)

    @classmethod
    def with_engine(cls, engine: Engine, *, registry: Optional[Registry] = None) -> Policy:
        """A policy deciding with an engine already built for a compiled pack (``engine.compiled``):
        for tests, which hand in engines broken on purpose. It is never replaced."""
        made = cls.__new__(cls)
        made.pack = engine.compiled.pack
        made._registry = registry
        made.engine_name = engine.name
        made.compiled = engine.compiled
        made._lock = threading.RLock()
        made._engine = engine
        made._generation = _fork_generation[0]
        made._fixed = True
        return made

    _fixed = False

    @property
    def registry(self) -> Registry:
        """The registry whose plugin facts a visit may give and whose listeners are told of each
        decision (the default one unless the policy was given another)."""
        return registry_or_default(self._registry)

    @property
    def digest(self) -> str:
        """SHA-256 of the pack's content: on every decision as ``pack_digest``."""
        return self.compiled.digest

    @property
    def id(self) -> str:
        """The pack's id."""
        return self.pack.id

    @property
    def engine(self) -> Engine:
        """The engine, rebuilt if the last one was abandoned (an interrupt left it in an unknown
        state) or was built before this process was forked."""
        engine = self._engine
        if not self._fixed and (engine.abandoned or self._generation != _fork_generation[0]):
            with self._lock:
                if self._engine.abandoned or self._generation != _fork_generation[0]:
                    self._engine = self._build_engine()
                engine = self._engine
        return engine

    def _build_engine(self) -> Engine:
        self._generation = _fork_generation[0]
        return _failing_closed(f"compiling rule pack '{self.pack.id}'", make_engine, self.compiled, self.engine_name)

    # -- deciding -----------------------------------------------------------------------------

    def check(self, visit: VisitLike, *, today: Optional[date] = None, share_visit: bool = False) -> Decision:
        """Decide whether ``visit`` (a :class:`Visit` or a mapping of its fields) may go ahead.

        ``today`` (a ``date``; ``None``: the system date) adds a reminder when the policy is overdue
        for review. Decision listeners are told of the decision with a :class:`VisitSummary` of the
        visit, or the visit itself when ``share_visit`` is true. Raises :class:`InputError` for a bad
        visit (or one naming another school), :class:`DecisionError` if anything goes wrong inside
        the engine, and :class:`PluginError` naming a plugin that failed; never returns "permitted"
        on error.
        """
        registry = self.registry
        parsed = parse_visit(visit, registry=registry)
        school_for(parsed, self.pack.id)
        return _told(registry, [parsed], self._decisions([parsed], today), share_visit)[0]

    def check_many(self, visits: Iterable[VisitLike], *, today: Optional[date] = None,
                   share_visit: bool = False) -> list[Decision]:
        """Decide every visit, in order; each decision is exactly what :meth:`check` gives it.

        All or nothing: every visit is validated before any is decided, and :class:`InputError`
        lists one problem per bad visit (its file named ``visits[INDEX]``)."""
        registry = self.registry
        with collector_paused():
            parsed, _ = _parsed_all(visits, self.pack.id, registry, lambda name: self)
            decisions = self._decisions(parsed, today)
        return _told(registry, parsed, decisions, share_visit)

    def decide(self, visit: Visit, *, today: Optional[date] = None, review_reminder: bool = True) -> Decision:
        """The decision for a validated ``visit``, telling no listener. ``today`` as for :meth:`check`;
        ``review_reminder=False`` leaves out the reminder of an overdue review (what the rules
        decide, whatever the date: a pack's examples, a comparison of two packs)."""
        return self._decisions([visit], today, review_reminder)[0]

    def remedy(self, visit: VisitLike, *, today: Optional[date] = None) -> Optional[dict[str, Any]]:
        """One merge patch on ``visit`` that makes it permitted (``{}`` when it already is), or None
        when no combination of the findings' remedies does (see :func:`policyengine.combined_remedy`)."""
        parsed = parse_visit(visit, registry=self.registry)
        day = today or date.today()
        return fold_remedies(lambda v: self.decide(v, today=day), parsed, self.registry)

    def _decisions(self, visits: Sequence[Visit], today: Optional[date], review_reminder: bool = True) -> list[Decision]:
        """The decisions for validated visits: flattened, evaluated by the engine in one call, built.
        Fail closed: an internal error is raised as :class:`DecisionError`, never a decision."""
        engine = self.engine
        compiled = self.compiled
        reviewed = (today or date.today()) if review_reminder else None
        try:
            clock = compiled.clock
            fired = engine.fired_many([flatten(v, clock) for v in visits])
            if len(fired) != len(visits):
                raise DecisionError("the engine returned a different number of results than visits given")
            return [self._decision(visit, sorted(rules), reviewed) for visit, rules in zip(visits, fired, strict=True)]
        except PolicyEngineError:
            raise
        except Exception as exc:  # fail closed: an internal error is an error, never a decision
            raise DecisionError(f"internal error while deciding: {exc!r}") from exc

    @cached_property
    def _rule_parts(self) -> dict[str, tuple[Any, Citation, dict[str, Any], str, tuple[str, ...]]]:
        """Rule id -> (the rule, its citation, its outcome per phase, its message, its conditions):
        what every finding of the rule carries, made once per policy."""
        return {rid: (rule, citation, outcomes, rule.message, tuple(rule.conditions))
                for rid, (rule, citation, outcomes) in self.compiled.rules_by_id.items()}

    def _decision(self, visit: Visit, fired: Iterable[str], today: Optional[date]) -> Decision:
        """The decision for ``visit`` given the ids of the rules that fired: each finding takes its
        rule's outcome in the visit's phase (engines only say which rules fired).

        Findings and the decision are validated as they are built: pydantic-core does it faster
        than ``model_construct`` skips it (measured with pydantic 2.14: 6 us a finding against 10)."""
        compiled = self.compiled
        pack = compiled.pack
        parts = self._rule_parts
        phase = phase_of(visit)
        as_json = None  # only a remedy needs the visit as JSON; most findings do not
        findings = []
        for rule_id in fired:
            rule, citation, outcomes, message, conditions = parts[rule_id]
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
                    rule=rule_id,
                    outcome=outcome,
                    message=message,
                    # A reminder asks for nothing now: what it tells staff is in its message.
                    conditions=list(conditions) if outcome is not Outcome.PERMITTED else [],
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
        findings.sort(key=_finding_order)
        outcome = findings[0].outcome if findings else Outcome.PERMITTED
        return Decision(
            school=pack.id,
            pack_version=pack.version,
            pack_digest=compiled.digest,
            phase=phase,
            outcome=outcome,
            findings=findings,
        )



@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector kept out of a batch (check_many): it would walk every
    model the batch has built so far, again and again, so a batch's cost per visit grew with its
    size. Decisions hold no reference cycles, so nothing is left for it meanwhile. The caller's
    setting is restored exactly, even on an exception or interrupt, and batches in several threads
    at once restore it when the last one ends (a caller that disabled the collector keeps it off)."""
    global _paused, _was_enabled
    with _pause_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


#: Batches running now with the collector paused, and whether it was enabled when the first began.
_paused = 0
_was_enabled = False
_pause_lock = threading.RLock()  # re-entrant: see _Policies


def _collector_after_fork_in_child() -> None:
    # The batches that paused the collector run in the parent, not here: restore it now.
    global _paused, _pause_lock
    _pause_lock = threading.RLock()
    if _paused and _was_enabled:
        gc.enable()
    _paused = 0


def _finding_order(finding: Finding) -> tuple[Any, ...]:
    return (-finding.outcome.severity, not finding.final, finding.rule)


def _parsed_all(visits: Iterable[VisitLike], school: Optional[str], registry: Registry,
                find: Callable[[str], Policy]) -> tuple[list[Visit], list[Policy]]:
    """Every visit validated, with the policy it is decided under (``find`` of ``school``, else of
    the visit's own). All or nothing: :class:`InputError` lists one problem per bad visit (or
    unknown school), in order, its file named ``visits[INDEX]``."""
    parsed: list[Visit] = []
    policies: list[Policy] = []
    found: dict[str, Union[Policy, InputError]] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(visits):
        where = f"visits[{index}]"
        try:
            visit = parse_visit(raw, file=where, registry=registry)
            name = school_for(visit, school)
            if name not in found:
                try:
                    found[name] = find(name)
                except InputError as exc:  # said once per visit that names it
                    found[name] = exc
            chosen = found[name]
            if isinstance(chosen, InputError):
                raise chosen
        except InputError as exc:
            problems.extend(located(p, where) for p in exc.problems)
            continue
        parsed.append(visit)
        policies.append(chosen)
    if problems:
        raise InputError(problems)
    return parsed, policies


def _told(registry: Registry, visits: Sequence[Visit], decisions: list[Decision], share_visit: bool) -> list[Decision]:
    """``decisions``, once every listener of ``registry`` has been told of each, in order (with a
    summary of its visit, or the visit itself when ``share_visit``); :class:`PluginError` if any
    listener failed."""
    if registry.has_listeners():
        registry.decisions_made(
            (decision, visit if share_visit else VisitSummary(school=decision.school, purpose=visit.purpose,
                                                              digest=visit_digest(visit)))
            for visit, decision in zip(visits, decisions, strict=True)
        )
    return decisions


def _compiled(pack: PackBase) -> CompiledPack:
    """``pack`` compiled; a rule kind that fails while compiling (its ``trigger`` raises or returns
    something that is not a condition) is an error while deciding, never a raw exception."""
    return _failing_closed(f"compiling rule pack '{pack.id}'", compile_pack, pack)


def _failing_closed(doing: str, fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except PolicyEngineError:
        raise
    except Exception as exc:
        raise DecisionError(f"internal error while {doing}: {exc!r}") from exc


def _with_phase(visit: dict[str, Any], remedy: dict[str, Any]) -> dict[str, Any]:
    """``remedy`` for a visit that names its phase: where the remedy moves the visit to another
    phase (staying on the doorstep, say, when no room was given), it also drops the stated phase,
    so the patched visit is valid and its facts say which phase it is in."""
    door = _patched(visit, remedy, "on_arrival")  # only these two keys of the patched visit matter
    try:
        arrival = OnArrival.model_validate(door) if door is not None else None
    except Exception:  # the patched visit is refused later, with the rule named
        return remedy
    if phase_contradiction(_patched(visit, remedy, "phase"), arrival) is None:
        return remedy
    return {**remedy, "phase": None}


def _patched(visit: dict[str, Any], patch: dict[str, Any], key: str) -> Any:
    """``merge_patch(visit, patch)[key]`` (None when absent), patching only that key's value."""
    if key not in patch:
        return visit.get(key)
    value = patch[key]
    return None if value is None else merge_patch(visit.get(key), value)


def review_reminder(pack: PackBase) -> Finding:
    """The reminder on every decision of a policy past its review date."""
    due = pack.review_due
    when = f"{due.day} {due:%B %Y}"  # type: ignore[union-attr]  # called only when review_due is set
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


def located(problem: Problem, where: str) -> Problem:
    """``problem`` said of the visit at ``where`` (its index), keeping any line and field."""
    if problem.file.startswith("visits["):
        return problem
    message = problem.message
    if problem.field and problem.field not in message:
        message = f"{problem.field}: {message}"
    return Problem(where, problem.line, problem.column, message, field=problem.field)


# -- the cache of policies ------------------------------------------------------------------------


class _Policies:
    """Policies by pack content (its digest), engine and registry, least recently used dropped
    beyond :data:`POLICY_CACHE_SIZE`; and which one a name (a pack id or file) stands for, while
    the file it was loaded from is unchanged, so a check by name costs one lookup and one ``stat``.
    """

    def __init__(self) -> None:
        # Re-entrant: an interrupt can land between a block's end and the lock's release (CPython
        # runs the release as ordinary code), and a caller that catches it and goes on must not hang.
        self._lock = threading.RLock()
        self._found: OrderedDict[tuple[Any, ...], Policy] = OrderedDict()
        # (name, engine, registry token, folder a relative file is found from) ->
        # (the pack's file or None, its version when loaded, the key of its policy in _found)
        self._named: OrderedDict[tuple[Any, ...], tuple[Optional[str], Optional[tuple[Any, ...]], tuple[Any, ...]]] = OrderedDict()

    def named(self, school: Union[str, Path], engine: Optional[str], registry: Registry) -> Policy:
        if not isinstance(school, (str, Path)):  # not a name: load_pack says what is wrong
            return self.get(load_pack(school, registry=registry), engine, registry)
        engine = resolve_engine(engine)  # every time: whether an engine can run here is asked each check
        key = (school, engine, registry.token, _folder_for(school))
        seen = self._named.get(key)
        if seen is not None:
            file, version, found_key = seen
            found = self._found.get(found_key)
            if found is not None and (file is None or file_version(file) == version):
                try:
                    self._found.move_to_end(found_key)
                except KeyError:  # dropped by another thread meanwhile
                    pass
                return found
        file = pack_file(school, registry=registry)
        version = file_version(file) if file is not None else None  # before loading: an edit meanwhile shows next time
        pack = load_pack(school, registry=registry)
        found = self.get(pack, engine, registry)
        with self._lock:
            self._named[key] = (file, version, (pack.digest, found.engine_name, registry.token))
            self._named.move_to_end(key)
            while len(self._named) > 4 * POLICY_CACHE_SIZE:
                self._named.popitem(last=False)
        return found

    def get(self, pack: PackBase, engine: Optional[str], registry: Optional[Registry]) -> Policy:
        name = resolve_engine(engine)
        registry = registry_or_default(registry)
        key = (pack.digest, name, registry.token)
        found = self._found.get(key)
        if found is not None:
            try:
                self._found.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile
                pass
            return found
        with self._lock:
            found = self._found.get(key)
            if found is None:
                found = self._found[key] = Policy(pack, engine=name, registry=registry)
                size = 0
                for cached_key in list(reversed(self._found)):
                    size += self._found[cached_key]._engine.weight
                    if size > POLICY_CACHE_SIZE and cached_key != key:
                        del self._found[cached_key]
            return found

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._named.clear()

    def after_fork_in_child(self) -> None:
        # Another thread may have held the lock at the fork; policies built before it are dropped
        # (their durable-rules sessions are the parent's), and any a caller holds rebuild their engine.
        self._lock = threading.RLock()
        self._found = OrderedDict()
        self._named = OrderedDict()
        _fork_generation[0] += 1


def _folder_for(school: Union[str, Path]) -> Optional[str]:
    """The working folder, for a pack file named by a relative path (the same name is another
    file from another folder); None for a pack id or a full path."""
    if isinstance(school, Path) or school.endswith((".yaml", ".yml", ".json")):
        return None if os.path.isabs(school) else os.getcwd()
    return None


_policies = _Policies()
#: Bumped in a forked child: an engine built before the fork is rebuilt before it is used there.
_fork_generation = [0]
if hasattr(os, "register_at_fork"):
    def _after_fork_in_child() -> None:
        _policies.after_fork_in_child()
        _collector_after_fork_in_child()

    os.register_at_fork(after_in_child=_after_fork_in_child)


def policy(school: Union[str, Path, PackBase], *, engine: Optional[str] = None,
           registry: Optional[Registry] = None) -> Policy:
    """The :class:`Policy` for ``school``: a pack id (``"tcat"``), a pack file, or a loaded pack.

    Built once per pack content, engine and registry, and kept (the pack file is looked up again on
    each call, so an edited file gives a new policy). Raises :class:`UnknownSchoolError` for an
    unknown id, :class:`InputError` for a pack with problems and :class:`PluginError` for a
    plugin's pack that cannot be used.
    """
    registry = registry_or_default(registry)
    if isinstance(school, PackBase):
        return _policies.get(school, engine, registry)
    return _policies.named(school, engine, registry)


# -- the module-level functions: find the policy, and call it --------------------------------------


def check(
    visit: VisitLike,
    school: Optional[str] = None,
    engine: Optional[str] = None,
    *,
    registry: Optional[Registry] = None,
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
    turned into "permitted". The same as ``policy(school).check(visit)``.
    """
    registry = registry_or_default(registry)
    parsed = parse_visit(visit, registry=registry)
    found = policy(school_for(parsed, school), engine=engine, registry=registry)
    return _told(registry, [parsed], found._decisions([parsed], today), share_visit)[0]


def check_many(
    visits: Iterable[VisitLike],
    school: Optional[str] = None,
    engine: Optional[str] = None,
    *,
    registry: Optional[Registry] = None,
    today: Optional[date] = None,
    share_visit: bool = False,
) -> list[Decision]:
    """Decide every visit; the decisions come back in the order of ``visits``.

    Each decision is exactly what :func:`check` gives for that visit. ``school`` applies to every
    visit; when it is omitted, each visit's own ``school`` field chooses its pack, so one call may
    span several schools.

    All or nothing: every visit is validated (and its school looked up) before any is decided. If
    any is bad, :class:`InputError` is raised with one problem per bad visit, its file named
    ``visits[INDEX]`` (counting from 0), and no decisions are returned, so a bad visit is never
    silently dropped. To skip bad visits and go on (as ``policyengine audit`` does), validate each
    with :func:`parse_visit` first and pass only the good ones. :class:`DecisionError` is raised if
    anything goes wrong inside the engine.

    Decision listeners are told of every decision, as by :func:`check` (``share_visit`` likewise);
    if any listener fails, :class:`PluginError` is raised once every decision has been told.
    """
    registry = registry_or_default(registry)
    with collector_paused():
        parsed, policies = _parsed_all(visits, school, registry, lambda name: policy(name, engine=engine, registry=registry))
        today = today or date.today()  # one day for the whole batch
        decisions: list[Optional[Decision]] = [None] * len(parsed)
        groups: dict[Policy, list[int]] = {}  # each policy's visits, decided in one call
        for index, found in enumerate(policies):
            groups.setdefault(found, []).append(index)
        for found, indexes in groups.items():
            for i, decision in zip(indexes, found._decisions([parsed[i] for i in indexes], today), strict=True):
                decisions[i] = decision
    # Told through the caller's registry (the one that found the policies), in the visits' order.
    return _told(registry, parsed, decisions, share_visit)  # type: ignore[arg-type]  # every one decided


def decide(pack: PackBase, visit: Visit, engine: Optional[str] = None, today: Optional[date] = None) -> Decision:
    """Decide a validated ``visit`` under a loaded ``pack`` with the named engine, telling no
    listener. ``today`` as for :func:`check`: the date the review reminder is judged against,
    ``None`` the system date (it once meant "never remind"; for that, use
    ``policy(pack).decide(visit, review_reminder=False)``). Never returns "permitted" on error. The
    same as ``policy(pack, engine=engine).decide(visit, today=today)``."""
    return policy(pack, engine=engine).decide(visit, today=today)


def decide_with(engine: Engine, visit: Visit, today: Optional[date] = None) -> Decision:
    """Decide ``visit`` with an engine already built (tests pass engines broken on purpose);
    ``today`` as for :func:`decide`."""
    return Policy.with_engine(engine).decide(visit, today=today)


def combined_remedy(visit: VisitLike, school: Optional[str] = None, engine: Optional[str] = None, *,
                    registry: Optional[Registry] = None, today: Optional[date] = None) -> Optional[dict[str, Any]]:
    """One merge patch on ``visit`` that makes it permitted under ``school``'s pack (``{}`` when it
    already is), or None when no combination of the findings' remedies does. Arguments as for
    :func:`check`; apply the result with :func:`merge_patch`."""
    registry = registry_or_default(registry)
    parsed = parse_visit(visit, registry=registry)
    return policy(school_for(parsed, school), engine=engine, registry=registry).remedy(parsed, today=today)
