"""What makes a well-formed pack unusable: quotes not in its policy, rules that can never fire.

Loading a pack (``check``) and ``policyengine lint`` both run these, so whatever lint reports as an
error is exactly what ``check`` refuses. A citation is only honest if its words are in the policy,
so a pack whose source text is at hand is never used with a quote that has drifted from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ._errors import Problem
from ._quotes import folded_source, quote_in
from ._satisfy import satisfiable
from ._yaml import Loaded


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def at(loaded: Loaded, path: tuple, severity: str, message: str) -> Problem:
    line, col = loaded.position(path)
    return Problem(loaded.file, line, col, message, field=dotted(path), severity=severity)


def own_rules(pack, loaded: Loaded) -> list:
    """The rules written in this file (inherited ones are checked in their own pack)."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    return list(pack.rules)[: len(rules) if isinstance(rules, list) else 0]


def source_path(pack, loaded: Loaded) -> Optional[Path]:
    """The policy text a pack names in ``source``: in ``sources/`` beside the pack, or beside it."""
    if not pack.source:
        return None
    here = Path(loaded.file)
    if not here.is_file():
        return None
    for candidate in (here.parent / "sources" / pack.source, here.parent / pack.source):
        if candidate.is_file():
            return candidate
    return None


def pack_errors(pack, loaded: Loaded, source: Optional[str]) -> list[Problem]:
    """Errors in a pack that validated: quotes not in ``source`` (when given), rules that never fire."""
    problems: list[Problem] = []
    rules = own_rules(pack, loaded)
    if source is not None:
        text = folded_source(source)
        for i, rule in enumerate(rules):
            if not quote_in(rule.citation.quote, text, folded=True):
                problems.append(at(loaded, ("rules", i, "citation", "quote"), "error",
                                   f"rule '{rule.id}': the quote is not in the policy text; copy the policy's exact words"))
        for i, entry in enumerate(pack.catalogue):
            if not quote_in(entry.quote, text, folded=True):
                problems.append(at(loaded, ("catalogue", i, "quote"), "error",
                                   "catalogue quote is not in the policy text; copy the policy's exact words"))
        if pack.timed is not None and isinstance(loaded.data, dict) and "timed" in loaded.data:  # not inherited
            for path, holder, quote in pack.timed.citations():
                if not quote_in(quote, text, folded=True):
                    problems.append(at(loaded, ("timed",) + path, "error",
                                       f"{holder}: the quote is not in the policy text; copy the policy's exact words"))
        if pack.review_due_text and not quote_in(pack.review_due_text, text, folded=True):
            problems.append(at(loaded, ("review_due_text",), "error",
                               "review_due_text is not in the policy text; copy the document's words"))
    for i, rule in enumerate(rules):
        if not satisfiable(pack.condition(rule)):
            problems.append(at(loaded, ("rules", i), "error", f"rule '{rule.id}' can never fire: no visit meets its condition"))
    return problems
