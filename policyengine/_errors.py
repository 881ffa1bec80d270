"""The exceptions policyengine raises.

Every exception subclasses :class:`PolicyEngineError` and the builtin it resembles, so callers
can catch either.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._limits import clipped


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word`` (to end a message naming an
    unknown name), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, with where it is."""

    file: str
    line: int | None
    column: int | None
    message: str
    field: str | None = None
    severity: str = "error"

    def __post_init__(self) -> None:
        # A message may quote the input back; a hostile input must not make a hostile message.
        if len(self.message) > 500:
            object.__setattr__(self, "message", clipped(self.message))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
        }


class PolicyEngineError(Exception):
    """Base class of every error policyengine raises."""


class InputError(PolicyEngineError, ValueError):
    """A visit, a rule pack or a school id that cannot be used, with every problem found.

    ``problems`` lists each :class:`Problem` (file, line, column, message); ``str()`` gives one
    line per problem.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("<input>", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownSchoolError(InputError, LookupError):
    """No rule pack is known by the id asked for."""


class DecisionError(PolicyEngineError, RuntimeError):
    """Something went wrong inside the engine while deciding.

    Raised instead of returning a decision: an internal failure is never turned into "permitted".
    """


class PluginError(PolicyEngineError, RuntimeError):
    """A plugin (or a rule kind it provides) raised, returned something invalid, or clashed with another.

    The message names the plugin, or the rule kind's class, so the fault can be taken to its author.
    Raised instead of a decision: a broken plugin never turns a decision into "permitted". Where
    the fault is in a file (a plugin's pack that does not load, a kind that breaks on a rule),
    ``problems`` lists each :class:`Problem` with its file, line and column.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()):
        super().__init__(message)
        self.problems: list[Problem] = list(problems)
