"""Hook specifications: what a plugin can add to policyengine.

A plugin is a module, class or object with functions marked ``@policyengine.hookimpl`` whose names
match the hooks below; it implements only the hooks it needs, and each implementation declares only
the parameters it uses (policyengine passes each one exactly the arguments it names, as pluggy does).
Installed distributions expose plugins through the ``policyengine`` entry-point group; a caller can
also pass plugins to :func:`policyengine.register` (the default registry) or build its own
``policyengine.Registry(plugins=[...])``. The built-in rule kinds and packs are plugins too, offered
through the same hooks.

Call order between plugins never decides anything: two plugins offering the same rule kind name,
pack id or fact name is an error naming both. Every failure in a plugin (an exception, ``SystemExit``,
an invalid return, a misspelt hook name, or a call that outlasts the time limit set with
``Registry(plugin_timeout=...)`` or ``policyengine --plugin-timeout``) is a
:class:`policyengine.PluginError` naming the plugin, never a decision.

A plugin that is broken is isolated: what it offers that cannot be used (a kind, a pack, a fact) is
unavailable, with the reason, and everything else still works; ``policyengine plugins`` lists the
broken plugin and why. Two things fail closed for every decision instead, because a decision must
never go unrecorded: a decision listener that fails, and an installed plugin that cannot be loaded
at all (it may be an audit listener).

Each example below is what a plugin module holds; ``tests/test_hookspecs.py`` runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any, Optional, Union

import pluggy

from .._rule import Rule
from ..models import Decision, Visit, VisitSummary
from ..plugin_facts import VisitFact

hookspec = pluggy.HookspecMarker("policyengine")


@hookspec
def policyengine_rule_kinds() -> Optional[list[type[Rule]]]:
    """Return the rule kinds this plugin provides.

    Called once per registry, the first time it needs its rule kinds (to validate a pack, to write
    the pack schema, to list plugins), and again only after another plugin is registered with it.

    :return: a list of rule kind classes, or ``None`` for none. A rule kind is a subclass of
        :class:`policyengine.Rule` with a field ``kind: Literal["name"]`` (the name packs write in
        ``kind:``; lower-case letters, digits and ``_``), its parameters as pydantic fields
        (validated strictly, as visits are: ``true``/``false`` only), a ``trigger(clock)`` returning
        the condition under which the rule's finding applies, and, for a kind whose rules can be
        conditional, ``suggest_remedy(visit)`` (or ``suggest_remedy(visit, clock)`` for a remedy that
        needs the pack's hours); see :class:`policyengine.Rule`. ``policyengine.kinds`` has what a
        kind needs. A pack's rules of a
        plugin kind are validated exactly like the built-in kinds': a mistake in a parameter is
        reported with file, line and column.

    An exception, a return that is not a list, or an item that is not a rule kind is a
    :class:`policyengine.PluginError` naming the plugin, and its kinds are unavailable (packs using
    them are refused, saying why); a name that another plugin already has makes that name
    unavailable from either, with an error naming both (a built-in kind keeps its name).

    Example: a kind for the days of the week a policy allows visits::

        from typing import Literal

        import policyengine
        from policyengine.kinds import Clock, Rule

        class Weekdays(Rule):
            \"\"\"Fires when the visit starts on a day the policy does not allow.\"\"\"

            kind: Literal["weekdays"]
            allowed: list[Literal["monday", "tuesday", "wednesday", "thursday", "friday"]]

            def trigger(self, clock: Clock) -> dict:
                return {"fact": "weekday", "not_in": list(self.allowed)}

        @policyengine.hookimpl
        def policyengine_rule_kinds():
            return [Weekdays]
    """


@hookspec
def policyengine_rule_packs() -> Optional[list[Union[str, PathLike[str], Mapping[str, Any]]]]:
    """Return the rule packs this plugin provides.

    Called once per registry, the first time it needs to find a pack by id (``check(visit,
    school="id")``, ``available_packs()``, ``policyengine packs``...), and again only after another
    plugin is registered with it.

    :return: a list (or ``None`` for none) whose items are either a pack file's path (``str`` or
        ``os.PathLike``, YAML or JSON; for files inside the plugin's package,
        ``Path(__file__).parent / "packs" / "id.yaml"``) or a pack's data as a mapping (what a pack
        file holds, built in Python). Every pack names its policy text in ``source:``; the text is
        read from ``sources/`` beside the pack file (or beside it), and for a pack given as data,
        from ``sources/`` in the plugin's package folder, so ship the texts as package data. Not a
        pack object from :func:`policyengine.load_pack`: a pack is validated against the rule kinds
        of the registry that loads it, so it may use any plugin's rule kinds and ``extends:`` any
        pack by id. Each pack is then addressable by its ``id`` exactly like a built-in pack. Only
        the id is read here; the pack is validated (its quotes checked against its text) when first
        loaded.

    An exception or a return that is not a list makes this plugin's packs unavailable; an item that
    is neither a path nor a mapping, a file that cannot be read or has no ``id``, or a pack that
    does not load (a missing policy text, a quote not in it...) makes that pack unavailable: using
    it is a :class:`policyengine.PluginError` naming the plugin and the file. An id that two plugins
    provide is unavailable from both (a built-in pack keeps its id). Every other pack still decides.

    Example: a package with its packs and their policy texts as package data::

        from pathlib import Path

        import policyengine

        PACKS = Path(__file__).parent / "packs"   # packs/oak-hill.yaml, packs/sources/oak-hill.txt

        @policyengine.hookimpl
        def policyengine_rule_packs():
            return [PACKS / "oak-hill.yaml"]
    """


@hookspec
def policyengine_visit_facts() -> Optional[list[VisitFact]]:
    """Return the visit facts this plugin adds, for its rule kinds and the ``condition`` kind.

    Called once per registry, before its rule kinds are first needed (a kind's ``trigger`` and a
    pack's conditions may test these facts), and again only after another plugin is registered.

    :return: a list of :class:`policyengine.VisitFact` (or ``None`` for none): each with a ``name``,
        a ``type`` (``"bool"``, ``"int"`` or ``"enum"`` with its ``values``), its ``meaning`` in
        plain words and the ``phase`` in which it becomes known (``"plan"``, ``"door"`` or
        ``"inside"``). A visit gives its value under ``facts:`` (``facts: {weather_warning: amber}``),
        checked like a built-in fact: a value of the wrong type, or a door fact given before staff
        are at the door, is bad input with its line and column. Not given means "not known", which
        a rule that needs the fact treats as not satisfied. ``policyengine facts`` lists them.

    An exception, a return that is not a list, an item that is not a valid ``VisitFact``, or a name
    that is a built-in fact's is a :class:`policyengine.PluginError` naming the plugin, and the fact
    is unavailable (packs testing it are refused). A name two plugins declare differently is
    unavailable from both, with an error naming both.

    Example: a lone-worker device staff carry, and the weather warning where the visit is::

        import policyengine

        @policyengine.hookimpl
        def policyengine_visit_facts():
            return [
                policyengine.VisitFact("lone_worker_device", "bool", "every member of staff carries a lone-worker alarm"),
                policyengine.VisitFact("weather_warning", "enum", "the weather warning in force where the visit is",
                                       values=("none", "yellow", "amber", "red")),
            ]
    """


@hookspec
def policyengine_decision_made(decision: Decision, visit: Union[VisitSummary, Visit]) -> None:
    """Be told of a decision, for audit logs and metrics.

    Called once for every decision :func:`policyengine.check` and :func:`policyengine.check_many` make
    (so also for ``policyengine check`` and ``policyengine audit``), after the decision is complete
    and before it is returned. Not called when no decision is made (bad input, an error). An
    implementation may declare only the parameters it uses (``def policyengine_decision_made(decision)``).

    :param decision: a copy of the :class:`policyengine.Decision`: changing it changes nothing the
        caller receives.
    :param visit: a :class:`policyengine.VisitSummary` (``school``: the pack id, ``purpose``, and
        ``digest``: a SHA-256 of the visit's canonical JSON), not the visit itself: listeners get no
        facts of the visit unless the caller passes ``share_visit=True``, in which case it is (a
        copy of) the :class:`policyengine.Visit`.
    :return: nothing; a return value is ignored.

    An exception (``SystemExit`` included) raised here, or a call that outlasts the time limit,
    does not stop the other listeners being told, but the caller then gets a
    :class:`policyengine.PluginError` naming the plugin instead of the decision: a decision that may
    not have been recorded is not handed out.

    Example: one JSON line per decision, with the hash of the visit and never its facts::

        import json
        import os

        import policyengine

        @policyengine.hookimpl
        def policyengine_decision_made(decision, visit):
            line = {"school": decision.school, "outcome": decision.outcome.value, "visit": visit.digest}
            with open(os.environ.get("AUDIT_LOG", os.devnull), "a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\\n")
    """
