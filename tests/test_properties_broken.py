"""Each property, seen to fail: its check run on a pack or engine broken on purpose reports the
failure and names the rule. Broken packs are in tests/fixtures/broken/ (each says how it is
broken); broken engines and rule kinds in tests/properties/broken.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import strategies as st

from policyengine import InputError, Registry, check, load_pack, pack_model
from policyengine._validation import validate
from policyengine._yaml import load_file
from policyengine.packs.checks import source_path
from tests import strategies as S
from tests.conftest import requires_durable
from tests.properties import checks
from tests.properties.broken import PLUGIN, ChokesOnBedrooms, FirstMatch, Leaky, UnknownIsFalse, lenient, pack_file
from tests.properties.moves import MOVES
from tests.properties.search import counterexample
from tests.properties.subject import KINDS, REAL_ENGINES, named, subject, variants
from tests.scenarios import TODAY

BROKEN = Path(__file__).parent / "fixtures" / "broken"
#: Enough examples to find each failure whatever the profile; a search stops at the first one,
#: and is not shrunk (these tests only need to see the failure reported).
PATIENCE = 1000


def search(check, strategy):
    return counterexample(check, strategy, PATIENCE, shrink=False)


def broken(name: str):
    return named(str(BROKEN / f"{name}.yaml"))


def unchecked(name: str):
    """A broken pack that loading refuses (a misquote, a rule that never fires), validated for its
    shape only, so that the property's own check can be seen to catch it too."""
    path = BROKEN / f"{name}.yaml"
    loaded = load_file(path)
    pack = validate(pack_model(), loaded)
    pack._file, pack._loaded = str(path), loaded
    found = source_path(pack, loaded)
    return subject(pack, found.read_text(encoding="utf-8") if found else None, name, reload=lambda: pack)


def fails(found, *words: str) -> str:
    assert found is not None, "the property did not fail"
    text = "\n".join(found.problems)
    for word in words:
        assert word in text, text
    return text


def kinds_with(**engines):
    return subject(load_pack(KINDS), named(KINDS).source, "kinds", engines)


@requires_durable
def test_engines_agree_fails_for_an_engine_that_reads_not_known_as_no():
    s = kinds_with(durable=REAL_ENGINES["durable"], python=UnknownIsFalse)
    found = search(lambda v: checks.engines_agree(s, v), S.visits())
    text = fails(found, "the durable and python engines disagree")
    assert re.search(r"only (durable|python)( fired)?: \['[a-z-]+'", text), text


def test_order_fails_for_an_engine_that_reports_only_the_first_rule():
    order = variants(kinds_with(python=FirstMatch))
    found = search(lambda vs: checks.order_and_repetition(order, vs), st.lists(S.visits(), min_size=1, max_size=3))
    fails(found, "(rules reversed) decides differently")


def test_repetition_fails_for_an_engine_that_keeps_earlier_visits():
    # A fresh engine for each example: the leak would otherwise carry over between examples.
    found = search(lambda vs: checks.order_and_repetition([kinds_with(python=Leaky)], vs), st.lists(S.visits(), min_size=2, max_size=3))
    fails(found, "the same visit decided again gave")


def _monotone_failure(pack: str, move_name: str):
    s = broken(pack)
    (move,) = [m for m in MOVES if m.name == move_name]
    moved = st.tuples(S.visits(s.bases()), st.integers(0, 2**16)).filter(lambda x: move.apply(x[0], s.pack.clock, x[1]) is not None)
    return search(lambda x: checks.monotone(s, x[0], move, x[1]), moved)


def test_monotone_fails_for_a_wait_limit_without_a_cancellation():
    fails(_monotone_failure("wait_without_cancel", "longer wait"), "'longer wait' made the visit more permissive", "['wait']")


def test_monotone_fails_for_upstairs_blocked_but_not_a_bedroom():
    fails(_monotone_failure("upstairs_not_bedroom", "room further from the door"), "(blocked -> permitted)", "['upstairs']")


def test_remedies_fail_for_a_remedy_that_does_not_fix():
    s = broken("remedy_does_not_fix")
    found = search(lambda v: checks.remedies_work(s, v), S.visits(s.bases()))
    fails(found, "the remedy of rule 'long-visit'", "does not remove it")


def test_remedies_fail_for_a_final_finding_staff_can_fix():
    s = broken("final_but_fixable")
    found = search(lambda v: checks.remedies_work(s, v), S.visits(s.bases()))
    text = fails(found, "rule 'emergency-needs-dsl' is blocked with no remedy", "this change removes it")
    assert '"role": "dsl"' in text  # the witness: take the DSL


def test_remedies_fail_when_they_undo_each_other():
    s = broken("remedies_undo_each_other")
    found = search(lambda v: checks.remedies_work(s, v), S.visits(s.bases()))
    text = fails(found, "do not together make the visit permitted")
    assert "'too-long'" in text or "'too-short'" in text, text


def test_remedies_fail_for_a_condition_without_a_remedy():
    s = broken("condition_without_remedy")
    found = search(lambda v: checks.remedies_work(s, v), S.visits(s.bases()))
    fails(found, "rule 'first-visit-plan' is conditional but has no remedy", "removes it", "visit_plan_lodged")


def test_citations_fail_for_a_paraphrase():
    with pytest.raises(InputError, match="rule 'paired': the quote is not in the policy text"):
        load_pack(str(BROKEN / "misquoted.yaml"))  # refused as it loads, and the property sees it too:
    s = unchecked("misquoted")
    assert checks.pack_citations(s) == ["rule 'paired': the quote 'Staff must always visit in pairs' is not in the policy text"]
    found = search(lambda v: checks.citations_hold(s, v), S.visits())
    fails(found, "rule 'paired' cites 'Staff must always visit in pairs', which is not in the policy text")


@requires_durable
def test_totality_fails_for_an_engine_that_raises_on_a_valid_visit():
    s = kinds_with(durable=REAL_ENGINES["durable"], python=ChokesOnBedrooms)
    found = search(lambda v: checks.total(s, v), S.visits())
    fails(found, "the python engine raised DecisionError", "KeyError('child_bedroom')")


def test_failing_closed_fails_for_a_way_of_deciding_that_turns_errors_into_permitted(tmp_path):
    registry = Registry(plugins=[PLUGIN], entry_points=False)
    pack = str(pack_file(tmp_path, "remedy_raises"))
    decide = lenient(lambda v: check(v, school=pack, registry=registry, today=TODAY))
    found = search(lambda v: checks.fails_closed(decide, v), S.visits())
    fails(found, "decided permitted")


def test_satisfiable_fails_for_a_pack_that_blocks_every_attendance_visit():
    assert checks.satisfiable(broken("never_permitted")) == [
        "no attendance visit is permitted (there is none): the pack blocks or conditions every such visit"
    ]


def test_live_fails_for_a_rule_that_never_fires():
    with pytest.raises(InputError, match="rule 'transport-unless-transport' can never fire"):
        load_pack(str(BROKEN / "never_fires.yaml"))  # refused as it loads, and the property sees it too:
    assert checks.live(unchecked("never_fires")) == ["rule 'transport-unless-transport' never fires: no visit meets its condition"]


# -- the phase of a visit (issue 13) ----------------------------------------------------------------


def test_plan_remedies_fail_for_a_plan_patched_with_door_facts():
    with pytest.raises(InputError, match="rule 'animals-away': its remedy sets on_arrival"):
        load_pack(str(BROKEN / "plan_remedy_adds_door.yaml"))  # refused as it loads, and the property sees it too:
    s = unchecked("plan_remedy_adds_door")
    found = search(lambda v: checks.plan_remedies_stay_plans(s, v), S.as_plans(S.visits(s.bases())))
    fails(found, "rule 'animals-away' gives a plan the remedy", "says what staff will find at the door")


def test_observations_fail_for_remedies_that_change_what_staff_saw():
    s = broken("remedy_changes_what_staff_saw")
    at_door = S.at_the_door(S.visits(s.bases()))
    found = search(lambda v: checks.remedies_keep_what_staff_saw(s, v), at_door)
    fails(found, "changes what staff saw at the door: parents_present False -> True")
    refused = at_door.filter(lambda v: (v["on_arrival"] or {}).get("animal_request_refused") is True)
    about_animals = lambda v: [p for p in checks.remedies_keep_what_staff_saw(s, v) if "'animals-away'" in p]  # noqa: E731
    fails(search(about_animals, refused), "says the animals are secured, but the household refused")


def test_unknown_never_permits_fails_for_rooms_checked_only_once_known():
    s = broken("unknown_room_permitted")
    found = search(lambda v: checks.unknown_never_permits(s, v), S.at_the_door(S.visits(s.bases())))
    fails(found, "with meeting_room not known the decision door is permitted, but meeting_room: 'upstairs' makes it blocked",
          "['not-upstairs']")


def test_numbers_quoted_fails_for_a_wait_that_quotes_only_the_cancellation():
    with pytest.raises(InputError, match="rule 'wait-exceeded' applies 20 minutes, but its quote does not say it"):
        load_pack(str(BROKEN / "number_not_quoted.yaml"))  # refused as it loads, and the property sees it too:
    assert checks.numbers_quoted(unchecked("number_not_quoted")) == [
        "rule 'wait-exceeded' applies 20 minutes, but its quote 'If the parents do not arrive, the visit will be "
        "cancelled.' does not say it"
    ]
