"""Rule packs loaded: from a file or by id (a built-in pack or a plugin's), validated against the
rule kinds of a registry, inherited from the pack they extend, and checked (every quote in the
policy text, every rule able to fire). The model itself is :mod:`._pack_model`'s, the compiled form
:mod:`._compiled`'s.
"""

from __future__ import annotations

import os
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pydantic import ValidationError

from .._errors import InputError, PluginError, Problem, UnknownSchoolError, did_you_mean
from .._plugin_calls import PLUGIN_FAILURES, said
from .._validation import validate
from .._yaml import Loaded, load_file
from ..plugins.registry import Registry, registry_or_default
from .checks import pack_errors, policy_text
from .compiled import CompiledPack, CompiledRule, compile_pack
from .inherit import resolve_extends, tightening
from .model import PACK_ID, CatalogueEntry, Example, Hours, PackBase, _pack_model_for

if TYPE_CHECKING:  # for annotations only
    from ..plugins.registry import PackEntry

__all__ = [
    "PACK_ID", "CatalogueEntry", "CompiledPack", "CompiledRule", "Example", "Hours", "PackBase", "available_packs",
    "compile_pack", "file_version", "load_pack", "pack_file", "pack_model", "parse_pack",
]

def pack_model(registry: Optional[Registry] = None) -> type[PackBase]:
    """The pydantic model of a rule pack, for the rule kinds ``registry`` knows."""
    registry = registry_or_default(registry)
    kinds = tuple(sorted(registry.kinds().values(), key=lambda k: k.kind_name))
    return _pack_model_for(kinds)


def parse_pack(loaded: Loaded, registry: Optional[Registry] = None, source: Optional[str] = None, folder: Optional[Path] = None) -> PackBase:
    """Validate loaded YAML as a rule pack; raise :class:`InputError` with every problem.

    Besides its shape, a pack is refused when a rule can never fire or a quote is not in its policy
    text: ``source`` when given, else the file its ``source`` field names, in ``sources/`` in the
    pack's folder (or in the folder itself). The folder is the pack file's, or ``folder`` for a pack
    a plugin gives as data (the plugin's package). A pack whose text cannot be found is refused,
    with a message naming the file to ship.
    """
    registry = registry_or_default(registry)
    if not isinstance(loaded.data, dict):
        raise InputError(Problem(loaded.file, 1, 1, "a rule pack must be a mapping of fields (id, school, rules...)"))
    data, origins = resolve_extends(loaded, registry, load_pack)
    model = pack_model(registry)
    merged = Loaded(data, loaded.file, loaded.positions)
    try:
        # A plugin kind's validators run here: under the registry's time limit, like any plugin call.
        pack: PackBase = registry.caller.run(f"validators of {loaded.file}", validate, model, merged)
    except InputError as exc:
        raise InputError(_unavailable_kinds(exc.problems, merged, registry)) from None
    except PLUGIN_FAILURES as exc:  # a rule kind's validator raised something other than ValueError
        where = _failing_rule(merged, registry)
        what = f"rule '{merged.data['rules'][where[1]].get('id')}': validating it" if where else "validating the pack"
        failure = Problem(loaded.file, *loaded.position(where or ()),
                          f"{what} {said(exc)}{_raised_at(exc)}; a rule kind's validators must raise "
                          "ValueError with a message for the pack's author")
        raise _kind_failed([failure]) from exc
    pack._caller = registry.caller
    pack._folder = folder
    errors: list[Problem] = []
    if source is None:
        source, errors = policy_text(pack, loaded, folder)
    found, failures = pack_errors(pack, loaded, source, registry.facts())
    errors += found
    if failures:  # a plugin's kind broke: its fault, not the pack author's
        raise _kind_failed(failures + errors)
    if errors:
        raise InputError(errors)
    if pack.extends is not None:
        errors, pack._loosened = tightening(pack, loaded, load_pack(pack.extends, registry=registry))
        if errors:
            raise InputError(errors)
    pack._file = loaded.file
    pack._loaded = loaded
    pack._origins = origins
    return pack


def _kind_failed(problems: list[Problem]) -> PluginError:
    """A :class:`PluginError` for rule kinds that broke while a pack was read, with every problem
    (file, line, column) as ``problems`` so that ``lint`` can report each at its rule and go on."""
    return PluginError("\n".join(str(p) for p in problems if p.severity == "error"), problems)


def _failing_rule(loaded: Loaded, registry: Registry) -> Optional[tuple[Any, ...]]:
    """The path of the rule whose kind's validator raised (each rule validated alone to find it)."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    kinds = registry.kinds()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        kind = kinds.get(rule["kind"]) if isinstance(rule, dict) and isinstance(rule.get("kind"), str) else None
        if kind is None or kind._builtin_kind():
            continue
        try:
            kind.model_validate(rule)
        except ValidationError:
            continue
        except PLUGIN_FAILURES:
            return ("rules", index)
    return None


def _unavailable_kinds(problems: list[Problem], loaded: Loaded, registry: Registry) -> list[Problem]:
    """An unknown kind that a broken plugin offered is reported as unavailable, saying why."""
    rules = loaded.data.get("rules") if isinstance(loaded.data, dict) else None
    out = []
    for p in problems:
        if p.message.startswith("unknown rule kind '") and isinstance(rules, list):
            kind = p.message.split("'")[1]
            withdrawn, broken = registry.kind_unavailable(kind)
            if withdrawn:
                p = Problem(p.file, p.line, p.column, f"rule kind '{kind}' is unavailable: {withdrawn}", p.field, p.severity)
            elif broken:
                p = Problem(p.file, p.line, p.column, f"{p.message}; it may be a kind of a broken plugin: {broken}",
                            p.field, p.severity)
        out.append(p)
    return out


def _raised_at(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def pack_file(school: str | Path, *, registry: Optional[Registry] = None) -> Optional[str]:
    """The file (its full path) the pack ``school`` names is loaded from, or None for a pack a
    plugin gives as data. Raises :class:`UnknownSchoolError` as :func:`load_pack` does."""
    path, entry = _locate(school, registry_or_default(registry))
    if path is None or (entry is not None and entry.loaded is not None):  # given as data
        return None
    return str(Path(path).resolve())


def file_version(file: str) -> Optional[tuple[int, int]]:
    """What changes when ``file`` is edited (its modification time and size); None when it is gone."""
    try:
        found = os.stat(file)
    except (FileNotFoundError, NotADirectoryError):  # not OSError: a TimeoutError or an interrupt is no answer
        return None
    return (found.st_mtime_ns, found.st_size)


def _cache_key(path: Path) -> tuple[Any, ...]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


#: Loaded packs by file (path, modification time, size) or plugin data; the least recently used are
#: dropped beyond this many, so a long-running process that sees a pack edited again and again keeps
#: a bounded number of versions (each holds its parsed YAML and positions).
PACK_CACHE_SIZE = 32
_pack_cache: OrderedDict[tuple[Any, ...], PackBase] = OrderedDict()


def load_pack(school: str | Path, *, registry: Optional[Registry] = None) -> PackBase:
    """Load a rule pack by id (``"tcat"``) or from a YAML file path.

    Raises :class:`UnknownSchoolError` for an unknown id, :class:`InputError` for a pack with
    problems (each with file, line and column), and :class:`PluginError` for a pack a plugin
    provides that cannot be used (naming the plugin and the file): such a pack is unavailable, and
    every other pack still loads.
    """
    registry = registry_or_default(registry)
    path, entry = _locate(school, registry)
    loaded = entry.loaded if entry is not None else None
    if entry is not None and loaded is not None:  # a pack a plugin gave as data: parsed once per registry state
        key: tuple[Any, ...] = ("data", entry.id) + registry.token
    else:
        assert path is not None  # _locate gives a file for every pack not given as data
        try:
            key = _cache_key(path) + registry.token
        except FileNotFoundError:
            raise InputError(Problem(str(path), None, None, "file not found")) from None
    cached = _pack_cache.get(key)
    if cached is not None and (loaded is None or cached._loaded is loaded):
        try:
            _pack_cache.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile
            pass
        return cached
    try:
        if loaded is None:
            assert path is not None  # as above
            loaded = load_file(path)
        pack = parse_pack(loaded, registry, folder=entry.folder if entry is not None else None)
        if entry is not None and pack.id != school:  # found by id: was the id read right?
            line, col = loaded.position(("id",))
            raise InputError(Problem(entry.where, line, col, f"this pack was offered as '{school}' but its id is '{pack.id}'"))
    except InputError as exc:
        if entry is None or registry.is_builtin(entry.plugin):
            raise
        raise registry.pack_failed(entry, exc) from None
    _pack_cache[key] = pack
    while len(_pack_cache) > PACK_CACHE_SIZE:
        _pack_cache.popitem(last=False)
    return pack


def _locate(school: str | Path, registry: Registry) -> tuple[Optional[Path], Optional[PackEntry]]:
    """The file of the pack ``school`` names, and the registry's entry for it when named by id
    (a plugin's file, or the data a plugin gave)."""
    if isinstance(school, Path) or (isinstance(school, str) and school.endswith((".yaml", ".yml", ".json"))):
        return Path(school), None
    if not isinstance(school, str) or not school:
        raise UnknownSchoolError(Problem("<school>", None, None, "no school given: pass school=ID (e.g. 'tcat')"))
    packs = registry.packs()
    if school not in packs:
        registry.pack_unavailable(school)  # raises PluginError when a broken plugin's pack had that id
        hint = did_you_mean(school, packs)
        raise UnknownSchoolError(
            Problem("<school>", None, None, f"unknown school '{school}'{hint} (known: {', '.join(sorted(packs))})")
        )
    entry = packs[school]
    return entry.path, entry


def available_packs(*, registry: Optional[Registry] = None) -> list[str]:
    """The ids of every pack that can be loaded by id: built-ins and plugins'."""
    return sorted(registry_or_default(registry).packs())
