"""Broken on purpose: the durable engine's actions run inside durable-rules' own wrapper again.

durable-rules' ``Promise.run`` catches ``BaseException`` around an action, so an interrupt that lands
in an action is swallowed and the finding lost: how the engine behaved before issue 12.
``tests/test_interrupts.py`` runs the interrupt harness against it and requires the harness to
catch wrong decisions, so the harness is seen to fail on what it guards against.
"""

from __future__ import annotations

from durable.engine import Promise

import policyengine.engines.durable as engine
from policyengine.engines.durable_form import CHECK_ID


class SwallowingAction(Promise):
    """durable-rules' own action wrapper around the same work as ``_Action.run``, with no checks."""

    def __init__(self, tally, ruleset, rule_ids):
        def action(c):
            tally.started += 1
            tally.ran[ruleset] = True
            tally.budget -= 1
            tally.hits.extend((c._m["m"][CHECK_ID], rule_id) for rule_id in rule_ids)
            tally.finished += 1

        super().__init__(action)


def use_swallowing_actions() -> None:
    engine._Action = SwallowingAction
