"""Visit monitor benchmark: events per second and memory with 10,000 visits open at once, on both
engines, in one run pinned to one core; prints one table.

    python benchmarks/monitor_bench.py [--visits N] [--profile durable|python]

The stream is an office's day at scale (``office_stream``): N visits planned within half an hour, all
arriving, checking in every half hour for two hours (one check-in in ten late, so deadlines pass and
actions and escalations are written), leaving and returning, with a tick every minute. Every visit is
open at once for most of the day.

The *floor* is a plain hand-written Python monitor of the same tcat timers over the same events,
already parsed (``floor_monitor``): the fastest plain Python can be. The rows measure the library
(``Monitor.feed`` with events as dicts, and from JSON lines) and the command line, per engine, and the
memory: resident set size with all N visits open, after all have returned, and after a second day
of N more (flat means the second day added nothing).

In-process rows are CPU time of this process (``time.process_time``): the machine's cores are shared,
and waiting for a core is not the library's cost. Each is the best of ``--rounds`` runs. The
durable-rules rows below them say what stands between the durable engine and issue 17's target of
20,000 events a second: durable-rules' own cost for one bare ``post`` to a one-rule ruleset (with its
one action), the rate ``Monitor.feed`` would reach with its own work (the python engine's row) plus
one such call an event, and how many calls into durable-rules the durable engine makes an event.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import heapq
import itertools
import json
import os
import platform
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyengine import Monitor  # noqa: E402
from policyengine.monitor.events import parse_time  # noqa: E402

SCHOOL = "tcat"
PLAN = {"purpose": "attendance", "duration_minutes": 120,
        "staff": [{"role": "attendance_officer"}, {"role": "education_welfare_officer"}],
        "check_in": {"interval_minutes": 30, "code_word_agreed": True}}


def hhmm(day: str, minute: int, second: int = 0) -> str:
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:{second:02d}"


def office_stream(visits: int, seed: int = 1, day: str = "2026-11-23", prefix: str = "V") -> list[dict]:
    rng = random.Random(seed)
    timed: list[tuple[int, int, dict]] = []
    n = 0

    def add(second_of_day: int, event: dict):
        nonlocal n
        n += 1
        timed.append((second_of_day, n, event))

    for i in range(visits):
        name = f"{prefix}-{i}"
        start = 9 * 3600 + rng.randrange(0, 1800)
        plan = dict(PLAN, start=hhmm(day, start // 60))
        start = start // 60 * 60
        add(start - 3600, {"visit": name, "event": "planned", "plan": plan, "escalation_minutes": 5})
        add(start + rng.randrange(0, 120), {"visit": name, "event": "arrived"})
        add(start + 150, {"visit": name, "event": "parents_arrived"})
        t = start + 120 + rng.randrange(0, 300)
        for _ in range(5):
            add(t, {"visit": name, "event": "check_in"})
            t += 60 * (38 if rng.random() < 0.1 else rng.randrange(20, 30))
        add(t, {"visit": name, "event": "left"})
        add(t + 1200, {"visit": name, "event": "returned"})
    last = max(s for s, _, _ in timed)
    for minute in range(8 * 60, last // 60 + 2):
        add(minute * 60 + 59, {"event": "tick"})
    timed.sort(key=lambda item: (item[0], item[1]))
    out = []
    for second, _, event in timed:
        event["at"] = hhmm(day, second // 60, second % 60)
        out.append(event)
    return out


def floor_monitor(events: list[tuple]) -> int:
    """tcat's three timers by hand: the office call 10 minutes after arrival (met by a check-in),
    a check-in every 30 minutes after the last, the 20-minute wait for the parents; two escalation
    steps 5 minutes apart. Events are (seconds, kind, visit, start). Returns the actions written."""
    armed: dict[tuple, tuple] = {}  # (visit, timer) -> (due, step)
    heap: list = []
    written = 0
    now = 0
    for at, kind, visit, start in events:
        while heap and heap[0][0] < at:
            due, visit_, timer, step = heapq.heappop(heap)
            if armed.get((visit_, timer)) == (due, step):
                written += 1
                if step < 2:
                    armed[(visit_, timer)] = (due + 300, step + 1)
                    heapq.heappush(heap, (due + 300, visit_, timer, step + 1))
                else:
                    del armed[(visit_, timer)]
        now = at
        if kind == "arrived":
            for timer, due in (("call", at + 600), ("wait", start + 1200)):
                armed[(visit, timer)] = (due, 0)
                heapq.heappush(heap, (due, visit, timer, 0))
        elif kind == "check_in":
            armed.pop((visit, "call"), None)
            armed[(visit, "cadence")] = (at + 1800, 0)
            heapq.heappush(heap, (at + 1800, visit, "cadence", 0))
        elif kind in ("parents_arrived", "entered"):
            armed.pop((visit, "wait"), None)
        elif kind in ("left", "cancelled", "returned"):
            for timer in ("call", "cadence", "wait"):
                armed.pop((visit, timer), None)
    return written + 0 * now


def parsed_for_floor(events: list[dict]) -> list[tuple]:
    starts = {}
    out = []
    for e in events:
        if e["event"] == "planned":
            starts[e["visit"]] = parse_time(e["plan"]["start"])
        out.append((parse_time(e["at"]), e["event"], e.get("visit"), starts.get(e.get("visit"))))
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed_run(fn, *args) -> tuple[float, object]:
    gc.collect()
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def best_of(rounds: int, make, fn, *args) -> tuple[float, object]:
    """The least CPU time of ``rounds`` runs of ``fn(make(), *args)``, and the last result."""
    best, result = float("inf"), None
    for _ in range(rounds):
        seconds, result = timed_run(fn, make(), *args)
        best = min(best, seconds)
    return best, result


def bare_posts(native, events: int) -> float:
    """durable-rules' floor: CPU seconds for ``events`` posts, each to a one-rule ruleset and taken by
    its one action, driven as the durable engine drives actions (64 sessions, like the engine)."""
    rules = {"r": {"all": [{"m": {"$and": [{"$nex": {"$s": 1}}, {"t": "e"}]}}]}}
    handle = native.create_ruleset(f"monitor_bench_floor_{os.getpid()}", json.dumps(rules))
    scan = json.scanner.make_scanner(json.JSONDecoder())
    gc.collect()
    start = time.process_time()
    for n in range(events):
        state = native.assert_event(handle, f'{{"sid":"m{n % 64}","t":"e","v":"V-{n}","e":"check_in","a":{n},"n":{n}}}')[1]
        started = native.start_action_for_state(handle, state)
        started = started[1] if started else None
        while started:
            scan(started, 0)
            started = native.complete_and_start_action(handle, state)
    return time.process_time() - start


class _Counting:
    """durable-rules' native module, counting the calls made into it."""

    def __init__(self, native):
        self._native, self.calls = native, itertools.count()

    def __getattr__(self, name):
        target = getattr(self._native, name)
        if not callable(target) or isinstance(target, type):
            return target

        def call(*args):
            next(self.calls)
            return target(*args)

        return call


def durable_calls_per_event(events: list[dict]) -> float:
    from policyengine.monitor import engine_durable

    native = engine_durable._native
    counting = _Counting(native)
    engine_durable._native = counting
    try:
        feed_all(Monitor(SCHOOL, engine="durable"), events)
        return (next(counting.calls)) / len(events)
    finally:
        engine_durable._native = native


def feed_all(monitor: Monitor, events: list[dict]) -> int:
    written = 0
    feed = monitor.feed
    for event in events:
        written += len(feed(event))
    return written


def feed_lines(monitor: Monitor, lines: list[str]) -> int:
    written = 0
    feed, loads = monitor.feed, json.loads
    for line in lines:
        for action in feed(loads(line)):
            json.dumps(action.model_dump(mode="json"))
            written += 1
    return written


def child_memory(engine: str, visits: int) -> dict:
    """In a fresh process: RSS before, with every visit open, after all returned, after a second day."""
    day1, day2 = office_stream(visits, 1), office_stream(visits, 2, day="2026-11-24", prefix="W")
    monitor = Monitor(SCHOOL, engine=engine)
    before = rss_mb()
    peak = 0.0
    for event in day1:
        monitor.feed(event)
        if event["event"] == "left" and peak == 0.0:
            peak = rss_mb()  # the first departure: every visit has arrived and none has left
    gc.collect()
    after_one = rss_mb()
    feed_all(monitor, day2)
    gc.collect()
    return {"before": before, "open": peak, "after_day_1": after_one, "after_day_2": rss_mb(),
            "open_at_peak": visits, "left_open": len(monitor.visits)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--child-memory", metavar="ENGINE", help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=("durable", "python"), help="profile Monitor.feed on this engine")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each in-process row; the best is kept")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    if args.child_memory:
        print(json.dumps(child_memory(args.child_memory, args.visits)))
        return 0

    events = office_stream(args.visits)
    lines = [json.dumps(e) for e in events]
    n = len(events)
    rows = []

    def row(name, value, note=""):
        rows.append((name, value, note))
        print(f"{name:<58}{value:>20}  {note}", flush=True)

    print(f"policyengine monitor benchmark: {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
          f"{args.visits:,} visits, {n:,} events ({sum(e['event'] == 'tick' for e in events)} ticks), pack {SCHOOL}")
    print(f"{'measure':<58}{'result':>20}  note")
    parsed = parsed_for_floor(events)
    seconds, floor_written = best_of(args.rounds, lambda: parsed, lambda parsed: floor_monitor(parsed))
    floor = n / seconds
    row("floor: hand-written monitor, events already parsed", f"{floor:,.0f}/s", "1.0x floor")
    rates = {}
    for engine in ("python", "durable"):
        if args.profile == engine:
            monitor = Monitor(SCHOOL, engine=engine)
            cProfile.runctx("feed_all(monitor, events)", globals(), {"monitor": monitor, "events": events}, "/tmp/monitor.prof")
            pstats.Stats("/tmp/monitor.prof").sort_stats("tottime").print_stats(20)
        seconds, written = best_of(args.rounds, lambda engine=engine: Monitor(SCHOOL, engine=engine), feed_all, events)
        rates[engine] = n / seconds
        row(f"Monitor.feed, {engine} engine (event dicts in)", f"{n / seconds:,.0f}/s", f"{floor / (n / seconds):.1f}x floor; {written:,} actions")
        assert written == floor_written, (written, floor_written)
        seconds, written = best_of(args.rounds, lambda engine=engine: Monitor(SCHOOL, engine=engine), feed_lines, lines)
        row(f"Monitor.feed, {engine} engine (JSON lines in and out)", f"{n / seconds:,.0f}/s", f"{floor / (n / seconds):.1f}x floor")
    target = 20_000
    row("issue 17's target: durable engine (event dicts in)", f"{target:,}/s",
        f"{'MET' if rates['durable'] >= target else 'NOT MET'}: {rates['durable'] / target:.2f}x the target")
    from policyengine.monitor import engine_durable

    post = n / min(bare_posts(engine_durable._native, n) for _ in range(args.rounds))
    row("durable-rules floor: one bare post (one rule, one action)", f"{post:,.0f}/s", f"{1e6 / post:.1f} us a call")
    bound = 1 / (1 / rates["python"] + 1 / post)
    row("bound: Monitor.feed's own work + one bare post an event", f"{bound:,.0f}/s",
        f"what one call into durable-rules an event would allow; {rates['durable'] / bound:.2f}x of it reached")
    calls = durable_calls_per_event(office_stream(min(args.visits, 1_000)))
    row("calls into durable-rules an event, durable engine", f"{calls:.1f}", "post/assert/retract, and each action started")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text("\n".join(lines) + "\n")
        for engine in ("python", "durable"):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "policyengine", "monitor", str(path), "--school", SCHOOL, "--engine", engine],
                           stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
            seconds = time.perf_counter() - start
            row(f"policyengine monitor FILE, {engine} (with start-up)", f"{n / seconds:,.0f}/s", f"{seconds:.1f} s")
    for engine in ("python", "durable"):
        result = subprocess.run([sys.executable, __file__, "--child-memory", engine, "--visits", str(args.visits)],
                                capture_output=True, text=True, check=True)
        mem = json.loads(result.stdout)
        row(f"RSS, {engine}: {args.visits:,} visits open (growth since start)", f"{mem['open'] - mem['before']:,.1f} MB",
            f"{(mem['open'] - mem['before']) * 1024 / args.visits:,.1f} KB a visit")
        row(f"RSS, {engine}: after all returned / after a second day", f"{mem['after_day_1'] - mem['before']:,.1f} / "
            f"{mem['after_day_2'] - mem['before']:,.1f} MB", f"second day added {mem['after_day_2'] - mem['after_day_1']:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
