"""Hook specifications: what a plugin can add to policyengine.

A plugin is a module or object with functions marked ``@policyengine.hookimpl`` whose names match
the hooks below. Installed packages expose plugins through the ``policyengine`` entry-point group;
a caller can also pass plugins to :func:`policyengine.register` or build its own
:class:`policyengine.Registry`. Call order between plugins never decides an outcome.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("policyengine")


@hookspec
def policyengine_rule_kinds():
    """Called once when a registry is built, to collect rule kinds.

    Return a list of rule kind classes: subclasses of :class:`policyengine.Rule` with a
    ``kind: Literal["name"]`` field, their own parameters as pydantic fields, and a ``trigger()``
    returning the condition under which the finding applies. Kinds are validated like the built-in
    ones; a name already taken (by a built-in kind or another plugin) is an error naming both.
    """


@hookspec
def policyengine_rule_packs():
    """Called once when a registry is built, to collect rule packs.

    Return a list of pack file paths (``str`` or ``pathlib.Path``). Each pack is addressable by its
    ``id`` exactly like a built-in pack (``check(visit, school="id")``). An id already taken is an
    error naming both sources.
    """


@hookspec
def policyengine_decision_made(decision, visit):
    """Called after every decision, for audit logs and metrics.

    ``decision`` is the :class:`policyengine.Decision`; ``visit`` is a
    :class:`policyengine.VisitDigest` (the school, purpose and a SHA-256 of the visit's canonical
    JSON), not the visit itself: listeners get no personal facts unless the caller passes
    ``share_visit=True`` to :func:`policyengine.check`, in which case it is the
    :class:`policyengine.Visit`. The return value is ignored. An exception raised here is reported
    by naming the plugin; the decision already made is returned unchanged.
    """
