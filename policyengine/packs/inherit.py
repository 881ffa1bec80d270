"""Pack inheritance: a school pack that extends a trust pack, and may only tighten it.

The child names what it changes, by rule id: ``overrides`` (its own rule replaces the inherited one
of the same id) and ``removes`` (the inherited rule is dropped). A child rule whose id is inherited
but not listed in ``overrides`` is an error, never a silent merge. Metadata the child leaves out
(hours, time zone, review date...) is inherited; its own ``source`` (policy text) is not.

Tighten-only: the child may add rules and make inherited ones stricter. A change that lets through
any visit the parent would not (a rule removed, a lower outcome, a longer wait, fewer staff, a later
cut-off, more approvers accepted, an added ``unless``, other hours), or that drops a reminder the
parent gives, is refused unless the child declares it under ``loosens`` with a reason. "Looser" is
decided by the decisions the two packs produce, not by comparing fields, so plugin kinds are covered
too: the witness search (:mod:`policyengine.packs.witness`) looks, for every rule of the parent the child
changed, for a visit that meets the parent's rule and that the child decides less severely. A found
visit is the witness shown with the error (or, when declared, by ``lint`` and ``show``). When the
search cannot decide within its budget, the change is refused unless declared: fail closed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .._errors import InputError, PluginError, Problem
from .._limits import EXTENDS_DEPTH
from .._patch import merge_diff
from .._yaml import Loaded
from ..models import Visit, visit_json
from .compiled import compile_pack

if TYPE_CHECKING:  # for annotations only
    from ..plugins.registry import Registry
    from .model import PackBase
    from .witness import Loosened

_NOT_INHERITED = {"id", "extends", "overrides", "removes", "loosens", "rules", "examples", "catalogue", "example_base",
                  "version", "source"}
#: Nodes the witness search may visit per term of a parent rule's condition before it gives up (and
#: the change is refused unless declared). Every built-in pack's rules are decided within it.
BUDGET = 2000

#: The ids of the packs being resolved in this thread, outermost first, to report a loop of
#: ``extends`` rather than recurse until the interpreter gives up.
_resolving: ContextVar[tuple[Any, ...]] = ContextVar("policyengine_resolving", default=())


def resolve_extends(loaded: Loaded, registry: Registry, load: Callable[..., PackBase]) -> tuple[dict[str, Any], dict[str, str]]:
    """The child's data with the parent's rules merged in, and rule id -> the pack it came from.
    ``load(pack_id, registry=registry)`` loads the parent (:func:`policyengine.load_pack`)."""
    data = loaded.data
    parent_id = data.get("extends")
    own_id = data.get("id")
    # Validation comes later: here the data may still be any shape, so take only what is well formed.
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    own_rules = [r for r in rules if isinstance(r, dict)]
    origins = {r["id"]: own_id for r in own_rules if isinstance(r.get("id"), str)}
    if parent_id is None:
        if data.get("loosens"):
            line, col = loaded.position(("loosens",))
            raise InputError(Problem(loaded.file, line, col, "'loosens' is for a pack that extends another; remove it",
                                     field="loosens"))
        return data, origins

    def problem(key: str, message: str) -> InputError:
        line, col = loaded.position((key,))
        return InputError(Problem(loaded.file, line, col, message, field=key))

    def rule_problem(index: int, message: str) -> InputError:
        line, col = loaded.position(("rules", index, "id"))
        return InputError(Problem(loaded.file, line, col, message, field=f"rules[{index}].id"))

    if not isinstance(parent_id, str):
        raise problem("extends", "'extends' must be the id of another pack")
    chain = _resolving.get() + (own_id,)
    if parent_id in chain:
        loop = " -> ".join(chain[chain.index(parent_id):] + (parent_id,))
        raise problem("extends", f"'extends: {parent_id}' makes a loop of packs extending each other ({loop})")
    if len(chain) >= EXTENDS_DEPTH:
        raise problem("extends", f"'extends: {parent_id}' makes a chain of more than {EXTENDS_DEPTH} packs extending each other")
    token = _resolving.set(chain)
    try:
        parent = load(parent_id, registry=registry)
    except InputError as exc:
        # The child's 'extends' line first, then what is wrong in the parent, where it is.
        first = exc.problems[0]
        inner = exc.problems if first.file != "<school>" else []
        reason = f"it has {len(inner)} problem(s), below" if inner else first.message
        raise InputError([problem("extends", f"cannot extend '{parent_id}': {reason}").problems[0], *inner]) from None
    except PluginError as exc:  # a plugin's pack that cannot be used, or whose kind broke: still the plugin's fault
        if not exc.problems:
            raise
        said = problem("extends", f"cannot extend '{parent_id}': it has {len(exc.problems)} problem(s), below").problems[0]
        raise PluginError(f"{said}\n{exc}", [said, *exc.problems]) from None
    finally:
        _resolving.reset(token)

    merged = copy.deepcopy(data)
    parent_data = parent.model_dump(mode="json", exclude_none=True)
    for key, value in parent_data.items():
        if key not in _NOT_INHERITED and key not in merged:
            merged[key] = value

    overrides = _ids(data.get("overrides"))
    removes = _ids(data.get("removes"))
    parent_rules = {r["id"]: r for r in parent_data["rules"]}
    own_ids = {r.get("id") for r in own_rules if isinstance(r.get("id"), str)}
    for rid in sorted((overrides | removes) - set(parent_rules)):
        key = "overrides" if rid in overrides else "removes"
        raise problem(key, f"'{rid}' is not a rule of '{parent_id}', so it cannot be overridden or removed")
    for rid in sorted(overrides & removes):
        raise problem("removes", f"'{rid}' is listed under both 'overrides' and 'removes'; keep one")
    loosens = data.get("loosens")
    for rid in sorted(loosens if isinstance(loosens, dict) else ()):
        if rid not in parent_rules:
            line, col = loaded.position(("loosens", rid))
            raise InputError(Problem(loaded.file, line, col, f"'{rid}' is listed under 'loosens' but is not a rule of "
                                                             f"'{parent_id}'", field=f"loosens.{rid}"))
    for rid in sorted(overrides - own_ids):
        raise problem("overrides", f"'{rid}' is listed under 'overrides' but this pack has no rule '{rid}' to replace it with")
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        rule_id = rule.get("id")
        if rule_id in removes:
            raise rule_problem(
                index, f"rule '{rule_id}' is listed under 'removes' but redefined here; to replace it, list it under 'overrides'"
            )
        if rule_id in parent_rules and rule_id not in overrides:
            raise rule_problem(
                index, f"rule '{rule_id}' is also in '{parent_id}'; list it under 'overrides' to replace it, or rename it"
            )
    inherited = [_cited_in(r, parent_data["document"]) for rid, r in parent_rules.items() if rid not in removes and rid not in own_ids]
    # Inherited rules go after the child's own, so the child's rules keep their positions for errors.
    merged["rules"] = list(rules) + inherited
    for rid in parent_rules:
        if rid not in removes and rid not in own_ids:
            origins[rid] = parent.origin(rid)
    return merged, origins


def _ids(value: Any) -> set[str]:
    # Validation of the field's shape comes later; here take only the ids that are strings.
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _cited_in(rule: dict[str, Any], document: str) -> dict[str, Any]:
    """An inherited rule keeps citing the parent's document, not the child's (which may differ)."""
    citation = rule.get("citation")
    if isinstance(citation, dict) and not citation.get("document"):
        rule = dict(rule, citation=dict(citation, document=document))
    return rule


# -- tighten-only ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """A loosening the child declares under ``loosens``: the parent's rule, the child's reason, and
    what the search found (a witness visit, or none when it could not decide or found nothing)."""

    rule: str
    reason: str
    found: Optional[Loosened]

    def said(self, parent: str, child: str) -> str:
        if self.found is None:
            return f"rule '{self.rule}' of '{parent}' is declared loosened ({self.reason}), but no visit is decided more loosely"
        return f"rule '{self.rule}' of '{parent}' is loosened, as declared ({self.reason}): " + _shown(self.found, parent, child)


def tightening(pack: PackBase, loaded: Loaded, parent: PackBase) -> tuple[list[Problem], tuple[Declared, ...]]:
    """The errors for every loosening of the ``parent`` pack that ``pack`` does not declare, and the
    ones it declares (with their witnesses), for ``show`` and ``lint``."""
    from .witness import loosenings  # tens of ms to import; only show and lint of a pack with a parent use it

    found = {f.rule: f for f in loosenings(compile_pack(parent), compile_pack(pack), budget=BUDGET)}
    problems = []
    for rid, loosening in found.items():
        if rid in pack.loosens:
            continue
        if loosening.decided:
            message = _shown(loosening, parent.id, pack.id) + f"; if this is meant, list it under 'loosens' with the reason ({rid}: why)"
        else:
            message = (f"the search could not show within its budget that this change lets through no visit '{parent.id}' "
                       f"stops, so it is refused unless declared; list '{rid}' under 'loosens' with the reason, or keep "
                       f"the rule as in '{parent.id}'")
        line, col = loaded.position(_where(pack, loaded, rid))
        problems.append(Problem(loaded.file, line, col, f"rule '{rid}' of '{parent.id}': {message}", field=f"loosens.{rid}"))
    declared = tuple(Declared(rid, reason, found.get(rid)) for rid, reason in pack.loosens.items())
    return problems, declared


def witness_text(visit: dict[str, Any]) -> str:
    """A witness visit in few words: what it changes in the fully prepared visit every witness
    starts from (``policyengine show`` prints the whole visit)."""
    from .witness import PREPARED

    changed = merge_diff(visit_json(Visit.model_validate(PREPARED)), visit)
    return "the fully prepared visit with " + json.dumps(changed, ensure_ascii=False, separators=(", ", ": "))


def _shown(found: Loosened, parent: str, child: str) -> str:
    if found.visit is None:
        return "the search could not finish, so there is no example"
    example = witness_text(found.visit)
    if found.reminder:
        return f"'{parent}' reminds staff of it on a visit where '{child}' does not, for example {example}"
    return f"a visit '{parent}' decides {found.old_outcome} is {found.new_outcome} under '{child}', for example {example}"


def _where(pack: PackBase, loaded: Loaded, rid: str) -> tuple[Any, ...]:
    """Where a loosening of ``rid`` is written: the overriding rule, the ``removes`` entry, or the
    hours that changed."""
    data = loaded.data
    for index, rule in enumerate(data.get("rules") or []):
        if isinstance(rule, dict) and rule.get("id") == rid:
            return ("rules", index)
    removes = data.get("removes")
    if isinstance(removes, list) and rid in removes:
        return ("removes", removes.index(rid))
    for key in ("school_day", "office_hours", "evening_starts", "timezone"):
        if key in data:
            return (key,)
    return ("extends",)
