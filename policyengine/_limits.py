"""Size limits on what policyengine reads, so that a hostile or mistaken input is refused quickly,
with a message, instead of eating memory or time. Each is far above what a real visit, pack or policy
needs; the README's "Reliability" section lists them.
"""

from __future__ import annotations

import reprlib

MiB = 1024 * 1024

#: A visit file (YAML or JSON). A real visit is about 1 kB.
VISIT_FILE_BYTES = 1 * MiB
#: Any other file read: a rule pack, a policy text. The largest built-in pack is 44 kB and the
#: largest policy text 16 kB.
FILE_BYTES = 4 * MiB
#: One line of an ``audit`` file (one visit as JSON).
AUDIT_LINE_BYTES = 1 * MiB
#: Nesting of mappings and lists in a YAML or JSON file (a visit is 3 deep; a pack's deepest
#: condition, a few levels of all/any/not, about 12).
NESTING_DEPTH = 64
#: Digits in a whole number written in a file (a visit's numbers are minutes and counts).
NUMBER_DIGITS = 18
#: Characters in a visit's text fields (school, case_ref, out_of_hours.justification).
TEXT_CHARS = 1000
#: Staff on one visit.
STAFF = 50
#: Characters of a value quoted back in an error message (the rest is elided).
ECHO_CHARS = 60
#: Characters in one problem's message.
MESSAGE_CHARS = 500
#: Packs in one chain of ``extends``.
EXTENDS_DEPTH = 16


def shown(value: object) -> str:
    """``repr(value)`` for an error message, cut to :data:`ECHO_CHARS` (and safe for any depth)."""
    r = reprlib.Repr()
    r.maxstring = r.maxother = ECHO_CHARS
    r.maxlevel = 3
    text = r.repr(value)
    return text if len(text) <= ECHO_CHARS + 10 else text[:ECHO_CHARS] + "..."


def clipped(message: str) -> str:
    """``message`` cut to :data:`MESSAGE_CHARS`, saying how much was left out."""
    if len(message) <= MESSAGE_CHARS:
        return message
    return f"{message[:MESSAGE_CHARS]}... ({len(message) - MESSAGE_CHARS:,} more characters)"
