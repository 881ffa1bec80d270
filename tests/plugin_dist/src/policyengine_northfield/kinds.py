"""The ``visit_length`` rule kind: a visit planned to run longer than the policy allows."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, StrictInt

from policyengine.kinds import Rule


class VisitLength(Rule):
    """Fires when the visit is planned to last more than ``max_minutes``, or its length is not known.

    Not knowing how long a visit will take is treated as not satisfying the limit, so the finding
    asks for a planned length. The remedy plans the visit at the limit.
    """

    kind: Literal["visit_length"]
    max_minutes: StrictInt = Field(gt=0, le=480, description="the longest a visit may be planned to last, in minutes")

    def summary(self) -> str:
        return f"planned to last more than {self.max_minutes} minutes (or length not known)" + self.scope_words()

    def trigger(self, clock):
        # The same condition form as the `condition` kind's `when`; -1 is "not known" for a number.
        return {
            "any": [
                {"fact": "duration_minutes", "gt": self.max_minutes},
                {"fact": "duration_minutes", "lt": 0},
            ]
        }

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        return {"duration_minutes": self.max_minutes}
