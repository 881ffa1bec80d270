"""``policyengine packs`` and ``policyengine facts``: what can be checked against, and with what."""

from __future__ import annotations

from ._facts import FACT_FIELDS, enum_values
from ._pack import available_packs, load_pack


def add_parser(sub) -> None:
    p = sub.add_parser("packs", help="list the rule packs that can be used by id")
    p.set_defaults(run=run_packs)
    f = sub.add_parser("facts", help="list the visit facts that rules (and the condition kind) can test")
    f.set_defaults(run=run_facts)


def run_packs(args) -> int:
    for pack_id in available_packs():
        pack = load_pack(pack_id)
        print(f"{pack_id:12} {pack.school}: {pack.document} (pack {pack.version}, {len(pack.rules)} rules)")
    return 0


def run_facts(args) -> int:
    for field in FACT_FIELDS:
        kind = field.type if field.type != "enum" else "one of " + "|".join(enum_values(field))
        print(f"{field.name:28} {kind}\n{'':28} {field.description}")
    return 0
