"""Lint rule packs: everything ``check`` would refuse, plus what a careful reviewer would flag.

Errors come from the same loading path ``check`` uses (:func:`policyengine.packs.load.parse_pack`, which
also refuses quotes not in the policy text and rules that can never fire), so whatever lint reports
as an error is what ``check`` would refuse. On top of that lint warns of a review date in the past,
rules always shadowed by another rule with the same outcome (proven from the condition form), and a
conditional rule that lists no conditions, and it notes each loosening of an extended pack that the
pack declares, with its reason and a visit that shows it. A rule kind that breaks is reported at its
rule's line, and lint goes on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .._errors import InputError, PluginError, Problem
from .._yaml import Loaded, loads
from .._yaml import read_text as _read_text
from ..conditions.satisfy import implies
from ..models import Outcome
from .checks import at, own_rules
from .load import PackBase, parse_pack

if TYPE_CHECKING:  # for annotations only
    from ..plugins.registry import Registry


class Unreadable(InputError):
    """A file lint cannot read at all (missing, a directory, not UTF-8): exit status 2."""


def read_text(path: str | Path) -> str:
    """:func:`policyengine._yaml.read_text`, with a file that cannot be read as :class:`Unreadable`."""
    try:
        return _read_text(path)
    except InputError as exc:
        raise Unreadable(exc.problems) from None


def lint_file(
    path: str | Path,
    source: Optional[str] = None,
    today: Optional[date] = None,
    registry: Optional[Registry] = None,
) -> list[Problem]:
    """Every problem in the pack at ``path``. ``source`` is the policy text its quotes must be in
    (default: the pack's own ``source`` file, where it has one). Raises :class:`Unreadable`."""
    name = str(path)
    text = read_text(path)
    if not text.strip():
        return [Problem(name, 1, 1, "the file is empty", severity="error")]
    try:
        loaded = loads(text, name)
    except InputError as exc:
        return [_as(p, "error") for p in exc.problems]
    return lint_loaded(loaded, source, today, registry)


def lint_loaded(loaded: Loaded, source: Optional[str] = None, today: Optional[date] = None, registry: Optional[Registry] = None,
                folder: Optional[Path] = None) -> list[Problem]:
    """Every problem in a pack already read (a file's YAML, or the data a plugin gave for a pack,
    whose policy text is in ``folder``: the plugin's package). ``source`` is the policy text its
    quotes must be in (default: the file its ``source`` names)."""
    try:
        pack = parse_pack(loaded, registry, source=source, folder=folder)
    except InputError as exc:
        return [_as(p, "error") for p in exc.problems]
    except PluginError as exc:  # a plugin's kind broke: reported at its rule, and lint goes on
        return [_as(p, "error") for p in exc.problems] or [Problem(loaded.file, None, None, str(exc))]
    return lint_pack(pack, loaded, today or date.today())


def _as(problem: Problem, severity: str) -> Problem:
    return Problem(problem.file, problem.line, problem.column, problem.message, problem.field, severity)


def lint_pack(pack: PackBase, loaded: Loaded, today: date) -> list[Problem]:
    """Warnings for a pack that loads (its errors were raised while loading it)."""
    problems: list[Problem] = []
    for declared in pack.loosened:  # each deliberate loosening, with its reason and a visit that shows it
        severity = "note" if declared.found is not None else "warning"
        message = declared.said(pack.extends, pack.id)
        if declared.found is None:
            message += "; remove it from 'loosens'"
        problems.append(at(loaded, ("loosens", declared.rule), severity, message))
    if pack.review_due is not None and pack.review_due < today:
        problems.append(at(loaded, ("review_due",), "warning",
                           f"the policy was due for review on {pack.review_due.isoformat()}; decisions carry a reminder "
                           "until it is reviewed"))
    conditions = [pack.condition(r) for r in pack.rules]
    outcomes = [r.outcomes() for r in pack.rules]
    for i, rule in enumerate(own_rules(pack, loaded)):
        # A reminder never changes an outcome, and each one carries its own duty: none shadows another.
        # Outcomes are compared phase by phase (a rule's outcome may differ at the door and inside).
        for j, other in enumerate(pack.rules if rule.outcome != "permitted" else ()):
            if i == j or other.outcome != rule.outcome or any(
                o is not None and outcomes[j][p] != o for p, o in outcomes[i].items()
            ):
                continue
            if implies(conditions[i], conditions[j]) and (not implies(conditions[j], conditions[i]) or j < i):
                problems.append(at(loaded, ("rules", i), "warning",
                                   f"rule '{rule.id}' is always shadowed: whenever it fires, rule '{other.id}' fires too "
                                   f"with the same outcome ({rule.outcome}), so it never changes a decision"))
                break
        if any(o is Outcome.CONDITIONAL for o in outcomes[i].values()) and not rule.conditions:
            problems.append(at(loaded, ("rules", i), "warning",
                               f"rule '{rule.id}' is conditional but says no conditions; list what must be done first"))
    return problems
