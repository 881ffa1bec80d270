"""The numbers a rule applies (minutes, a time of day, a number of staff) and whether its quote says them.

A finding that cancels a visit after 20 minutes must quote the sentence that sets the 20 minutes, not
only the one that says "cancel": staff and auditors check the number against the policy's words.
Each kind says which numbers it applies (:meth:`policyengine.Rule.quoted_numbers`) as a pattern for
the ways a policy writes them (20 or twenty; 16:00 or 4pm or 4.00pm; two staff or a pair), and a
pack whose quote does not say one is refused as it loads (and by ``policyengine lint``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._plugin_calls import PLUGIN_FAILURES
from ._quotes import fold

if TYPE_CHECKING:  # for annotations only
    from ._rule import Rule

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}


def _spelled(n: int) -> list[str]:
    if n < 20:
        return [_UNITS[n]]
    if n < 100:
        tens, unit = divmod(n, 10)
        if not unit:
            return [_TENS[tens]]
        return [f"{_TENS[tens]}-{_UNITS[unit]}", f"{_TENS[tens]} {_UNITS[unit]}"]
    return []


def number_words(n: int) -> str:
    """A pattern for the whole number ``n`` as a text writes it: in figures or in words."""
    forms = [rf"(?<![\d.,]){n}(?![\d])"] + [rf"\b{re.escape(w)}\b" for w in _spelled(n)]
    return "|".join(forms)


#: Besides "two" and "2", how policies say that a second member of staff goes: in pairs, a second
#: or another member, accompanied, or never alone (lone working avoided).
_TWO_STAFF = r"\bpairs?\b|\bpaired\b|\bsecond\b|\banother\b|\baccompan|\balone\b|\blone\b"


def staff_words(n: int) -> str:
    """A pattern for a number of staff: ``n`` in figures or words; for two, also a pair, a second or
    another member, accompaniment, or (not) alone."""
    return number_words(n) + ("|" + _TWO_STAFF if n == 2 else "")


def time_words(hhmm: str) -> str:
    """A pattern for a time of day written 16:00, 16.00, 4pm, 4 pm, 4.00pm, 4:00 p.m. (noon and
    midnight by name too)."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    forms = [rf"(?<![\d.:]){hour:d}[:.]{minute:02d}(?![\d])", rf"(?<![\d.:]){hour:02d}[:.]{minute:02d}(?![\d])"]
    twelve = hour % 12 or 12
    suffix = r"\s*(?:pm|p\.m\.)" if hour >= 12 else r"\s*(?:am|a\.m\.)"
    clock = rf"(?<![\d.:]){twelve}(?:[:.]{minute:02d})?" if minute == 0 else rf"(?<![\d.:]){twelve}[:.]{minute:02d}"
    forms.append(clock + suffix)
    if minute == 0 and hour in (0, 12):
        forms.append(r"\bmidnight\b" if hour == 0 else r"\bnoon\b|\bmidday\b")
    return "|".join(forms)


def missing_numbers(rule: Rule) -> list[str]:
    """What ``rule`` applies that its quote does not say (an empty list when it says them all).
    A kind whose ``quoted_numbers`` raises or returns something else is a PluginError naming it."""
    quote = fold(rule.citation.quote).lower()
    try:
        numbers = [(str(what), re.compile(pattern, re.I)) for what, pattern in rule.quoted_numbers()]
    except PLUGIN_FAILURES as exc:
        raise rule.kind_failed("quoted_numbers", exc) from exc
    return [what for what, pattern in numbers if not pattern.search(quote)]
