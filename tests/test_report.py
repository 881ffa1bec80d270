"""``policyengine report``: the page's content, its escaping and the command (the browser tests are in
``tests/test_report_browser.py``)."""

from __future__ import annotations

import html
import importlib.resources
import re
import shutil
from pathlib import Path

import pytest

from policyengine._examples import example_results
from policyengine._yaml import load_file
from policyengine.cli.main import main
from policyengine.cli.report import render_report, report_data
from policyengine.packs.load import available_packs, load_pack, parse_pack

ROOT = Path(__file__).resolve().parent.parent
BUILT_IN = ("tcat", "burgh", "wirksworth", "washwood", "ellesmere")


def section(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}".*?</section>', page, re.S)
    assert found, f"no section {name}"
    return found.group(0)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


@pytest.mark.parametrize("pack_id", BUILT_IN)
def test_the_page_shows_the_whole_pack(pack_id):
    pack = load_pack(pack_id)
    page = render_report(pack)
    data = report_data(pack)
    counts = data["counts"]
    # Coverage figures at the top, before the policy text.
    top = section(page, "coverage")
    assert f"<b>{counts['encoded']}</b> of {counts['sentences']} statements encoded by rules" in top
    assert f"<b>{counts['not-checked']}</b> catalogued as not checkable" in top
    assert f"<b>{counts['not-mentioned']}</b> not mentioned by the pack" in top
    assert page.index('id="coverage"') < page.index('id="policy"') < page.index('id="rules"') \
        < page.index('id="examples"') < page.index('id="behaviour"')
    # The policy text in full: every sentence, highlighted by what the pack does with it.
    policy = section(page, "policy")
    assert len(re.findall(r'<span class="s encoded" id=', policy)) == counts["encoded"]
    assert len(re.findall(r'<span class="s not-checked" id=', policy)) == counts["not-checked"]
    assert len(re.findall(r'<span class="s not-mentioned" id=', policy)) == counts["not-mentioned"]
    # Every word of the policy, in order (list and heading marks aside, numbers kept).
    source = (ROOT / "schools" / "sources" / f"{pack.source}").read_text(encoding="utf-8")
    unmarked = re.sub(r"(?m)^[ \t]*(?:[-*\u2022\u25aa\u25cf]|#{1,6})[ \t]+", "", source)
    pieces = re.findall(r'<span class="num">([^<]*)</span>|<span class="s [^"]+" id="s\d+">(.*?)</span>', policy)
    shown = " ".join(number or sentence for number, sentence in pieces)
    words = lambda t: re.sub(r"[^a-z0-9]+", "", t.lower())  # noqa: E731
    assert words(html.unescape(re.sub(r"<[^>]+>", "", shown))) == words(unmarked.replace("**", ""))
    # Sentence -> rule and rule -> sentence links.
    for rule in pack.rules:
        article = re.search(rf'<article class="rule [^"]*" id="rule-{re.escape(rule.id)}">.*?</article>', page, re.S).group(0)
        back = re.findall(r'href="#(s\d+)"', article)
        assert back, rule.id
        for anchor in back:
            sentence = re.search(rf'<span class="s [^"]+" id="{anchor}">.*?</span>((?:<a class="tag"[^>]*>[^<]*</a>)*)', policy, re.S)
            assert f'href="#rule-{rule.id}"' in sentence.group(1), (rule.id, anchor)
        if rule.notes:  # notes beside their rule
            assert '<aside class="notes">' in article and " ".join(rule.notes.split()) in text_of(article)
    for entry in pack.catalogue:
        if entry.not_checkable:
            assert f"not checked: {' '.join(entry.not_checkable.split())}" in text_of(policy)
    # Sentences in no rule and no catalogue entry, listed and linked.
    listed = section(page, "not-mentioned")
    assert len(re.findall(r'<li><a href="#s\d+">', listed)) == counts["not-mentioned"]
    # The examples with their decisions, then every rule in the behaviour table.
    examples = section(page, "examples")
    for result in example_results(pack):
        assert f" {result.name} " in text_of(examples)
    assert examples.count('<span class="ok">as expected</span>') == len(pack.examples)
    behaviour = section(page, "behaviour")
    assert {m for m in re.findall(r'href="#rule-([^"]+)"', behaviour)} == {r.id for r in pack.rules}


@pytest.mark.parametrize("pack_id", BUILT_IN)
def test_the_page_is_self_contained(pack_id):
    page = render_report(load_pack(pack_id))
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">" in page
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page and "@font-face" not in page
    assert not re.search(r"\ssrc=", page)
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page


HOSTILE_SOURCE = """Hostile School Home Visit Policy

Visits are made in pairs. <script>alert("quote")</script> staff never go alone.

Staff carry ID & a phone <img src=x onerror=alert(1)>.
"""

HOSTILE_PACK = """id: hostile
school: Hostile <b>School</b>
document: Policy <script>alert("document")</script>
version: "1"
source: hostile.txt
rules:
  - id: pairs
    kind: pairing
    min_staff: 2
    applies_to: all_visits
    outcome: blocked
    message: Never alone <script>alert("message")</script>
    notes: A judgement call </aside><script>alert("notes")</script>
    citation:
      section: 1 <i>Pairs</i>
      quote: <script>alert("quote")</script> staff never go alone.
catalogue:
  - section: "1"
    quote: Staff carry ID & a phone <img src=x onerror=alert(1)>.
    not_checkable: checked at the door <script>alert("why")</script>
"""


def hostile_pack(tmp_path: Path) -> Path:
    (tmp_path / "sources").mkdir(exist_ok=True)
    (tmp_path / "sources" / "hostile.txt").write_text(HOSTILE_SOURCE, encoding="utf-8")
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_PACK, encoding="utf-8")
    return path


def test_markup_in_a_pack_or_its_policy_appears_as_text(tmp_path):
    page = render_report(load_pack(str(hostile_pack(tmp_path))))
    assert "<script" not in page and "<img" not in page and "<b>School" not in page and "<i>" not in page
    for shown in ('&lt;script&gt;alert(&#34;quote&#34;)&lt;/script&gt;', '&lt;script&gt;alert(&#34;notes&#34;)&lt;/script&gt;',
                  '&lt;script&gt;alert(&#34;why&#34;)&lt;/script&gt;', "&lt;img src=x onerror=alert(1)&gt;",
                  "Hostile &lt;b&gt;School&lt;/b&gt;", '&lt;/aside&gt;'):
        assert shown in page, shown
    assert page.count("</aside>") == 1


def test_a_pack_without_its_policy_text_shows_its_catalogue(tmp_path):
    copy = tmp_path / "tcat.yaml"
    shutil.copy(ROOT / "schools" / "tcat.yaml", copy)
    # Loading refuses a pack whose text is missing; one read with its text given (as `lint --source`
    # does) has none beside it for the report to show.
    text = (ROOT / "schools" / "sources" / "tcat.txt").read_text(encoding="utf-8")
    page = render_report(parse_pack(load_file(copy), source=text))
    assert "The policy text (<code>tcat.txt</code>) is not beside the pack" in page
    assert 'id="policy"' not in page
    catalogue = section(page, "catalogue")
    assert catalogue.count("<li>") == len(load_pack("tcat").catalogue)
    timed = section(page, "timed")  # the timed rules and the timed catalogue, without links into a text not shown
    assert timed.count('<article class="timed-rule') == 3 and timed.count("<li><blockquote>") == 7
    assert 'href="#s' not in timed


def test_the_command_writes_the_page(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "tcat"]) == 0
    assert capsys.readouterr().out == "wrote tcat-report.html\n"
    assert (tmp_path / "tcat-report.html").read_text(encoding="utf-8") == render_report(load_pack("tcat"))
    assert main(["report", "burgh", "-o", str(tmp_path / "b.html")]) == 0
    assert (tmp_path / "b.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["report", "washwood", "-o", "-"]) == 0
    assert capsys.readouterr().out == render_report(load_pack("washwood"))


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["report", "no-such-pack"]) == 2
    assert capsys.readouterr().err.startswith("<school>: unknown school 'no-such-pack'")
    target = tmp_path / "missing" / "r.html"
    assert main(["report", "tcat", "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"{target}: cannot write the report: No such file or directory\n"


def test_the_templates_are_package_data():
    """Installed from a wheel (as the README's first command installs), the templates come too."""
    templates = importlib.resources.files("policyengine") / "templates"
    assert (templates / "report.html").is_file() and (templates / "report.css").is_file()


def test_every_built_in_pack_is_covered_here():
    assert set(BUILT_IN) <= set(available_packs())


def test_the_readme_shows_a_committed_screenshot_and_docs_has_one_per_pack():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r'<img src="(docs/report-[a-z]+\.png)"', readme)
    assert shown, "the README shows no report screenshot"
    for pack_id in BUILT_IN:
        png = ROOT / "docs" / f"report-{pack_id}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"run: python3 docs/make_screenshots.py ({png})"
    assert all((ROOT / name).is_file() for name in shown)


def test_a_school_pack_extending_a_trust_s_shows_the_inherited_rules_without_links_into_its_text(tmp_path):
    from policyengine import Registry, hookimpl
    from tests.test_inherit import SCHOOL, TRUST

    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "school.txt").write_text(
        "A1 Visits are authorised by the headteacher only.\n\nA2 Always take a school phone.\n", encoding="utf-8")
    (tmp_path / "sources" / "trust.txt").write_text(
        "3.2 Staff never visit alone.\n3.1 Every visit is authorised by the headteacher or the DSL.\n"
        "3.3 Leave a visit plan with the office.\n", encoding="utf-8")
    (tmp_path / "trust.yaml").write_text(TRUST.lstrip() + "source: trust.txt\n", encoding="utf-8")
    (tmp_path / "school.yaml").write_text(SCHOOL.lstrip().replace("version: '2'\n", "version: '2'\nsource: school.txt\n"),
                                          encoding="utf-8")

    class Files:
        @hookimpl
        def policyengine_rule_packs(self):
            return [tmp_path / "trust.yaml", tmp_path / "school.yaml"]

    registry = Registry(entry_points=False)
    registry.register(Files(), name="trust-plugin")
    page = render_report(load_pack("school", registry=registry))
    pairs = re.search(r'<article class="rule blocked" id="rule-pairs">.*?</article>', page, re.S).group(0)
    assert "(from the <code>trust</code> pack)" in pairs and 'href="#s' not in pairs
    assert "Trust Home Visits Policy, 3.2" in pairs
    assert "1 quote(s) are not in this policy text" in page
    phone = re.search(r'<article class="rule conditional" id="rule-phone">.*?</article>', page, re.S).group(0)
    assert 'href="#s' in phone


# -- timed rules ------------------------------------------------------------------------------------


def timed_rules(pack) -> list:
    return [*pack.timed.visit, *pack.timed.absence] if pack.timed else []


def sentence_tags(policy: str, anchor: str) -> str:
    """The links after sentence ``anchor`` in the policy text (to the rules and timed rules that encode it)."""
    found = re.search(rf'<span class="s [^"]+" id="{anchor}">.*?</span>((?:<a class="tag[^"]*"[^>]*>[^<]*</a>)*)', policy, re.S)
    assert found, anchor
    return found.group(1)


@pytest.mark.parametrize("pack_id", BUILT_IN)
def test_timed_rules_are_shown_in_words_and_linked_both_ways_with_the_policy_text(pack_id):
    pack = load_pack(pack_id)
    page = render_report(pack)
    policy, timed = section(page, "policy"), section(page, "timed")
    assert page.index('id="rules"') < page.index('id="timed"') < page.index('id="examples"')
    assert '<li><a href="#timed">Timed rules</a></li>' in page
    shown = report_data(pack)["timed_rules"]
    assert [r["id"] for r in shown] == [t.id for t in timed_rules(pack)]
    for timer, data in zip(timed_rules(pack), shown, strict=True):
        article = re.search(rf'<article class="timed-rule[^"]*" id="timed-{re.escape(timer.id)}">.*?</article>', timed, re.S)
        assert article, timer.id
        markup = html.unescape(article.group(0))
        assert f"<dt>Deadline</dt><dd>{data['words']['deadline']}</dd>" in markup
        assert f"<dt>What is due</dt><dd><b>{timer.who}</b>: {timer.message} <code>{timer.action}</code></dd>" in markup
        assert f"<dt>The policy says</dt><dd><blockquote>{timer.citation.quote}</blockquote>" in markup
        steps = re.findall(r"<li><span class=\"when\">(.*?):</span> <b>(.*?)</b>", article.group(0))
        escalation = pack.timed.escalations.get(getattr(timer, "escalation", None) or "", [])
        assert [html.unescape(who) for _, who in steps] == [s.who for s in escalation]  # in order
        assert [html.unescape(after) for after, _ in steps] == [s["after"] for s in data["steps"]]
        # Rule -> sentence: its own quote's sentences (and its steps') are linked, and each links back.
        back = re.findall(r'href="#(s\d+)"', article.group(0))
        assert data["sentences"] and set(data["sentences"]) <= set(back), timer.id
        for step in data["steps"]:
            assert step["sentences"] and set(step["sentences"]) <= set(back)
        for anchor in back:
            assert f'<a class="tag timed" href="#timed-{timer.id}">' in sentence_tags(policy, anchor), (timer.id, anchor)
    # Sentence -> timed rule: every timed tag in the text leads to an article that links back to it.
    for anchor, rid in re.findall(r'id="(s\d+)">(?:(?!</span>).)*</span>(?:<a class="tag[^"]*"[^>]*>[^<]*</a>)*?'
                                  r'<a class="tag timed" href="#timed-([^"]+)">', policy, re.S):
        article = re.search(rf'id="timed-{re.escape(rid)}">.*?</article>', timed, re.S).group(0)
        assert f'href="#{anchor}"' in article, (rid, anchor)
    # The timed catalogue's reasons are beside the statements they are about, and listed; the statements
    # it says timed rules encode link to them.
    for entry, shown_entry in zip(pack.timed.catalogue if pack.timed else [], report_data(pack)["timed"]["catalogue"], strict=True):
        assert shown_entry["sentences"], entry.quote
        for anchor in shown_entry["sentences"]:
            tags = sentence_tags(policy, anchor)
            assert all(f'href="#timed-{rid}"' in tags for rid in entry.rules), (entry.rules, anchor)
        if entry.not_timed:
            why = f"no timed rule: {' '.join(entry.not_timed.split())}"
            assert why in text_of(policy) and why in text_of(timed)


@pytest.mark.parametrize("pack_id", BUILT_IN)
def test_timed_rules_count_in_the_coverage_figures(pack_id):
    pack = load_pack(pack_id)
    data = report_data(pack)
    without = report_data(pack.model_copy(update={"timed": None}))
    before = {s["anchor"]: s["status"] for b in without["blocks"] for s in b["sentences"]}
    timed = data["timed"]
    # The sentences the timed rules' quotes (their steps', the timed catalogue's) are in, as the page links them.
    encoded = {a for r in data["timed_rules"] for a in r["sentences"] + r["also"] + [x for s in r["steps"] for x in s["sentences"]]}
    untimed = {a for e in timed["catalogue"] if e["not_timed"] for a in e["sentences"]}
    newly_encoded = {a for a in encoded if before[a] != "encoded"}
    newly_catalogued = {a for a in untimed - encoded if before[a] in ("not-mentioned", "plain")}
    counts, was = data["counts"], without["counts"]
    assert counts["encoded"] == was["encoded"] + len(newly_encoded)
    assert counts["not-checked"] == was["not-checked"] + len(newly_catalogued) - sum(
        1 for a in newly_encoded if before[a] == "not-checked")
    assert counts["sentences"] == was["sentences"] + sum(1 for a in newly_encoded | newly_catalogued if before[a] == "plain")
    assert newly_encoded or newly_catalogued  # every built-in pack's timed section adds to its figures
    top = section(render_report(pack), "coverage")
    assert f"<b>{counts['encoded']}</b> of {counts['sentences']} statements encoded by rules or timed rules" in top


def test_a_sentence_only_timed_rules_encode_is_highlighted_and_linked():
    pack = load_pack("tcat")
    sentence = (r'<span class="s ([\w-]+)" id="(s\d+)">Where a staff member cannot be contacted or located during or after '
                r'a home visit, the Headteacher will be notified as soon as possible to decide on the appropriate response.</span>')
    policy = section(render_report(pack), "policy")
    found = re.search(sentence, policy)
    assert found and found.group(1) == "encoded"
    assert sentence_tags(policy, found.group(2)) == (
        '<a class="tag timed" href="#timed-office-check-in-call">office-check-in-call</a>'
        '<a class="tag timed" href="#timed-check-in-every-30-minutes">check-in-every-30-minutes</a>')
    # Without its timed rules it is only in the catalogue, as a statement no decision can check.
    assert re.search(sentence, section(render_report(pack.model_copy(update={"timed": None})), "policy")).group(1) == "not-checked"


def test_the_summary_counts_the_timed_rules():
    assert "8 timed rules: 2 deadlines during a visit, 6 on days of absence." in section(render_report(load_pack("burgh")), "coverage")
    assert "No timed rules." in section(render_report(load_pack("wirksworth")), "coverage")


def test_wirksworth_says_plainly_it_has_no_timed_rules_and_why():
    pack = load_pack("wirksworth")
    timed = section(render_report(pack), "timed")
    assert "No timed rules: the pack encodes no deadline during a visit and no day of absence. The policy's statements " \
           "about time follow, each with why no timed rule encodes it." in text_of(timed)
    assert "<article" not in timed
    assert timed.count("<li><blockquote>") == len(pack.timed.catalogue) == 4


def test_a_pack_without_a_timed_section_says_so(tmp_path):
    timed = section(render_report(load_pack(str(hostile_pack(tmp_path)))), "timed")
    assert "No timed rules: the pack has no timed section, so nothing is due by a deadline during a visit or on a day " \
           "of absence." in text_of(timed)


def test_where_the_policy_gives_no_number_is_said_beside_the_timed_rule():
    timed = section(render_report(load_pack("tcat")), "timed")
    article = re.search(r'id="timed-check-in-every-30-minutes">.*?</article>', timed, re.S).group(0)
    assert '<aside class="notes">' in article
    assert "The policy gives no number: \"otherwise as determined on the risk assessment\": the plan's " \
           "check_in.interval_minutes, when given, replaces the 30 minutes" in text_of(article)


def test_markup_in_a_timed_rule_appears_as_text(tmp_path):
    path = hostile_pack(tmp_path)
    path.write_text(HOSTILE_PACK + """timed:
  visit:
    - id: pairs-back
      action: call-the-pair
      starts: [arrived]
      deadline: {minutes: 10}
      who: office <script>alert("who")</script>
      message: Call them <img src=x onerror=alert(2)>
      notes: late </aside><script>alert("timed notes")</script>
      citation:
        section: "1"
        quote: Visits are made in pairs.
""", encoding="utf-8")
    page = render_report(load_pack(str(path)))
    assert "<script" not in page and "<img" not in page
    timed = section(page, "timed")
    for shown in ('office &lt;script&gt;alert(&#34;who&#34;)&lt;/script&gt;', "Call them &lt;img src=x onerror=alert(2)&gt;",
                  'late &lt;/aside&gt;&lt;script&gt;alert(&#34;timed notes&#34;)&lt;/script&gt;'):
        assert shown in timed, shown


def test_an_escalation_step_s_quote_links_to_the_timed_rules_it_follows(tmp_path):
    path = hostile_pack(tmp_path)
    path.write_text(HOSTILE_PACK + """timed:
  escalations:
    unanswered:
      - action: ring-again
        wait: {minutes: 5}
        who: office
        message: Ring again.
        citation: {section: "1", quote: Staff carry ID & a phone}
  visit:
    - id: first-call
      action: call
      starts: [arrived]
      deadline: {minutes: 10}
      who: office
      message: Call them.
      escalation: unanswered
      citation: {section: "1", quote: Visits are made in pairs.}
""", encoding="utf-8")
    pack = load_pack(str(path))
    page = render_report(pack)
    policy, timed = section(page, "policy"), section(page, "timed")
    anchor = re.search(r'<span class="s encoded" id="(s\d+)">Staff carry ID', policy).group(1)
    assert sentence_tags(policy, anchor) == '<a class="tag timed" href="#timed-first-call">first-call</a>'
    article = re.search(r'id="timed-first-call">.*?</article>', timed, re.S).group(0)
    assert '<span class="when">5 minutes after the missed deadline:</span> <b>office</b>: Ring again.' in article
    assert f'In the text: <a href="#{anchor}">' in article
