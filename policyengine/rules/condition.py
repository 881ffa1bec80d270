"""The generic condition kind: a rule a policy lead writes in YAML, over the visit's facts."""

from __future__ import annotations

from typing import Literal

from ..kinds import Clock, Condition, ConditionSpec, Rule


class GenericCondition(Rule):
    """Fires when ``when`` holds. ``when`` is a condition tree over the visit's facts::

        when:
          all:
            - {fact: first_visit, eq: true}
            - {fact: staff_count, lt: 2}

    Remember that ``true``/``false`` facts can also be not known: to treat "not known" as not
    satisfied, test ``ne: true`` rather than ``eq: false``. Give a ``remedy`` where one exists.
    """

    kind: Literal["condition"]
    when: ConditionSpec

    def trigger(self, clock: Clock) -> Condition:
        return self.when.compile()
