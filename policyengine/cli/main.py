"""The ``policyengine`` command.

Exit status: 0 when the command did its job (a decision was made, lint found nothing...), 1 for an
internal error (or, for lint and test, problems found), 2 for bad input: one line per problem,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, Optional

from .._errors import InputError, PolicyEngineError, Problem
from .._version import __version__
from ..engines.base import ENGINES, available_engines, resolve_engine, unavailable_reason
from ..plugins.registry import set_default_plugin_timeout

#: Each module adds its subcommand(s): ``add_parser(subparsers)`` and ``run(args) -> int``. Keyed by
#: command name, so that running one command imports only its module (start-up time, issue 15).
COMMANDS = {
    "check": "policyengine.cli.check",
    "packs": "policyengine.cli.packs",
    "facts": "policyengine.cli.packs",
    "test": "policyengine.cli.test",
    "lint": "policyengine.cli.lint",
    "schema": "policyengine.cli.schema",
    "table": "policyengine.cli.table",
    "audit": "policyengine.cli.audit",
    "show": "policyengine.cli.show",
    "plugins": "policyengine.cli.plugins",
    "diff": "policyengine.cli.diff",
    "report": "policyengine.cli.report",
    "monitor": "policyengine.cli.monitor",
    "due": "policyengine.cli.due",
}

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own errors are bad input too: exit 2, one line
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def engines_line() -> str:
    """Which engines work on this Python, the default first, and why one does not."""
    here = available_engines()
    words = [f"{name} (default)" if n == 0 else name for n, name in enumerate(here)]
    missing = [name for name in ENGINES if name not in here]
    line = "engines: " + ", ".join(words)
    if missing:
        line += "; " + "; ".join(f"{name} unavailable: {unavailable_reason(name)}" for name in missing)
    return line


class _Version(argparse.Action):
    """``--version``: the version, then the engines available here (worked out only when asked)."""

    def __init__(self, option_strings: Sequence[str], version: str, dest: str = argparse.SUPPRESS, default: Any = argparse.SUPPRESS,
                 help: str = "show the version and the engines available, and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)
        self.version = version

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        sys.stdout.write(f"{self.version}\n{engines_line()}\n")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with every command, or with only ``command`` (which is all that running it needs)."""
    parser = _Parser(prog="policyengine", description="May this home visit go ahead under the school's policy?")
    parser.add_argument("--version", action=_Version, version=f"policyengine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in dict.fromkeys(COMMANDS[name] for name in ([command] if command else COMMANDS)):
        importlib.import_module(module).add_parser(sub)
    for each in sub.choices.values():  # every command may call into plugins
        each.add_argument(
            "--plugin-timeout", type=_seconds, metavar="SECONDS", default=None,
            help="give up on a plugin call (a hook, a rule kind, a decision listener) after this long and fail "
                 "closed: no decision is made (default: no limit)",
        )
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if its first word names one (only --help and --version come before
    a command); None for anything else, so that the whole parser lists the commands or the choices."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text} is not a time limit: give seconds, more than 0")
    return value


def report_input_error(exc: InputError) -> int:
    for problem in exc.problems:
        print(str(problem), file=sys.stderr)
    if len(exc.problems) > 1:
        print(f"{len(exc.problems)} problems", file=sys.stderr)
    return EXIT_BAD_INPUT


def _engine_option(engine: str) -> None:
    """An --engine this Python cannot run is bad input for the whole command, said plainly."""
    try:
        resolve_engine(engine)
    except InputError as exc:
        raise InputError([Problem("--engine", None, None, p.message) for p in exc.problems]) from None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    previous = set_default_plugin_timeout(args.plugin_timeout) if args.plugin_timeout is not None else None
    try:
        if getattr(args, "engine", None) is not None:
            _engine_option(args.engine)
        code: int = args.run(args)
        return code
    except InputError as exc:
        return report_input_error(exc)
    except PolicyEngineError as exc:
        print(f"policyengine: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # fail closed, and say so plainly rather than with a traceback
        print(f"policyengine: internal error: {exc!r} (no decision was made)", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if args.plugin_timeout is not None:  # main() may be called again in the same process
            set_default_plugin_timeout(previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
