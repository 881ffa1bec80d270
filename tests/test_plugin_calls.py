"""How policyengine calls plugin code: only the arguments a hook declares, SystemExit as a plugin's
failure (never a silent exit 0), and an optional time limit after which a check fails closed.

A plugin that "hangs" here waits on an event the test sets when it ends, so that its abandoned
worker thread finishes; the time limits are a tenth of a second, so each hang costs that much.
"""

from __future__ import annotations

import json
import threading
from typing import Literal, Optional

import pytest

from policyengine import PluginError, Registry, check, check_many, hookimpl
from policyengine.plugins import registry as _plugins
from tests.conftest import ENGINE_PARAMS
from tests.scenarios import TODAY
from tests.test_plugins import BLOCK_LONE, LENGTH_RULE, LONG, Kinds, Packs, VisitLength, pack_data
from tests.visits import ONE_STAFF, visit

LIMIT = 0.1  # seconds


@pytest.fixture
def release():
    """An event that every hanging plugin waits on; set when the test ends."""
    event = threading.Event()
    yield event
    event.set()


# -- 14.5: each implementation gets only the arguments it declares ------------------------------------


class OnlyDecision:
    def __init__(self):
        self.outcomes: list[str] = []

    @hookimpl
    def policyengine_decision_made(self, decision):
        self.outcomes.append(decision.outcome.value)


class OnlyVisit:
    def __init__(self):
        self.digests: list[str] = []

    @hookimpl
    def policyengine_decision_made(self, visit):
        self.digests.append(visit.digest)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_listener_that_declares_only_the_arguments_it_uses_is_called_with_those(engine):
    decisions, visits = OnlyDecision(), OnlyVisit()
    reg = Registry(plugins=[Packs(pack_data("plugged", BLOCK_LONE)), decisions, visits], entry_points=False)
    assert check(visit(ONE_STAFF), school="plugged", engine=engine, registry=reg, today=TODAY).outcome.value == "blocked"
    check_many([visit(), visit(ONE_STAFF)], school="plugged", engine=engine, registry=reg, today=TODAY)
    assert decisions.outcomes == ["blocked", "permitted", "blocked"]
    assert len(visits.digests) == 3 and all(d.startswith("sha256:") for d in visits.digests)


# -- 12.10: SystemExit from a plugin is the plugin's failure -------------------------------------------


class Exits:
    @hookimpl
    def policyengine_decision_made(self, decision):
        raise SystemExit(0)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_listener_raising_system_exit_is_a_plugin_error_never_a_decision(engine):
    reg = Registry(plugins=[Packs(pack_data("plugged", BLOCK_LONE)), Exits()], entry_points=False)
    with pytest.raises(PluginError) as caught:
        check(visit(ONE_STAFF), school="plugged", engine=engine, registry=reg, today=TODAY)
    assert str(caught.value) == (
        "a decision listener failed, so no decision is returned (it may not have been recorded): plugin "
        "tests.test_plugin_calls.Exits raised SystemExit(0) (a plugin must not end the program)"
    )


def test_the_check_command_exits_1_not_0_when_a_listener_raises_system_exit(monkeypatch, capsys, tmp_path):
    from policyengine.cli.main import main

    monkeypatch.setattr(_plugins, "_default", Registry(plugins=[Packs(pack_data("plugged", BLOCK_LONE)), Exits()],
                                                       entry_points=False))
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit(ONE_STAFF)))
    assert main(["check", str(visit_file), "--school", "plugged"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("policyengine: error: a decision listener failed") and "SystemExit(0)" in err


class ExitingKind(VisitLength):
    kind: Literal["exiting"]
    where: str = "trigger"

    def trigger(self, clock):
        if self.where == "trigger":
            raise SystemExit("bye")
        return super().trigger(clock)

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        raise SystemExit(3)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize("where, said", [
    ("trigger", "failed in trigger() for rule 'visit-length': raised SystemExit('bye') (a plugin must not end the program)"),
    ("remedy", "failed in suggest_remedy() for rule 'visit-length': raised SystemExit(3) (a plugin must not end the program)"),
])
def test_a_rule_kind_raising_system_exit_is_a_plugin_error(engine, where, said):
    rule = dict(LENGTH_RULE, kind="exiting", where=where)
    reg = Registry(plugins=[Kinds(ExitingKind), Packs(pack_data("plugged", rule))], entry_points=False)
    with pytest.raises(PluginError) as caught:
        check(LONG, school="plugged", engine=engine, registry=reg, today=TODAY)
    assert f"rule kind 'exiting' (tests.test_plugin_calls.ExitingKind) {said}" in str(caught.value)


# -- 12.10: a time limit on plugin calls ----------------------------------------------------------------


class HangingListener:
    def __init__(self, release: threading.Event):
        self.release = release
        self.calls = 0

    @hookimpl
    def policyengine_decision_made(self, decision):
        self.calls += 1
        self.release.wait()


HANG: dict[str, threading.Event] = {}  # the event a HangingKind waits on, set by each test


class HangingKind(VisitLength):
    kind: Literal["hanging"]
    where: str = "trigger"

    def trigger(self, clock):
        if self.where == "trigger":
            HANG["release"].wait()
        return super().trigger(clock)

    def suggest_remedy(self, visit: dict) -> Optional[dict]:
        HANG["release"].wait()
        return super().suggest_remedy(visit)


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_listener_that_hangs_fails_the_check_closed_after_the_time_limit(engine, release):
    listener = HangingListener(release)
    reg = Registry(plugins=[Packs(pack_data("plugged", BLOCK_LONE)), listener], entry_points=False, plugin_timeout=LIMIT)
    with pytest.raises(PluginError) as caught:
        check(visit(ONE_STAFF), school="plugged", engine=engine, registry=reg, today=TODAY)
    assert str(caught.value) == (
        "a decision listener failed, so no decision is returned (it may not have been recorded): plugin "
        "tests.test_plugin_calls.HangingListener did not return within 0.1 s (the plugin time limit), so the check "
        "failed closed"
    )
    # It is not called again (it is still stuck in the first call): the next check fails at once.
    with pytest.raises(PluginError, match="an earlier call did not return within 0.1 s"):
        check(visit(ONE_STAFF), school="plugged", engine=engine, registry=reg, today=TODAY)
    assert listener.calls == 1


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize("where, method", [("trigger", "trigger"), ("remedy", "suggest_remedy")])
def test_a_rule_kind_that_hangs_fails_the_check_closed_after_the_time_limit(engine, where, method, release, monkeypatch):
    monkeypatch.setitem(HANG, "release", release)
    rule = dict(LENGTH_RULE, kind="hanging", where=where)
    reg = Registry(plugins=[Kinds(HangingKind), Packs(pack_data("plugged", rule))], entry_points=False,
                   plugin_timeout=LIMIT)
    with pytest.raises(PluginError) as caught:
        check(LONG, school="plugged", engine=engine, registry=reg, today=TODAY)
    assert (f"rule kind 'hanging' (tests.test_plugin_calls.HangingKind) failed in {method}() for rule 'visit-length': "
            "did not return within 0.1 s (the plugin time limit), so the check failed closed") in str(caught.value)


def test_a_hook_that_hangs_makes_only_its_plugin_unavailable(release):
    class HangingPacks:
        @hookimpl
        def policyengine_rule_packs(self):
            release.wait()
            return []

    reg = Registry(plugins=[HangingPacks()], entry_points=False, plugin_timeout=LIMIT)
    assert [p.message for p in reg.problems()] == [
        "plugin tests.test_plugin_calls.test_a_hook_that_hangs_makes_only_its_plugin_unavailable.<locals>.HangingPacks: "
        "policyengine_rule_packs() did not return within 0.1 s (the plugin time limit), so the check failed closed; "
        "its packs are unavailable"
    ]
    assert check(LONG, school="tcat", registry=reg, today=TODAY).outcome.value == "conditional"


def test_the_plugin_timeout_option_limits_plugin_calls_from_the_command_line(monkeypatch, capsys, tmp_path, release):
    from policyengine.cli.main import main

    reg = Registry(plugins=[Packs(pack_data("plugged", BLOCK_LONE)), HangingListener(release)], entry_points=False)
    monkeypatch.setattr(_plugins, "_default", reg)
    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps(visit(ONE_STAFF)))
    assert main(["check", str(visit_file), "--school", "plugged", "--plugin-timeout", "0.1"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "did not return within 0.1 s" in err
    assert reg.plugin_timeout is None  # the option held for that command only
    with pytest.raises(SystemExit) as exited:  # argparse's own bad input: exit 2, one line
        main(["check", str(visit_file), "--plugin-timeout", "soon"])
    assert exited.value.code == 2 and "'soon' is not a number of seconds" in capsys.readouterr().err
