"""The rule pack model: a pack's metadata, hours, catalogue and examples (``PackBase``), and the
pydantic model of a whole pack for a set of rule kinds.

A pack is frozen once validated; what is derived from it (its digest, each rule's full condition)
is worked out once and kept on it. Loading a pack from a file or a plugin is :mod:`._pack`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, Self, TypeVar, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .._plugin_calls import PluginCaller, PluginTimeout
from .._rule import ClockTime, Rule, to_minutes
from .._validation import IsoDate
from .._yaml import Loaded
from ..conditions.form import Condition, normalise
from ..facts import Clock
from ..models import Outcome
from .checks import safe_source_name
from .timed import Timed

_T = TypeVar("_T")

PACK_ID = r"^[a-z0-9][a-z0-9_-]*$"
_DIRECT = PluginCaller()  # for a pack built without a registry: calls without a time limit


class Hours(BaseModel):
    """A daily window, e.g. ``{start: "08:30", end: "15:30"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if to_minutes(self.start) >= to_minutes(self.end):
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
        return self


class CatalogueEntry(BaseModel):
    """One statement of the policy that bears on a visit, and what the pack does with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: str = Field(min_length=1)
    quote: str = Field(min_length=1, description="the statement, copied exactly from the policy")
    rules: list[str] = Field(default_factory=list, description="the ids of the rules that encode it")
    not_checkable: Optional[str] = Field(None, description="why a visit's facts cannot check it")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if bool(self.rules) == bool(self.not_checkable):
            raise ValueError("give either 'rules' (the rule ids that encode this) or 'not_checkable' (why not)")
        return self


class Example(BaseModel):
    """A visit shipped with the pack, and the decision it must get.

    ``visit`` is a JSON merge patch on the pack's ``example_base`` visit (or a whole visit when the
    pack has none).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    visit: dict[str, Any] = Field(default_factory=dict[str, Any])
    expect: Outcome
    fires: list[str] = Field(default_factory=list, description="rule ids that must be among the findings")
    cites: Optional[str] = Field(None, description="a phrase that some finding's quote must contain")


class PackBase(BaseModel):
    """Pack metadata; ``rules`` is added per registry, from the rule kinds it knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=PACK_ID, description="how callers name the pack: check(visit, school=ID)")
    school: str = Field(min_length=1, description="the school or trust, as the document names it")
    document: str = Field(min_length=1, description="the policy's title")
    version: str = Field(min_length=1, description="the pack's version, on every decision as pack_version")
    source: str = Field(
        description="the policy text the quotes are copied from: a file in sources/ beside the pack (or beside it); "
        "every quote is checked against it whenever the pack is loaded"
    )
    adopted: Optional[str] = Field(None, description="when the policy was adopted/approved, as the document says")
    review_due: Optional[IsoDate] = Field(None, description="when the policy is due for review (YYYY-MM-DD)")
    review_due_text: Optional[str] = Field(None, description="the review date as the document words it")
    timezone: str = "Europe/London"
    school_day: Hours = Field(default_factory=lambda: Hours(start="08:30", end="15:30"))
    office_hours: Hours = Field(default_factory=lambda: Hours(start="08:00", end="16:00"))
    evening_starts: ClockTime = "18:00"
    extends: Optional[str] = Field(None, description="the id of a pack (e.g. a trust's) whose rules this one inherits")
    overrides: list[str] = Field(
        default_factory=list, description="ids of inherited rules this pack replaces with its own rule of the same id"
    )
    removes: list[str] = Field(default_factory=list, description="ids of inherited rules this pack drops")
    loosens: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="inherited rules this pack deliberately loosens (removes, weakens, or lets more visits past), "
        "each with the reason; any other loosening of the pack it extends is refused",
    )
    example_base: Optional[dict[str, Any]] = Field(None, description="a complete visit the examples patch")
    examples: list[Example] = Field(default_factory=list)
    catalogue: list[CatalogueEntry] = Field(default_factory=list)
    timed: Optional[Timed] = Field(
        None, description="deadlines during a visit and absence triggers (policyengine monitor, policyengine due)"
    )

    if TYPE_CHECKING:  # the field pack_model's create_model adds, of the registry's rule kinds
        rules: list[Rule]

    _file: Optional[str] = PrivateAttr(None)
    _loaded: Optional[Loaded] = PrivateAttr(None)
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)
    _conditions: Optional[dict[tuple[str, Clock], tuple[Rule, Condition]]] = PrivateAttr(None)
    _caller: Optional[PluginCaller] = PrivateAttr(None)
    _loosened: tuple[Any, ...] = PrivateAttr(())
    _folder: Optional[Path] = PrivateAttr(None)  # where a pack given as data finds its policy text

    @field_validator("source")
    @classmethod
    def _own_folder(cls, value: str) -> str:
        return safe_source_name(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/London") from None
        return value

    @model_validator(mode="after")
    def _rules_consistent(self) -> Self:
        # Each error carries the path of the offending value ("at"), so it is reported on its line.
        rules = getattr(self, "rules", [])
        seen: dict[str, int] = {}
        for index, rule in enumerate(rules):
            if rule.id in seen:
                raise PydanticCustomError(
                    "duplicate_rule_id",
                    "rule id '{id}' is used twice (rules {first} and {second}); give each rule its own id",
                    {"id": rule.id, "first": seen[rule.id] + 1, "second": index + 1, "at": ("rules", index, "id")},
                )
            seen[rule.id] = index
        for n, entry in enumerate(self.catalogue):
            for rid in entry.rules:
                if rid not in seen:
                    raise PydanticCustomError(
                        "unknown_rule_id",
                        "the catalogue names rule '{id}', which is not in the pack",
                        {"id": rid, "at": ("catalogue", n, "rules")},
                    )
        for n, example in enumerate(self.examples):
            for rid in example.fires:
                if rid not in seen:
                    raise PydanticCustomError(
                        "unknown_rule_id",
                        "example '{name}' expects rule '{id}', which is not in the pack",
                        {"id": rid, "name": example.name, "at": ("examples", n, "fires")},
                    )
        return self

    # -- derived ------------------------------------------------------------------------------

    @property
    def file(self) -> Optional[str]:
        return self._file

    @property
    def clock(self) -> Clock:
        return Clock(
            timezone=self.timezone,
            school_day=(to_minutes(self.school_day.start), to_minutes(self.school_day.end)),
            office_hours=(to_minutes(self.office_hours.start), to_minutes(self.office_hours.end)),
            evening_starts=to_minutes(self.evening_starts),
        )

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the pack's content with rules in id order: reordering rules does not change it.
        Worked out once (a pack is frozen); a copy works it out again (see :meth:`model_copy`)."""
        return _digest(self)

    def model_copy(self, *, update: Optional[Mapping[str, Any]] = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("digest", None)  # a copy with other content has another digest
        copied._conditions = None  # nor does it share this pack's conditions
        return copied

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def condition(self, rule: Rule) -> Condition:
        """``rule``'s full condition under this pack's hours, normalised; built once (loading checks
        it, compiling and lint use it again). Kept with the rule it was built from and the hours, so
        a copy of the pack with other rules or hours never sees a stale one."""
        if self._conditions is None:
            self._conditions = {}
        clock = self.clock
        key = (rule.id, clock)
        found = self._conditions.get(key)
        if found is None or found[0] is not rule:
            found = (rule, normalise(self.plugin_call(rule, "trigger", rule.condition, clock)))
            self._conditions[key] = found
        return found[1]

    @property
    def calls(self) -> PluginCaller:
        """How this pack's plugin kinds are called: with the time limit of the registry that loaded it."""
        return self._caller or _DIRECT

    def plugin_call(self, rule: Rule, method: str, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` for ``rule``: directly for a built-in kind, else under this pack's time limit
        (a kind that does not return in time is named, like one that raises)."""
        if rule._builtin_kind():
            return fn(*args)
        kind = type(rule)
        try:
            return self.calls.run(f"rule kind {kind.__module__}.{kind.__qualname__}", fn, *args)
        except PluginTimeout as exc:
            raise rule.kind_failed(method, exc) from None

    def origin(self, rule_id: str) -> str:
        """Which pack a rule comes from (this one, or the one it extends)."""
        return self._origins.get(rule_id, self.id)

    @property
    def loosened(self) -> tuple[Any, ...]:
        """The loosenings of the pack this one extends that it declares under ``loosens``, each with
        its reason and a visit that shows it (:class:`policyengine.packs.inherit.Declared`)."""
        return self._loosened


def _digest(pack: PackBase) -> str:
    data = pack.model_dump(mode="json", exclude={"examples", "catalogue", "example_base"})
    data["rules"] = sorted(data.get("rules", []), key=lambda r: r["id"])
    # A plugin kind's code decides what its rules mean, so the digest names the class (built-in kinds
    # are part of policyengine's version). Compiled engines are cached by digest: without this, two
    # registries with different classes for one kind name would share an engine.
    plugin_kinds = {
        r.kind: f"{type(r).__module__}.{type(r).__qualname__}"
        for r in getattr(pack, "rules", [])
        if not type(r)._builtin_kind()
    }
    if plugin_kinds:
        data["plugin_kinds"] = plugin_kinds
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=32)
def _pack_model_for(kinds: tuple[type[Rule], ...]) -> type[PackBase]:
    if len(kinds) == 1:
        rule_type: Any = kinds[0]
    else:
        rule_type = Annotated[Union[kinds], Field(discriminator="kind")]
    return create_model(
        "RulePack",
        __base__=PackBase,
        __doc__="A school's home visit rule pack.",
        rules=(list[rule_type], Field(min_length=1, description="the rules; order never matters")),
    )
