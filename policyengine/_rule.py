"""What every rule in a pack has, whatever its kind.

A rule kind is a subclass of :class:`Rule` with ``kind: Literal["name"]``, its own parameters as
pydantic fields (so it validates them itself), a :meth:`Rule.trigger` returning the condition under
which the finding applies, and optionally :meth:`Rule.suggest_remedy`, :meth:`Rule.phase_defaults`
(what it gives in each phase of a visit unless a rule's ``phases`` says) and
:meth:`Rule.quoted_numbers` (the numbers its quote must say). Kind authors import all of this from
:mod:`policyengine.kinds`.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema

from ._errors import PluginError
from ._plugin_calls import PLUGIN_FAILURES, said
from .conditions.form import Condition, ConditionSpec, Not, all_of, checked, fact, plain
from .facts import Clock
from .models import PHASES, Outcome, Phase, Purpose, phase_of_data

RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"

#: How a rule applies in one phase of a visit: blocked, conditional, reminder (a permitted finding:
#: a duty, or what will be asked later) or off (it does not apply then).
PhaseOutcome = Literal["blocked", "conditional", "reminder", "off"]
_NOT_A_MAPPING = object()
_AS_OUTCOME = {"blocked": Outcome.BLOCKED, "conditional": Outcome.CONDITIONAL, "reminder": Outcome.PERMITTED}
_SPEC: TypeAdapter[ConditionSpec] = TypeAdapter(ConditionSpec)
#: policyengine's own kinds, as ``policyengine.rules`` lists them (see :func:`builtin_kinds`).
_BUILT_IN: set[type] = set()


def _hhmm(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a time of day written as text in quotes, like \"16:00\", not {value!r}")
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"{value!r} is not a time of day between 00:00 and 23:59 (write it like \"16:00\")")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


ClockTime = Annotated[
    str,
    BeforeValidator(_hhmm),
    WithJsonSchema({"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$", "examples": ["16:00"]}),
]


def to_minutes(hhmm: str) -> int:
    """Minutes after midnight of a :data:`ClockTime` ("16:00" is 960), as the time facts hold them."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class CitationSpec(BaseModel):
    """Where the rule comes from: the section and the policy's exact words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str = Field(min_length=1, description="the section of the policy, as the document names it")
    quote: str = Field(min_length=1, description="the policy's own words, copied exactly")
    document: Optional[str] = Field(None, description="defaults to the pack's document title")


class Rule(BaseModel):
    """The fields every rule has. Subclasses add a ``kind`` literal and their parameters.

    Validation is strict, as for visits: only ``true``/``false`` are booleans (``no``, ``yes`` and
    ``1`` are refused rather than read as booleans) and a whole number is not text. A kind with a
    field that is written as text and parsed (a date) parses it with a ``BeforeValidator``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    #: Set on subclasses from their ``kind`` literal.
    kind_name: ClassVar[str] = ""
    #: Set on subclasses: whether their ``suggest_remedy`` declares ``clock`` (kinds written before it
    #: was passed declare ``visit`` only, and are called so).
    remedy_takes_clock: ClassVar[bool] = True

    id: str = Field(pattern=RULE_ID, description="unique within the pack: lower case, digits, - _ .")
    kind: str
    outcome: Literal["permitted", "conditional", "blocked"] = Field(
        description="blocked: must not go ahead; conditional: only once the conditions are met; permitted: a reminder"
    )
    title: Optional[str] = Field(None, description="a few words for tables and listings")
    message: str = Field(min_length=1, description="what staff are told")
    conditions: list[str] = Field(default_factory=list, description="what must be done first, in plain words")
    remedy: Optional[dict[str, Any]] = Field(
        None, description="a JSON merge patch on the visit that removes this finding (overrides the kind's own)"
    )
    citation: CitationSpec
    phases: Optional[dict[Phase, PhaseOutcome]] = Field(
        None,
        description="how the rule applies in each phase of a visit (plan, door, inside): blocked, conditional, reminder "
        "or off. Phases not listed take the kind's default, which is the rule's outcome except where the kind says "
        "otherwise (a door duty is a reminder on a plan; going in is at most conditional while staff are at the door)",
    )
    purposes: Optional[list[Purpose]] = Field(None, description="apply only to visits with these purposes")
    unless: Optional[ConditionSpec] = Field(None, description="the rule does not apply when this condition holds")
    notes: Optional[str] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("kind")
        args = getattr(field.annotation, "__args__", ()) if field else ()
        if args and isinstance(args[0], str):
            cls.kind_name = args[0]
        params = inspect.signature(cls.suggest_remedy).parameters.values()
        cls.remedy_takes_clock = any(p.name == "clock" or p.kind is p.VAR_KEYWORD for p in params)

    # -- what a kind provides -----------------------------------------------------------------

    def trigger(self, clock: Clock) -> Condition:
        """The condition under which this rule's finding applies.

        Return it in the form the ``condition`` kind's ``when`` takes, as a mapping (``{"fact":
        "duration_minutes", "gt": 45}``, combined with ``all``, ``any`` and ``not``; ``policyengine
        facts`` lists the facts), or as the built-in kinds do, a tree built with
        :func:`policyengine.kinds.fact`, ``all_of``, ``any_of`` and ``negate``. ``clock`` is a
        :class:`policyengine.kinds.Clock`, the pack's hours: ``timezone``, ``school_day`` and
        ``office_hours`` as (start, end) minutes after midnight, and ``evening_starts``. Called once
        when a pack is compiled; an exception, or a return that is not a valid condition, is a
        :class:`PluginError` naming the kind.
        """
        raise NotImplementedError

    def suggest_remedy(self, visit: dict[str, Any], clock: Optional[Clock] = None) -> Optional[dict[str, Any]]:
        """A JSON merge patch on ``visit`` that removes this finding, if any exists.

        ``visit`` is the visit as plain JSON data (a ``dict``, as ``Visit.model_dump(mode="json",
        exclude_none=True)`` gives it; plugin facts under ``"facts"``). ``clock`` is the pack's
        :class:`policyengine.kinds.Clock`, for a remedy that depends on the pack's hours (another time
        for the visit: ``clock.local``, ``clock.at`` and ``next_working_day`` help). A kind declares the
        arguments it uses and gets exactly those, as plugin hooks do: ``suggest_remedy(self, visit)``
        (the form before ``clock`` was passed) is called without it. Called while a decision is
        built, for each conditional or blocked finding of this rule; return ``None`` when no change to
        the visit removes it. A conditional finding has a remedy (a condition is something staff can
        confirm), so where the rule is conditional in the visit's phase a kind must return one unless
        the pack gives the rule a ``remedy`` (only the built-in wait at the door, for parents staff saw
        are not there, has none). A plan's remedy never sets ``on_arrival``. An exception
        (``SystemExit`` too), a return that is not a JSON object, or ``None`` where the rule is
        conditional is a :class:`PluginError` naming the kind, and no decision is made.

        Example: a finding about the length of a visit, removed by planning it at the limit::

            def suggest_remedy(self, visit):
                return {"duration_minutes": self.max_minutes}
        """
        return None

    def phase_defaults(self) -> dict[str, str]:
        """The most a rule of this kind gives in each phase when its ``phases`` does not say:
        ``conditional`` or ``reminder`` caps the rule's outcome there, ``off`` leaves the phase out; a
        phase not named gives the rule's outcome. Kinds override this (the built-in defaults are in the
        README, "Phases of a visit")."""
        return {}

    def outcome_in(self, phase: str) -> Optional[Outcome]:
        """The outcome this rule gives in ``phase`` (None: it does not apply then)."""
        if self.phases and phase in self.phases:
            word = self.phases[phase]
            return None if word == "off" else _AS_OUTCOME[word]
        own = Outcome(self.outcome)
        try:
            defaults = self.phase_defaults()
            cap = defaults.get(phase) if isinstance(defaults, dict) else _NOT_A_MAPPING
            if cap is not None and cap not in ("conditional", "reminder", "off"):
                raise BadReturn(f"returned {defaults!r}; give each phase 'conditional', 'reminder' or 'off'")
        except PLUGIN_FAILURES as exc:
            raise self.kind_failed("phase_defaults", exc) from exc
        if cap is None:
            return own
        if cap == "off":
            return None
        return min(own, _AS_OUTCOME[cap], key=lambda o: o.severity)

    def outcomes(self) -> dict[str, Optional[Outcome]]:
        """:meth:`outcome_in` for every phase, plan first."""
        return {phase: self.outcome_in(phase) for phase in PHASES}

    def quoted_numbers(self) -> list[tuple[str, str]]:
        """The numbers this rule applies, each as (how to name it, a regular expression for the ways
        a policy writes it), e.g. ``[("20 minutes", number_words(20))]``. The rule's quote must
        contain each (case-insensitively), or the pack is refused: a finding quotes the sentence
        that sets its number. The helpers ``number_words``, ``staff_words`` and ``time_words`` are
        in :mod:`policyengine.kinds`. Kinds without numbers keep the default (none)."""
        return []

    def summary(self) -> str:
        """A few plain words on when the rule applies, for tables (kinds override this)."""
        return self.title or self.id

    def scope_words(self) -> str:
        """Plain words for ``purposes`` and ``unless``, appended to the summary in tables."""
        words = ""
        if self.purposes is not None:
            words += " (" + ", ".join(p.replace("_", " ") for p in self.purposes) + " visits)"
        if self.unless is not None:
            words += f" (except when {plain(self.unless.compile())})"
        return words

    # -- used by the engine -------------------------------------------------------------------

    def condition(self, clock: Clock) -> Condition:
        """The full condition: the kind's trigger, narrowed by ``purposes`` and ``unless``."""
        try:
            trigger = as_condition(self.trigger(clock))
        except PLUGIN_FAILURES as exc:
            raise self.kind_failed("trigger", exc) from exc
        parts = [trigger]
        if self.purposes is not None:
            parts.insert(0, fact("purpose", "in", self.purposes))
        applies = [phase for phase, outcome in self.outcomes().items() if outcome is not None]
        if len(applies) < len(PHASES):
            # Both engines see the phase as a fact, so a rule that is off in a phase never fires there.
            parts.insert(0, fact("phase", "in", applies))
        if self.unless is not None:
            parts.append(Not(self.unless.compile()))
        return all_of(*parts)

    def remedy_for(self, visit: dict[str, Any], clock: Optional[Clock] = None) -> Optional[dict[str, Any]]:
        """The pack's own ``remedy`` if it gives one, else the kind's suggestion, checked. ``clock``
        (the pack's hours) is passed on to a kind whose ``suggest_remedy`` declares it."""
        if self.remedy is not None:
            return copy.deepcopy(self.remedy)
        try:
            patch = self.suggest_remedy(visit, clock=clock) if self.remedy_takes_clock else self.suggest_remedy(visit)
            if patch is None and not self._builtin_kind() and self.outcome_in(phase_of_data(visit)) is Outcome.CONDITIONAL:
                # The README promises a remedy on every conditional finding: a condition is
                # something staff can confirm on the visit, so there is a change that confirms it.
                raise BadReturn(
                    "returned None for a conditional rule; return the merge patch that meets the condition "
                    "(or give the rule a 'remedy' in the pack)"
                )
            if patch is not None:
                if not isinstance(patch, dict):
                    raise BadReturn(f"returned {patch!r}, not a JSON object (a dict) or None")
                if self._builtin_kind():
                    # Built-in kinds build fresh plain JSON (their tests apply every remedy); the round
                    # trip below would cost about 18% of check_many's time.
                    return patch
                # A plugin's remedy must be plain JSON (it is machine-readable) and must not share
                # lists with the visit, so it goes through JSON once.
                try:
                    patch = json.loads(json.dumps(patch, allow_nan=False))
                except (TypeError, ValueError) as exc:
                    raise BadReturn(f"returned a remedy that is not plain JSON ({exc})") from None
        except PLUGIN_FAILURES as exc:
            raise self.kind_failed("suggest_remedy", exc) from exc
        return patch

    @classmethod
    def _builtin_kind(cls) -> bool:
        """Whether this is one of policyengine's own kinds (trusted, and held to every property by
        its tests) rather than a plugin's: one ``policyengine.rules`` lists, not a subclass of one."""
        return cls in _BUILT_IN

    def kind_failed(self, method: str, exc: BaseException) -> PluginError:
        """An error naming this rule's kind (and the class that implements it) and what went wrong."""
        detail = str(exc) if isinstance(exc, BadReturn) else said(exc)
        cls = type(self)
        return PluginError(
            f"rule kind '{self.kind}' ({cls.__module__}.{cls.__qualname__}) failed in {method}() for rule "
            f"'{self.id}': {detail}"
        )


def builtin_kinds(*kinds: type[Rule]) -> tuple[type[Rule], ...]:
    """``kinds``, recorded as policyengine's own: ``policyengine.rules`` lists its kinds through this
    (a new built-in kind is its module and its line there). Not for plugins: a plugin's kind is
    checked as it runs (its remedies made plain JSON, a conditional rule held to giving one)."""
    _BUILT_IN.update(kinds)
    return kinds


class BadReturn(ValueError):
    """A kind's method returned something unusable; the message says what."""


def as_condition(value: Any) -> Condition:
    """A kind's trigger as a condition tree: a mapping in the YAML form is validated and compiled."""
    if isinstance(value, Mapping):
        try:
            return _SPEC.validate_python(dict(value)).compile()
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'condition'}: {e['msg']}" for e in exc.errors())
            raise BadReturn(f"returned an invalid condition {value!r} ({reasons})") from None
    # durable-rules compares mixed types as strings, so a comparison built by hand with a value of
    # the wrong type would be misread by one engine: refuse it here, for built-in kinds too.
    try:
        return checked(value)
    except TypeError:
        raise BadReturn(
            f"returned {value!r}, which is not a condition (return a mapping such as {{'fact': 'staff_count', 'lt': 2}})"
        ) from None
    except ValueError as exc:
        raise BadReturn(f"returned an invalid condition {value!r} ({exc})") from None


# -- helpers for kinds' remedies --------------------------------------------------------------------


def add_approval(visit: dict[str, Any], approver: str) -> dict[str, Any]:
    """A patch adding ``approver`` to the visit's approvals (merge patches replace whole lists)."""
    approvals = list(visit.get("approvals") or [])
    if approver not in approvals:
        approvals.append(approver)
    return {"approvals": approvals}


def set_all_staff(visit: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A patch setting ``fields`` on every member of staff."""
    return {"staff": [dict(member, **fields) for member in visit.get("staff") or []]}


def on_arrival(**fields: Any) -> dict[str, Any]:
    """A patch setting ``fields`` of what staff find at the door (``on_arrival``), for door and
    inside remedies (a plan's remedy never sets it)."""
    return {"on_arrival": dict(fields)}
