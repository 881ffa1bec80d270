"""What makes a well-formed pack unusable: quotes not in its policy, rules that can never fire, rules
beyond what the durable engine can run (``_durable_form.limit_problem``).

Loading a pack (``check``) and ``policyengine lint`` both run these, so whatever lint reports as an
error is exactly what ``check`` refuses. A citation is only honest if its words are in the policy,
so a pack whose source text is at hand is never used with a quote that has drifted from it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .._errors import InputError, PluginError, Problem
from .._quotes import folded_source, quote_in
from .._yaml import Loaded, read_text
from ..conditions.form import facts_used
from ..conditions.satisfy import always, satisfiable
from ..engines.durable_form import limit_problem
from ..plugin_facts import DECLARED
from .phase_checks import rule_problems

if TYPE_CHECKING:  # for annotations only
    from .model import PackBase


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def at(loaded: Loaded, path: tuple[Any, ...], severity: str, message: str) -> Problem:
    line, col = loaded.position(path)
    return Problem(loaded.file, line, col, message, field=dotted(path), severity=severity)


def own_rules(pack: PackBase, loaded: Loaded) -> list[Any]:
    """The rules written in this file (inherited ones are checked in their own pack)."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    return list(pack.rules)[: len(rules) if isinstance(rules, list) else 0]


def safe_source_name(value: str) -> str:
    """``source:`` names a file in the pack's own folder (or its ``sources/``), never a path out of it:
    not absolute, no ``..``, no drive or backslash. The real path is checked again when the text is
    read, so a symlink out of the folder is refused too."""
    name = value.strip()
    parts = name.replace("\\", "/").split("/")
    if (not name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts
            or any(ord(ch) < 32 for ch in name)):
        raise ValueError(
            f"must name a file in the pack's own folder, such as 'tcat.txt' in sources/ beside the pack, not "
            f"{value!r}: a pack reads only its own policy text (no '..', absolute path or drive)"
        )
    return name


def source_folder(loaded: Loaded, folder: Optional[Path] = None) -> Optional[Path]:
    """The folder a pack's policy text is looked for in: ``folder`` when given (a plugin's package,
    for a pack it gives as data), else the folder of the pack's file; None for data with neither."""
    if folder is not None:
        return Path(folder)
    here = Path(loaded.file)
    # Read from a file (it has positions): its folder. Data given in code has none, whatever its label.
    return here.parent if loaded.positions and here.is_file() else None


def source_path(pack: PackBase, loaded: Loaded, folder: Optional[Path] = None) -> Optional[Path]:
    """The policy text ``pack.source`` names, when it is where it may be: in ``sources/`` beside the
    pack, or beside it. None when it is not there (:func:`policy_text` says why)."""
    found, _ = _find_source(pack, loaded, folder)
    return found


def _find_source(pack: PackBase, loaded: Loaded, folder: Optional[Path]) -> tuple[Optional[Path], Optional[str]]:
    """(the text's path, None) or (None, why it cannot be used)."""
    name = pack.source
    base = source_folder(loaded, folder or getattr(pack, "_folder", None))
    if base is None:
        return None, (f"the policy text '{name}' cannot be looked for: this pack was given as data, not as a file "
                      "in a folder; give it as a file with its text in sources/ beside it")
    try:
        root = base.resolve(strict=True)
    except OSError:
        return None, f"the pack's folder {base} cannot be read"
    candidates = (base / "sources" / name, base / name)
    for candidate in candidates:
        if not os.path.lexists(candidate):
            continue
        real = candidate.resolve()
        if not real.is_relative_to(root):
            return None, (f"the policy text {candidate} leads outside the pack's folder (to {real}); a pack reads "
                          f"only its own texts: copy the text to {candidates[0]}")
        if not real.is_file():
            return None, f"the policy text {candidate} is not a regular file; put the text itself at {candidates[0]}"
        return candidate, None
    return None, (f"the policy text '{name}' is missing, so the pack's quotes cannot be checked: ship it as "
                  f"{candidates[0]} (in a plugin, as package data beside the pack)")


def policy_text(pack: PackBase, loaded: Loaded, folder: Optional[Path] = None) -> tuple[Optional[str], list[Problem]]:
    """The text of the policy ``pack`` quotes, or the problem (at its ``source`` line) saying which
    file to ship. Every pack names its text, and no pack is used without its quotes checked."""
    found, why = _find_source(pack, loaded, folder)
    if found is None:
        return None, [at(loaded, ("source",), "error", why or "")]
    try:
        return read_text(found), []
    except InputError as exc:
        return None, [at(loaded, ("source",), "error", f"the policy text cannot be read: {exc.problems[0]}")]


def pack_errors(pack: PackBase, loaded: Loaded, source: Optional[str], facts: Optional[dict[str, Any]] = None) -> tuple[list[Problem], list[Problem]]:
    """Errors in a pack that validated, and rule kinds that failed while its conditions were built.

    Errors: quotes not in its policy text ``source`` (None only when the text could not be had,
    already reported), rules that never fire, and facts that no plugin of the registry declares
    (``facts``: the ones it does). Kind failures are each at their rule's line, so ``lint`` reports
    them and goes on; loading a pack with one is a :class:`PluginError`.
    """
    problems: list[Problem] = []
    failures: list[Problem] = []
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
        # An inherited review_due_text quotes the parent's document, and was checked there.
        own_review = isinstance(loaded.data, dict) and "review_due_text" in loaded.data
        if pack.review_due_text and own_review and not quote_in(pack.review_due_text, text, folded=True):
            problems.append(at(loaded, ("review_due_text",), "error",
                               "review_due_text is not in the policy text; copy the document's words"))
    for i, rule in enumerate(rules):
        try:
            condition = pack.condition(rule)
        except PluginError as exc:
            failures.append(at(loaded, ("rules", i), "error", str(exc)))
            continue
        undeclared = sorted(f for f in facts_used(condition) if f in DECLARED and facts is not None and f not in facts)
        if undeclared:
            problems.append(at(loaded, ("rules", i), "error",
                               f"rule '{rule.id}' tests the fact '{undeclared[0]}', which no plugin here adds "
                               "(policyengine facts lists the facts)"))
        elif not satisfiable(condition):
            problems.append(at(loaded, ("rules", i), "error", f"rule '{rule.id}' can never fire: no visit meets its condition"))
        elif (beyond := limit_problem(condition)) and not always(condition):
            problems.append(at(loaded, ("rules", i), "error", f"rule '{rule.id}': {beyond}"))
        try:
            problems += [at(loaded, path, "error", message) for path, message in rule_problems(pack, rule, i)]
        except PluginError as exc:  # a kind whose quoted_numbers or phase_defaults breaks
            failures.append(at(loaded, ("rules", i), "error", str(exc)))
    return problems, failures
