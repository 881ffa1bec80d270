"""What a YAML syntax error means, in plain words with the fix, for the people who edit packs.

PyYAML's messages are parser jargon ("found character '\\t' that cannot start any token",
"expected <block end>, but found '<scalar>'"). Each mistake people make often is recognised here by
the parser's words and said as what to do. The position stays the parser's, except for a quote that
is never closed, which is reported where the quoted text starts (the parser notices only at the end
of the file). Anything not recognised keeps the parser's own words.
"""

from __future__ import annotations

import re
from typing import Optional

_QUOTES = ("text containing an apostrophe needs double quotes (\"the learner's parents\"), or the apostrophe "
           "written twice inside single quotes ('the learner''s parents')")

#: (pattern on the parser's problem, the plain words). The first match wins.
_PLAIN: tuple[tuple[str, str], ...] = (
    (r"found character '\\t' that cannot start any token",
     "a Tab character: use spaces, not a Tab, to indent (and put text that holds a Tab in quotes)"),
    (r"found character '(?P<ch>[@`%|>!&*])' that cannot start any token|found character '(?P<ch2>.)' that cannot start",
     "text cannot start with '{ch}' unless it is in quotes: put the whole text in double quotes"),
    (r"expected alphabetic or numeric character, but found '(?P<ch>[*&])'",
     "text cannot start with '{ch}' unless it is in quotes (YAML reads it as an alias or anchor): put the whole "
     "text in double quotes"),
    (r"mapping values are not allowed here",
     "a ': ' (colon and space) inside text, or a line indented further than the one above: put text that contains "
     "': ' in double quotes, or line the key up with the keys above it"),
    (r"expected <block end>, but found '<scalar>'",
     "more text after a closing quote: " + _QUOTES),
    (r"expected <block end>, but found '<block mapping start>'|expected <block end>, but found '\?'",
     "this line is indented differently from the lines above it: line each key up with the other keys of its "
     "mapping, using spaces"),
    (r"expected <block end>, but found '-'",
     "a list item ('- ') where a key was expected: indent the items of a list under their key, lined up with each "
     "other"),
    (r"found unexpected end of stream",
     "a quote that is never closed: end the text with the quote mark it starts with; " + _QUOTES),
    (r"expected ',' or '\]', but got",
     "a list in [ ] that is not closed, or an item in it containing ': ': close the list with ] on the same line, "
     "and put such an item in double quotes"),
    (r"expected ',' or '\}', but got",
     "a mapping in { } that is not closed, or a value in it containing ', ' or ': ': close it with } and put such "
     "a value in double quotes"),
    (r"expected chomping or indentation indicators",
     "text starting with '|' or '>' must be in double quotes (or start the text itself on the next line)"),
    (r"but found another document",
     "'---' starts a second document: a file holds one pack or one visit; remove the line"),
    (r"could not find expected ':'",
     "a key without ':' after it, or text that runs onto the next line: end each key with ': ', and put text "
     "that runs over several lines in double quotes"),
)


def plain(problem: Optional[str], context: Optional[str]) -> str:
    """The parser's ``problem`` (and its ``context``) in plain words with the fix."""
    said = problem or context or ""
    for pattern, words in _PLAIN:
        found = re.search(pattern, said)
        if found:
            groups = {k: v for k, v in found.groupdict().items() if v}
            ch = groups.get("ch") or groups.get("ch2") or ""
            return words.replace("{ch}", ch)
    return said or "not valid YAML"


def use_start(problem: Optional[str]) -> bool:
    """Whether the error is better shown where the construct began (a quote never closed)."""
    return bool(problem and "unexpected end of stream" in problem)
