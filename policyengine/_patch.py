"""JSON merge patch (RFC 7396): how remedies are applied to visits."""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply ``patch`` to ``target`` and return the result (``target`` is not changed).

    A mapping in the patch merges into the target, ``null`` removes a key, and anything else
    (lists included) replaces the target's value whole.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    _merge_into(result, patch)
    return result


def _merge_into(result: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply ``patch`` to ``result`` (already a copy: the target is copied once, not per level)."""
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            inner = result.get(key)
            if not isinstance(inner, dict):
                inner = result[key] = {}
            _merge_into(inner, value)
        else:
            result[key] = copy.deepcopy(value)


def merge_diff(before: Any, after: Any) -> Any:
    """The merge patch that turns ``before`` into ``after`` (JSON data without nulls, as visits are
    dumped): changed keys, ``null`` for removed ones, lists whole."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return copy.deepcopy(after)
    patch: dict[str, Any] = {key: None for key in before if key not in after}
    for key, value in after.items():
        if key not in before:
            patch[key] = copy.deepcopy(value)
        elif before[key] != value:
            patch[key] = merge_diff(before[key], value)
    return patch
