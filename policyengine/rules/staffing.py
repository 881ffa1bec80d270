"""Staffing: training, DBS checks and which roles may make visits."""

from __future__ import annotations

from typing import Any, Literal, Optional, Self

from pydantic import Field, model_validator

from ..kinds import (
    DBS_LEVELS,
    STAFF_ROLES,
    Clock,
    Condition,
    Dbs,
    Rule,
    StaffRole,
    any_of,
    fact,
    set_all_staff,
)


class Staffing(Rule):
    """Fires when the staff going do not meet a requirement.

    ``require``: ``trained_member`` (at least one trained in home visiting), ``all_trained``,
    ``dbs`` (every member holds at least ``dbs``; unknown counts as not held) or ``roles`` (every
    member's role is in ``roles``).
    """

    kind: Literal["staffing"]
    require: Literal["trained_member", "all_trained", "dbs", "roles"]
    dbs: Optional[Dbs] = None
    roles: list[StaffRole] = Field(default_factory=list)

    @model_validator(mode="after")
    def _params(self) -> Self:
        if self.require == "dbs" and self.dbs is None:
            raise ValueError("'dbs' is required when require is dbs, e.g. dbs: enhanced")
        if self.require == "roles" and not self.roles:
            raise ValueError("'roles' must list the roles allowed when require is roles")
        return self

    def summary(self) -> str:
        if self.require == "dbs":
            return f"a DBS check below {str(self.dbs).replace('_', ' ')}"
        if self.require == "roles":
            return "a role not among: " + ", ".join(r.replace("_", " ") for r in self.roles)
        return {"trained_member": "nobody trained in home visiting", "all_trained": "not everyone trained"}[self.require]

    def _levels(self) -> list[str]:
        return list(DBS_LEVELS[DBS_LEVELS.index(self.dbs):])

    def trigger(self, clock: Clock) -> Condition:
        if self.require == "trained_member":
            return fact("trained_count", "lt", 1)
        if self.require == "all_trained":
            return fact("all_trained", "ne", True)
        if self.require == "dbs":
            return fact("lowest_dbs", "not_in", self._levels())
        return any_of(*(fact(f"role_{r}", "gt", 0) for r in STAFF_ROLES if r not in self.roles))

    def suggest_remedy(self, visit: dict[str, Any]) -> Optional[dict[str, Any]]:
        staff = visit.get("staff") or []
        if self.require == "trained_member":
            return {"staff": [dict(staff[0], home_visit_trained=True)] + [dict(s) for s in staff[1:]]} if staff else None
        if self.require == "all_trained":
            return set_all_staff(visit, home_visit_trained=True)
        if self.require == "dbs":
            levels = self._levels()
            return {"staff": [s if s.get("dbs") in levels else dict(s, dbs=self.dbs) for s in staff]}
        return {"staff": [s if s.get("role") in self.roles else dict(s, role=self.roles[0]) for s in staff]}

