"""Turn pydantic validation errors into problems people can act on: file, line, column, plain words."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails

from ._errors import InputError, Problem, did_you_mean
from ._limits import shown
from ._yaml import Loaded

M = TypeVar("M", bound=BaseModel)


def _iso_date(value: Any) -> Any:
    # Only the written form: pydantic alone also takes numbers (days since 1970) and other layouts.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"must be a date written YYYY-MM-DD, like 2027-01-31, not {value!r}")
    return value.strip()


#: A date in a pack or a calendar, written YYYY-MM-DD.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Follow a pydantic error location through the data, dropping segments that are not in it.

    A tagged union adds the tag (the rule kind) to the location and a function validator adds its
    name; neither is a key in the file, so they are skipped.
    """
    path: list[Any] = []
    node = data
    loc = tuple(loc)
    for n, part in enumerate(loc):
        after = loc[n + 1] if n + 1 < len(loc) else None
        if (
            isinstance(node, dict) and part in node and not isinstance(node[part], (dict, list))
            and isinstance(after, str) and after in node
        ):
            continue  # a union tag that is also a key ({fact: x, lt: 1} is tagged "fact"): the error is at "lt"
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_tag(part) and part != node.get("kind"):
            # A missing field: name it, though it has no position of its own.
            path.append(part)
            node = None
        # else: a union tag (the rule's kind) or a validator name; skip it
    return tuple(path)


def _rule_label(data: Any, path: tuple[Any, ...]) -> str:
    """"rule 'ID': " for a problem inside a named rule, so people see which rule, not an index."""
    if len(path) > 2 and path[0] == "rules" and isinstance(path[1], int) and isinstance(data, dict):
        rules = data.get("rules")
        if isinstance(rules, list) and path[1] < len(rules) and isinstance(rules[path[1]], dict):
            rule_id = rules[path[1]].get("id")
            if isinstance(rule_id, str):
                return f"rule '{rule_id}': "
    return ""


def path_is_tag(part: str) -> bool:
    return part.startswith("function-") or "[" in part


def _message(err: ErrorDetails, field: str, hint: str) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing" and field.endswith("citation"):
        return f"'{field}' is missing; add a citation: the section and the policy's exact words (quote)"
    if kind == "missing":
        return f"'{field}' is missing; add it"
    if kind == "extra_forbidden":
        return f"unknown field '{field}'{hint} (remove it or correct the spelling)"
    if kind == "literal_error":
        return f"'{field}' cannot be {shown(value)}; it must be one of: {ctx.get('expected', '')}"
    if kind in ("bool_type", "bool_parsing"):
        return f"'{field}' must be true or false, not {shown(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"'{field}' must be a whole number, not {shown(value)}"
    if kind in ("string_type",):
        return f"'{field}' must be text, not {shown(value)}"
    if kind in ("list_type",):
        return f"'{field}' must be a list, not {shown(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"'{field}' must be a mapping of fields, not {shown(value)}"
    if kind == "greater_than_equal":
        return f"'{field}' must be at least {ctx.get('ge')}, not {shown(value)}"
    if kind == "greater_than":
        return f"'{field}' must be more than {ctx.get('gt')}, not {shown(value)}"
    if kind == "less_than_equal":
        return f"'{field}' must be at most {ctx.get('le')}, not {shown(value)}"
    if kind == "too_short":
        return f"'{field}' needs at least {ctx.get('min_length')} item(s)"
    if kind == "string_too_short":
        return f"'{field}' must not be empty"
    if kind == "string_too_long":
        return f"'{field}' is longer than {ctx.get('max_length'):,} characters"
    if kind == "too_long":
        return f"'{field}' has more than {ctx.get('max_length'):,} items"
    if kind == "recursion_loop":
        return f"'{field}' is nested too deeply"
    if kind == "string_pattern_mismatch":
        return f"'{field}' is not in the expected form ({ctx.get('pattern')}): {shown(value)}"
    if kind == "union_tag_invalid":
        tags = ctx.get("expected_tags", "")
        got = ctx.get("tag")
        hint = did_you_mean(got, [t.strip(" '") for t in str(tags).split(",")])
        return f"unknown rule kind '{got}'{hint} (known kinds: {tags})"
    if kind == "union_tag_not_found":
        return f"'{field}' needs a 'kind' saying which rule kind it is"
    if kind in ("duplicate_rule_id", "unknown_rule_id"):
        return str(err["msg"])
    if kind == "value_error" or kind == "assertion_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return f"'{field}': {msg}"
    return f"'{field}': {err.get('msg', 'is not valid')}"


def problems_from(error: ValidationError, loaded: Loaded, allowed: dict[tuple[Any, ...], list[str]] | None = None) -> list[Problem]:
    """One :class:`Problem` per pydantic error, positioned in the loaded file.

    ``allowed`` maps the path of each mapping to the field names it accepts (for "did you mean").
    """
    problems: list[Problem] = []
    seen: set[Any] = set()
    for err in error.errors(include_url=False):
        at = (err.get("ctx") or {}).get("at")
        path = _data_path(loaded.data, tuple(err["loc"]) + tuple(at or ()))
        custom = err["type"] in ("duplicate_rule_id", "unknown_rule_id")  # these name the rule already
        prefix = "" if custom else _rule_label(loaded.data, path)
        field = _dotted(path[2:]) if prefix else _dotted(path)
        hint = did_you_mean(path[-1], (allowed or {}).get(path[:-1], [])) if err["type"] == "extra_forbidden" and path else ""
        line, col = loaded.position(path)
        message = prefix + _message(err, field, hint)
        key = (line, col, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(loaded.file, line, col, message, field=_dotted(path)))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return problems


def allowed_fields(model: type[BaseModel], data: Any, only: set[tuple[Any, ...]] | None = None) -> dict[tuple[Any, ...], list[str]]:
    """For each mapping in ``data`` that a model describes, the field names that model accepts;
    with ``only``, just the mappings at those paths (the walk goes no further than needed: a list
    of 200,000 staff is not visited to suggest a name for one misspelt field).

    Used for "did you mean" suggestions on unknown fields.
    """
    out: dict[tuple[Any, ...], list[str]] = {}
    wanted = None if only is None else {p[:n] for p in only for n in range(len(p) + 1)}

    def walk(m: Any, node: Any, path: tuple[Any, ...]) -> None:
        if not (isinstance(m, type) and issubclass(m, BaseModel)) or not isinstance(node, dict):
            return
        if wanted is not None and path not in wanted:
            return
        out[path] = list(m.model_fields)
        for name, info in m.model_fields.items():
            if name not in node or (wanted is not None and path + (name,) not in wanted):
                continue
            for sub in _models_in(info.annotation, node[name], None if wanted is None else path + (name,), wanted):
                target, value, subpath = sub
                walk(target, value, path + (name,) + subpath)

    walk(model, data, ())
    return out


def _models_in(
    annotation: Any, value: Any, at: tuple[Any, ...] | None = None, wanted: set[Any] | None = None
) -> Iterator[tuple[type[BaseModel], Any, tuple[Any, ...]]]:
    """Yield (model, value, relative path) for BaseModel types reachable in ``annotation``; where
    ``wanted`` is given, only list items whose path (``at`` + index) is in it."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, value, ()
        return
    if origin in (list, tuple) and isinstance(value, list) and args:
        indexes = range(len(value)) if wanted is None or at is None else sorted(
            p[len(at)] for p in wanted if len(p) > len(at) and p[: len(at)] == at and isinstance(p[len(at)], int)
            and 0 <= p[len(at)] < len(value))
        for i in indexes:
            for target, v, p in _models_in(args[0], value[i], None if at is None else at + (i,), wanted):
                yield target, v, (i,) + p
        return
    if origin is typing.Annotated and args:
        yield from _models_in(args[0], value, at, wanted)
        return
    if args:  # Union / Optional
        candidates = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and candidates:
            kind = value.get("kind")
            for c in candidates:
                f = c.model_fields.get("kind")
                if f is None or kind in typing.get_args(f.annotation) or len(candidates) == 1:
                    yield c, value, ()
                    return
        for a in args:
            if typing.get_origin(a) is not None:
                yield from _models_in(a, value, at, wanted)


def validate(model: type[M], loaded: Loaded, context: dict[str, Any] | None = None) -> M:
    """Validate loaded data against ``model``; raise :class:`InputError` listing every problem."""
    try:
        return model.model_validate(loaded.data, context=context)
    except ValidationError as exc:
        unknown = {
            _data_path(loaded.data, tuple(e["loc"]))[:-1] for e in exc.errors(include_url=False) if e["type"] == "extra_forbidden"
        }
        allowed = allowed_fields(model, loaded.data, unknown) if unknown else {}
        raise InputError(problems_from(exc, loaded, allowed)) from None
