"""The built-in rule packs, offered through the same hook a plugin uses."""

from __future__ import annotations

from pathlib import Path

from .plugins.registry import hookimpl


def schools_dir() -> Path:
    """Where the built-in packs are: inside the installed package, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schools", here.parent / "schools"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the built-in rule packs (schools/) are missing from this installation")


@hookimpl
def policyengine_rule_packs() -> list[Path]:
    return sorted(schools_dir().glob("*.yaml"))
