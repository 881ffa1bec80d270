"""The Policy at the centre: found once per pack file version, deciding as check does, and keeping
Python's garbage collector out of a batch without changing the caller's setting."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import threading
from pathlib import Path

import pytest

import policyengine
from policyengine import InputError, Policy, _policy, check, check_many, policy
from tests.conftest import ENGINE_PARAMS
from tests.scenarios import TODAY
from tests.test_batch import KINDS, mixed_visits

SCHOOLS = Path(__file__).resolve().parent.parent / "schools"


def copy_of_tcat(folder: Path) -> Path:
    (folder / "sources").mkdir()
    shutil.copy(SCHOOLS / "sources" / "tcat.txt", folder / "sources" / "tcat.txt")
    path = folder / "tcat-copy.yaml"
    shutil.copy(SCHOOLS / "tcat.yaml", path)
    return path


def test_the_policy_for_a_name_is_found_once_and_shared():
    assert policy("tcat", engine="python") is policy("tcat", engine="python")
    assert policy(KINDS, engine="python") is policy(KINDS, engine="python")
    assert policy("tcat", engine="python") is not policy(KINDS, engine="python")


def test_an_edited_pack_file_gives_a_new_policy(tmp_path):
    path = copy_of_tcat(tmp_path)
    first = policy(str(path), engine="python")
    assert first.pack.version == "1"
    text = path.read_text()
    path.write_text(text.replace('version: "1"', 'version: "2"', 1))
    os.utime(path, ns=(1, 1))  # a new modification time, even where the clock's resolution is coarse
    second = policy(str(path), engine="python")
    assert second is not first and second.pack.version == "2"
    assert check(mixed_visits(1)[0], school=str(path), engine="python", today=TODAY).pack_version == "2"


def test_a_removed_pack_file_is_said_not_to_be_there(tmp_path):
    path = copy_of_tcat(tmp_path)
    policy(str(path), engine="python")
    path.unlink()
    with pytest.raises(InputError, match="file not found"):
        policy(str(path), engine="python")


def test_a_relative_pack_path_is_the_file_in_the_working_folder(tmp_path, monkeypatch):
    for name, version in (("a", "one"), ("b", "two")):
        folder = tmp_path / name
        folder.mkdir()
        path = copy_of_tcat(folder)
        path.write_text(path.read_text().replace('version: "1"', f'version: "{version}"', 1))
    seen = []
    for name in ("a", "b"):
        monkeypatch.chdir(tmp_path / name)
        seen.append(policy("tcat-copy.yaml", engine="python").pack.version)
    assert seen == ["one", "two"]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_policy_decides_as_check_and_check_many_do(engine):
    visits = mixed_visits(40, seed=7)
    held = policy(KINDS, engine=engine)
    assert isinstance(held, Policy) and held.engine_name == engine
    expected = [check(v, school=KINDS, engine=engine, today=TODAY) for v in visits]
    assert [held.check(v, today=TODAY) for v in visits] == expected
    assert held.check_many(visits, today=TODAY) == expected
    assert check_many(visits, school=KINDS, engine=engine, today=TODAY) == expected


def test_a_policy_refuses_a_visit_naming_another_school():
    visit = {**mixed_visits(1)[0], "school": "tcat"}
    with pytest.raises(InputError, match="visits\\[0\\]"):
        policy(KINDS, engine="python").check_many([visit], today=TODAY)


# -- the garbage collector during a batch -----------------------------------------------------------


@contextlib.contextmanager
def restores_only_on_success():
    """Broken on purpose: the setting is not restored when the batch raises."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@contextlib.contextmanager
def always_enables():
    """Broken on purpose: a caller who turned the collector off finds it on again."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def settings_kept(pause, monkeypatch) -> bool:
    """Whether a batch, run through ``pause``, leaves the collector as the caller set it, whether
    the batch succeeds or raises, and keeps the collector off while it decides."""
    monkeypatch.setattr(_policy, "collector_paused", pause)
    during = []
    real = _policy.Policy._decisions

    def watched(self, *args, **kwargs):
        during.append(gc.isenabled())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_policy.Policy, "_decisions", watched)
    good, bad = mixed_visits(5), mixed_visits(5) + [{"purpose": "tea"}]
    kept = True
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            for visits in (good, bad):
                with contextlib.suppress(InputError):
                    check_many(visits, school=KINDS, engine="python", today=TODAY)
                kept &= gc.isenabled() is enabled
                with contextlib.suppress(InputError):
                    policy(KINDS, engine="python").check_many(visits, today=TODAY)
                kept &= gc.isenabled() is enabled
    finally:
        gc.enable()
    return kept and during and not any(during)


def test_a_batch_pauses_the_collector_and_restores_the_callers_setting(monkeypatch):
    assert settings_kept(_policy.collector_paused, monkeypatch)


@pytest.mark.parametrize("broken", [restores_only_on_success, always_enables])
def test_the_setting_check_fails_on_pauses_broken_on_purpose(broken, monkeypatch):
    assert not settings_kept(broken, monkeypatch)


def test_batches_in_several_threads_restore_the_collector_when_the_last_ends():
    start, results = threading.Barrier(4), []

    def batch():
        start.wait()
        results.append(len(check_many(mixed_visits(30), school=KINDS, engine="python", today=TODAY)))

    gc.enable()
    threads = [threading.Thread(target=batch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [30] * 4
    assert gc.isenabled()


def test_the_public_api_exports_the_policy():
    assert {"Policy", "policy", "Engine"} <= set(policyengine.__all__)
