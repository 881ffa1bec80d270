"""The report of every built-in pack, rendered in a real browser (headless Chromium) at phone width.

Each page is measured inside Chromium (``tests/browser.py``): nothing wider than a phone's screen or
clipped, the sentences highlighted as the pack's coverage says, every link leading somewhere, each
rule and timed rule linking back to its sentences, no script and nothing fetched. A screenshot of each is written
under the test's temporary folder. The measurement is seen to fail on a page broken on purpose.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it where it is missing). Where no
browser can be had these tests are skipped, and pytest says why in its summary.
"""

from __future__ import annotations

import re

import pytest

from policyengine.cli.report import render_report, report_data
from policyengine.packs.load import load_pack
from tests.browser import find_chromium, measure, screenshot
from tests.test_report import hostile_pack

BUILT_IN = ("tcat", "burgh", "wirksworth", "washwood", "ellesmere")
PHONE = 360  # CSS pixels: a small phone held upright


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no Chromium to render the report in: install Debian's chromium (apt-get install chromium)")
    return found


@pytest.mark.parametrize("pack_id", BUILT_IN)
def test_the_report_renders_at_phone_width_with_its_highlights_and_links(chromium, pack_id, tmp_path):
    pack = load_pack(pack_id)
    page = render_report(pack)
    counts = report_data(pack)["counts"]
    seen = measure(chromium, page, tmp_path, PHONE)
    # Nothing cut off: no element reaches past the screen's edge or clips its content.
    assert seen["width"] == PHONE and seen["scrollWidth"] <= PHONE, seen["cut"]
    assert seen["cut"] == []
    # The sentences are highlighted as the coverage says, and the highlight is drawn.
    assert (seen["encoded"], seen["notChecked"], seen["notMentioned"]) == (
        counts["encoded"], counts["not-checked"], counts["not-mentioned"])
    assert seen["highlightColour"] not in (None, "rgba(0, 0, 0, 0)", "transparent")
    assert seen["why"] >= 1 and seen["ruleTags"] >= counts["encoded"]
    # Every link goes to something on the page; every rule links back to its sentences.
    assert seen["broken"] == [] and seen["links"] > seen["ruleTags"]
    assert seen["rules"] == len(pack.rules)
    assert sorted(seen["rulesLinkingBack"]) == sorted(f"rule-{r.id}" for r in pack.rules)
    # Timed rules: each shown, linking back to the sentences of its quotes; each timed tag in the text
    # follows a highlighted sentence.
    timers = [*pack.timed.visit, *pack.timed.absence] if pack.timed else []
    assert seen["timedRules"] == len(timers)
    assert sorted(seen["timedLinkingBack"]) == sorted(f"timed-{t.id}" for t in timers)
    assert seen["timedTags"] >= len(timers) and seen["timedTagsAfterHighlight"] == seen["timedTags"]
    # Self-contained: no script ran, nothing was fetched.
    assert seen["scripts"] == 0 and seen["resources"] == 0
    report = tmp_path / f"{pack_id}-report.html"
    report.write_text(page, encoding="utf-8")
    png = screenshot(chromium, report, tmp_path / f"{pack_id}-report.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_markup_in_the_pack_is_shown_as_text_in_the_browser(chromium, tmp_path):
    page = render_report(load_pack(str(hostile_pack(tmp_path))))
    seen = measure(chromium, page, tmp_path, PHONE, probe='<script>alert("notes")</script>')
    assert seen["probe"] is True and seen["scripts"] == 0 and seen["cut"] == []


def test_the_measurement_sees_a_page_broken_on_purpose(chromium, tmp_path):
    page = render_report(load_pack("tcat")).replace(
        '<section id="rules">',
        '<section id="rules"><pre style="white-space: pre">' + "x" * 120 + "</pre>"
        '<p style="overflow: hidden; width: 5rem; white-space: nowrap">a line too long for its box</p>'
        '<a href="#nowhere">a link to nothing</a>',
    )
    # A timed rule that no longer links to its sentences, and two timed tags after a sentence not highlighted.
    article = re.search(r'id="timed-wait-for-the-parents">.*?</article>', page, re.S).group(0)
    page = page.replace(article, re.sub(r'<a href="#s\d+">', "<a>", article))
    assert '<span class="s encoded" id="s135">Where a staff member cannot be contacted' in page
    page = page.replace('<span class="s encoded" id="s135">', '<span class="s" id="s135">', 1)
    seen = measure(chromium, page, tmp_path, PHONE)
    assert seen["scrollWidth"] > PHONE
    assert any(c.startswith("pre overflows") for c in seen["cut"])
    assert any(c.startswith("p clips") for c in seen["cut"])
    assert seen["broken"] == ["#nowhere"]
    assert "timed-wait-for-the-parents" not in seen["timedLinkingBack"] and len(seen["timedLinkingBack"]) == 2
    assert seen["timedTagsAfterHighlight"] == seen["timedTags"] - 2
