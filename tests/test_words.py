"""Conditions in plain words (``_conditions.plain``): what ``show``, the report and ``diff`` print.

Besides the wording the issue asks for, two properties hold for every comparison of every fact:
"(or it is not known)" is said exactly when the comparison holds for a fact that is not known, and
"always"/"never" exactly when it holds for every value or none. Each is seen to fail on a renderer
broken on purpose (``tests/fixtures/broken/words.py``).
"""

from __future__ import annotations

import pytest

from policyengine import facts as _facts
from policyengine.conditions import form as _conditions
from policyengine.conditions.form import OPS, Compare, all_of, any_of, fact, plain
from policyengine.facts import FIELDS, UNKNOWN, FactField, enum_values
from policyengine.packs.load import load_pack
from tests.fixtures import broken_words


def rule_words(pack_id: str, rule_id: str) -> str:
    pack = load_pack(pack_id)
    return plain(pack.condition(pack.rule(rule_id)))


def test_the_wording_the_issue_asks_for():
    assert rule_words("ellesmere", "evening-visit") == (
        "either the visit starts at or after 18:00 or before 06:00 or the visit ends after 18:00 or its length is not "
        "known, and no justification is recorded (or it is not known)"
    )
    assert rule_words("wirksworth", "dsl-authorises") == "the DSL has not approved it (or it is not known)"


@pytest.mark.parametrize(
    ("cond", "words"),
    [
        (fact("staff_count", "lt", 2), "fewer than 2 staff go"),
        (fact("staff_count", "eq", 1), "exactly 1 member of staff goes"),
        (fact("role_dsl", "lt", 1), "no DSL goes"),
        (fact("role_teacher", "gt", 0), "at least one teacher goes"),
        (fact("staff_count", "ge", 1), "always"),
        (fact("minutes_waited", "gt", 20), "staff have waited more than 20 minutes"),
        (fact("minutes_waited", "le", 20), "staff have waited at most 20 minutes (or it is not known)"),
        (fact("check_in_interval", "lt", 1), "no check-in interval is agreed"),
        (fact("duration_minutes", "ge", 1), "its length is known"),
        (fact("end_minute", "gt", 1430 + 20), "the visit ends after 00:10 the next day"),
        (fact("first_visit", "ne", False), "it is a first visit to this address (or it is not known)"),
        (fact("first_visit", "eq", None), "it is not known whether it is a first visit to this address"),
        (fact("risk_assessment", "not_in", ["completed", "approved"]), "the risk assessment is not done (or it is not known)"),
        (fact("risk_assessment", "ne", "approved"), "the risk assessment is not approved (or it is not known)"),
        (fact("animals", "ne", "none"), "there are animals in the household (or it is not known)"),
        (fact("urgency", "ne", "emergency"), "the visit is planned"),
        (fact("purpose", "in", ["welfare_check", "safeguarding"]), "the visit is for a welfare check or safeguarding"),
        (fact("lowest_dbs", "eq", "unknown"), "someone's DBS check is not known"),
        (
            all_of(fact("arrived", "eq", True), any_of(fact("staff_feel_unsafe", "eq", True), fact("occupant_concern", "eq", True))),
            "staff are at the door, and either staff feel unsafe or the person at the door gives cause for concern",
        ),
        (
            any_of(all_of(fact("staff_count", "lt", 2), fact("known_risks", "eq", True)), fact("weekend", "eq", True)),
            "both fewer than 2 staff go and risks to staff are known or suspected, or the visit starts at a weekend",
        ),
    ],
)
def test_comparisons_and_groups_in_words(cond, words):
    assert plain(cond) == words


def _values(spec: FactField) -> list:
    """Constants worth comparing ``spec`` with, encoded as the fact holds them."""
    if spec.type == "bool":
        return [1, 0, UNKNOWN]
    if spec.type == "enum":
        return list(enum_values(spec))
    return [UNKNOWN, 0, 1, 2, 20, 960, 1080]


def _domain(spec: FactField) -> list:
    """Values the fact can hold (numbers: a sample around the constants above)."""
    if spec.type != "int":
        return _values(spec)
    words = _conditions.wording(spec.name)
    known = [v for v in range(-1, 1100) if v >= words.least]
    return known + ([UNKNOWN] if words.unknown else [])


def comparisons():
    for spec in FIELDS.values():
        for op in OPS:
            if spec.type != "int" and op in ("lt", "le", "gt", "ge"):
                continue
            for value in _values(spec):
                yield Compare(spec.name, op, (value,) if op in ("in", "not_in") else value)


def wrong_words(render) -> list[str]:
    """Comparisons ``render`` words wrongly: a raw fact name or symbol, "not known" said when the
    comparison does not hold for a fact that is not known (or left unsaid when it does), or "always"
    / "never" where some values meet it and some do not."""
    wrong = []
    for c in comparisons():
        spec = FIELDS[c.fact]
        words = render(c)
        unknown = "unknown" if spec.type == "enum" else UNKNOWN
        domain = _domain(spec)
        holds = {v: _conditions._PY_OPS[c.op](v, c.value) for v in domain}
        for_unknown = holds.get(unknown, False)
        if any(s in words for s in ("!=", ">=", "<=", " = ", "_")):
            wrong.append(f"{c}: {words!r} is not in words")
        elif words == "always" and not all(holds.values()) or words == "never" and any(holds.values()):
            wrong.append(f"{c}: {words!r}")
        elif words not in ("always", "never"):
            says_unknown = "not known" in words or words == _conditions.wording(c.fact).unknown
            if says_unknown != for_unknown:
                wrong.append(f"{c}: {words!r} (holds for not known: {for_unknown})")
    return wrong


def test_every_comparison_of_every_fact_is_in_words_and_says_not_known_exactly_when_it_holds_for_it():
    assert wrong_words(plain) == []


def test_the_check_catches_a_renderer_that_drops_not_known():
    assert any("holds for not known: True" in w for w in wrong_words(broken_words.drops_not_known))


def test_the_check_catches_a_renderer_that_says_always_too_readily():
    assert any("'always'" in w for w in wrong_words(broken_words.always_for_ge))


def test_the_check_catches_raw_fact_names():
    assert any("is not in words" in w for w in wrong_words(_conditions.describe))


def test_a_fact_without_wording_is_put_into_words_from_its_declaration(monkeypatch):
    new = {
        "phase": FactField("phase", "enum", "the stage of the visit", ("before", "at_door", "inside")),
        "stairs_checked": FactField("stairs_checked", "bool", "staff have checked the stairs are safe"),
        "lights_on": FactField("lights_on", "int", "lights switched on (-1: not known)"),
    }
    monkeypatch.setattr(_facts, "FIELDS", {**FIELDS, **new})
    monkeypatch.setattr(_conditions, "FIELDS", {**FIELDS, **new})
    assert plain(Compare("phase", "in", ("at_door", "inside"))) == "phase is at door or inside"
    assert plain(Compare("phase", "ne", "before")) == "phase is not before (or it is not known)"
    assert plain(Compare("stairs_checked", "ne", 1)) == (
        "it is not so that staff have checked the stairs are safe (or it is not known)"
    )
    assert plain(Compare("lights_on", "gt", 2)) == "lights on is more than 2"
    assert plain(Compare("lights_on", "lt", 2)) == "lights on is less than 2 (or it is not known)"
