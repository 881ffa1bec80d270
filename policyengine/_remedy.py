"""What would make a visit permitted: the remedies of its findings, folded one at a time.

Each finding's remedy is a JSON merge patch (RFC 7396) computed on the visit as it was decided,
and merge patches replace lists whole. Two findings that both add an approver each start from the
original ``approvals``, and a companion added for pairing loses the phone that preparation gave
every member: applied together, one undoes the other. So remedies are folded instead: apply the
first remedy, decide the patched visit again (so every later remedy is computed on the visit as
patched so far, and a finding the patch brings in is seen too), and repeat until nothing but
reminders is left.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

from ._errors import DecisionError, InputError
from ._patch import merge_diff, merge_patch
from ._visits import parse_visit
from .models import Decision, Outcome, Visit, visit_json

if TYPE_CHECKING:  # for annotations only
    from .plugins.registry import Registry

#: More steps than any pack needs (each step removes a finding); a fold that goes on longer is
#: going round in circles.
MAX_STEPS = 64


def fold_remedies(decide: Callable[[Visit], Decision], visit: Visit, registry: Optional[Registry] = None) -> Optional[dict[str, Any]]:
    """A merge patch on ``visit`` after which ``decide`` permits it (``{}`` if it already does), or
    None when no fold of remedies gets there: a finding with no remedy remains (a refusal at the
    door, staff feeling unsafe, a wait past the limit...), or the remedies undo one another."""
    original = visit_json(visit)
    current, seen = original, set()
    for _ in range(MAX_STEPS):
        decision = decide(parse_visit(current, registry=registry) if current is not original else visit)
        open_ = [f for f in decision.findings if f.outcome is not Outcome.PERMITTED]
        if not open_:
            remedy: dict[str, Any] = merge_diff(original, current)
            return remedy
        step = next((f for f in open_ if f.remedy is not None), None)
        key = json.dumps(current, sort_keys=True)
        if step is None or key in seen:
            return None
        seen.add(key)
        patched = merge_patch(current, step.remedy)
        try:
            current = visit_json(parse_visit(patched, registry=registry))
        except InputError as exc:
            raise DecisionError(f"the remedy of rule '{step.rule}' does not give a valid visit: {exc}") from exc
    return None
