"""Rule kinds that are broken on purpose, for the fail-closed tests: each fails at a different
moment of a decision. Register them through a fresh ``Registry(plugins=[PLUGIN], entry_points=False)`` and use
:func:`pack_file` for a pack with one rule of a kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from policyengine import Rule, hookimpl
from policyengine._conditions import TRUE, Compare

HERE = Path(__file__).parent


class TriggerRaises(Rule):
    """Fails while the pack compiles: building its condition raises."""

    kind: Literal["trigger_raises"]

    def trigger(self, clock):
        raise RuntimeError("this kind cannot build its condition")


class WrongTypeCondition(Rule):
    """Compiles to a comparison of a number fact with text, which durable-rules would compare as
    strings (``"two" > 1``) and Python refuses: it must be refused when the pack compiles."""

    kind: Literal["wrong_type_condition"]

    def trigger(self, clock):
        return Compare("staff_count", "lt", "two")


class RemedyRaises(Rule):
    """Always applies, and fails while the decision is built: its remedy raises."""

    kind: Literal["remedy_raises"]

    def trigger(self, clock):
        return TRUE

    def suggest_remedy(self, visit):
        raise KeyError("this kind cannot say what would fix it")


class RemedyNotAPatch(Rule):
    """Always applies, and its remedy is not a merge patch (a list, not a mapping)."""

    kind: Literal["remedy_not_a_patch"]

    def trigger(self, clock):
        return TRUE

    def suggest_remedy(self, visit):
        return ["approvals", "slt"]


KINDS = (TriggerRaises, WrongTypeCondition, RemedyRaises, RemedyNotAPatch)


class Plugin:
    @hookimpl
    def policyengine_rule_kinds(self):
        return list(KINDS)


PLUGIN = Plugin()


def pack_file(tmp_path: Path, kind: str, outcome: str = "conditional") -> Path:
    """A one-rule pack using ``kind`` (a conditional rule by default, so that only an error, not
    the rule's own outcome, can make the decision blocked)."""
    path = tmp_path / f"{kind}.yaml"
    path.write_text(
        f"id: broken-{kind.replace('_', '-')}\nschool: Test School\ndocument: Test Policy\nversion: '1'\n"
        f"rules:\n- id: {kind.replace('_', '-')}\n  kind: {kind}\n  outcome: {outcome}\n  message: m\n"
        f"  citation: {{section: Test, quote: q}}\n"
    )
    return path
