"""Every quote in every built-in pack appears, word for word, in the policy it cites."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyengine import available_packs, load_pack
from policyengine._builtin_packs import schools_dir
from policyengine._quotes import fold, quote_in

SHARED = Path(__file__).resolve().parents[2] / "shared" / "policies"


def _quotes(pack):
    for rule in pack.rules:
        yield f"rule {rule.id}", rule.citation.quote
    for n, entry in enumerate(pack.catalogue):
        yield f"catalogue entry {n + 1} ({entry.section})", entry.quote
    if pack.review_due_text:
        yield "review_due_text", pack.review_due_text


@pytest.mark.parametrize("pack_id", available_packs())
def test_every_quote_is_in_the_source(pack_id):
    pack = load_pack(pack_id)
    assert pack.source, f"{pack_id} names no source text"
    source = (schools_dir() / "sources" / pack.source).read_text(encoding="utf-8")
    missing = [f"{where}: {quote!r}" for where, quote in _quotes(pack) if not quote_in(quote, source)]
    assert not missing, "quotes not found in the source:\n" + "\n".join(missing)


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared/policies beside this checkout")
@pytest.mark.parametrize("name", sorted(p.name for p in SHARED.glob("*.txt")) if SHARED.is_dir() else [])
def test_shipped_sources_match_shared_policies(name):
    shipped = schools_dir() / "sources" / name
    assert shipped.read_text(encoding="utf-8") == (SHARED / name).read_text(encoding="utf-8")


def test_folding_ignores_layout_but_not_words():
    source = "staff will **wait** no longer\nthan 20 minutes \u2013 then \u201ccancel\u201d"
    assert quote_in('wait no longer than 20 minutes - then "cancel"', source)
    assert not quote_in("wait no longer than 30 minutes", source)
    assert fold("a_b*c") == "abc"
