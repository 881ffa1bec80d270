"""The consistency properties, as functions that say what is wrong (an empty list when nothing is).

Each takes what it checks (a :class:`~tests.properties.subject.Subject` and a visit, or a way of
deciding) rather than finding it itself, so a test can point it at a deliberately broken pack or
engine and see the failure reported, naming the rule. ``tests/test_properties.py`` runs them over
hypothesis' visits and packs; the README's "What 'consistent' means" says them in plain words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from policyengine import Decision, DecisionError, InputError, Outcome, PluginError, merge_patch
from policyengine._numbers import missing_numbers
from policyengine._patch import merge_diff
from policyengine._policy import decide_with
from policyengine._quotes import quote_in
from policyengine._remedy import fold_remedies
from policyengine._visits import parse_visit
from policyengine.conditions.form import fact, facts_used
from policyengine.facts import FIELDS, enum_values, flatten
from policyengine.models import PURPOSES, OnArrival, visit_json
from policyengine.packs import witness
from tests.properties.moves import Move
from tests.properties.subject import Subject
from tests.scenarios import TODAY

#: Facts about the household and about what happened at the door: staff cannot change them by
#: arranging the visit differently. Everything else is something staff arrange (approvals, who
#: goes and what they carry, preparation, the time and length, where to meet, whether the
#: family is asked to shut animals away), so a finding that one of those removes is not final.
FIXED_FACTS = (
    "purpose", "urgency", "first_visit", "animals", "known_risks", "contagious_illness", "arrived",
    "parents_present", "minutes_waited", "responsible_adult_present", "invited_in_by",
    "animal_request_refused", "occupant_concern", "staff_feel_unsafe",
)


#: What staff saw at the door: a remedy never changes one that is known (a remedy may only change
#: what staff can still choose, such as where to meet, or what they ask for, such as animals shut
#: away; and may confirm what is not yet known).
OBSERVED = ("parents_present", "minutes_waited", "responsible_adult_present", "invited_in_by",
            "animal_request_refused", "occupant_concern", "staff_feel_unsafe")


def _refused(visit: dict) -> bool:
    return (visit.get("on_arrival") or {}).get("animal_request_refused") is True


def fixed_facts(visit: dict) -> tuple[str, ...]:
    """The facts staff cannot change for ``visit``: FIXED_FACTS, and after a refusal whether the
    animals are secured (a request refused is not granted by arranging the visit differently)."""
    return FIXED_FACTS + (("animals_secured",) if _refused(visit) else ())


def fired(decision: Decision) -> set[str]:
    return {f.rule for f in decision.findings}


def _open(decision: Decision) -> list:
    return [f for f in decision.findings if f.outcome is not Outcome.PERMITTED]


def _short(visit: dict) -> str:
    return json.dumps(visit, sort_keys=True)


# -- 1. the engines agree -------------------------------------------------------------------------


def engines_agree(subject: Subject, visit: dict) -> list[str]:
    """Every engine gives the same decision: the same outcome and the same rules fired."""
    decisions = {name: subject.decide(visit, name) for name in subject.engines}
    (first, reference), *others = decisions.items()
    problems = []
    for name, decision in others:
        if decision != reference:
            only_first = sorted(fired(reference) - fired(decision))
            only_other = sorted(fired(decision) - fired(reference))
            problems.append(
                f"the {first} and {name} engines disagree ({reference.outcome} / {decision.outcome}): "
                f"rules only {first} fired: {only_first}; only {name}: {only_other}"
            )
    return problems


# -- 2. order and repetition ----------------------------------------------------------------------


def order_and_repetition(variants: list[Subject], visits: list[dict]) -> list[str]:
    """The same decisions whatever the order of the pack's rules, however often it is loaded, and
    however often (and in whatever order, one at a time or in a batch) a visit is decided."""
    reference = variants[0]
    first = [reference.decide(v) for v in visits]
    problems = []
    for variant in variants[1:]:
        for v, expected in zip(visits, first, strict=True):
            got = variant.decide(v)
            if got != expected:
                problems.append(
                    f"{variant.name} decides differently: {expected.outcome} {sorted(fired(expected))} "
                    f"became {got.outcome} {sorted(fired(got))}"
                )
    again = [reference.decide(v) for v in reversed(visits)][::-1]
    for before, after in zip(first, again, strict=True):
        if before != after:
            problems.append(
                f"the same visit decided again gave {after.outcome} {sorted(fired(after))} "
                f"instead of {before.outcome} {sorted(fired(before))}"
            )
    for name, engine in reference.engines.items():
        if name != "durable":
            continue
        facts = [flatten(parse_visit(v), engine.compiled.clock) for v in visits]
        one_by_one = [engine.fired(f) for f in facts]
        batched = engine.fired_many(facts, batch=len(facts))
        if batched != one_by_one:
            problems.append(f"the {name} engine fired {batched} in a batch but {one_by_one} one at a time")
    return problems


# -- 3. monotonic safety --------------------------------------------------------------------------


def monotone(subject: Subject, visit: dict, move: Move, param: int) -> list[str]:
    """Making the visit riskier (one of the moves) never makes the decision more permissive."""
    pair = move.apply(visit, subject.pack.clock, param)
    if pair is None:
        return []
    safer, riskier = pair
    before, after = subject.decide(safer), subject.decide(riskier)
    if after.outcome.severity >= before.outcome.severity:
        return []
    gone = sorted(f.rule for f in before.findings if f.outcome.severity > after.outcome.severity and f.rule not in fired(after))
    return [
        f"'{move.name}' made the visit more permissive ({before.outcome} -> {after.outcome}): "
        f"rule(s) {gone} stopped applying; safer visit {_short(safer)}, riskier {_short(merge_diff(safer, riskier))}"
    ]


# -- 4. remedies ----------------------------------------------------------------------------------


def remedies_remove(subject: Subject, visit: dict) -> list[str]:
    """Applying a finding's remedy gives a valid visit without that finding."""
    problems = []
    for finding in _open(subject.decide(visit)):
        if finding.remedy is None:
            continue
        try:
            after = subject.decide(merge_patch(visit, finding.remedy))
        except InputError as exc:
            problems.append(f"the remedy of rule '{finding.rule}' ({finding.remedy}) is not a valid visit: {exc}")
            continue
        if finding.rule in fired(after):
            problems.append(f"the remedy of rule '{finding.rule}' ({finding.remedy}) does not remove it")
    return problems


def no_remedy_means_final(subject: Subject, visit: dict, conditions_need_remedies: bool = True) -> list[str]:
    """A finding without a remedy is one no change staff can make removes (see FIXED_FACTS): a
    blocked one says it is final; a conditional one waits on what staff cannot change (the parents
    arriving), and every other conditional finding has a remedy, since a condition is a fact of the
    visit staff can confirm (not checked for generated packs, whose outcomes are drawn at random)."""
    problems = []
    for finding in _open(subject.decide(visit)):
        if finding.remedy is not None:
            if finding.final:
                problems.append(f"rule '{finding.rule}' has a remedy but says it is final")
            continue
        if finding.outcome is Outcome.CONDITIONAL and not conditions_need_remedies:
            continue
        if finding.outcome is Outcome.BLOCKED and not finding.final:
            problems.append(f"rule '{finding.rule}' is blocked with no remedy but does not say it is final")
        # Without a remedy, nothing staff can change may remove the finding: a blocked one is final,
        # a conditional one waits on something out of staff's hands (the parents arriving).
        fix = witness.avoiding(subject.compiled, finding.rule, visit, fixed_facts(visit))
        if fix is not None:
            change = merge_diff(visit_json(parse_visit(visit)), fix)
            if finding.outcome is Outcome.BLOCKED:
                problems.append(
                    f"rule '{finding.rule}' is blocked with no remedy, so staff are told nothing can be changed, "
                    f"but this change removes it: {_short(change)}; give the rule a remedy"
                )
            else:
                problems.append(
                    f"rule '{finding.rule}' is conditional but has no remedy, though this change staff can make "
                    f"removes it: {_short(change)}; give the rule a remedy"
                )
    return problems


def remedies_combine(subject: Subject, visit: dict) -> list[str]:
    """When no finding is final, the remedies folded together make the visit permitted."""
    decision = subject.decide(visit)
    open_ = _open(decision)
    if not open_ or any(f.remedy is None for f in open_):
        return []
    engine = subject.engines["durable"] if "durable" in subject.engines else next(iter(subject.engines.values()))
    plan = fold_remedies(lambda v: decide_with(engine, v, TODAY), parse_visit(visit))
    rules = sorted(f.rule for f in open_)
    if plan is None:
        return [f"the remedies of {rules} do not together make the visit permitted"]
    problems = []
    for name in subject.engines:
        after = subject.decide(merge_patch(visit, plan), name)
        if after.outcome is not Outcome.PERMITTED:
            problems.append(f"the combined remedy {_short(plan)} of {rules} leaves {sorted(f.rule for f in _open(after))} ({name})")
    return problems


def remedies_work(subject: Subject, visit: dict) -> list[str]:
    return remedies_remove(subject, visit) + no_remedy_means_final(subject, visit) + remedies_combine(subject, visit)


# -- 8 to 10. the phase of the visit ---------------------------------------------------------------


def plan_remedies_stay_plans(subject: Subject, visit: dict) -> list[str]:
    """A plan's remedy changes only what can be arranged in advance: never ``on_arrival`` (what
    staff will find at the door), finding by finding or folded together."""
    decision = subject.decide(visit)
    if decision.phase != "plan":
        return []
    problems = [
        f"rule '{f.rule}' gives a plan the remedy {_short(f.remedy)}, which says what staff will find at the door"
        for f in _open(decision) if f.remedy is not None and "on_arrival" in f.remedy
    ]
    engine = next(iter(subject.engines.values()))
    plan = fold_remedies(lambda v: decide_with(engine, v, TODAY), parse_visit(visit))
    if plan is not None and "on_arrival" in plan:
        problems.append(f"the combined remedy of a plan {_short(plan)} says what staff will find at the door")
    return problems


def remedies_keep_what_staff_saw(subject: Subject, visit: dict) -> list[str]:
    """No remedy changes a door fact staff observed (see OBSERVED), takes staff away from the door,
    or grants a request the household refused (animals secured after a refusal)."""
    door = visit.get("on_arrival")
    if door is None:
        return []
    problems = []
    for finding in _open(subject.decide(visit)):
        if finding.remedy is None:
            continue
        after = merge_patch(visit, finding.remedy).get("on_arrival")
        if after is None:
            problems.append(f"the remedy of rule '{finding.rule}' ({_short(finding.remedy)}) removes what staff saw at the door")
            continue
        changed = [name for name in OBSERVED if door.get(name) is not None and after.get(name) != door[name]]
        if changed:
            problems.append(
                f"the remedy of rule '{finding.rule}' ({_short(finding.remedy)}) changes what staff saw at the door: "
                + ", ".join(f"{name} {door[name]!r} -> {after.get(name)!r}" for name in changed)
            )
        if _refused(visit) and after.get("animals_secured") is True and door.get("animals_secured") is not True:
            problems.append(
                f"the remedy of rule '{finding.rule}' ({_short(finding.remedy)}) says the animals are secured, "
                "but the household refused"
            )
    return problems


def _door_values(name: str) -> tuple:
    spec = FIELDS[name]
    if spec.type == "bool":
        return (True, False)
    if spec.type == "int":
        return (0, 1, 19, 20, 21, 29, 30, 31, 60, 240, 241, 1000)
    return tuple(v for v in enum_values(spec) if v != "unknown")


def unknown_never_permits(subject: Subject, visit: dict) -> list[str]:
    """At the door or inside, a door fact not known never makes a decision permitted that some known
    value of it would not: "not known" is never better than every answer (for each fact a rule tests)."""
    decision = subject.decide(visit)
    if decision.phase == "plan" or decision.outcome is not Outcome.PERMITTED:
        return []
    tested: set[str] = set()
    for rule in subject.compiled.rules:
        if any(o is not None and o is not Outcome.PERMITTED for p, o in rule.outcomes.items() if p != "plan"):
            tested |= facts_used(rule.condition)
    door = visit.get("on_arrival") or {}
    problems = []
    for name in OnArrival.model_fields:
        if door.get(name) is not None or name not in tested:
            continue
        for value in _door_values(name):
            other = merge_patch(visit, {"on_arrival": {name: value}, "phase": None})
            after = subject.decide(other)
            if after.outcome is not Outcome.PERMITTED:
                why = sorted(f.rule for f in _open(after))
                problems.append(
                    f"with {name} not known the decision {decision.phase} is permitted, but {name}: {value!r} makes it "
                    f"{after.outcome} ({why}): a fact not known must not pass where some answer would not"
                )
                break
    return problems


def numbers_quoted(subject: Subject) -> list[str]:
    """A rule whose kind applies a number (minutes, a time, a number of staff) quotes a sentence
    that says it."""
    return [
        f"rule '{rule.id}' applies {what}, but its quote {rule.citation.quote!r} does not say it"
        for rule in subject.pack.rules for what in missing_numbers(rule)
    ]


# -- 5. citations ---------------------------------------------------------------------------------


def pack_citations(subject: Subject) -> list[str]:
    """Every rule's quote is in the pack's policy text."""
    if subject.source is None:
        return [f"pack '{subject.pack.id}' has no policy text to check its quotes against (set its 'source')"]
    return [
        f"rule '{rule.id}': the quote {rule.citation.quote!r} is not in the policy text"
        for rule in subject.pack.rules
        if not quote_in(rule.citation.quote, subject.source)
    ]


def citations_hold(subject: Subject, visit: dict) -> list[str]:
    """Every finding that is not a reminder cites the policy, in words that are in its text."""
    problems = []
    for finding in subject.decide(visit).findings:
        if finding.citation is None:
            if finding.outcome is not Outcome.PERMITTED:
                problems.append(f"rule '{finding.rule}' ({finding.outcome}) cites nothing")
        elif subject.source is None or not quote_in(finding.citation.quote, subject.source):
            problems.append(f"rule '{finding.rule}' cites {finding.citation.quote!r}, which is not in the policy text")
    return problems


# -- 6. totality and failing closed ---------------------------------------------------------------


def total(subject: Subject, visit: dict) -> list[str]:
    """Every engine decides every valid visit, and folding its remedies never raises."""
    problems = []
    for name in subject.engines:
        try:
            subject.decide(visit, name)
        except Exception as exc:
            problems.append(f"the {name} engine raised {exc!r} on a valid visit")
    if not problems:
        engine = next(iter(subject.engines.values()))
        try:
            fold_remedies(lambda v: decide_with(engine, v, TODAY), parse_visit(visit))
        except Exception as exc:
            problems.append(f"folding the remedies raised {exc!r}")
    return problems


def fails_closed(decide: Callable[[dict], Decision], visit: dict) -> list[str]:
    """Where a rule kind is broken, deciding raises DecisionError or blocks: never a decision that
    lets the visit go ahead, and never some other exception."""
    try:
        decision = decide(visit)
    except (DecisionError, PluginError):  # an error while deciding, or the broken kind named
        return []
    except Exception as exc:
        return [f"raised {type(exc).__name__} ({exc}) instead of DecisionError or PluginError"]
    if decision.outcome is not Outcome.BLOCKED:
        return [f"decided {decision.outcome} ({sorted(fired(decision))}) although a rule kind is broken"]
    return []


# -- 7. satisfiable and live ----------------------------------------------------------------------


def satisfiable(subject: Subject, purposes: Iterable[str] = PURPOSES) -> list[str]:
    """For every purpose, some visit is permitted (found by a search guided by the conditions, and
    confirmed by every engine)."""
    problems = []
    solver = witness.Solver(subject.compiled.clock)
    for purpose in purposes:
        found = witness.permitted(subject.compiled, [fact("purpose", "eq", purpose)], solver=solver)
        if found.visit is None:
            how = "there is none" if found.complete else "the search gave up"
            problems.append(f"no {purpose} visit is permitted ({how}): the pack blocks or conditions every such visit")
            continue
        for name in subject.engines:
            outcome = subject.decide(found.visit, name).outcome
            if outcome is not Outcome.PERMITTED:
                problems.append(f"the {purpose} witness {_short(found.visit)} is {outcome} on the {name} engine")
    return problems


def live(subject: Subject) -> list[str]:
    """Every rule fires for some visit (built from the rule's condition, confirmed by every engine)."""
    problems = []
    solver = witness.Solver(subject.compiled.clock)
    for rule in subject.compiled.rules:
        found = witness.firing(subject.compiled, rule.rule.id, solver)
        if found is None:
            problems.append(f"rule '{rule.rule.id}' never fires: no visit meets its condition")
            continue
        for name in subject.engines:
            if rule.rule.id not in fired(subject.decide(found, name)):
                problems.append(f"rule '{rule.rule.id}' should fire for {_short(found)} but the {name} engine did not fire it")
    return problems
