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
from typing import Literal, Optional, get_args, get_origin

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from pydantic import Field

from policyengine import Registry, check, kinds, parse_visit
from policyengine import facts as _facts
from policyengine.facts import FACT_FIELDS, UNKNOWN, enum_values, flatten
from policyengine.kinds import Rule
from policyengine.plugin_facts import DECLARED
from policyengine.rules import BUILTIN_KINDS, Pairing
from tests import strategies as S
from tests.scenarios import TODAY
from tests.test_plugins import LENGTH_RULE, Kinds, Packs, VisitLength, pack_data
from tests.visits import ONE_STAFF, visit

RULES = Path(kinds.__file__).parent / "rules"
CLOCK = kinds.Clock("Europe/London", school_day=(510, 930), office_hours=(480, 960), evening_starts=1080)


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
    for kind in BUILTIN_KINDS:
        assert kind.remedy_for is Rule.remedy_for, kind.__name__


def test_the_calendar_helpers():
    assert _facts.next_working_day(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday, then Easter Monday
    assert _facts.next_working_day(date(2026, 4, 7)) == date(2026, 4, 7)
    assert CLOCK.at(date(2026, 10, 25), 90).isoformat() == "2026-10-25T01:30:00+01:00"  # the first of the two
    assert CLOCK.at(date(2026, 3, 29), 59) is not None and CLOCK.at(date(2026, 3, 29), 60) is None


# -- the test strategies draw every parameter of every kind, from the kinds' models -----------------


def not_drawn(kind_fields: dict, kinds=BUILTIN_KINDS, draws: int = 200) -> list[str]:
    """Each kind, parameter and word of a kind's model that ``kind_fields`` (kind name -> strategy
    of parameters) does not draw in ``draws`` tries: ``"animals"``, ``"time_window.prefer"``,
    ``"entry.check=safety_not_confirmed"``."""
    missed = []
    for kind in kinds:
        drawn = kind_fields.get(kind.kind_name)
        if drawn is None:
            missed.append(kind.kind_name)
            continue
        seen: set = set()

        @settings(max_examples=draws, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(drawn)
        def collect(params):  # run at once, below, in this iteration: `seen` is this kind's
            seen.update(params)  # noqa: B023
            seen.update((name, value) for name, value in params.items() if isinstance(value, str))  # noqa: B023

        collect()
        for name, field in kind.model_fields.items():
            if name in Rule.model_fields:
                continue
            if name not in seen:
                missed.append(f"{kind.kind_name}.{name}")
            words = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
            missed += [f"{kind.kind_name}.{name}={w}" for w in words if (name, w) not in seen]
    return missed


def test_the_strategies_draw_every_parameter_of_every_kind():
    assert not_drawn(S.KIND_FIELDS) == []
    assert set(S.KIND_FIELDS) == set(Registry(entry_points=False).kinds())


def test_a_parameter_the_strategies_leave_out_is_named():
    # As tests/strategies.py drew time_window before it was derived: without `prefer`.
    by_hand = dict(S.KIND_FIELDS, time_window=S.KIND_FIELDS["time_window"].map(lambda p: {k: v for k, v in p.items() if k != "prefer"}))
    by_hand["entry"] = S.KIND_FIELDS["entry"].filter(lambda p: p["check"] != "safety_not_confirmed")
    del by_hand["animals"]
    assert not_drawn(by_hand) == [
        "time_window.prefer", "time_window.prefer=another_time", "time_window.prefer=exception", "animals",
        "entry.check=safety_not_confirmed",
    ]


def test_a_parameter_a_kind_gains_is_drawn_at_once():
    class Windowed(kinds.Rule):
        kind: Literal["windowed"]
        colour: Literal["red", "amber"] = "red"
        within: int = Field(10, ge=5, le=15)

    drawn = S.kind_fields(Windowed)
    assert not_drawn({"windowed": drawn}, [Windowed]) == []
    find(drawn, lambda p: p.get("within") in (5, 15), settings=settings(database=None, max_examples=200))

    class Unknown(kinds.Rule):
        kind: Literal["unknown_parameter"]
        when: date

    with pytest.raises(TypeError, match="cannot draw unknown_parameter.when"):
        S.kind_fields(Unknown)


# -- a fact is declared once: flatten gives exactly the declared facts, each a value it declares ------


@settings(max_examples=60, database=None)
@given(S.visits())
def test_every_declared_fact_is_computed_and_holds_only_what_it_declares(raw):
    fact = flatten(parse_visit(raw), CLOCK)
    assert set(fact) - set(DECLARED) == {f.name for f in FACT_FIELDS}
    for field in FACT_FIELDS:
        value = fact[field.name]
        if field.type == "bool":
            assert value in (1, 0, UNKNOWN), field.name
        elif field.type == "enum":
            assert value in enum_values(field), field.name
        else:
            lo, hi, never = field.domain
            assert lo <= value <= hi and value not in never, field.name


def test_every_whole_number_fact_declares_its_domain_and_enums_their_words():
    assert all(f.domain is not None for f in FACT_FIELDS if f.type == "int")
    assert all(f.values for f in FACT_FIELDS if f.type == "enum")
    assert all(f.domain is None and not f.values for f in FACT_FIELDS if f.type == "bool")
