"""One YAML loader for people's files (rule packs and visits).

PyYAML speaks YAML 1.1, which quietly rewrites what people type (``no`` becomes false, ``9:30``
becomes 570, dates become ``date`` objects, a repeated key silently wins). This loader:

* resolves only ``true``/``false`` as booleans and decimal integers/floats as numbers;
* leaves times and dates as text, for the pydantic models to parse in one place;
* rejects duplicate keys, every tag (``!!python/...`` included) and aliases, with line and column;
* records where every value sits, so validation errors can name a line and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ._errors import InputError, Problem
from ._yaml_messages import plain, use_start

Path_ = tuple  # a path into loaded data: keys and list indexes


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema-like resolution: no yes/no booleans, no base 60, no timestamps."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _YamlProblem(Exception):
    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Strict:
    """Refuses aliases and tags as nodes are composed (mixed into both loaders)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _YamlProblem(event.start_mark, "aliases (*name) are not allowed; write the value out in full")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            tag = tag.replace("tag:yaml.org,2002:", "!!")
            raise _YamlProblem(
                event.start_mark, f"YAML tags such as '{tag}' are not allowed; remove the tag and write a plain value"
            )
        return super().compose_node(parent, index)


class _Loader(_Strict, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver):
    """Pure Python: slow, but its messages for malformed YAML are the clearer ones."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


try:  # libyaml, where PyYAML was built with it
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

if _CParser is not None:

    class _FastLoader(_Strict, yaml.composer.Composer, _CParser, _Resolver):
        """libyaml scans and parses (about 10 times faster: most of a pack's load time); the
        composing, and so the checks and positions, stay in Python."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


@dataclass
class Loaded:
    """Data loaded from a file, with the position of each value."""

    data: Any
    file: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_) -> tuple[int | None, int | None]:
        """The (line, column) of ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (None, None))


def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _scalar(node: ScalarNode):
    tag = node.tag
    value = node.value
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        return int(value)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:null":
        return None
    return value


def _construct(node, path: Path_, positions: dict) -> Any:
    positions.setdefault(path, _mark(node.start_mark))
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        return [_construct(child, path + (i,), positions) for i, child in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _YamlProblem(key_node.start_mark, "a key must be a plain word, not a list or mapping")
            key = _scalar(key_node)
            if key == "<<":
                raise _YamlProblem(key_node.start_mark, "merge keys (<<) are not allowed; write the values out in full")
            if not isinstance(key, str):
                key = str(key) if not isinstance(key, bool) else str(key).lower()
            if key in result:
                first = positions.get(path + (key,), (None, None))
                raise _YamlProblem(
                    key_node.start_mark,
                    f"duplicate key '{key}' (first given on line {first[0]}); keep only one",
                )
            # Errors about a field point at its key, which is where people look.
            positions[path + (key,)] = _mark(key_node.start_mark)
            result[key] = _construct(value_node, path + (key,), positions)
        return result
    raise _YamlProblem(node.start_mark, "unsupported YAML node")


def loads(text: str, file: str = "<input>") -> Loaded:
    """Parse one YAML (or JSON) document from ``text``. Raises :class:`InputError`."""
    if _CParser is not None:
        try:
            return _load(_FastLoader(text), text, file)
        except InputError as exc:
            if not getattr(exc, "malformed", False):
                raise
        # Malformed YAML: parse again in Python, whose message says what was expected and where.
    return _load(_Loader(text), text, file)


def _load(loader, text: str, file: str) -> Loaded:
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(Problem(file, 1, 1, "the file is empty"))
        positions: dict = {}
        data = _construct(node, (), positions)
        return Loaded(data, file, positions)
    except _YamlProblem as exc:
        line, col = _mark(exc.mark)
        raise InputError(Problem(file, line, col, exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        # In plain words with the fix (_yaml_messages); a quote never closed is shown where it opens.
        mark = (exc.context_mark if use_start(exc.problem) else None) or exc.problem_mark or exc.context_mark
        line, col = _mark(mark) if mark else (None, None)
        raise _malformed(Problem(file, line, col, f"not valid YAML: {plain(exc.problem, exc.context)}")) from None
    except yaml.YAMLError as exc:
        raise _malformed(Problem(file, None, None, f"not valid YAML: {exc}")) from None
    finally:
        loader.dispose()


def _malformed(problem: Problem) -> InputError:
    error = InputError(problem)
    error.malformed = True  # type: ignore[attr-defined]
    return error


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (a pack, a visit, a policy text); :class:`InputError` saying why it cannot be read."""
    name = str(path)
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(name, None, None, "file not found")) from None
    except IsADirectoryError:
        raise InputError(Problem(name, None, None, "is a directory, not a file")) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(name, None, None, f"not UTF-8 text (byte {exc.start})")) from None
    except OSError as exc:
        raise InputError(Problem(name, None, None, f"cannot read the file: {exc.strerror}")) from None


def load_file(path: str | Path) -> Loaded:
    """Read and parse a YAML or JSON file. Raises :class:`InputError` if it cannot be read."""
    name = str(path)
    text = read_text(path)
    if not text.strip():
        raise InputError(Problem(name, 1, 1, "the file is empty"))
    return loads(text, name)


def _plain(value):
    if hasattr(value, "isoformat"):  # datetime, date, time: the models parse text
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    raise TypeError(f"{type(value).__name__} is not plain data")


def from_mapping(data: Any, file: str = "<input>") -> Loaded:
    """Wrap data given in Python (no positions to report)."""
    # Round-trip through JSON so tuples, dates and other non-JSON values fail here, not deep inside.
    try:
        data = json.loads(json.dumps(data, default=_plain))
    except (TypeError, ValueError) as exc:
        raise InputError(Problem(file, None, None, f"not plain data: {exc}")) from None
    return Loaded(data, file, {})
