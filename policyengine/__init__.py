"""policyengine: may this home visit go ahead under the school's own policy?

>>> from policyengine import check
>>> decision = check({"purpose": "attendance", "start": "2026-11-23T10:00", "staff": [{"role": "attendance_officer"}]},
...                  school="tcat")                                                    # doctest: +SKIP
>>> decision.outcome                                                                   # doctest: +SKIP
<Outcome.CONDITIONAL: 'conditional'>
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

from ._errors import DecisionError, InputError, PolicyEngineError, Problem, UnknownSchoolError
from ._patch import merge_patch
from ._policy import Policy, check, check_many, combined_remedy, decide, policy
from ._rule import Rule
from ._version import __version__ as __version__
from ._visits import load_visit, parse_visit
from .engines.base import ENGINES, Engine, EngineUnavailableError, available_engines, default_engine
from .facts import Clock
from .models import (
    CheckIn,
    Citation,
    Decision,
    Finding,
    Household,
    OnArrival,
    Outcome,
    OutOfHours,
    StaffMember,
    Visit,
    VisitSummary,
)
from .packs.load import available_packs, load_pack, pack_model
from .plugin_facts import VisitFact
from .plugins.registry import PluginError, Registry, hookimpl, register

# The monitor (absence, calendar, the durable timers) costs more to import than a check does, and a
# caller that only checks visits never uses it: its names load on first use (PEP 562).
_LAZY = {
    "Absence": ".monitor.absence",
    "AbsenceTriggers": ".monitor.absence",
    "DueAction": ".monitor.absence",
    "due": ".monitor.absence",
    "SchoolCalendar": ".monitor.calendar",
    "Action": ".monitor.events",
    "Event": ".monitor.events",
    "Monitor": ".monitor.monitor",
}

if TYPE_CHECKING:  # type checkers and IDEs see the names as if imported eagerly
    from .monitor.absence import Absence, AbsenceTriggers, DueAction, due
    from .monitor.calendar import SchoolCalendar
    from .monitor.events import Action, Event
    from .monitor.monitor import Monitor


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ENGINES",
    "Absence",
    "AbsenceTriggers",
    "Action",
    "EngineUnavailableError",
    "CheckIn",
    "Citation",
    "Clock",
    "Decision",
    "DecisionError",
    "DueAction",
    "Engine",
    "Event",
    "Finding",
    "Household",
    "InputError",
    "Monitor",
    "OnArrival",
    "OutOfHours",
    "Outcome",
    "PluginError",
    "Policy",
    "PolicyEngineError",
    "Problem",
    "Registry",
    "Rule",
    "SchoolCalendar",
    "StaffMember",
    "UnknownSchoolError",
    "Visit",
    "VisitFact",
    "VisitSummary",
    "available_engines",
    "available_packs",
    "check",
    "check_many",
    "combined_remedy",
    "decide",
    "default_engine",
    "due",
    "hookimpl",
    "load_pack",
    "load_visit",
    "merge_patch",
    "pack_model",
    "parse_visit",
    "policy",
    "register",
]
