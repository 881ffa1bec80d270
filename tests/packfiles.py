"""Small rule packs written by tests: each names its policy text, which holds every quote it cites."""

from __future__ import annotations

import re
from pathlib import Path


def write_pack(path: Path, text: str) -> str:
    """Write the pack ``text`` (its ``id`` line first) to ``path`` with ``source: <stem>.txt``, and
    that policy text in ``sources/`` beside it, holding each quote the pack cites. Returns the path."""
    quotes = re.findall(r"quote: ([^}\n]+)", text)
    head, rest = text.split("\n", 1)
    path.write_text(f"{head}\nsource: {path.stem}.txt\n{rest}", encoding="utf-8")
    sources = path.parent / "sources"
    sources.mkdir(exist_ok=True)
    (sources / f"{path.stem}.txt").write_text("".join(f"{q.strip()}.\n" for q in quotes), encoding="utf-8")
    return str(path)
