"""A policy's text as sentences, and which of them a pack relies on.

The report shows the policy in full with each sentence marked: encoded by rules, catalogued as not
checkable, or not mentioned by the pack at all. The policy texts are plain text extracted from
documents: markdown headings and bullets in some, hard line breaks (even blank lines) inside
sentences in others, tables as tab-separated rows. So the text is read in blocks (headings, bullets,
paragraphs, table rows), each block split into sentences, and every sentence keeps its offsets in the
source, so a quote found in the source (folded as lint folds it) is matched to the sentences it
overlaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Optional

from .._quotes import _STRAIGHTEN, fold

if TYPE_CHECKING:  # for annotations only
    from .model import PackBase

_BULLET = re.compile(r"[ \t]*(?:[-*\u2022\u25aa\u25cf]|\d{1,2}[.)])[ \t]+(?=\S)")
_MD_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]+")
_RULE = re.compile(r"[ \t]*([-=_*][ \t]*){3,}")
_TERMINAL = ".!?:;"
#: Where one sentence ends and the next begins: end punctuation (and closing quotes or brackets),
#: space, and a capital or digit (so "e.g. an officer" does not split).
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "No.", "vs.", "approx.")


@dataclass
class Sentence:
    """One sentence of the policy: its offsets in the source and its words as shown."""

    number: int
    start: int
    end: int
    text: str  # white space collapsed, markdown emphasis markers kept (see ``parts``)
    counted: bool  # a statement (not a heading, a title, or a list of names)
    rules: list[str] = field(default_factory=list)  # the rules that encode it, in pack order
    cited_by: list[str] = field(default_factory=list)  # the rules whose own quote is (partly) in it
    not_checked: list[str] = field(default_factory=list)  # the catalogue's reasons it is not checked
    cell: int = 0  # in a table row, which cell
    timed: list[str] = field(default_factory=list)  # the timed rules that encode it, in pack order
    not_timed: list[str] = field(default_factory=list)  # the timed catalogue's reasons no timed rule does

    @property
    def status(self) -> str:
        """``encoded`` (by rules or timed rules), ``not-checked`` (catalogued with why) or ``not-mentioned``."""
        if self.rules or self.timed:
            return "encoded"
        return "not-checked" if self.not_checked or self.not_timed else "not-mentioned"

    @property
    def anchor(self) -> str:
        return f"s{self.number}"


@dataclass
class Block:
    """A heading, a paragraph, a bullet (``level``: how deep), or a table row."""

    kind: str  # "heading" | "paragraph" | "bullet" | "row"
    start: int
    end: int
    level: int = 0
    marker: str = ""  # a numbered item's number ("1."), shown as the policy shows it
    sentences: list[Sentence] = field(default_factory=list)


def _ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip("*_\"'\u201d\u2019)").endswith(tuple(_TERMINAL))


def _wrapped(last: str, body: str) -> bool:
    """Whether ``body``, after a blank line, goes on with the sentence ``last`` left unfinished (text
    extracted from a PDF puts blank lines inside sentences): it starts in lower case, or ``last`` was
    a full-width line."""
    return not _ends_sentence(last) and (body.lstrip()[:1].islower() or len(last.strip()) >= 70)


def blocks(source: str) -> list[Block]:
    """``source`` as blocks of sentences, in order, with offsets into ``source``."""
    found: list[Block] = []
    offset, gap, last = 0, False, ""
    current: Optional[Block] = None
    for line in source.splitlines(keepends=True):
        start, body = offset, line.rstrip("\r\n")
        offset += len(line)
        if not body.strip():
            gap = True
            continue
        bullet, heading = _BULLET.match(body), _MD_HEADING.match(body)
        if _RULE.fullmatch(body):
            current, gap = None, False
            continue
        if "\t" in body and not bullet:
            current = None
            found.append(Block("row", start, start + len(body)))
        elif heading:
            current = None
            found.append(Block("heading", start + heading.end(), start + len(body), level=len(heading.group().strip())))
        elif bullet:
            indent = len(body) - len(body.lstrip(" \t"))
            mark = bullet.group().strip()
            current = Block("bullet", start + bullet.end(), start + len(body), level=1 + indent // 2,
                            marker=mark if mark[:1].isdigit() else "")
            found.append(current)
        elif current is not None and (not gap or _wrapped(last, body)):
            current.end = start + len(body)  # a hard-wrapped line, even across a blank line
        else:
            current = Block("paragraph", start + len(body) - len(body.lstrip()), start + len(body))
            found.append(current)
        gap, last = False, body
    number = 0
    for block in found:
        text = source[block.start:block.end]
        if block.kind == "paragraph" and "\n" not in text and len(text.split()) <= 8 and not _ends_sentence(text):
            block.kind = "heading"  # a short line standing alone: "3 Home Visits", "Before the Visit"
        cells = [0]  # a table row's cells start after each tab; each is split on its own
        cells += [i + 1 for i, char in enumerate(text) if char == "\t"] if block.kind == "row" else []
        for cell, begin in enumerate(cells):
            end = cells[cell + 1] - 1 if cell + 1 < len(cells) else len(text)
            for s, e in _split(text[begin:end]):
                number += 1
                words = " ".join(text[begin + s:begin + e].split())
                block.sentences.append(Sentence(number, block.start + begin + s, block.start + begin + e, words,
                                                _statement(block.kind, words), cell=cell))
    return found


def _statement(kind: str, words: str) -> bool:
    """Whether a sentence counts as one of the policy's statements: it ends like a sentence (a label
    ending in a colon is not enough) or is a long list item; not a heading, a title, a motto or a list
    of names."""
    count = len(words.split())
    if kind == "heading" or count < 2 or words.endswith(":") and count < 5:
        return False
    return _ends_sentence(words) and count >= (3 if kind == "row" else 2) or kind != "row" and count >= 6


def _split(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences in ``text`` (a block), trimmed of white space."""
    cuts, begin = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[begin:m.start() + 1].split()
        if before and before[-1].endswith(_ABBREVIATIONS) or len(before) == 1 and re.fullmatch(r"[\d.]+", before[0]):
            continue  # "e.g. The", or a section number: "3. Home visits"
        cuts.append((begin, m.start() + 1 + len(m.group()) - len(m.group().lstrip(".!?\"'\u201d\u2019)]"))))
        begin = m.end()
    cuts.append((begin, len(text)))
    out = []
    for s, e in cuts:
        chunk = text[s:e]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            out.append((s + lead, s + len(chunk.rstrip())))
    return out


@lru_cache(maxsize=8)
def _folded(source: str) -> tuple[str, tuple[int, ...]]:
    """``source`` folded as :func:`policyengine._quotes.fold` folds it, and the offset in ``source``
    of each folded character."""
    folded: list[str] = []
    where: list[int] = []
    for index, char in enumerate(source):
        out = " " if char.isspace() else char.translate(_STRAIGHTEN)
        if not out or out == " " and (not folded or folded[-1] == " "):
            continue
        folded.append(out)
        where.append(index)
    return "".join(folded), tuple(where)


def locate(quote: str, source: str) -> list[tuple[int, int]]:
    """Where ``quote`` is in ``source``: (start, end) offsets of each place, compared folded as lint
    compares quotes (white space, emphasis markers, curly quotes and dashes may differ)."""
    text, where = _folded(source)
    wanted = fold(quote)
    spans, at = [], text.find(wanted) if wanted else -1
    while at >= 0:
        spans.append((where[at], where[at + len(wanted) - 1] + 1))
        at = text.find(wanted, at + 1)
    return spans


@dataclass
class Coverage:
    """The policy's sentences marked with what the pack does with each, and the figures."""

    blocks: list[Block]
    rule_sentences: dict[str, list[str]]  # rule id -> anchors of the sentences it encodes
    unplaced: list[str]  # quotes (rules' or the catalogue's) not found in the text
    timed_sentences: dict[str, list[str]] = field(default_factory=dict)  # timed rule id -> anchors
    quoted: dict[str, list[str]] = field(default_factory=dict)  # a quote -> anchors of the sentences it is in

    @property
    def sentences(self) -> list[Sentence]:
        return [s for b in self.blocks for s in b.sentences]

    def counts(self) -> dict[str, int]:
        counted = [s for s in self.sentences if s.counted]
        return {
            "sentences": len(counted),
            "encoded": sum(1 for s in counted if s.status == "encoded"),
            "not-checked": sum(1 for s in counted if s.status == "not-checked"),
            "not-mentioned": sum(1 for s in counted if s.status == "not-mentioned"),
        }


def coverage(pack: PackBase, source: str) -> Coverage:
    """Mark every sentence of ``source`` with the rules that encode it (their own quotes and the
    catalogue's entries), the timed rules that do (their quotes, their escalation steps' and the
    timed catalogue's), and the catalogues' reasons for statements that none encodes."""
    found = blocks(source)
    sentences = [s for b in found for s in b.sentences]
    unplaced: list[str] = []
    quoted: dict[str, list[str]] = {}
    order = {r.id: i for i, r in enumerate(pack.rules)}

    def touched(quote: str) -> list[Sentence]:
        hits = [s for a, b in locate(quote, source) for s in sentences if s.start < b and a < s.end]
        if not hits:
            unplaced.append(quote)
        quoted[quote] = list(dict.fromkeys(s.anchor for s in hits))
        return hits

    for rule in pack.rules:
        for s in touched(rule.citation.quote):
            s.cited_by.append(rule.id)
            s.rules.append(rule.id)
    for entry in pack.catalogue:
        for s in touched(entry.quote):
            if entry.not_checkable:
                s.not_checked.append(entry.not_checkable)
            s.rules.extend(entry.rules)
    timed = getattr(pack, "timed", None)
    timers = [*timed.visit, *timed.absence] if timed is not None else []
    timed_order = {t.id: i for i, t in enumerate(timers)}
    if timed is not None:
        for timer in timers:
            for s in touched(timer.citation.quote):
                s.timed.append(timer.id)
        for name, steps in timed.escalations.items():
            users = [t.id for t in timed.visit if t.escalation == name]  # a step encodes the timers it follows
            for step in steps:
                for s in touched(step.citation.quote):
                    s.timed.extend(users)
        for entry in timed.catalogue:
            for s in touched(entry.quote):
                if entry.not_timed:
                    s.not_timed.append(entry.not_timed)
                s.timed.extend(entry.rules)
    rule_sentences: dict[str, list[str]] = {r.id: [] for r in pack.rules}
    timed_sentences: dict[str, list[str]] = {t.id: [] for t in timers}
    for s in sentences:
        s.rules = sorted(dict.fromkeys(s.rules), key=lambda rid: order.get(rid, len(order)))
        s.timed = sorted(dict.fromkeys(s.timed), key=lambda tid: timed_order.get(tid, len(timed_order)))
        s.not_checked = list(dict.fromkeys(s.not_checked))
        s.not_timed = list(dict.fromkeys(s.not_timed))
        if s.rules or s.not_checked or s.timed or s.not_timed:
            s.counted = True  # the pack speaks of it, whatever it looks like
        for rid in s.rules:
            rule_sentences.setdefault(rid, []).append(s.anchor)
        for tid in s.timed:
            timed_sentences.setdefault(tid, []).append(s.anchor)
    return Coverage(found, rule_sentences, unplaced, timed_sentences, quoted)
