"""Write docs/report-ID.png: the top of each built-in pack's report, as a phone shows it.

    python3 docs/make_screenshots.py

Needs Chromium (Debian's chromium package), driven as the browser tests drive it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyengine.cli.report import render_report  # noqa: E402
from policyengine.packs.load import load_pack  # noqa: E402
from tests.browser import find_chromium, screenshot  # noqa: E402

PACKS = ("tcat", "burgh", "wirksworth", "washwood", "ellesmere")


def main() -> int:
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium: install Debian's chromium package", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        for pack_id in PACKS:
            page = Path(work) / f"{pack_id}-report.html"
            page.write_text(render_report(load_pack(pack_id)), encoding="utf-8")
            png = screenshot(chromium, page, ROOT / "docs" / f"report-{pack_id}.png", width=390, height=1600)
            print(f"wrote {png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
