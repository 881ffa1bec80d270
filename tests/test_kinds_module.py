"""``policyengine.kinds``, the public module for rule-kind authors: what it offers is documented and
runs as shown, the built-in kinds need nothing else, ``suggest_remedy`` gets the pack's clock when it
asks for it (and kinds written before keep working), and built-in kinds are the ones listed.
"""

from __future__ import annotations

import ast
import doctest
import inspect
from datetime import date, datetime
from pathlib import Path
from typing import Literal, Optional

import pytest

from policyengine import Registry, _facts, check, kinds
from policyengine.rules import BUILTIN_KINDS, Pairing
from tests.scenarios import TODAY
from tests.test_plugins import LENGTH_RULE, Kinds, Packs, VisitLength, pack_data
from tests.visits import ONE_STAFF, visit

RULES = Path(kinds.__file__).parent / "rules"


def test_the_module_examples_run_as_shown():
    for module in (kinds, _facts):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_everything_it_offers_exists_and_is_documented():
    for name in kinds.__all__:
        value = getattr(kinds, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"policyengine.kinds.{name} has no docstring"


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for each ``from ... import name`` of a policyengine module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("policyengine")):
            found += [("." * node.level + (node.module or ""), alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_built_in_kinds_import_only_the_public_module(path):
    siblings = {f".{p.stem}" for p in RULES.glob("*.py")}
    for module, name in _imports(path):
        if module in siblings or (path.name == "__init__.py" and (module, name) == (".._rule", "builtin_kinds")):
            continue  # the list of kinds, which marks them built in: the one thing a plugin cannot do
        assert module == "..kinds" and name in kinds.__all__, f"{path.name} imports {name} from {module}"


def test_built_in_kinds_are_the_ones_listed_not_the_ones_in_a_module_named_so():
    registered = Registry(entry_points=False).kinds().values()
    assert {k for k in registered if k._builtin_kind()} == set(BUILTIN_KINDS)

    class LookAlike(Pairing):  # a plugin's subclass, even in a module named like policyengine's own
        kind: Literal["look_alike"]

    LookAlike.__module__ = "policyengine.rules.look_alike"
    assert Pairing._builtin_kind() and not LookAlike._builtin_kind()


# -- suggest_remedy gets the pack's clock when it declares it ---------------------------------------


class MovedIntoTheDay(VisitLength):
    """As ``visit_length``, but its remedy also moves the visit to the start of the pack's school day:
    a remedy that needs the clock."""

    kind: Literal["moved_into_the_day"]

    def suggest_remedy(self, visit: dict, clock: kinds.Clock) -> Optional[dict]:
        day = clock.local(datetime.fromisoformat(visit["start"])).date()
        return {"duration_minutes": self.max_minutes, "start": clock.at(day, clock.school_day[0]).isoformat()}


class AnyArguments(VisitLength):
    kind: Literal["any_arguments"]

    def suggest_remedy(self, visit: dict, **context) -> Optional[dict]:
        return {"duration_minutes": context["clock"].school_day[0] // 10}


def _remedy(kind, **meta) -> dict:
    rule = dict(LENGTH_RULE, kind=kind.kind_name)
    reg = Registry(plugins=[Kinds(kind), Packs(pack_data("plugged", rule, **meta))], entry_points=False)
    decision = check(visit(ONE_STAFF, {"duration_minutes": 60, "start": "2026-11-23T15:00:00"}),
                     school="plugged", registry=reg, today=TODAY)
    (finding,) = decision.findings
    return finding.remedy


def test_a_kind_that_declares_clock_gets_the_pack_hours():
    assert MovedIntoTheDay.remedy_takes_clock and AnyArguments.remedy_takes_clock
    hours = {"school_day": {"start": "09:10", "end": "15:00"}}
    assert _remedy(MovedIntoTheDay, **hours) == {"duration_minutes": 45, "start": "2026-11-23T09:10:00+00:00"}
    assert _remedy(MovedIntoTheDay) == {"duration_minutes": 45, "start": "2026-11-23T08:30:00+00:00"}  # the default day
    assert _remedy(AnyArguments, **hours) == {"duration_minutes": 55}


def test_a_kind_written_before_the_clock_was_passed_is_called_as_before():
    assert not VisitLength.remedy_takes_clock
    assert _remedy(VisitLength) == {"duration_minutes": 45}


def test_no_built_in_kind_overrides_how_the_framework_checks_remedies():
    from policyengine._rule import Rule

    for kind in BUILTIN_KINDS:
        assert kind.remedy_for is Rule.remedy_for, kind.__name__


def test_the_calendar_helpers():
    assert _facts.next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday, then Easter Monday
    assert _facts.next_working_day(date(2026, 4, 7)) == date(2026, 4, 7)
    clock = kinds.Clock("Europe/London", (510, 930), (480, 960), 1080)
    assert clock.at(date(2026, 10, 25), 90).isoformat() == "2026-10-25T01:30:00+01:00"  # the first of the two
    assert clock.at(date(2026, 3, 29), 59) is not None and clock.at(date(2026, 3, 29), 60) is None
