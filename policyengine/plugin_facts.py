"""Visit facts that plugins add: what they are, where a visit gives them, and how they are checked.

A plugin declares a fact (``policyengine_visit_facts``) with a name, a type, its meaning and the
phase of the visit in which it becomes known (design section 7: **plan**, before going; **door**,
once staff are at the door; **inside**, once they are in a room other than the doorstep). A visit
gives the values of plugin facts in its ``facts`` mapping (the visit's own fields stay exactly as
they are, and unknown fields are still refused)::

    facts:
      weather_warning: amber        # an enum fact a plugin declared, known when planning
      lone_worker_device: true      # a yes/no fact

They are checked like the built-in facts: a name no plugin of the registry declares, a value of the
wrong type, or a fact given before its phase is bad input with its line and column. A fact the visit
does not give is "not known", exactly as for built-in facts, so rules that need it treat it as not
satisfied.

The names plugins declare form one vocabulary for the whole process (``DECLARED``), because the
condition form is checked against one table of facts; two registries may declare the same fact only
with the same meaning. Which facts a registry's packs and visits may use is still decided per
registry: a pack or visit naming a fact that no plugin of its registry declares is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from ._errors import did_you_mean
from .models import PHASES, Phase, phase_of  # noqa: F401  (phase_of: the one reading of a visit's phase)

FactType = Literal["bool", "int", "enum"]
FACT_NAME = r"^[a-z][a-z0-9_]*$"
#: The largest whole number a plugin fact may hold: the range the pack checks reason over.
MAX_INT = 10**6
UNKNOWN = -1  # as in _facts: "not known" for yes/no and whole-number facts
#: Names durable-rules reserves or policyengine uses for its own bookkeeping.
RESERVED = frozenset({"sid", "id", "check_ref", "facts"})


@dataclass(frozen=True)
class VisitFact:
    """A fact of the visit that a plugin adds, for its rule kinds and the ``condition`` kind.

    ``name``: lower-case letters, digits and ``_``, not a built-in fact's name (``policyengine
    facts`` lists them). ``type``: ``"bool"`` (true/false), ``"int"`` (a whole number from 0 to
    1,000,000) or ``"enum"`` (one of ``values``). ``meaning``: what it says, in a few plain words,
    shown by ``policyengine facts`` and in the schemas. ``phase``: when it becomes known, ``"plan"``
    (before going), ``"door"`` (at the door) or ``"inside"`` (in a room other than the doorstep); a
    visit may give it only from that phase on.
    """

    name: str
    type: FactType
    meaning: str
    phase: Phase = "plan"
    values: tuple[str, ...] = field(default=())

    def problems(self, builtin: frozenset[str] = frozenset()) -> list[str]:
        """What is wrong with this declaration, in words for the plugin's author."""
        out = []
        if not isinstance(self.name, str) or not re.fullmatch(FACT_NAME, self.name):
            out.append(f"fact name {self.name!r} must be lower-case letters, digits and _, starting with a letter")
        elif self.name in builtin or self.name in RESERVED:
            out.append(f"fact '{self.name}' is a built-in fact's name (or reserved); choose another")
        if self.type not in ("bool", "int", "enum"):
            out.append(f"fact '{self.name}': type must be 'bool', 'int' or 'enum', not {self.type!r}")
        if self.phase not in PHASES:
            out.append(f"fact '{self.name}': phase must be one of {', '.join(PHASES)}, not {self.phase!r}")
        if not isinstance(self.meaning, str) or not self.meaning.strip():
            out.append(f"fact '{self.name}': say what it means (meaning)")
        if self.type == "enum":
            if (not isinstance(self.values, tuple) or not self.values
                    or not all(isinstance(v, str) and re.fullmatch(FACT_NAME, v) for v in self.values)
                    or len(set(self.values)) != len(self.values) or "unknown" in self.values):
                out.append(f"fact '{self.name}': an enum needs a tuple of distinct lower-case words as values "
                           "('unknown' is added for not known)")
        elif self.values:
            out.append(f"fact '{self.name}': only an enum has values")
        return out


#: Every plugin fact declared in this process, by name.
DECLARED: dict[str, VisitFact] = {}




def value_problems(values: Optional[dict[str, Any]], declared: dict[str, VisitFact], phase: str) -> list[tuple[str, str]]:
    """(fact name, message) for each plugin fact a visit gives that ``declared`` does not allow."""
    out: list[tuple[str, str]] = []
    for name, value in (values or {}).items():
        spec = declared.get(name)
        where = f"'facts.{name}'"
        if spec is None:
            hint = did_you_mean(name, declared)
            known = f"the facts plugins add here: {', '.join(sorted(declared))}" if declared else "no plugin adds visit facts here"
            out.append((name, f"unknown fact '{name}' in 'facts'{hint} ({known})"))
            continue
        if value is None:
            continue  # not known, as if not given
        if spec.type == "bool" and not isinstance(value, bool):
            out.append((name, f"{where} must be true or false, not {value!r}"))
        elif spec.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            out.append((name, f"{where} must be a whole number, not {value!r}"))
        elif spec.type == "int" and not 0 <= value <= MAX_INT:
            out.append((name, f"{where} must be from 0 to {MAX_INT:,}, not {value!r}"))
        elif spec.type == "enum" and value not in spec.values:
            out.append((name, f"{where} cannot be {value!r}; it must be one of: {', '.join(spec.values)}"))
        elif PHASES.index(phase) < PHASES.index(spec.phase):
            found = {"door": "at the door: give it with on_arrival, once staff are there",
                     "inside": "inside the home: give it once on_arrival.meeting_room is a room other than the doorstep"}
            out.append((name, f"{where} is found {found[spec.phase]}"))
    return out


def encoded(values: Optional[dict[str, Any]]) -> dict[str, Any]:
    """Every declared plugin fact as the total fact holds it: given values encoded, the rest not known."""
    given = values or {}
    out: dict[str, Any] = {}
    for name, spec in DECLARED.items():
        value = given.get(name)
        if spec.type == "enum":
            out[name] = "unknown" if value is None else value
        elif spec.type == "bool":
            out[name] = UNKNOWN if value is None else int(value)
        else:
            out[name] = UNKNOWN if value is None else value
    return out
