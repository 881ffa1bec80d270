"""``policyengine report``: the page's content, its escaping and the command (the browser tests are in
``tests/test_report_browser.py``)."""

from __future__ import annotations

import html
import importlib.resources
import re
import shutil
from pathlib import Path

import pytest

from policyengine.cli.main import main
from policyengine.cli.report import render_report, report_data
from policyengine._examples import example_results
from policyengine.packs.load import available_packs, load_pack, parse_pack
from policyengine._yaml import load_file

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
