"""The built-in rule kinds, one module each, and the list of them.

A built-in kind is its module here and its line in :data:`BUILTIN_KINDS`. The modules import only
from :mod:`policyengine.kinds`, as a plugin's kinds do, and the kinds register through the same
``policyengine_rule_kinds`` hook a plugin uses.
"""

from __future__ import annotations

from .._rule import builtin_kinds  # the one thing a plugin cannot do: be built in
from ..kinds import Rule, hookimpl
from .animals import Animals
from .authorisation import Authorisation
from .condition import GenericCondition
from .entry import Entry
from .household import Household
from .pairing import Pairing
from .preparation import Preparation
from .rooms import Rooms
from .staffing import Staffing
from .time_window import TimeWindow
from .wait_limit import WaitLimit

BUILTIN_KINDS = builtin_kinds(
    TimeWindow,
    Pairing,
    Staffing,
    Authorisation,
    WaitLimit,
    Animals,
    Rooms,
    Entry,
    Household,
    Preparation,
    GenericCondition,
)


@hookimpl
def policyengine_rule_kinds() -> list[type[Rule]]:
    return list(BUILTIN_KINDS)


__all__ = ["BUILTIN_KINDS"] + [k.__name__ for k in BUILTIN_KINDS]
