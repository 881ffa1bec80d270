"""``policyengine test [PACK...] [-v]``: run the example visits packs ship with."""

from __future__ import annotations

import argparse
import sys

from .._examples import ExampleResult, example_results
from ..packs.load import available_packs, load_pack


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test",
        help="run the example visits shipped with packs",
        description="Run each pack's examples on both engines; report each failure with the example's line.",
    )
    p.add_argument("packs", nargs="*", metavar="PACK", help="pack ids or files (default: every built-in pack)")
    p.add_argument(
        "-v", "--verbose", action="store_true",
        help="print each example's decision: its outcome and the rules that fired",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    targets = args.packs or available_packs()
    total = failed = 0  # counted in examples, not in problems
    for target in targets:
        pack = load_pack(target)
        results = example_results(pack)
        total += len(results)
        for result in results:
            if args.verbose:
                print(verbose_line(pack.file or pack.id, result))
            failed += bool(result.failures)
            for failure in result.failures:
                print(str(failure), file=sys.stderr)
        if not pack.examples:
            print(f"{pack.id}: no examples", file=sys.stderr)
    print(f"{total - failed} passed, {failed} failed" if total else "no examples run")
    return 1 if failed or not total else 0


def verbose_line(where: str, result: ExampleResult) -> str:
    """An example's decision: ``FILE:LINE: example 'NAME': OUTCOME, as expected`` and the rules that fired."""
    at = f"{where}:{result.line}" if result.line else where
    decision = result.decision
    if decision is None:
        return f"{at}: example '{result.name}': not decided (the example visit is not valid)"
    verdict = "as expected" if decision.outcome == result.expect and not result.failures else (
        f"expected {result.expect.value}" if decision.outcome != result.expect else "FAILED (below)")
    fired = ", ".join(f"{f.rule} ({'reminder' if f.outcome.value == 'permitted' else f.outcome.value})"
                      for f in decision.findings) or "none"
    return f"{at}: example '{result.name}': {decision.outcome.value}, {verdict}\n    fired: {fired}"
