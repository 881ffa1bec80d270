"""``policyengine plugins``: what is loaded, from where, and what each plugin provides."""

from __future__ import annotations

import json
import sys
from typing import Optional

from ._plugins import Registry, default_registry


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plugins",
        help="list the plugins loaded: their distribution, rule kinds, packs, and whether they listen to decisions",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args) -> int:
    registry = default_registry()
    if args.format == "json":
        json.dump(plugins_data(registry), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from ._cli import engines_line

        sys.stdout.write(engines_line() + "\n\n" + render_plugins(registry))
    return 0


def plugins_data(registry: Optional[Registry] = None) -> list[dict]:
    return [
        {
            "name": r.info.name,
            "builtin": r.info.builtin,
            "distribution": r.info.distribution,
            "version": r.info.version,
            "kinds": list(r.kinds),
            "packs": list(r.packs),
            "listens": r.listens,
        }
        for r in (registry or default_registry()).report()
    ]


def render_plugins(registry: Optional[Registry] = None) -> str:
    """One paragraph per plugin, in the order they were registered."""
    lines = []
    for p in plugins_data(registry):
        if p["builtin"]:
            origin = f"built in ({p['distribution']} {p['version']})"
        elif p["distribution"]:
            origin = f"{p['distribution']} {p['version']}"
        else:
            origin = "registered in code"
        lines.append(f"{p['name']}: {origin}")
        if p["kinds"]:
            lines.append(f"  rule kinds: {', '.join(p['kinds'])}")
        if p["packs"]:
            lines.append(f"  packs: {', '.join(p['packs'])}")
        if p["listens"]:
            lines.append("  listens to decisions")
        if not (p["kinds"] or p["packs"] or p["listens"]):
            lines.append("  provides nothing")
    return "\n".join(lines) + "\n"
