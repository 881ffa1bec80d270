"""Northfield Learning Trust's plugin for policyengine.

It provides a rule kind (``visit_length``), two rule packs that use it (the trust's, and Oak Hill
Primary's, which extends the trust's), and a decision listener that appends one JSON line per
decision to the file named by ``NORTHFIELD_AUDIT_LOG`` (nothing is written when it is unset).
policyengine finds it through the ``policyengine`` entry point in ``pyproject.toml``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import policyengine

from .kinds import VisitLength

PACKS = Path(__file__).parent / "packs"
AUDIT_LOG = "NORTHFIELD_AUDIT_LOG"


@policyengine.hookimpl
def policyengine_rule_kinds():
    return [VisitLength]


@policyengine.hookimpl
def policyengine_rule_packs():
    return [PACKS / "northfield-trust.yaml", PACKS / "northfield-oak-hill.yaml"]


@policyengine.hookimpl
def policyengine_decision_made(decision, visit):
    path = os.environ.get(AUDIT_LOG)
    if not path:
        return
    # Only what an auditor needs to reproduce the decision: by default `visit` is a summary with a
    # hash of the visit, never its facts.
    line = {
        "school": decision.school,
        "pack_version": decision.pack_version,
        "pack_digest": decision.pack_digest,
        "outcome": decision.outcome.value,
        "rules": [f.rule for f in decision.findings],
        "visit": visit.digest if isinstance(visit, policyengine.VisitSummary) else "shared",
    }
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line, sort_keys=True) + "\n")
