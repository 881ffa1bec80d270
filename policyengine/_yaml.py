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
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._errors import InputError, Problem
from ._limits import FILE_BYTES, NESTING_DEPTH, NUMBER_DIGITS
from ._yaml_messages import plain, use_start

Path_ = tuple[Any, ...]  # a path into loaded data: keys and list indexes


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
    def __init__(self, mark: Any, message: str) -> None:  # a Python or libyaml mark: .line, .column
        super().__init__(message)
        self.mark = mark
        self.message = message


if TYPE_CHECKING:  # what _Strict is mixed into: a parser (peek_event) before the composer it extends

    class _Composing(yaml.parser.Parser, yaml.composer.Composer):
        def peek_event(self) -> yaml.Event: ...  # unannotated in types-PyYAML; a node always has one

else:
    _Composing = object


class _Strict(_Composing):
    """Refuses aliases, tags and deep nesting as nodes are composed (mixed into both loaders)."""

    _depth = 0

    def compose_node(self, parent: Optional[Node], index: int) -> Optional[Node]:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _YamlProblem(event.start_mark, "aliases (*name) are not allowed; write the value out in full")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            tag = tag.replace("tag:yaml.org,2002:", "!!")
            raise _YamlProblem(
                event.start_mark, f"YAML tags such as '{tag}' are not allowed; remove the tag and write a plain value"
            )
        if isinstance(event, yaml.ScalarEvent):  # most nodes: no nesting to count
            return super().compose_node(parent, index)
        if self._depth >= NESTING_DEPTH:
            raise _YamlProblem(event.start_mark, f"nested more than {NESTING_DEPTH} levels deep")
        # No try/finally: a loader that raised is never used again.
        self._depth += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        return node


class _Loader(_Strict, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver):
    """Pure Python: slow, but its messages for malformed YAML are the clearer ones."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


try:  # libyaml, where PyYAML was built with it (yaml.cyaml's CParser is this one)
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _FAST = False
else:
    _FAST = True

    class _FastLoader(_Strict, yaml.composer.Composer, _CParser, _Resolver):
        """libyaml scans and parses (about 10 times faster: most of a pack's load time); the
        composing, and so the checks and positions, stay in Python."""

        def __init__(self, stream: str) -> None:
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


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        if len(value.lstrip("+-")) > NUMBER_DIGITS:
            raise _YamlProblem(node.start_mark, f"a whole number of more than {NUMBER_DIGITS} digits is not allowed")
        return int(value)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:null":
        return None
    return value


def _construct(node: Node, path: Path_, positions: dict[Path_, tuple[int, int]]) -> Any:
    positions.setdefault(path, _mark(node.start_mark))
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        return [_construct(child, path + (i,), positions) for i, child in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
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
    if _FAST:
        try:
            return _load(_FastLoader, text, file)
        except InputError as exc:
            if not getattr(exc, "malformed", False):
                raise
        # Malformed YAML: parse again in Python, whose message says what was expected and where.
    return _load(_Loader, text, file)


def _load(make_loader: Callable[[str], _Strict], text: str, file: str) -> Loaded:
    loader = None
    try:
        loader = make_loader(text)  # the reader checks every character as it is built
        node = loader.get_single_node()
        if node is None:
            raise InputError(Problem(file, 1, 1, "the file is empty"))
        positions: dict[Path_, tuple[int, int]] = {}
        data = _construct(node, (), positions)
        return Loaded(data, file, positions)
    except _YamlProblem as exc:
        line, col = _mark(exc.mark)
        raise InputError(Problem(file, line, col, exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        # In plain words with the fix (_yaml_messages); a quote never closed is shown where it opens.
        mark = (exc.context_mark if use_start(exc.problem) else None) or exc.problem_mark or exc.context_mark
        at: tuple[Optional[int], Optional[int]] = _mark(mark) if mark else (None, None)
        raise _malformed(Problem(file, *at, f"not valid YAML: {plain(exc.problem, exc.context)}")) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: say where it is
        line, col = _offset(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character) if isinstance(exc.character, int) else None
        what = f"the character {char!r}" if char else "a character"
        raise _malformed(Problem(file, line, col, f"not valid YAML: {what} is not allowed (control characters must not appear in text)")) from None
    except yaml.YAMLError as exc:
        raise _malformed(Problem(file, None, None, f"not valid YAML: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()


def _offset(text: str, position: int) -> tuple[int, int]:
    """The (line, column) of a character offset, lines counted at newlines."""
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _malformed(problem: Problem) -> InputError:
    error = InputError(problem)
    error.malformed = True  # type: ignore[attr-defined]  # a mark loads() reads with getattr
    return error


def open_regular(path: str | Path) -> int:
    """A descriptor open for reading on ``path``, which must be a regular file; :class:`InputError`
    saying why not. A FIFO, a device (``/dev/zero``), a socket or a directory is refused before
    anything is read: it is opened without blocking, then checked."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(Problem(name, None, None, "file not found")) from None
    except IsADirectoryError:
        raise InputError(Problem(name, None, None, "is a directory, not a file")) from None
    except OSError as exc:
        raise InputError(Problem(name, None, None, f"cannot read the file: {exc.strerror}")) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(Problem(name, None, None, "is a directory, not a file"))
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "not a regular file"
            )
            raise InputError(Problem(name, None, None, f"is {kind}, not a regular file; give a file"))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | Path, limit: int = FILE_BYTES) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`) of at most ``limit`` bytes, never
    reading more than ``limit`` + 1; :class:`InputError` saying why it cannot be read."""
    name = str(path)
    fd = open_regular(path)
    chunks, size = [], 0
    try:
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(Problem(name, None, None, f"cannot read the file: {exc.strerror}")) from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(Problem(name, None, None, f"the file is larger than {size_words(limit)}, the limit for this file"))
    return b"".join(chunks)


def size_words(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def decode(data: bytes, name: str, line_offset: int = 0) -> str:
    """UTF-8 text (a BOM at the start dropped); :class:`InputError` at the line of a bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1 + line_offset
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(Problem(name, line, col, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")) from None


def read_text(path: str | Path, limit: int = FILE_BYTES) -> str:
    """A UTF-8 text file (a pack, a visit, a policy text) of at most ``limit`` bytes;
    :class:`InputError` saying why it cannot be read."""
    return decode(read_bytes(path, limit), str(path))


def load_file(path: str | Path, limit: int = FILE_BYTES) -> Loaded:
    """Read and parse a YAML or JSON file. Raises :class:`InputError` if it cannot be read."""
    name = str(path)
    text = read_text(path, limit)
    if not text.strip():
        raise InputError(Problem(name, 1, 1, "the file is empty"))
    return loads(text, name)


def _plain(value: Any) -> Any:
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
