"""``policyengine schema visit|pack|decision``: JSON Schema generated from the pydantic models."""

from __future__ import annotations

import json
import sys

from ._models import Decision, Visit
from ._pack import pack_model

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def schema(name: str, registry=None) -> dict:
    """The JSON Schema of ``visit``, ``pack`` or ``decision``, generated from the models."""
    model = {"visit": Visit, "decision": Decision}.get(name) or pack_model(registry)
    result = {"$schema": SCHEMA_URI, **model.model_json_schema(by_alias=True)}
    return result


def render(name: str, registry=None) -> str:
    return json.dumps(schema(name, registry), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a visit, a rule pack or a decision",
        description="Print a JSON Schema generated from policyengine's models (for editors' YAML language servers).",
    )
    p.add_argument("which", choices=("visit", "pack", "decision"))
    p.set_defaults(run=run)


def run(args) -> int:
    sys.stdout.write(render(args.which))
    return 0
