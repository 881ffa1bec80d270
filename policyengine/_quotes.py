"""Do a pack's quotes appear in the policy text?

A quote matches its source when both are equal after folding: white space collapsed, markdown
emphasis (``*``, ``_``) dropped, typographic quotes and dashes straightened. The policy texts have
hard line breaks and bold markers mid-sentence, so an exact substring test would be too strict;
nothing looser is accepted, so a paraphrase never passes.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STRAIGHTEN = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ",
        "*": None, "_": None,
    }
)


def fold(text: str) -> str:
    """The folded form of ``text`` used to compare quotes with sources."""
    return re.sub(r"\s+", " ", text.translate(_STRAIGHTEN)).strip()


@lru_cache(maxsize=16)
def folded_source(source: str) -> str:
    """``source`` folded once, for checking many quotes against it."""
    return fold(source)


def quote_in(quote: str, source: str, *, folded: bool = False) -> bool:
    """Whether ``quote`` appears in ``source`` (both folded; ``folded`` says ``source`` already is)."""
    q = fold(quote)
    return bool(q) and q in (source if folded else folded_source(source))
