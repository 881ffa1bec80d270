"""policyengine benchmark: the cost of a check against a hand-written floor and peer engines.

    python benchmarks/bench.py [--quick] [--visits N] [--rounds R] [--no-breakdown] [--json FILE]

One run, pinned to one core, prints one table. Every row is CPU time per visit (``time.process_time``,
all threads of the process) over the same workload in the same run, and its ratio to the *floor*:

* the workload (``workload.py``): 20,000 varied tcat visits as JSON carries them, generated from a
  seed (plans, at the door and inside; permitted, conditional and blocked);
* the floor (``floor.py``): tcat's decision written by hand in plain Python, from the visit as given
  to (outcome, sorted rule ids), London time, bank holidays and the phase included; its docstring
  says what it leaves out;
* the peers (``peers.py``): GoRules Zen running ``tcat.jdm.json`` and the rule-engine package, on
  the same visits, when they are installed (neither is a dependency of policyengine).

Before anything is timed, every contender decides every visit once and its answers are compared
with the floor's: one visit where they differ stops the run (exit status 1), so no row times a
wrong answer. Rows are then timed in ``--rounds`` rounds, one row after another in each round so
that a busy machine slows all of them alike. A row reports its median CPU time per visit, and as
its ratio the median of its samples each divided by the floor timed just before it.

The targets beside the rows are issue 15's, measured against this floor. The library is used only
through its public API (``policyengine.check``, ``check_many``, ``parse_visit``, ``load_pack``),
so the benchmark keeps working while the library is restructured; the one exception is the
optional "where the time goes" breakdown at the end, which reaches into internals, says so, and is
skipped when they have moved.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import floor  # noqa: E402
import peers  # noqa: E402
import workload  # noqa: E402
from policyengine import check, check_many, load_pack, parse_visit  # noqa: E402

PACK = "tcat"
#: A day before tcat's review date: the Zen graph has no date, so no visit gets the review reminder.
TODAY = date(2026, 11, 23)
CHUNK = 1_000  # visits per check_many call in the main rows: a caller's batch

Answer = tuple[str, tuple[str, ...]]


def answer(decision) -> Answer:
    return decision.outcome.value, tuple(sorted(f.rule for f in decision.findings))


@dataclass
class Row:
    """One line of the table: CPU seconds per visit (one sample per round), or a plain value."""

    name: str
    target: str = ""
    limit: Optional[float] = None  # the most the row may be, in its own unit (ratio or ms)
    samples: list[float] = field(default_factory=list)
    value: Optional[float] = None  # for rows that are not per visit: milliseconds, or a ratio
    unit: str = ""
    note: str = ""
    error: str = ""  # what the contender raised; the row is not timed again
    ratios: list[float] = field(default_factory=list)  # each sample over the floor timed just before it

    @property
    def per_visit(self) -> Optional[float]:
        return statistics.median(self.samples) if self.samples else None

    def x_floor(self, base: float) -> Optional[float]:
        """The median of the row's ratios to the floor timed beside it (else to the run's floor)."""
        if self.ratios:
            return statistics.median(self.ratios)
        return self.per_visit / base if self.per_visit is not None else None


# -- timing helpers -------------------------------------------------------------------------------

def cpu_seconds(fn: Callable[[], object]) -> float:
    gc.collect()  # every row starts from the same heap
    start = time.process_time()
    fn()
    return time.process_time() - start


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def child_run(argv: list[str], runs: int, cwd: Path) -> tuple[list[float], list[float], list[str]]:
    """CPU and wall seconds of ``runs`` fresh processes, and the last one's output lines."""
    cpus, walls, out = [], [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-400:]}")
        out = done.stdout.splitlines()
    return cpus, walls, out


def readme_example() -> list[str]:
    """The arguments of the README's Quick start check (``check FILE --school ID``)."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"policyengine (check \S+ --school \S+)", text)
    return (found.group(1) if found else "check examples/tcat-lone-first-visit.yaml --school tcat").split()


def cli() -> list[str]:
    script = Path(sys.executable).with_name("policyengine")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policyengine"]


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def versions() -> str:
    found = []
    for name in ("pydantic", "durable-rules", "zen-engine", "rule-engine"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


# -- the run --------------------------------------------------------------------------------------

def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few visits, one round (timings not meaningful)")
    parser.add_argument("--visits", type=int, help="visits in the workload (default 20,000; --quick 400)")
    parser.add_argument("--rounds", type=int, help="timed rounds per row, median reported (default 3; --quick 1)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the 'where the time goes' breakdown")
    parser.add_argument("--json", type=Path, help="also write the rows to this file as JSON")
    args = parser.parse_args(argv)
    quick = args.quick
    n = args.visits or (400 if quick else 20_000)
    rounds = args.rounds or (1 if quick else 3)
    core = "all cores"
    if hasattr(os, "sched_setaffinity"):
        pinned = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {pinned})
        core = f"pinned to core {pinned}"

    visits = workload.visits(n)
    batch_n = min(n, 10_000)
    expected = [floor.decide(v, TODAY) for v in visits]
    assert TODAY <= floor.REVIEW_DUE, "the peers leave out the review reminder: decide before the review date"

    durable_off = None
    try:
        check_many(visits[:1], school=PACK, engine="durable", today=TODAY)
    except Exception as exc:  # durable-rules does not import on every Python
        durable_off = f"durable engine unavailable here: {exc}"
    available_peers, peer_notes = [], []
    for kind in (peers.Zen, peers.RuleEngine):
        try:
            available_peers.append(kind())
        except peers.Unavailable as exc:
            peer_notes.append(f"{kind.name} skipped: {exc}")
    slow_n = min(n, 100 if quick else 1_000)  # rule-engine takes milliseconds a visit

    # Each contender: (row, function deciding `visits` and giving each answer to `sink`).
    def lib_many(engine: str, size: int, subset: list[dict]):
        def run(sink):
            for part in chunks(subset, size):
                sink(check_many(part, school=PACK, engine=engine, today=TODAY))
        return run

    def lib_each(engine: str):
        def run(sink):
            for v in visits:
                sink((check(v, school=PACK, engine=engine, today=TODAY),))
        return run

    contenders: list[tuple[Row, Callable, int, bool]] = []  # row, run(sink), visits, answers are Decisions

    def add(row: Row, run, count: int = n, decisions: bool = True):
        contenders.append((row, run, count, decisions))

    floor_row = Row("floor: tcat by hand in plain Python (floor.py)", "1x")
    add(floor_row, lambda sink: sink([floor.decide(v, TODAY) for v in visits]), decisions=False)
    add(Row(f"python check_many ({CHUNK:,} visits per call)", "<= 8x", 8), lib_many("python", CHUNK, visits))
    add(Row("python check, one visit at a time", "<= 12x", 12), lib_each("python"))
    if durable_off is None:
        add(Row(f"durable check_many ({CHUNK:,} visits per call)", "<= 20x", 20), lib_many("durable", CHUNK, visits))
        add(Row("durable check, one visit at a time"), lib_each("durable"))
    batch_rows = {}
    for engine in ("python",) + (("durable",) if durable_off is None else ()):
        one = Row(f"{engine} check_many, {batch_n:,} visits in one call")
        hundreds = Row(f"{engine} check_many, the same in calls of 100")
        add(one, lib_many(engine, batch_n, visits[:batch_n]), batch_n)
        add(hundreds, lib_many(engine, 100, visits[:batch_n]), batch_n)
        batch_rows[engine] = (one, hundreds)
    peer_rows = []
    for peer in available_peers:
        count = slow_n if isinstance(peer, peers.RuleEngine) else n
        subset = visits[:count]
        for method, decide_many in peer.methods.items():
            row = Row(f"{peer.name} {peer.version}: {method}" + (f" ({count:,} visits)" if count < n else ""))
            add(row, (lambda dm, s: lambda sink: sink(dm(s)))(decide_many, subset), count, decisions=False)
            peer_rows.append((peer, row))

    # Every contender decides every visit once, untimed, and must agree with the floor.
    wrong = []
    for row, run, count, decisions in contenders:
        got: list[Answer] = []
        try:
            run(lambda out, d=decisions, got=got: got.extend(answer(x) for x in out) if d else got.extend(out))
        except Exception as exc:  # an error is reported in the table, never timed
            row.error = f"{type(exc).__name__}: {str(exc)[:300]}"
            continue
        want = expected[:count]  # every contender decides the first `count` visits
        diffs = [i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b]  # lengths compared next
        if len(got) != len(want) or diffs:
            i = diffs[0] if diffs else min(len(got), len(want))
            wrong.append(f"{row.name}: {len(diffs)} of {len(want)} visits differ from the floor"
                         + (f"; first, visit {i}: {json.dumps(visits[i])}\n  floor {want[i]}\n  got   {got[i]}" if diffs else
                            f"; {len(got)} answers for {len(want)} visits"))
    if wrong:
        print("DISAGREEMENT (a bug in the floor, the graph or the engine; nothing was timed):", file=sys.stderr)
        print("\n".join(wrong), file=sys.stderr)
        return 1
    agreed = [row.name for row, *_ in contenders[1:] if not row.error]

    # Timed rounds: answers are dropped as they come, as a caller that consumes them would. The
    # floor is cheap, so it is timed again just before every row, and a row's ratio is the median
    # of its samples each over the floor beside it: a change in the machine's load (other
    # processes share its caches) meets the row and its divisor alike. The batch-size pairs, whose
    # ratio has a target of its own, are timed again at the end of each round in reverse order.
    paired = {id(row) for pair in batch_rows.values() for row in pair}
    timed_again = [c for c in reversed(contenders) if id(c[0]) in paired]
    floor_run = contenders[0][1]

    def timed(run, count: int) -> float:
        return cpu_seconds(lambda: run(lambda out: None)) / count

    for _ in range(rounds):
        for row, run, count, _d in contenders[1:] + timed_again:
            if row.error:
                continue
            beside = timed(floor_run, n)
            floor_row.samples.append(beside)
            try:
                sample = timed(run, count)
            except Exception as exc:
                row.error = f"{type(exc).__name__} in a timed round: {str(exc)[:300]}"
                continue
            row.samples.append(sample)
            row.ratios.append(sample / beside)
    base = floor_row.per_visit
    for row, *_ in contenders:
        if row.limit is not None and row.samples:
            row.value, row.unit = row.x_floor(base), "x"
    derived: list[Row] = []
    python_many = contenders[1][0]
    zen_rows = [row for peer, row in peer_rows if isinstance(peer, peers.Zen) and row.samples]
    if zen_rows and python_many.samples:
        fastest = min(zen_rows, key=lambda r: r.x_floor(base))
        derived.append(Row("python check_many / Zen's fastest", "<= 0.5 (2x faster)", 0.5,
                           value=python_many.x_floor(base) / fastest.x_floor(base), unit="x",
                           note=f"Zen's fastest call here: {fastest.name.split(': ', 1)[1]}"))
    for engine, (one, hundreds) in batch_rows.items():
        if one.samples and hundreds.samples:
            derived.append(Row(f"{engine}: one call of {batch_n:,} / calls of 100", "<= 1.10", 1.10,
                               value=one.x_floor(base) / hundreds.x_floor(base), unit="x"))

    # Start-up, in fresh processes (each inherits the pinning).
    runs = 1 if quick else 7
    code = ("import time; t = time.process_time(); w = time.perf_counter(); import policyengine; "
            "print(time.process_time() - t, time.perf_counter() - w)")
    inner = [[float(x) for x in child_run([sys.executable, "-c", code], 1, ROOT)[2][-1].split()] for _ in range(runs)]
    import_cpu = statistics.median(c for c, _w in inner)
    import_wall = statistics.median(w for _c, w in inner)
    import_rows = []
    import_rows.append(Row("import policyengine (in a fresh interpreter)", "< 150 ms", 150, value=import_cpu * 1000,
                           unit="ms", note=f"wall {import_wall * 1000:,.0f} ms; median of {runs}"))
    example = readme_example()
    cpus, walls, _out = child_run(cli() + example, runs, ROOT)
    bare, _w, _o = child_run([sys.executable, "-c", "pass"], runs, ROOT)
    import_rows.append(Row(f"policyengine {' '.join(example)}", "< 300 ms", 300, value=statistics.median(cpus) * 1000,
                           unit="ms", note=f"wall {statistics.median(walls) * 1000:,.0f} ms; the interpreter alone "
                                           f"{statistics.median(bare) * 1000:,.0f} ms; median of {runs}"))

    extras = also_measured(visits, quick, durable_off)
    breakdown = [] if args.no_breakdown else where_the_time_goes(visits, python_many)

    # -- the table --------------------------------------------------------------------------------
    phases = Counter(floor_phase(v) for v in visits)
    outcomes = Counter(a[0] for a in expected)
    print(f"policyengine benchmark, {date.today().isoformat()}, one run, {core}, CPU time per visit")
    print(f"{platform.system()} {platform.release()} {platform.machine()}, Python {platform.python_version()}; {versions()}")
    print(f"workload: {n:,} tcat visits (seed 15): plan {phases['plan']:,}, door {phases['door']:,}, inside "
          f"{phases['inside']:,}; permitted {outcomes['permitted']:,}, conditional {outcomes['conditional']:,}, blocked "
          f"{outcomes['blocked']:,}; {len(set(expected)):,} distinct answers; decided as of {TODAY}")
    print(f"floor agrees with every contender on every visit: {'; '.join(agreed)}")
    for note in peer_notes + ([durable_off] if durable_off else []):
        print(f"skipped: {note}")
    print(f"us/visit: median CPU time of {rounds} round(s); x floor: median of each sample over the floor timed just before it")
    if quick:
        print("(--quick: a smoke run; the figures below are not measurements)")
    table = [row for row, *_ in contenders] + derived + import_rows
    print_table(table, base)
    if extras:
        print("\nAlso measured (targets from earlier issues where given):")
        print_table(extras, base)
    if breakdown:
        print("\nWhere the time goes (python engine; reaches into internals, optional):")
        print_table(breakdown, base)
    if args.json:
        args.json.write_text(json.dumps([
            {"measure": r.name, "us_per_visit": r.per_visit * 1e6 if r.per_visit else None,
             "x_floor": r.x_floor(base), "value": r.value, "unit": r.unit,
             "target": r.target, "pass": passed(r), "error": r.error or None} for r in table + extras + breakdown
        ], indent=1))
    errors = [f"{r.name}: {r.error}" for r in table + extras + breakdown if r.error]
    if errors:
        print("\nERRORS (the rows above marked ERROR stopped there):", file=sys.stderr)
        print("\n".join(errors), file=sys.stderr)
        return 1
    return 0


def floor_phase(visit: dict) -> str:
    door = visit.get("on_arrival")
    return visit.get("phase") or ("plan" if door is None else "door" if door.get("meeting_room") in (None, "doorstep") else "inside")


def passed(row: Row) -> Optional[bool]:
    if row.limit is None or row.value is None:
        return None
    return row.value <= row.limit if row.unit == "x" else row.value < row.limit


def print_table(rows: list[Row], base: float) -> None:
    """Columns: CPU us per visit and its ratio to the floor (median of the rounds), then the figure
    the target is about (a ratio, or milliseconds, megabytes), the target and whether it is met."""
    width = max(len(r.name) for r in rows) + 2
    print(f"\n{'measure':<{width}}{'us/visit':>10}{'x floor':>9}{'measured':>11}  {'target':<20}{'':<6}note")
    for r in rows:
        us = f"{r.per_visit * 1e6:,.1f}" if r.per_visit is not None else ""
        ratio = r.x_floor(base)
        xf = f"{ratio:,.1f}x" if ratio is not None else ""
        if r.value is None:
            measured = ""
        elif r.unit == "x":
            measured = f"{r.value:,.2f}x"
        else:
            measured = f"{r.value:,.1f} {r.unit}"
        ok = passed(r)
        result = "ERROR" if r.error else "" if ok is None else "pass" if ok else "FAIL"
        note = f"{r.note}; {r.error[:120]}" if r.error and r.note else r.error[:120] if r.error else r.note
        print(f"{r.name:<{width}}{us:>10}{xf:>9}{measured:>11}  {r.target:<20}{result:<6}{note}")


# -- kept from the earlier benchmark: threads, latency, pack load, memory ---------------------------

def also_measured(visits: list[dict], quick: bool, durable_off: Optional[str]) -> list[Row]:
    rows: list[Row] = []
    for section in (_threads_and_latency, _pack_load, _memory):
        try:
            rows.extend(section(visits, quick, durable_off))
        except Exception as exc:  # reported, and the other sections still run
            rows.append(Row(section.__doc__.splitlines()[0], error=f"{type(exc).__name__}: {str(exc)[:300]}"))
    return rows


def _threads_and_latency(visits: list[dict], quick: bool, durable_off: Optional[str]) -> list[Row]:
    """threads and durable latency"""
    rows = []
    engines = ("python",) + (("durable",) if durable_off is None else ())
    sample = visits[: 200 if quick else 2_000]
    for engine in engines:
        def threaded(engine=engine):
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda v: check(v, school=PACK, engine=engine, today=TODAY), sample))
        rows.append(Row(f"{engine} check, 8 threads ({len(sample):,} visits)", samples=[cpu_seconds(threaded) / len(sample)]))
    if durable_off is None:
        latencies = []
        for v in sample:
            start = time.perf_counter_ns()
            check(v, school=PACK, today=TODAY)
            latencies.append((time.perf_counter_ns() - start) / 1000)
        latencies.sort()
        rows.append(Row("durable check, wall latency p99", "< 1 ms", 1, value=latencies[int(len(latencies) * 0.99)] / 1000,
                        unit="ms", note=f"p50 {latencies[len(latencies) // 2]:,.0f} us"))
    return rows


def _pack_load(visits: list[dict], quick: bool, durable_off: Optional[str]) -> list[Row]:
    """pack load"""
    rows = []
    engines = ("python",) + (("durable",) if durable_off is None else ())
    # Pack load, through the public API: copies of tcat's file (with its policy text) under new
    # names, so each load misses the cache; a new version makes a new digest, so its first check
    # also compiles the pack and builds the engine.
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "sources").mkdir()
        shutil.copy(ROOT / "schools" / "sources" / "tcat.txt", folder / "sources" / "tcat.txt")
        text = (ROOT / "schools" / "tcat.yaml").read_text()
        copies = 3 if quick else 12
        loads, firsts = [], {e: [] for e in engines}
        for k in range(copies):
            path = folder / f"tcat-load-{k}.yaml"
            path.write_text(text)
            start = time.perf_counter()
            pack = load_pack(path)
            loads.append(time.perf_counter() - start)
            for engine in engines:
                path = folder / f"tcat-new-{engine}-{k}.yaml"
                path.write_text(text.replace('version: "1"', f'version: "bench-{engine}-{k}"', 1))
                start = time.perf_counter()
                check(visits[0], school=str(path), engine=engine, today=TODAY)
                firsts[engine].append(time.perf_counter() - start)
        rows.append(Row(f"load_pack, {len(pack.rules)} rules (median of {copies - 1}, first dropped)", "< 50 ms", 50,
                        value=statistics.median(loads[1:]) * 1000, unit="ms"))
        for engine in engines:
            rows.append(Row(f"first {engine} check on a new pack (load, compile, engine)",
                            value=statistics.median(firsts[engine][1:]) * 1000, unit="ms"))
    return rows


def _memory(visits: list[dict], quick: bool, durable_off: Optional[str]) -> list[Row]:
    """memory over many durable checks"""
    rows = []
    if durable_off is None:
        passes = 1 if quick else 2
        check_many(visits[:CHUNK], school=PACK, today=TODAY)  # warm up: a batch's decisions take a few MB of arenas
        gc.collect()
        before = rss_kb()
        for _ in range(passes):
            for part in chunks(visits, CHUNK):
                check_many(part, school=PACK, today=TODAY)
        gc.collect()
        rows.append(Row(f"RSS growth over {passes * len(visits):,} durable checks", "< 5 MB", 5,
                        value=(rss_kb() - before) / 1024, unit="MB"))
    return rows


# -- optional: where the time goes (internals) ------------------------------------------------------

def where_the_time_goes(visits: list[dict], python_many: Row) -> list[Row]:
    """Each step of a python-engine check timed alone. Uses private modules, which issue 15 moves:
    when they are gone this prints why and the rest of the benchmark stands."""
    rows = [Row("validate: parse_visit (public)", samples=[cpu_seconds(lambda: [parse_visit(v) for v in visits]) / len(visits)])]
    gc.disable()
    try:
        paused = cpu_seconds(lambda: [check_many(p, school=PACK, engine="python", today=TODAY) for p in chunks(visits, CHUNK)])
    finally:
        gc.enable()
    rows.append(Row("python check_many with the garbage collector paused", samples=[paused / len(visits)],
                    note=f"python check_many above: {python_many.per_visit * 1e6:,.1f} us with it running"
                    if python_many.per_visit is not None else ""))
    try:
        from policyengine import policy
        from policyengine.facts import flatten
    except ImportError as exc:
        rows.append(Row(f"(internal steps skipped: {exc}; expected once issue 15 moves them)"))
        return rows
    try:
        parsed = [parse_visit(v) for v in visits]
        python = policy(PACK, engine="python")
        runner = python.engine
        clock = runner.compiled.clock
        facts = [flatten(v, clock) for v in parsed]
        fired = [sorted(runner.fired(f)) for f in facts]
        rows.append(Row("  flatten the visit to the fact (internal)",
                        samples=[cpu_seconds(lambda: [flatten(v, clock) for v in parsed]) / len(visits)]))
        rows.append(Row("  python engine: fact -> rule ids (internal)",
                        samples=[cpu_seconds(lambda: [runner.fired(f) for f in facts]) / len(visits)]))
        try:
            durable = policy(PACK, engine="durable").engine
            rows.append(Row("  durable engine, batches of 100: fact -> rule ids (internal)",
                            samples=[cpu_seconds(lambda: durable.fired_many(facts, batch=100)) / len(visits)]))
        except Exception as exc:
            rows.append(Row(f"  (durable engine step skipped: {exc})"))
        rows.append(Row("  build the Decision: findings, citations, remedies (internal)",
                        samples=[cpu_seconds(lambda: [python._decision(v, f, TODAY)
                                                      for v, f in zip(parsed, fired, strict=True)]) / len(visits)]))
    except Exception as exc:  # internals changed shape: the public rows above still stand
        rows.append(Row(f"(internal steps skipped: {type(exc).__name__}: {str(exc)[:120]}; expected once issue 15 moves them)"))
    return rows


if __name__ == "__main__":
    sys.exit(main())
