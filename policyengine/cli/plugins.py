"""``policyengine plugins``: what is loaded, from where, and what each plugin provides."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional

from .._errors import InputError, PluginError
from ..packs.load import load_pack
from ..plugins.registry import Registry, default_registry, registry_or_default
from .main import engines_line


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plugins",
        help="list the plugins loaded: their distribution, rule kinds, packs, and whether they listen to decisions",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Lists every plugin, broken ones too (what cannot be used, and why); exit 1 if any is broken."""
    registry = default_registry()
    data = plugins_data(registry)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(engines_line() + "\n\n" + render_plugins(registry, data))
    broken = sum(1 for p in data if p["problems"])
    if broken:
        print(f"{broken} plugin(s) broken: what they offer that cannot be used is listed under BROKEN", file=sys.stderr)
    return 1 if broken else 0


def plugins_data(registry: Optional[Registry] = None) -> list[dict[str, Any]]:
    """Each plugin: who it is, what it provides, and what of it cannot be used (``problems``). Its
    packs are loaded here, so that one that does not load (a missing policy text...) is listed."""
    registry = registry_or_default(registry)
    out = []
    for r in registry.report():
        problems = list(r.problems)
        for pack_id in r.packs:
            try:
                load_pack(pack_id, registry=registry)
            except (InputError, PluginError) as exc:  # a plugin's pack is a PluginError naming plugin and file
                problems.append(str(exc).replace("\n", "; "))
        out.append(
            {
                "name": r.info.name,
                "builtin": r.info.builtin,
                "distribution": r.info.distribution,
                "version": r.info.version,
                "kinds": list(r.kinds),
                "packs": list(r.packs),
                "facts": list(r.facts),
                "listens": r.listens,
                "problems": problems,
            }
        )
    return out


def render_plugins(registry: Optional[Registry] = None, data: Optional[list[dict[str, Any]]] = None) -> str:
    """One paragraph per plugin, in the order they were registered."""
    lines = []
    for p in data if data is not None else plugins_data(registry):
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
        if p["facts"]:
            lines.append(f"  visit facts: {', '.join(p['facts'])}")
        if p["listens"]:
            lines.append("  listens to decisions")
        if not (p["kinds"] or p["packs"] or p["facts"] or p["listens"] or p["problems"]):
            lines.append("  provides nothing")
        lines += [f"  BROKEN: {problem}" for problem in p["problems"]]
    return "\n".join(lines) + "\n"
