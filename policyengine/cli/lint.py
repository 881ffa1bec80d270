"""``policyengine lint [PACK_FILE...] [--source POLICY_TEXT] [--format text|json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..packs.lint import Unreadable, lint_file, lint_loaded, read_text
from ..plugins.registry import default_registry

if TYPE_CHECKING:  # for annotations only
    from .._errors import Problem


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lint",
        help="check rule packs for mistakes",
        description=(
            "Check rule packs for mistakes, one line per problem: FILE:LINE:COL: severity: message "
            "(error, warning, or note: a loosening of an extended pack that the pack declares). "
            "Exit 0 when no errors are found, 1 when some are (or warnings with --strict), 2 when a file "
            "cannot be read."
        ),
    )
    p.add_argument("packs", nargs="*", metavar="PACK_FILE", help="pack files (default: every pack known by id, plugins' too)")
    p.add_argument("--source", metavar="POLICY_TEXT", help="the policy text the quotes must come from")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--strict", action="store_true", help="warnings count as problems too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Every pack known by id is a file, or data a plugin gave (linted as it was given).
    files = args.packs or [e.path or e for _, e in sorted(default_registry().packs().items())]
    try:
        source = read_text(args.source) if args.source else None
        problems = []
        for f in files:
            if isinstance(f, (str, Path)):
                problems.extend(lint_file(f, source=source))
            else:
                problems.extend(lint_loaded(f.loaded, source=source, folder=f.folder))
    except Unreadable as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump([p.as_dict() for p in problems], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(_line(p))
        errors = sum(p.severity == "error" for p in problems)
        warnings = sum(p.severity == "warning" for p in problems)
        notes = len(problems) - errors - warnings
        print(f"{len(files)} pack(s): {errors} error(s), {warnings} warning(s)" + (f", {notes} note(s)" if notes else ""),
              file=sys.stderr)
    # A note (a loosening the pack declares, with its reason) is information, never a failure.
    failing = [p for p in problems if p.severity == "error" or (args.strict and p.severity == "warning")]
    return 1 if failing else 0


def _line(p: Problem) -> str:
    where = p.file + (f":{p.line}" if p.line else "") + (f":{p.column}" if p.column else "")
    return f"{where}: {p.severity}: {p.message}"
