"""Headless Chromium for the report's browser tests (and docs/make_screenshots.py).

No driver library: Chromium's own command line. ``measure`` loads the page in an iframe of a fixed
phone width inside a small harness page (the page itself is not changed, so its own Content-Security-
Policy still forbids scripts in it), and a script in the harness writes what it measured into the
harness's DOM, which ``--dump-dom`` prints. ``screenshot`` takes a picture of the page as it is.

Chromium runs here as root, so without its sandbox, with a fresh profile each time.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars", "--mute-audio",
)
TIMEOUT = 90


def find_chromium() -> Optional[str]:
    """The Chromium (or Chrome) on this machine, or None."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(chromium: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=TIMEOUT, env=dict(os.environ, LANG="en_GB.UTF-8"),
        )


_MEASURE = r"""
var frame = document.getElementById('page');
function describe(el) {
  return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined
    ? '.' + String(el.className).trim().split(/\s+/).join('.') : '');
}
function measure() {
  var doc = frame.contentDocument, win = frame.contentWindow, width = doc.documentElement.clientWidth;
  var cut = [];
  doc.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    if (r.right > width + 0.5 || r.left < -0.5) cut.push(describe(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
    var clips = win.getComputedStyle(el).overflowX !== 'visible';
    if (clips && el.scrollWidth > el.clientWidth + 1)
      cut.push(describe(el) + ' clips ' + el.scrollWidth + ' > ' + el.clientWidth);
    else if (!clips && el.clientWidth && r.left + el.scrollWidth > width + 0.5)
      cut.push(describe(el) + ' overflows to ' + Math.round(r.left + el.scrollWidth));
  });
  var ids = new Set(Array.from(doc.querySelectorAll('[id]'), function (e) { return e.id; }));
  var hrefs = Array.from(doc.querySelectorAll('a[href]'), function (a) { return a.getAttribute('href'); });
  var rules = Array.from(doc.querySelectorAll('article.rule'));
  var timed = Array.from(doc.querySelectorAll('article.timed-rule'));
  // Each timed tag in the policy text: the sentence it follows (a highlighted one) and its background.
  var timedTags = Array.from(doc.querySelectorAll('.policy a.tag.timed'));
  function sentenceBefore(tag) {
    var el = tag.previousElementSibling;
    while (el && !el.classList.contains('s')) el = el.previousElementSibling;
    return el;
  }
  var out = {
    width: width,
    scrollWidth: doc.documentElement.scrollWidth,
    cut: cut,
    encoded: doc.querySelectorAll('.policy .s.encoded').length,
    notChecked: doc.querySelectorAll('.policy .s.not-checked').length,
    notMentioned: doc.querySelectorAll('.policy .s.not-mentioned').length,
    why: doc.querySelectorAll('.policy .why').length,
    ruleTags: doc.querySelectorAll('.policy a.tag').length,
    rules: rules.length,
    rulesLinkingBack: rules.filter(function (r) { return r.querySelector('a[href^="#s"]'); }).map(function (r) { return r.id; }),
    timedRules: timed.length,
    timedLinkingBack: timed.filter(function (r) { return r.querySelector('a[href^="#s"]'); }).map(function (r) { return r.id; }),
    timedTags: timedTags.length,
    timedTagsAfterHighlight: timedTags.filter(function (t) {
      var s = sentenceBefore(t);
      var colour = s ? win.getComputedStyle(s).backgroundColor : null;
      return s && s.classList.contains('encoded') && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent';
    }).length,
    links: hrefs.length,
    broken: hrefs.filter(function (h) { return h.charAt(0) !== '#' || !ids.has(h.slice(1)); }),
    scripts: doc.querySelectorAll('script').length,
    resources: win.performance.getEntriesByType('resource').length,
    highlightColour: (doc.querySelector('.policy .s.encoded') ? win.getComputedStyle(doc.querySelector('.policy .s.encoded')).backgroundColor : null),
    probe: PROBE === null ? null : doc.body.textContent.indexOf(PROBE) >= 0,
    textLength: doc.body.textContent.length
  };
  document.getElementById('measurements').textContent = JSON.stringify(out);
}
var loaded = frame.contentDocument;  // about:blank until the page itself has loaded
if (loaded && loaded.URL === 'about:srcdoc' && loaded.readyState === 'complete') measure();
else frame.addEventListener('load', measure);
"""


def measure(chromium: str, page: str, work: Path, width: int = 360, probe: Optional[str] = None) -> dict:
    """Load ``page`` (HTML text) at ``width`` CSS pixels and return what the harness measured."""
    harness = work / f"harness-{width}.html"
    # "</" is written "<\/" so a probe holding "</script>" cannot end the harness's script.
    probe_js = json.dumps(probe).replace("</", "<\\/")
    harness.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
        f"<iframe id='page' style='border:0;width:{width}px;height:800px' srcdoc=\"{html.escape(page, quote=True)}\"></iframe>"
        "<pre id='measurements'></pre>"
        f"<script>var PROBE = {probe_js};{_MEASURE}</script></body></html>",
        encoding="utf-8",
    )
    result = _run(chromium, "--virtual-time-budget=5000", "--dump-dom", harness.as_uri())
    found = re.search(r"<pre id=\"measurements\">(.*?)</pre>", result.stdout, re.S)
    if result.returncode != 0 or not found or not found.group(1).strip():
        raise RuntimeError(f"chromium measured nothing (exit {result.returncode}): {result.stderr[-2000:]}")
    return json.loads(html.unescape(found.group(1)))


def screenshot(chromium: str, page: Path, png: Path, width: int = 390, height: int = 1400) -> Path:
    """A picture of the top of ``page`` (a file) at ``width`` x ``height`` CSS pixels."""
    result = _run(chromium, f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri())
    if result.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium took no screenshot (exit {result.returncode}): {result.stderr[-2000:]}")
    return png
