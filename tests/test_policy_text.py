"""A policy's text as blocks of sentences, and quotes found in it (``_policy_text``)."""

from __future__ import annotations

from policyengine._yaml import read_text
from policyengine.packs.checks import source_path
from policyengine.packs.load import load_pack
from policyengine.packs.text import blocks, coverage, locate


def shape(text: str) -> list[tuple[str, list[str]]]:
    return [(b.kind, [s.text for s in b.sentences]) for b in blocks(text)]


def test_headings_paragraphs_bullets_and_rows():
    text = (
        "## 3. Home visits\n\nStaff go in pairs. They carry a phone, e.g. the school's.\n\n"
        "Before the Visit\n\n- Be clear about the purpose.\n  - Check the address.\nStatus:\tLive\n"
    )
    assert shape(text) == [
        ("heading", ["3. Home visits"]),
        ("paragraph", ["Staff go in pairs.", "They carry a phone, e.g. the school's."]),
        ("heading", ["Before the Visit"]),
        ("bullet", ["Be clear about the purpose."]),
        ("bullet", ["Check the address."]),
        ("row", ["Status:", "Live"]),
    ]
    levels = [b.level for b in blocks(text) if b.kind == "bullet"]
    assert levels == [1, 2]


def test_a_sentence_broken_by_blank_lines_is_one_sentence():
    # Text extracted from a PDF (as washwood's) puts blank lines inside sentences.
    text = "Employees involved in home visits should have undergone suitable child protection training and have an \n\n" \
           "awareness of child protection issues. \n\nDefinition \n\nA home visit requires a member of staff.\n"
    assert shape(text) == [
        ("paragraph", ["Employees involved in home visits should have undergone suitable child protection training and "
                       "have an awareness of child protection issues."]),
        ("heading", ["Definition"]),
        ("paragraph", ["A home visit requires a member of staff."]),
    ]


def test_offsets_point_at_the_sentence_in_the_source():
    text = "Intro line here.\n\n- **Do not** go upstairs. Leave if unsafe.\n"
    for block in blocks(text):
        for s in block.sentences:
            assert " ".join(text[s.start:s.end].split()) == s.text
    assert [s.counted for b in blocks(text) for s in b.sentences] == [True, True, True]


def test_headings_titles_and_name_lists_are_not_counted_as_statements():
    text = "Home Visit Policy\n\nCreative.\n\n- Education Act 1996\n- Dress appropriately.\n\nReasons for home visits:\n"
    counted = {s.text: s.counted for b in blocks(text) for s in b.sentences}
    assert counted == {"Home Visit Policy": False, "Creative.": False, "Education Act 1996": False,
                       "Dress appropriately.": True, "Reasons for home visits:": False}


def test_quotes_are_located_as_lint_matches_them():
    source = "Staff will wait no longer than\n**20 minutes**. The visit \u2013 if \u201cnot\u201d kept \u2013 ends."
    ((start, end),) = locate("staff will wait no longer than 20 minutes.".capitalize(), source)
    assert source[start:end] == "Staff will wait no longer than\n**20 minutes**."
    ((start, end),) = locate('The visit - if "not" kept - ends.', source)
    assert source[start:end].startswith("The visit") and source[start:end].endswith("ends.")
    assert locate("Staff will wait no longer than 25 minutes.", source) == []


def test_every_quote_of_every_built_in_pack_is_placed_and_every_rule_linked_to_its_sentences():
    for pack_id in ("tcat", "burgh", "wirksworth", "washwood", "ellesmere"):
        pack = load_pack(pack_id)
        found = coverage(pack, read_text(source_path(pack, pack._loaded)))
        assert found.unplaced == [], pack_id
        assert all(found.rule_sentences[r.id] for r in pack.rules), pack_id
        counts = found.counts()
        assert counts["sentences"] == counts["encoded"] + counts["not-checked"] + counts["not-mentioned"]
        # Every statement the catalogue marks as not checkable is marked so in the text, with its reason.
        reasons = {why for s in found.sentences for why in s.not_checked}
        assert reasons == {e.not_checkable for e in pack.catalogue if e.not_checkable}, pack_id
