"""``policyengine schema visit|pack|decision``: JSON Schema generated from the pydantic models.

The schemas are written for generic validators (``jsonschema``, ``check-jsonschema``, the YAML
language server in editors), which ignore OpenAPI's ``discriminator``. A rule is one of several rule
kinds: as a plain ``oneOf``, a validator tries every kind and reports the failures of all of them
("Additional properties are not allowed ('min_staff', ...)" for a mistake in a pairing rule). So a
tagged union is written as ``if``/``then`` on its tag instead: ``if kind is "pairing" then the
pairing rule's schema``, and a mistake is reported against the fields of the rule's own kind. A
condition (``all``/``any``/``not``/``fact``) is tagged by the key it has.

The pack schema holds the rule kinds of the registry it is made for, and the visit facts its
plugins add: regenerate it with your plugins installed (``policyengine schema pack``) for an editor
that knows their kinds and facts.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Optional

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticOmit, core_schema

from ..facts import FACT_FIELDS
from ..models import Decision, Visit
from ..packs.load import pack_model
from ..plugins.registry import registry_or_default

if TYPE_CHECKING:  # for annotations only
    from ..plugins.registry import Registry

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


class EditorSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema, with tagged unions as ``if``/``then`` on their tag (see the module)."""

    def tagged_union_schema(self, schema: core_schema.TaggedUnionSchema) -> JsonSchemaValue:
        branches: dict[str, JsonSchemaValue] = {}
        for tag, choice in schema["choices"].items():
            try:
                branches[str(tag)] = self.generate_inner(choice).copy()
            except PydanticOmit:
                continue
        discriminator = schema["discriminator"]
        if isinstance(discriminator, list) and len(discriminator) == 1 and isinstance(discriminator[0], str):
            discriminator = discriminator[0]
        if isinstance(discriminator, str):  # a field names the choice: a rule's kind
            return {
                "type": "object",
                "properties": {discriminator: {"enum": list(branches)}},
                "required": [discriminator],
                "allOf": [
                    {"if": {"properties": {discriminator: {"const": tag}}, "required": [discriminator]}, "then": branch}
                    for tag, branch in branches.items()
                ],
            }
        # Chosen by a function: a condition, tagged by the one key it has (all, any, not, fact).
        return {
            "type": "object",
            "anyOf": [{"required": [tag]} for tag in branches],
            "allOf": [{"if": {"required": [tag]}, "then": branch} for tag, branch in branches.items()],
        }


def schema(name: str, registry: Optional[Registry] = None) -> dict[str, Any]:
    """The JSON Schema of ``visit``, ``pack`` or ``decision``, generated from the models; the pack's
    and the visit's include the rule kinds and visit facts of ``registry``'s plugins."""
    registry = registry_or_default(registry)
    models: dict[str, type[BaseModel]] = {"visit": Visit, "decision": Decision}
    model = models.get(name) or pack_model(registry)
    result = {"$schema": SCHEMA_URI, **model.model_json_schema(by_alias=True, schema_generator=EditorSchema)}
    if name == "pack":
        _pack_facts(result, registry)
    elif name == "visit":
        _visit_facts(result, registry)
    return result


def _pack_facts(result: dict[str, Any], registry: Registry) -> None:
    """A condition may test the built-in facts and the facts this registry's plugins add."""
    fact = result.get("$defs", {}).get("FactTest", {}).get("properties", {}).get("fact")
    if fact is not None:
        fact["enum"] = [f.name for f in FACT_FIELDS] + sorted(registry.facts())


_TYPES: dict[str, dict[str, Any]] = {"bool": {"type": "boolean"}, "int": {"type": "integer", "minimum": 0, "maximum": 10**6}}


def _visit_facts(result: dict[str, Any], registry: Registry) -> None:
    """``facts`` holds the facts plugins add, each with its type; none other."""
    properties: dict[str, Any] = {}
    for name, fact in sorted(registry.facts().items()):
        typed = dict(_TYPES.get(fact.type) or {"enum": list(fact.values)})
        properties[name] = {"anyOf": [typed, {"type": "null"}],
                            "description": f"{fact.meaning} (known from the {fact.phase} phase on)"}
    result["properties"]["facts"] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": result["properties"]["facts"].get("description", ""),
    }


def render(name: str, registry: Optional[Registry] = None) -> str:
    return json.dumps(schema(name, registry), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a visit, a rule pack or a decision",
        description="Print a JSON Schema generated from policyengine's models (for editors' YAML language servers), "
        "with the rule kinds and visit facts of the plugins installed.",
    )
    p.add_argument("which", choices=("visit", "pack", "decision"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render(args.which))
    return 0
