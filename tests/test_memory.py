"""Memory stays flat: RSS grows by less than 5 MB over 100,000 checks (in a child process).

100,000 checks go through the durable engine itself (``fired``, where durable-rules' native
session memory lives: a fact left behind would show here), and 10,000 of them also through the
whole ``check`` (validation, decision, citations). Decisions are pure Python objects freed as they
go, so checking all 100,000 end to end would only make the test take 20 seconds instead of 8.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import requires_durable

ROOT = Path(__file__).resolve().parent.parent

MEASURE = textwrap.dedent(
    """
    import gc, json, resource
    from policyengine import check, load_pack, parse_visit
    from policyengine._policy import policy
    from policyengine.facts import flatten
    from tests.scenarios import TODAY
    from tests.test_batch import KINDS, mixed_visits

    def rss_kb():
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    visits = mixed_visits(200, seed=3)
    engine = policy(load_pack(KINDS), engine="durable").engine
    facts = [flatten(parse_visit(v), engine.compiled.clock) for v in visits]

    def work(n, whole):
        for i in range(n):
            if whole:
                check(visits[i % 200], school=KINDS, today=TODAY)
            else:
                engine.fired(facts[i % 200])

    work(5_000, False); work(1_000, True)  # warm up: caches, allocator arenas
    gc.collect()
    before = rss_kb()
    work(100_000, False)
    work(10_000, True)
    gc.collect()
    after = rss_kb()
    leftover = engine._host.get_facts(engine.ruleset, "policyengine")
    print(json.dumps({"growth_kb": after - before, "leftover_facts": len(leftover)}))
    """
)


@requires_durable
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads VmRSS from /proc")
def test_memory_stays_flat_over_100000_checks():
    done = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["leftover_facts"] == 0
    assert result["growth_kb"] < 5 * 1024, f"RSS grew by {result['growth_kb']} kB"
