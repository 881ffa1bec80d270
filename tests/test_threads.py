"""Many threads at once: the same decisions as one thread, and a hang fails instead of stalling CI.

The work runs in a child process with a timeout, because a wedged durable-rules call holds the
interpreter and no in-process timeout could interrupt it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import requires_durable

ROOT = Path(__file__).resolve().parent.parent

THREADED_RUN = textwrap.dedent(
    """
    import json, sys
    from concurrent.futures import ThreadPoolExecutor
    from policyengine import available_engines, available_packs, check
    from tests.scenarios import TODAY
    from tests.test_batch import KINDS, mixed_visits

    THREADS, PER_THREAD = 8, 2000
    ENGINES = available_engines()
    schools = [KINDS, *available_packs()]
    visits = mixed_visits(500, seed=11)
    # Job n: a visit, a school and an engine, mixed so that every thread touches every pack.
    jobs = [(visits[n % len(visits)], schools[n % len(schools)], ENGINES[(n // len(schools)) % len(ENGINES)])
            for n in range(THREADS * PER_THREAD)]

    def run(job):
        visit, school, engine = job
        return check(visit, school=school, engine=engine, today=TODAY).model_dump_json()

    serial = [run(job) for job in jobs]

    def worker(t):
        return [run(job) for job in jobs[t::THREADS]]

    with ThreadPoolExecutor(THREADS) as pool:
        parts = list(pool.map(worker, range(THREADS)))
    threaded = [None] * len(jobs)
    for t, part in enumerate(parts):
        threaded[t::THREADS] = part
    different = sum(a != b for a, b in zip(serial, threaded))
    outcomes = sorted({json.loads(s)["outcome"] for s in serial})
    print(json.dumps({"checks": len(threaded), "different": different, "outcomes": outcomes,
                      "schools": len(schools)}))
    """
)


def test_eight_threads_decide_exactly_as_one_thread():
    done = subprocess.run(
        [sys.executable, "-c", THREADED_RUN], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["checks"] == 16_000
    assert result["different"] == 0
    assert len(result["outcomes"]) >= 2  # the visits really are mixed


RUNAWAY = textwrap.dedent(
    """
    import json
    import policyengine.engines.durable as eng
    from policyengine import DecisionError, load_pack, parse_visit
    from policyengine.packs.load import compile_pack
    from policyengine.facts import flatten
    from tests.test_batch import KINDS
    from tests.visits import visit

    # Without the state-record guard, a bare negation matches durable-rules' own state record
    # and the rule fires forever (measured: a million firings in 49 s, and on without end).
    eng._NOT_STATE = {"$nex": {"never_there": 1}}
    eng.to_durable = lambda cond: {"$nex": {"never_there": 1}}
    engine = eng.DurableEngine(compile_pack(load_pack(KINDS)))
    fact = flatten(parse_visit(visit()), engine.compiled.clock)
    said = []
    for attempt in range(2):
        try:
            engine.fired(fact)
            said.append("decided")
        except DecisionError as exc:
            said.append(str(exc))
    print(json.dumps({"said": said, "broken": engine.broken}))
    """
)


@requires_durable
def test_a_runaway_rule_is_stopped_and_fails_closed():
    done = subprocess.run([sys.executable, "-c", RUNAWAY], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "runaway" in result["said"][0]
    assert "abandoned" in result["said"][1]  # the wedged session is never used again
    assert result["broken"] is True


@requires_durable
def test_a_broken_engine_is_replaced_by_the_cache():
    from policyengine import check, load_pack
    from policyengine._policy import policy
    from tests.scenarios import TODAY
    from tests.test_batch import KINDS
    from tests.visits import visit

    first = policy(load_pack(KINDS), engine="durable").engine
    first.broken = True
    try:
        second = policy(load_pack(KINDS), engine="durable").engine
        assert second is not first and not second.broken
        assert check(visit(), school=KINDS, today=TODAY) == check(visit(), school=KINDS, engine="python", today=TODAY)
    finally:
        first.broken = False
