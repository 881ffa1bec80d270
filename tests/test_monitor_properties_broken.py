"""Each monitor property, seen to fail: its check run on an engine or monitor broken on purpose
(tests/monitor/broken.py) finds a stream that breaks it."""

from __future__ import annotations

from hypothesis import strategies as st

from policyengine import load_pack
from policyengine.monitor.monitor import VisitProgram
from tests.monitor import broken, checks
from tests.monitor.harness import needs_durable
from tests.monitor.streams import streams
from tests.properties.search import counterexample
from tests.test_properties_broken import fails

#: Enough examples to find each failure whatever the profile; the search stops at the first.
PATIENCE = 1000


def search(check, strategy=None):
    return counterexample(check, streams() if strategy is None else strategy, PATIENCE, shrink=False)


def _engine(cls, school):
    return cls(VisitProgram.compile(load_pack(school)).program)


@needs_durable
def test_engines_agree_fails_for_an_engine_that_ignores_restarts():
    found = search(lambda s: checks.engines_agree(s[0], s[1], python=_engine(broken.IgnoresRestarts, s[0])),
                   streams(school="tcat"))
    fails(found, "the durable and python engines disagree")


def test_no_early_action_fails_for_a_monitor_that_fires_when_time_reaches_the_deadline():
    found = search(lambda s: checks.no_action_before_its_deadline(s[0], s[1], monitor_class=broken.FiresEarly))
    fails(found, "but was written at", "not after it")


def test_exactly_once_fails_for_an_engine_that_ignores_the_event_that_meets_a_deadline():
    found = search(lambda s: checks.each_missed_deadline_once(s[0], s[1], engine=_engine(broken.IgnoresMet, s[0])))
    fails(found, "written but not due")


def test_exactly_once_fails_for_an_engine_that_ignores_restarts():
    found = search(lambda s: checks.each_missed_deadline_once(s[0], s[1], engine=_engine(broken.IgnoresRestarts, s[0])),
                   streams(school="tcat"))
    fails(found, "the actions differ from the deadlines missed")


def test_replay_fails_for_a_monitor_that_takes_late_and_repeated_events():
    found = search(lambda s: checks.replay_gives_nothing_new(s[0], s[1], monitor_class=broken.Lenient))
    fails(found, "replaying line")


def test_bad_lines_fail_for_a_monitor_that_moves_time_before_checking():
    found = search(lambda s: checks.bad_lines_change_nothing(s[0], s[1], monitor_class=broken.MovesTimeFirst))
    fails(found, "was refused", "but changed the state")


@needs_durable
def test_resume_fails_for_a_monitor_whose_snapshot_loses_a_visit():
    found = search(lambda x: checks.resume_continues(x[0][0], x[0][1], x[1], monitor_class=broken.Forgetful),
                   st.tuples(streams(bad=False), st.integers(0, 40)))
    fails(found, "after resuming at line")
