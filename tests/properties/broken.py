"""Rule kinds and engines that are broken on purpose, to see the property checks fail.

The kinds each fail at a different moment of a decision (for failing closed): register them
through a fresh ``Registry(plugins=[PLUGIN], entry_points=False)`` and use :func:`pack_file` for a
pack with one rule of a kind. Each engine is a PythonEngine with one realistic mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from policyengine import Decision, Outcome, Rule, hookimpl
from policyengine.conditions.form import TRUE, Compare
from policyengine.engines.python import PythonEngine
from policyengine.facts import FIELDS, UNKNOWN


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
    (tmp_path / "sources").mkdir(exist_ok=True)
    (tmp_path / "sources" / "q.txt").write_text("q\n")
    path.write_text(
        f"id: broken-{kind.replace('_', '-')}\nschool: Test School\ndocument: Test Policy\nversion: '1'\nsource: q.txt\n"
        f"rules:\n- id: {kind.replace('_', '-')}\n  kind: {kind}\n  outcome: {outcome}\n  message: m\n"
        f"  citation: {{section: Test, quote: q}}\n"
    )
    return path


# -- engines --------------------------------------------------------------------------------------


class UnknownIsFalse(PythonEngine):
    """Reads a yes/no fact that is not known as "no" (the mistake the 1/0/-1 encoding prevents)."""

    def fired(self, fact):
        return super().fired({k: (0 if FIELDS.get(k) and FIELDS[k].type == "bool" and v == UNKNOWN else v) for k, v in fact.items()})


class FirstMatch(PythonEngine):
    """Reports only the first rule (in pack order) that fires, as durable-rules does for an event
    rather than a fact."""

    def fired(self, fact):
        for rule_id, holds in self._rules:
            if holds(fact):
                return {rule_id}
        return set()


class Leaky(PythonEngine):
    """Keeps what fired for earlier visits, as a session whose facts are never retracted would."""

    def __init__(self, compiled):
        super().__init__(compiled)
        self._seen: set = set()

    def fired(self, fact):
        self._seen |= super().fired(fact)
        return set(self._seen)


class ChokesOnBedrooms(PythonEngine):
    """Raises on a valid visit (at the door, meeting in a child's bedroom)."""

    def fired(self, fact):
        if fact["meeting_room"] == "child_bedroom":
            raise KeyError("child_bedroom")
        return super().fired(fact)


def lenient(decide):
    """A way of deciding that turns any error into "permitted": what failing closed forbids."""

    def deciding(visit):
        try:
            return decide(visit)
        except Exception:
            return Decision(school="?", pack_version="?", pack_digest="?", phase="plan", outcome=Outcome.PERMITTED)

    return deciding
