"""Hook specifications: what a plugin can add to policyengine.

A plugin is a module, class or object with functions marked ``@policyengine.hookimpl`` whose names
match the hooks below; it implements only the hooks it needs. Installed distributions expose plugins
through the ``policyengine`` entry-point group; a caller can also pass plugins to
:func:`policyengine.register` (the default registry) or build its own
``policyengine.Registry(plugins=[...])``. The built-in rule kinds and packs are plugins too, offered
through the same hooks.

Call order between plugins never decides anything: two plugins offering the same rule kind name or
pack id is an error naming both. Every failure in a plugin (an exception, an invalid return, a
misspelt hook name) is a :class:`policyengine.PluginError` naming the plugin, never a decision.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("policyengine")


@hookspec
def policyengine_rule_kinds():
    """Return the rule kinds this plugin provides.

    Called once per registry, the first time it needs its rule kinds (to validate a pack, to write
    the pack schema, to list plugins), and again only after another plugin is registered with it.

    Return a list of rule kind classes (or ``None`` for none). A rule kind is a subclass of
    :class:`policyengine.Rule` with a field ``kind: Literal["name"]`` (the name packs write in
    ``kind:``; lower-case letters, digits and ``_``), its parameters as pydantic fields, a
    ``trigger(clock)`` that returns the condition under which the rule's finding applies, and
    optionally ``suggest_remedy(visit)``; see :class:`policyengine.Rule`. A pack's rules of a plugin
    kind are validated exactly like the built-in kinds': a mistake in a parameter is reported with
    file, line and column.

    An exception, a return that is not a list, or an item that is not a rule kind is a
    :class:`policyengine.PluginError` naming the plugin; a name that another plugin (or a built-in
    kind) already has is a :class:`policyengine.PluginError` naming both.
    """


@hookspec
def policyengine_rule_packs():
    """Return the rule packs this plugin provides.

    Called once per registry, the first time it needs to find a pack by id (``check(visit,
    school="id")``, ``available_packs()``, ``policyengine packs``...), and again only after another
    plugin is registered with it.

    Return a list (or ``None`` for none) whose items are either a pack file's path (``str`` or
    ``os.PathLike``, YAML or JSON; for files inside the plugin's package,
    ``Path(__file__).parent / "packs" / "id.yaml"``) or a pack's data as a mapping (what a pack file
    holds, built in Python). Not a pack object from :func:`policyengine.load_pack`: a pack is validated
    against the rule kinds of the registry that loads it, so it may use any plugin's rule kinds and
    ``extends:`` any pack by id. Each pack is then addressable by its ``id`` exactly like a built-in
    pack. Only the id is read here; the pack is validated when first loaded, and its problems are an
    :class:`policyengine.InputError` with file, line and column, as for any pack.

    An exception, a return that is not a list, an item that is neither a path nor a mapping, or a
    file that cannot be read or has no ``id`` is a :class:`policyengine.PluginError` naming the plugin;
    an id that another plugin's pack (or a built-in pack) already has is a
    :class:`policyengine.PluginError` naming both, with both files.
    """


@hookspec
def policyengine_decision_made(decision, visit):
    """Be told of a decision, for audit logs and metrics.

    Called once for every decision :func:`policyengine.check` and :func:`policyengine.check_many` make
    (so also for ``policyengine check`` and ``policyengine audit``), after the decision is complete
    and before it is returned. Not called when no decision is made (bad input, an error).

    ``decision`` is a copy of the :class:`policyengine.Decision`: changing it changes nothing the
    caller receives. ``visit`` is a :class:`policyengine.VisitSummary` (``school``: the pack id,
    ``purpose``, and ``digest``: a SHA-256 of the visit's canonical JSON), not the visit itself:
    listeners get no facts of the visit unless the caller passes ``share_visit=True``, in which case it
    is (a copy of) the :class:`policyengine.Visit`. The return value is ignored.

    An exception raised here does not stop the other listeners being told, but the caller then gets
    a :class:`policyengine.PluginError` naming the plugin instead of the decision: a decision that may
    not have been recorded is not handed out.
    """
