"""The visit monitor's properties, on random streams of events for every built-in pack.

* the durable-rules engine and the python reference engine write the same actions, refuse the same
  lines and end holding the same deadlines;
* no action is written before its deadline;
* each deadline that passes without its event gives exactly one action, once (the actions are
  exactly those of a second, simpler computation: tests/monitor/oracle.py);
* replaying the same stream gives nothing new: no action, and no event taken twice;
* a line out of time order, for an unknown visit, malformed or impossible is reported and changes
  nothing;
* a monitor restored from a snapshot goes on exactly as the one that never stopped.

Each is seen to fail on something broken on purpose in tests/test_monitor_properties_broken.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.monitor import checks
from tests.monitor.harness import ENGINES, needs_durable
from tests.monitor.streams import streams


def holds(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


@needs_durable
@given(streams())
def test_engines_agree(stream):
    holds(checks.engines_agree(*stream))


@pytest.mark.parametrize("engine", ENGINES)
@given(stream=streams())
def test_no_action_before_its_deadline(engine, stream):
    holds(checks.no_action_before_its_deadline(*stream, engine))


@pytest.mark.parametrize("engine", ENGINES)
@given(stream=streams())
def test_each_missed_deadline_gives_exactly_one_action(engine, stream):
    holds(checks.each_missed_deadline_once(*stream, engine))


@pytest.mark.parametrize("engine", ENGINES)
@given(stream=streams())
def test_replaying_the_stream_gives_nothing_new(engine, stream):
    holds(checks.replay_gives_nothing_new(*stream, engine))


@pytest.mark.parametrize("engine", ENGINES)
@given(stream=streams())
def test_bad_lines_are_reported_and_change_nothing(engine, stream):
    holds(checks.bad_lines_change_nothing(*stream, engine))


@needs_durable
@given(stream=streams(), cut=st.integers(0, 40))
def test_a_restored_monitor_goes_on_as_the_uninterrupted_one(stream, cut):
    holds(checks.resume_continues(*stream, cut))
