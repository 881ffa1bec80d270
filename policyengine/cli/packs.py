"""``policyengine packs`` and ``policyengine facts``: what can be checked against, and with what."""

from __future__ import annotations

import argparse
import sys

from .._errors import InputError, PluginError
from ..facts import FACT_FIELDS, FIELDS, enum_values
from ..packs.load import available_packs, load_pack
from ..plugins.registry import default_registry


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("packs", help="list the rule packs that can be used by id")
    p.set_defaults(run=run_packs)
    f = sub.add_parser("facts", help="list the visit facts that rules (and the condition kind) can test")
    f.set_defaults(run=run_facts)


def run_packs(args: argparse.Namespace) -> int:
    """Every pack by id; one that cannot be used (a broken plugin's) is reported and the rest listed."""
    unusable = 0
    for pack_id in available_packs():
        try:
            pack = load_pack(pack_id)
        except (InputError, PluginError) as exc:
            unusable += 1
            print(f"{pack_id:12} cannot be used: {str(exc).splitlines()[0]}", file=sys.stderr)
            continue
        print(f"{pack_id:12} {pack.school}: {pack.document} (pack {pack.version}, {len(pack.rules)} rules)")
    return 1 if unusable else 0


def run_facts(args: argparse.Namespace) -> int:
    """The built-in facts, then the facts plugins add (with the phase in which each is known)."""
    registry = default_registry()
    sources = {name: plugin for report in registry.report() for name in report.facts for plugin in [report.info.name]}
    fields = [(field, "") for field in FACT_FIELDS]
    fields += [(FIELDS[name], f" ({fact.phase}; from plugin {registry.describe(sources.get(name, '?'))})")
               for name, fact in sorted(registry.facts().items())]
    for field, origin in fields:
        kind = field.type if field.type != "enum" else "one of " + "|".join(enum_values(field))
        print(f"{field.name:28} {kind}{origin}\n{'':28} {field.description}")
    return 0
