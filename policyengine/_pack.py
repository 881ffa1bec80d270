"""Rule packs: the model, loading from YAML, and compiling to conditions."""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic_core import PydanticCustomError
from pydantic import BaseModel, ValidationError, ConfigDict, Field, PrivateAttr, create_model, field_validator, model_validator

from ._conditions import Condition, compile_python, normalise
from ._errors import InputError, PluginError, Problem, UnknownSchoolError
from ._facts import Clock
from ._models import Citation, Outcome
from ._plugin_calls import PLUGIN_FAILURES, PluginCaller, PluginTimeout, said
from ._rule import ClockTime, Rule, to_minutes
from ._validation import IsoDate, validate
from ._yaml import Loaded, load_file, read_text
from .monitor.model import Timed

PACK_ID = r"^[a-z0-9][a-z0-9_-]*$"
_DIRECT = PluginCaller()  # for a pack built without a registry: calls without a time limit


class Hours(BaseModel):
    """A daily window, e.g. ``{start: "08:30", end: "15:30"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self):
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
    def _one(self):
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
    visit: dict = Field(default_factory=dict)
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
    example_base: Optional[dict] = Field(None, description="a complete visit the examples patch")
    examples: list[Example] = Field(default_factory=list)
    catalogue: list[CatalogueEntry] = Field(default_factory=list)
    timed: Optional[Timed] = Field(
        None, description="deadlines during a visit and absence triggers (policyengine monitor, policyengine due)"
    )

    _file: Optional[str] = PrivateAttr(None)
    _loaded: Optional[Loaded] = PrivateAttr(None)
    _origins: dict = PrivateAttr(default_factory=dict)
    _conditions: Optional[dict] = PrivateAttr(None)
    _caller: Optional[PluginCaller] = PrivateAttr(None)
    _loosened: tuple = PrivateAttr(())
    _folder: Optional[Path] = PrivateAttr(None)  # where a pack given as data finds its policy text

    @field_validator("source")
    @classmethod
    def _own_folder(cls, value: str) -> str:
        from ._pack_checks import safe_source_name

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
    def _rules_consistent(self):
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

    @property
    def digest(self) -> str:
        """SHA-256 of the pack's content with rules in id order: reordering rules does not change it."""
        return _digest(self)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:  # type: ignore[attr-defined]
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def condition(self, rule: Rule) -> Condition:
        """``rule``'s full condition under this pack's hours, normalised; built once (loading checks
        it, compiling and lint use it again). Keyed by the rule itself and the hours, so a copy of the
        pack with other rules or hours never sees a stale one."""
        if self._conditions is None:
            self._conditions = {}
        clock = self.clock
        key = (id(rule), clock)
        found = self._conditions.get(key)
        if found is None or found[0] is not rule:
            found = (rule, normalise(self.plugin_call(rule, "trigger", rule.condition, clock)))
            self._conditions[key] = found
        return found[1]

    @property
    def calls(self) -> PluginCaller:
        """How this pack's plugin kinds are called: with the time limit of the registry that loaded it."""
        return self._caller or _DIRECT

    def plugin_call(self, rule: Rule, method: str, fn: Callable, *args: Any) -> Any:
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
    def loosened(self) -> tuple:
        """The loosenings of the pack this one extends that it declares under ``loosens``, each with
        its reason and a visit that shows it (:class:`policyengine._inherit.Declared`)."""
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
        if not type(r).__module__.startswith("policyengine.rules.")
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
        rule_type = Annotated[Union[kinds], Field(discriminator="kind")]  # type: ignore[valid-type]
    return create_model(
        "RulePack",
        __base__=PackBase,
        __doc__="A school's home visit rule pack.",
        rules=(list[rule_type], Field(min_length=1, description="the rules; order never matters")),
    )


def pack_model(registry=None) -> type[PackBase]:
    """The pydantic model of a rule pack, for the rule kinds ``registry`` knows."""
    from ._plugins import default_registry

    registry = registry or default_registry()
    kinds = tuple(sorted(registry.kinds().values(), key=lambda k: k.kind_name))
    return _pack_model_for(kinds)


#: A top-level ``id: tcat`` line, as packs write it (quoted or not, with or without a comment).
_ID_LINE = re.compile(r"""^id:[ \t]*(["']?)([a-z0-9][a-z0-9_-]*)\1[ \t]*(?:#.*)?$""", re.M)


def peek_pack_id(path: Path) -> str:
    """The ``id`` of a pack file, read without validating the rest.

    Every pack a registry offers is peeked at to learn its id, so the usual ``id:`` line is read
    without parsing the YAML (parsing five packs was a quarter of the command line's start-up);
    anything else is parsed. :func:`load_pack` checks the id again when it loads the pack.
    """
    try:
        text = read_text(path)
    except InputError:  # load_file below says why
        text = ""
    found = _ID_LINE.findall(text)
    if len(found) == 1:
        return found[0][1]
    loaded = load_file(path)
    if not isinstance(loaded.data, dict) or not isinstance(loaded.data.get("id"), str):
        raise InputError(Problem(str(path), 1, 1, "a rule pack needs an 'id' at the top level"))
    return loaded.data["id"]


def parse_pack(loaded: Loaded, registry=None, source: Optional[str] = None, folder: Optional[Path] = None) -> PackBase:
    """Validate loaded YAML as a rule pack; raise :class:`InputError` with every problem.

    Besides its shape, a pack is refused when a rule can never fire or a quote is not in its policy
    text: ``source`` when given, else the file its ``source`` field names, in ``sources/`` in the
    pack's folder (or in the folder itself). The folder is the pack file's, or ``folder`` for a pack
    a plugin gives as data (the plugin's package). A pack whose text cannot be found is refused,
    with a message naming the file to ship.
    """
    from ._inherit import resolve_extends
    from ._pack_checks import pack_errors, policy_text

    from ._plugins import default_registry

    registry = registry or default_registry()
    if not isinstance(loaded.data, dict):
        raise InputError(Problem(loaded.file, 1, 1, "a rule pack must be a mapping of fields (id, school, rules...)"))
    data, origins = resolve_extends(loaded, registry)
    model = pack_model(registry)
    merged = Loaded(data, loaded.file, loaded.positions)
    try:
        # A plugin kind's validators run here: under the registry's time limit, like any plugin call.
        pack = registry.caller.run(f"validators of {loaded.file}", validate, model, merged)
    except InputError as exc:
        raise InputError(_unavailable_kinds(exc.problems, merged, registry)) from None
    except PLUGIN_FAILURES as exc:  # a rule kind's validator raised something other than ValueError
        where = _failing_rule(merged, registry)
        what = f"rule '{merged.data['rules'][where[1]].get('id')}': validating it" if where else "validating the pack"
        failure = Problem(loaded.file, *loaded.position(where or ()),
                          f"{what} {said(exc)}{_raised_at(exc)}; a rule kind's validators must raise "
                          "ValueError with a message for the pack's author")
        raise _kind_failed([failure]) from exc
    pack._caller = registry.caller
    pack._folder = folder
    errors = []
    if source is None:
        source, errors = policy_text(pack, loaded, folder)
    found, failures = pack_errors(pack, loaded, source, registry.facts())
    errors += found
    if failures:  # a plugin's kind broke: its fault, not the pack author's
        raise _kind_failed(failures + errors)
    if errors:
        raise InputError(errors)
    if pack.extends is not None:
        from ._inherit import tightening

        errors, pack._loosened = tightening(pack, loaded, registry)
        if errors:
            raise InputError(errors)
    pack._file = loaded.file
    pack._loaded = loaded
    pack._origins = origins
    return pack


def _kind_failed(problems: list[Problem]) -> PluginError:
    """A :class:`PluginError` for rule kinds that broke while a pack was read, with every problem
    (file, line, column) as ``problems`` so that ``lint`` can report each at its rule and go on."""
    return PluginError("\n".join(str(p) for p in problems if p.severity == "error"), problems)


def _failing_rule(loaded: Loaded, registry) -> Optional[tuple]:
    """The path of the rule whose kind's validator raised (each rule validated alone to find it)."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    kinds = registry.kinds()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        kind = kinds.get(rule.get("kind")) if isinstance(rule, dict) else None
        if kind is None or kind._builtin_kind():
            continue
        try:
            kind.model_validate(rule)
        except ValidationError:
            continue
        except PLUGIN_FAILURES:
            return ("rules", index)
    return None


def _unavailable_kinds(problems: list[Problem], loaded: Loaded, registry) -> list[Problem]:
    """An unknown kind that a broken plugin offered is reported as unavailable, saying why."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    out = []
    for p in problems:
        if p.message.startswith("unknown rule kind '") and isinstance(rules, list):
            kind = p.message.split("'")[1]
            withdrawn, broken = registry.kind_unavailable(kind)
            if withdrawn:
                p = Problem(p.file, p.line, p.column, f"rule kind '{kind}' is unavailable: {withdrawn}", p.field, p.severity)
            elif broken:
                p = Problem(p.file, p.line, p.column, f"{p.message}; it may be a kind of a broken plugin: {broken}",
                            p.field, p.severity)
        out.append(p)
    return out


def _raised_at(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _cache_key(path: Path) -> tuple:
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


#: Loaded packs by file (path, modification time, size) or plugin data; the least recently used are
#: dropped beyond this many, so a long-running process that sees a pack edited again and again keeps
#: a bounded number of versions (each holds its parsed YAML and positions).
PACK_CACHE_SIZE = 32
_pack_cache: OrderedDict[tuple, PackBase] = OrderedDict()


def load_pack(school: str | Path, *, registry=None) -> PackBase:
    """Load a rule pack by id (``"tcat"``) or from a YAML file path.

    Raises :class:`UnknownSchoolError` for an unknown id, :class:`InputError` for a pack with
    problems (each with file, line and column), and :class:`PluginError` for a pack a plugin
    provides that cannot be used (naming the plugin and the file): such a pack is unavailable, and
    every other pack still loads.
    """
    from ._plugins import default_registry

    registry = registry or default_registry()
    path, entry = _locate(school, registry)
    loaded = entry.loaded if entry is not None else None
    if loaded is not None:  # a pack a plugin gave as data: parsed once per registry state
        key: tuple = ("data", id(loaded)) + registry.token
    else:
        try:
            key = _cache_key(path) + registry.token
        except FileNotFoundError:
            raise InputError(Problem(str(path), None, None, "file not found")) from None
    cached = _pack_cache.get(key)
    if cached is not None and (loaded is None or cached._loaded is loaded):
        try:
            _pack_cache.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile
            pass
        return cached
    try:
        pack = parse_pack(loaded if loaded is not None else load_file(path), registry,
                          folder=entry.folder if entry is not None else None)
        if entry is not None and pack.id != school:  # found by id: was the id read right?
            line, col = pack._loaded.position(("id",))
            raise InputError(Problem(entry.where, line, col, f"this pack was offered as '{school}' but its id is '{pack.id}'"))
    except InputError as exc:
        if entry is None or registry.is_builtin(entry.plugin):
            raise
        raise registry.pack_failed(entry, exc) from None
    _pack_cache[key] = pack
    while len(_pack_cache) > PACK_CACHE_SIZE:
        _pack_cache.popitem(last=False)
    return pack


def _locate(school: str | Path, registry) -> tuple[Optional[Path], Any]:
    """The file of the pack ``school`` names, and the registry's entry for it when named by id
    (a plugin's file, or the data a plugin gave)."""
    if isinstance(school, Path) or (isinstance(school, str) and school.endswith((".yaml", ".yml", ".json"))):
        return Path(school), None
    if not isinstance(school, str) or not school:
        raise UnknownSchoolError(Problem("<school>", None, None, "no school given: pass school=ID (e.g. 'tcat')"))
    packs = registry.packs()
    if school not in packs:
        registry.pack_unavailable(school)  # raises PluginError when a broken plugin's pack had that id
        import difflib

        close = difflib.get_close_matches(school, list(packs), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UnknownSchoolError(
            Problem("<school>", None, None, f"unknown school '{school}'{hint} (known: {', '.join(sorted(packs))})")
        )
    entry = packs[school]
    return entry.path, entry


def available_packs(*, registry=None) -> list[str]:
    """The ids of every pack that can be loaded by id: built-ins and plugins'."""
    from ._plugins import default_registry

    return sorted((registry or default_registry()).packs())


# -- compiled form --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    condition: Condition
    holds: Callable[[dict], bool]
    #: The rule's outcome in each phase (None where it does not apply), resolved once.
    outcomes: dict = field(default_factory=dict)

    def outcome_in(self, phase: str) -> Optional[Outcome]:
        return self.outcomes.get(phase)


@dataclass(frozen=True)
class CompiledPack:
    """A pack with every rule's condition built once."""

    pack: PackBase
    clock: Clock
    rules: tuple[CompiledRule, ...]
    digest: str

    @property
    def id(self) -> str:
        return self.pack.id

    def rule(self, rule_id: str) -> CompiledRule:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        raise KeyError(rule_id)

    @cached_property
    def rules_by_id(self) -> dict[str, tuple[Rule, Citation, dict]]:
        """Rule id -> (the rule, its citation, its outcome per phase), built once (all are frozen)."""
        return {
            r.rule.id: (
                r.rule,
                Citation(
                    document=r.rule.citation.document or self.pack.document,
                    section=r.rule.citation.section,
                    quote=r.rule.citation.quote,
                ),
                r.outcomes,
            )
            for r in self.rules
        }

    def remedy_for(self, rule: Rule, visit: dict) -> Optional[dict]:
        """``rule``'s remedy for ``visit`` (plain JSON), a plugin kind's under the pack's time limit."""
        return self.pack.plugin_call(rule, "suggest_remedy", rule.remedy_for, visit, self.clock)


def compile_pack(pack: PackBase) -> CompiledPack:
    clock = pack.clock
    compiled = []
    for rule in pack.rules:  # type: ignore[attr-defined]
        cond = pack.condition(rule)
        outcomes = pack.plugin_call(rule, "phase_defaults", rule.outcomes)
        compiled.append(CompiledRule(rule, cond, compile_python(cond), outcomes))
    return CompiledPack(pack, clock, tuple(compiled), pack.digest)

