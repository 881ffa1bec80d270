"""policyengine benchmark: one run, pinned to one core, prints one table.

    python benchmarks/bench.py [--quick] [--profile]

Rates are visits per second and, where it makes sense, a ratio to the *floor*: a plain hand-written
Python function of the same rules (``floor_rules`` below) over the same flattened fact. Every rate
is measured in this one run, so the ratios compare like with like on this machine.

The floor mirrors the pack the benchmark runs on, the built-in ``tcat`` pack;
``tests/test_batch.py`` compares the floor with the python engine on random visits, so the floor
cannot drift from the pack it claims to mirror.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyengine import check, check_many, load_pack, parse_visit  # noqa: E402
from policyengine._engine import make_engine
from policyengine._policy import policy  # noqa: E402
from policyengine._facts import flatten  # noqa: E402
from policyengine._pack import _pack_cache, compile_pack, parse_pack  # noqa: E402
from policyengine._yaml import from_mapping  # noqa: E402

PACK = "tcat"
TODAY = date(2026, 11, 22)


def floor_rules(f: dict) -> set[str]:
    """The tcat pack's rules written by hand over the fact: the fastest plain Python can be."""
    fired = {"contact-the-office", "log-the-visit"}  # reminders on every visit
    arrived = f["arrived"] == 1
    if arrived and f["parents_present"] != 1:
        fired.add("wait-within-limit" if f["minutes_waited"] <= 20 else "wait-exceeded")
    if f["in_school_day"] != 1 and (f["out_of_hours_justified"] != 1 or f["responsible_contact"] != 1):
        fired.add("outside-school-hours")
    if f["staff_count"] < 2 and f["lone_visit_approved_by"] != "headteacher":
        fired.add("pairs-unless-headteacher-agrees")
    purpose, head = f["purpose"], f["approved_by_headteacher"] == 1
    if purpose == "attendance":
        if not head and f["approved_by_senior_attendance_lead"] != 1:
            fired.add("authorised-attendance")
    elif purpose in ("welfare_check", "safeguarding"):
        if not head and f["approved_by_dsl"] != 1:
            fired.add("authorised-welfare")
    elif not head:
        fired.add("authorised-other")
    if f["visit_plan_lodged"] != 1:
        fired.add("appointment-form")
    if f["parents_informed"] != 1 and f["urgency"] != "emergency" and purpose not in ("safeguarding", "welfare_check"):
        fired.add("parents-agree")
    if f["risk_assessment"] != "approved":
        fired.add("risk-assessment-approved")
    if f["all_have_phone"] != 1:
        fired.add("school-phone")
    if f["code_word_agreed"] != 1:
        fired.add("code-word")
    if not 1 <= f["check_in_interval"] <= 30:
        fired.add("check-in-interval-agreed")
    if f["all_have_id_badge"] != 1 and f["first_visit"] != 0:
        fired.add("id-badge-first-visit")
    others = f["role_office"] or f["role_other"]
    teaching = f["role_teacher"] or f["role_form_tutor"] or f["role_teaching_assistant"]
    if purpose in ("attendance", "welfare_check", "safeguarding", "transport", "other"):
        if teaching or others:
            fired.add("staff-roles")
    elif others:
        fired.add("staff-roles-teaching")
    if f["all_trained"] != 1:
        fired.add("staff-trained")
    if f["lowest_dbs"] not in ("enhanced", "enhanced_barred"):
        fired.add("dbs-check")
    if f["trained_count"] < 1:
        fired.add("trained-member")
    if f["animals"] != "none" and f["animals_secured"] != 1:
        fired.add("animals-separate-room")
    if f["animal_request_refused"] == 1 and f["animals"] != "none" and f["animals_secured"] != 1:
        fired.add("animals-refused")
    if arrived and f["staff_feel_unsafe"] == 1:
        fired.add("feel-unsafe")
        fired.add("unsafe-cancellation-in-writing")
    if arrived and f["occupant_concern"] == 1:
        fired.add("occupant-concern")
    if arrived and -1 in (f["staff_feel_unsafe"], f["occupant_concern"]):
        fired.add("safety-confirmed")
    if arrived and f["meeting_room"] != "doorstep" and f["responsible_adult_present"] != 1:
        fired.add("appropriate-adult")
    return fired


def generic_pack(n: int):
    """A pack of ``n`` generic condition rules over varied facts (about one in six fires)."""
    tests = [
        lambda k: {"fact": "staff_count", "lt": 2 + k % 3},
        lambda k: {"fact": "duration_minutes", "gt": 30 + 10 * (k % 10)},
        lambda k: {"all": [{"fact": "first_visit", "ne": False}, {"fact": "trained_count", "lt": 1 + k % 2}]},
        lambda k: {"any": [{"fact": "start_minute", "ge": 900 + k}, {"fact": "weekend", "eq": True}]},
        lambda k: {"fact": "purpose", "in": ["safeguarding", "welfare_check"]},
        lambda k: {"not": {"fact": "visit_plan_lodged", "eq": True}},
    ]
    rules = [
        {
            "id": f"generic-{k}",
            "kind": "condition",
            "when": tests[k % len(tests)](k),
            "outcome": ("permitted", "conditional", "blocked")[k % 3],
            "message": f"generic rule {k}",
            "citation": {"section": "Bench", "quote": f"rule {k}"},
        }
        for k in range(n)
    ]
    data = {"id": f"generic{n}", "school": "Bench", "document": "Bench policy", "version": "1", "rules": rules}
    return parse_pack(from_mapping(data, f"generic{n}.yaml"))


def rate(fn, items, seconds: float) -> float:
    """Items per second: ``fn`` over ``items`` repeatedly for at least ``seconds``."""
    fn(items[:10])  # warm up
    done, start = 0, time.perf_counter()
    while True:
        fn(items)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def rss_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings (for a smoke run)")
    parser.add_argument("--profile", action="store_true", help="also print where check_many's time goes")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    secs = 0.3 if args.quick else 2.0
    from tests.test_batch import mixed_visits

    raw = mixed_visits(1000, seed=1)
    visits = [parse_visit(v) for v in raw]
    pack = load_pack(PACK)
    durable, python = policy(pack, engine="durable").engine, policy(pack, engine="python").engine
    facts = [flatten(v, durable.compiled.clock) for v in visits]
    assert all(floor_rules(f) == python.fired(f) for f in facts), "the floor no longer mirrors the pack"
    rows: list[tuple[str, str, str]] = []

    floor = rate(lambda fs: [floor_rules(f) for f in fs], facts, secs)

    def row(name, per_s, note=""):
        rows.append((name, f"{per_s:,.0f}/s", f"{floor / per_s:,.1f}x floor" + (f"; {note}" if note else "")))

    rows.append(("floor: hand-written rules over the fact", f"{floor:,.0f}/s", "1.0x floor"))
    row("python engine, fact -> rules", rate(python.fired_many, facts, secs))
    row("durable engine, fact -> rules", rate(durable.fired_many, facts, secs))
    row("flatten a parsed visit to its fact", rate(lambda vs: [flatten(v, durable.compiled.clock) for v in vs], visits, secs))
    row("check_many, python (dict in, Decision out)", rate(lambda vs: check_many(vs, school=PACK, engine="python", today=TODAY), raw, secs))
    row("check_many, durable (dict in, Decision out)", rate(lambda vs: check_many(vs, school=PACK, engine="durable", today=TODAY), raw, secs))
    # How much of that is Python's cyclic garbage collector walking the process's objects (an
    # application can make it cheaper with gc.freeze() after start-up); the library leaves gc alone.
    gc.disable()
    try:
        row("check_many, python, gc paused", rate(lambda vs: check_many(vs, school=PACK, engine="python", today=TODAY), raw, secs))
        row("check_many, durable, gc paused", rate(lambda vs: check_many(vs, school=PACK, engine="durable", today=TODAY), raw, secs))
    finally:
        gc.enable()
    row("check, python, one at a time", rate(lambda vs: [check(v, school=PACK, engine="python", today=TODAY) for v in vs], raw, secs))
    row("check, durable, one at a time", rate(lambda vs: [check(v, school=PACK, engine="durable", today=TODAY) for v in vs], raw, secs))

    def threaded(vs):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda v: check(v, school=PACK, today=TODAY), vs))

    row("check, durable, 8 threads (one lock)", rate(threaded, raw, secs))

    # Latency of a single durable check.
    lat = []
    for v in raw * 3:
        t = time.perf_counter_ns()
        check(v, school=PACK, today=TODAY)
        lat.append((time.perf_counter_ns() - t) / 1000)
    lat.sort()
    rows.append(("single durable check, p50 / p99", f"{lat[len(lat) // 2]:,.0f} us / {lat[int(len(lat) * 0.99)]:,.0f} us", "target p99 < 1 ms"))

    # Pack load (YAML + validation, cache emptied) and compile (conditions + durable ruleset).
    loads, compiles = [], []
    for _ in range(5 if args.quick else 20):
        _pack_cache.clear()
        t = time.perf_counter()
        fresh = load_pack(PACK)
        loads.append(time.perf_counter() - t)
        t = time.perf_counter()
        make_engine(compile_pack(fresh), "durable")
        compiles.append(time.perf_counter() - t)
    rows.append((f"pack load, {len(pack.rules)} rules (median)", f"{statistics.median(loads) * 1000:,.1f} ms", "target < 50 ms"))
    rows.append(("pack compile to durable ruleset (median)", f"{statistics.median(compiles) * 1000:,.1f} ms", ""))

    # CLI cold start: a fresh interpreter deciding one visit.
    with tempfile.TemporaryDirectory() as tmp:
        visit_file = Path(tmp) / "visit.json"
        visit_file.write_text(json.dumps(raw[0]))
        exe = [sys.executable, "-m", "policyengine", "check", str(visit_file), "--school", PACK]
        walls = []
        for _ in range(3 if args.quick else 7):
            t = time.perf_counter()
            subprocess.run(exe, capture_output=True, check=True, cwd=ROOT)
            walls.append(time.perf_counter() - t)
        imports = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import policyengine._cli"], check=True, cwd=ROOT)
            imports.append(time.perf_counter() - t)
    rows.append(("CLI cold start: policyengine check (median)", f"{statistics.median(walls) * 1000:,.0f} ms", "target < 500 ms"))
    rows.append(("  of which: python + import policyengine", f"{statistics.median(imports) * 1000:,.0f} ms", ""))

    # Cost versus number of rules (generic condition rules) and versus batch size.
    for n in (10, 50, 200):
        gp = generic_pack(n)
        gd, gpy = make_engine(compile_pack(gp), "durable"), make_engine(compile_pack(gp), "python")
        gf = [flatten(v, gd.compiled.clock) for v in visits]
        fires = sum(len(s) for s in gpy.fired_many(gf)) / len(gf)
        d, p = rate(gd.fired_many, gf, secs / 2), rate(gpy.fired_many, gf, secs / 2)
        rows.append((f"{n} generic rules: durable / python (fact -> rules)", f"{d:,.0f}/s / {p:,.0f}/s", f"{fires:.1f} rules fire per visit"))
    for batch in (1, 10, 100, 1000):
        r = rate(lambda fs: durable.fired_many(fs, batch=batch), facts, secs / 2)
        row(f"durable assert_facts, batch of {batch}", r)

    # Memory: RSS growth over 100,000 durable checks in bulk.
    n_mem = 20_000 if args.quick else 100_000
    for _ in range(5):  # warm up: a batch of 1,000 decisions held at once takes a few MB of arenas
        check_many(raw, school=PACK, today=TODAY)
    gc.collect()
    before = rss_kb()
    for start in range(0, n_mem, len(raw)):
        check_many(raw, school=PACK, today=TODAY)
    gc.collect()
    rows.append((f"RSS growth over {n_mem:,} durable checks", f"{(rss_kb() - before) / 1024:,.1f} MB", "target < 5 MB"))

    print(f"policyengine benchmark, {date.today().isoformat()}, one core")
    print(f"{platform.uname().system} {platform.uname().release} {platform.machine()}, Python {platform.python_version()}")
    print(f"pack: {PACK} ({len(pack.rules)} rules); {len(raw)} mixed visits")
    width = max(len(r[0]) for r in rows) + 2
    print(f"\n{'measure':<{width}}{'result':>24}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}{value:>24}  {note}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            check_many(raw, school=PACK, today=TODAY)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print("\nprofile of check_many, durable, 5,000 visits (by own time):")
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
