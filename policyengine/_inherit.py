"""Pack inheritance: a school pack that extends a trust pack.

The child names what it changes, by rule id: ``overrides`` (its own rule replaces the inherited one
of the same id) and ``removes`` (the inherited rule is dropped). A child rule whose id is inherited
but not listed in ``overrides`` is an error, never a silent merge. Metadata the child leaves out
(hours, time zone, review date...) is inherited.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar

from ._errors import InputError, Problem
from ._limits import EXTENDS_DEPTH
from ._yaml import Loaded

_NOT_INHERITED = {"id", "extends", "overrides", "removes", "rules", "examples", "catalogue", "example_base", "version"}

#: The ids of the packs being resolved in this thread, outermost first, to report a loop of
#: ``extends`` rather than recurse until the interpreter gives up.
_resolving: ContextVar[tuple] = ContextVar("policyengine_resolving", default=())


def resolve_extends(loaded: Loaded, registry) -> tuple[dict, dict[str, str]]:
    """The child's data with the parent's rules merged in, and rule id -> the pack it came from."""
    data = loaded.data
    parent_id = data.get("extends")
    own_id = data.get("id")
    # Validation comes later: here the data may still be any shape, so take only what is well formed.
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    own_rules = [r for r in rules if isinstance(r, dict)]
    origins = {r["id"]: own_id for r in own_rules if isinstance(r.get("id"), str)}
    if parent_id is None:
        return data, origins

    def problem(key, message):
        line, col = loaded.position((key,))
        return InputError(Problem(loaded.file, line, col, message, field=key))

    def rule_problem(index, message):
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
    from ._pack import load_pack

    token = _resolving.set(chain)
    try:
        parent = load_pack(parent_id, registry=registry)
    except InputError as exc:
        # The child's 'extends' line first, then what is wrong in the parent, where it is.
        first = exc.problems[0]
        inner = exc.problems if first.file != "<school>" else []
        reason = f"it has {len(inner)} problem(s), below" if inner else first.message
        raise InputError([problem("extends", f"cannot extend '{parent_id}': {reason}").problems[0], *inner]) from None
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
    for rid in sorted(overrides - own_ids):
        raise problem("overrides", f"'{rid}' is listed under 'overrides' but this pack has no rule '{rid}' to replace it with")
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        rid = rule.get("id")
        if rid in removes:
            raise rule_problem(
                index, f"rule '{rid}' is listed under 'removes' but redefined here; to replace it, list it under 'overrides'"
            )
        if rid in parent_rules and rid not in overrides:
            raise rule_problem(
                index, f"rule '{rid}' is also in '{parent_id}'; list it under 'overrides' to replace it, or rename it"
            )
    inherited = [_cited_in(r, parent_data["document"]) for rid, r in parent_rules.items() if rid not in removes and rid not in own_ids]
    # Inherited rules go after the child's own, so the child's rules keep their positions for errors.
    merged["rules"] = list(rules) + inherited
    for rid in parent_rules:
        if rid not in removes and rid not in own_ids:
            origins[rid] = parent.origin(rid)
    return merged, origins


def _ids(value) -> set:
    # Validation of the field's shape comes later; here take only the ids that are strings.
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _cited_in(rule: dict, document: str) -> dict:
    """An inherited rule keeps citing the parent's document, not the child's (which may differ)."""
    citation = rule.get("citation")
    if isinstance(citation, dict) and not citation.get("document"):
        rule = dict(rule, citation=dict(citation, document=document))
    return rule
