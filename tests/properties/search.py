"""Running a property check under hypothesis: find an example it reports problems for."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from hypothesis import Phase, find, settings
from hypothesis.errors import NoSuchExample


@dataclass
class Counterexample:
    example: Any
    problems: list[str]

    def __str__(self) -> str:
        shown = json.dumps(self.example, default=repr, sort_keys=True)
        return "falsified by " + shown[:3000] + "\n  " + "\n  ".join(self.problems)


def counterexample(check: Callable[[Any], list[str]], strategy, max_examples: Optional[int] = None,
                   shrink: bool = True) -> Optional[Counterexample]:
    """The simplest example from ``strategy`` that ``check`` reports problems for (hypothesis
    shrinks it unless ``shrink`` is false: tests that only need to see a failure skip that), or
    None when none turns up within the active profile's budget (``max_examples`` overrides it)."""
    phases = tuple(settings.default.phases) if shrink else tuple(p for p in settings.default.phases if p is not Phase.shrink)
    budget = settings(settings.default, max_examples=max_examples or settings.default.max_examples, database=None, phases=phases)
    try:
        example = find(strategy, lambda x: bool(check(x)), settings=budget)
    except NoSuchExample:
        return None
    return Counterexample(example, check(example))
