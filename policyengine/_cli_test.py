"""``policyengine test [PACK...]``: run the example visits packs ship with."""

from __future__ import annotations

import sys

from ._examples import run_examples
from ._pack import available_packs, load_pack


def add_parser(sub) -> None:
    p = sub.add_parser(
        "test",
        help="run the example visits shipped with packs",
        description="Run each pack's examples on both engines; report each failure with the example's line.",
    )
    p.add_argument("packs", nargs="*", metavar="PACK", help="pack ids or files (default: every built-in pack)")
    p.set_defaults(run=run)


def run(args) -> int:
    targets = args.packs or available_packs()
    total = failed = 0  # counted in examples, not in problems
    for target in targets:
        pack = load_pack(target)
        count, failures = run_examples(pack)
        total += count
        failed += len({f.name for f in failures})
        for failure in failures:
            print(str(failure), file=sys.stderr)
        if not pack.examples:
            print(f"{pack.id}: no examples", file=sys.stderr)
    print(f"{total - failed} passed, {failed} failed" if total else "no examples run")
    return 1 if failed or not total else 0
