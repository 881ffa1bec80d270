"""The plugin manager and the registry of rule kinds, rule packs and decision listeners it yields.

Built-in rule kinds and packs are ordinary plugins, registered from ``DEFAULT_PLUGINS`` through the
same hooks a third party uses. There is no module-global plugin manager for tests to share: each
:class:`Registry` has its own (``default_registry()`` is the one a caller gets without asking).

Hooks are called one implementation at a time rather than through pluggy's ``hook()``, so that a
failure or an invalid return names the plugin it came from; the results never depend on call order
(duplicates are errors, not "last one wins").
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import itertools
import os
import re
import threading
import types
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

import pluggy

from . import hookspecs
from ._errors import InputError, PluginError

hookimpl = pluggy.HookimplMarker("policyengine")

DEFAULT_PLUGINS = ("policyengine.rules", "policyengine._builtin_packs")
ENTRY_POINT_GROUP = "policyengine"
HOOKS = tuple(sorted(name for name in vars(hookspecs) if name.startswith("policyengine_")))
KIND_NAME = r"^[a-z][a-z0-9_]*$"

__all__ = ["PluginError", "Registry", "default_registry", "hookimpl", "register"]


@dataclass(frozen=True)
class PluginInfo:
    """Who a plugin is: its name and, when it was installed, the distribution that provides it."""

    name: str
    distribution: Optional[str] = None
    version: Optional[str] = None
    builtin: bool = False

    def __str__(self) -> str:
        if self.builtin:
            return f"{self.name} (built in)"
        if self.distribution:
            return f"{self.name} (from {self.distribution} {self.version})"
        return self.name


@dataclass(frozen=True)
class PackEntry:
    """A pack a plugin provides: a file, or its data given in Python (``loaded``)."""

    id: str
    plugin: str
    path: Optional[Path] = None
    loaded: Any = None  # a policyengine._yaml.Loaded for a pack given as a mapping

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else self.loaded.file


@dataclass(frozen=True)
class PluginReport:
    """What one plugin contributes, for ``policyengine plugins``."""

    info: PluginInfo
    kinds: tuple[str, ...]
    packs: tuple[str, ...]
    listens: bool


_serials = itertools.count(1)


def _default_name(plugin: Any) -> str:
    if isinstance(plugin, type):
        return f"{plugin.__module__}.{plugin.__qualname__}"
    name = getattr(plugin, "__name__", None)  # a module
    if isinstance(name, str):
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


class Registry:
    """Rule kinds, rule packs and decision listeners from the built-ins and plugins.

    ``Registry()`` loads the built-ins and every installed ``policyengine`` entry point;
    ``Registry(plugins=[...], entry_points=False)`` gives a registry with exactly what is asked for
    (plus the built-ins, unless ``builtins=False``). Raises :class:`PluginError` naming a plugin that
    fails to import or is not a valid plugin.
    """

    def __init__(self, plugins: Iterable[Any] = (), *, entry_points: bool = True, builtins: bool = True):
        self.pm = pluggy.PluginManager("policyengine")
        self.pm.add_hookspecs(hookspecs)
        # Re-entrant, so a hook that (wrongly) calls back into the registry gets an error, not a deadlock.
        self._lock = threading.RLock()
        _registries.add(self)
        self._info: dict[str, PluginInfo] = {}
        self._serial = next(_serials)
        self._generation = 0
        self._collecting: Optional[str] = None
        self._kinds: Optional[dict[str, type]] = None
        self._kind_sources: dict[str, str] = {}
        self._packs: Optional[dict[str, PackEntry]] = None
        if builtins:
            from . import __version__

            for name in DEFAULT_PLUGINS:
                self._add(importlib.import_module(name), PluginInfo(name, "policyengine", __version__, builtin=True))
        if entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self._add(plugin, None)

    # -- registering --------------------------------------------------------------------------

    def register(self, plugin: Any, name: Optional[str] = None) -> None:
        """Add a plugin (a module, class or object with ``@hookimpl`` functions) to this registry.

        Registering the same object twice does nothing. Raises :class:`PluginError` for a plugin with
        a misspelt or malformed hook, or a name another plugin already has.
        """
        with self._lock:
            self._add(plugin, PluginInfo(name) if name else None)
            self._kinds = None
            self._packs = None
            self._generation += 1

    @property
    def token(self) -> tuple[int, int]:
        """Changes whenever what this registry provides may have changed (a key for caches)."""
        return (self._serial, self._generation)

    def _add(self, plugin: Any, info: Optional[PluginInfo]) -> None:
        if self.pm.is_registered(plugin):
            return
        if info is None:
            info = PluginInfo(_default_name(plugin))
            if not isinstance(plugin, (type, types.ModuleType)):
                # Two instances of one class (say, two audit logs) are two plugins: number them.
                for n in itertools.count(2):
                    if not self.pm.has_plugin(info.name):
                        break
                    info = PluginInfo(f"{_default_name(plugin)}-{n}")
        if self.pm.has_plugin(info.name):
            raise PluginError(f"two plugins are named '{info.name}': {self._info[info.name]} and {info}; rename one")
        self._check_hooks(plugin, info)
        try:
            self.pm.register(plugin, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            said = " ".join(str(exc).split())  # pluggy's message spans lines; errors here are one line
            raise PluginError(f"plugin {info} is not a valid policyengine plugin: {said}") from None
        self._info[info.name] = info

    def _check_hooks(self, plugin: Any, info: PluginInfo) -> None:
        """A misspelt hook would otherwise be silently ignored; a wrapper cannot be called as we call hooks."""
        for attr in dir(plugin):
            opts = self.pm.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            if attr not in HOOKS:
                close = difflib.get_close_matches(attr, HOOKS, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f" (the hooks are: {', '.join(HOOKS)})"
                raise PluginError(f"plugin {info}: '{attr}' is not a policyengine hook{hint}")
            if opts.get("hookwrapper") or opts.get("wrapper"):
                raise PluginError(f"plugin {info}: {attr} cannot be a hook wrapper; return a value instead")

    def _load_entry_points(self) -> None:
        seen: dict[str, PluginInfo] = {}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            info = PluginInfo(ep.name, dist.name if dist else None, dist.version if dist else None)
            if ep.name in seen:
                # The same distribution found twice on sys.path is harmless; two distributions are not.
                if seen[ep.name].distribution == info.distribution:
                    continue
                raise PluginError(f"two installed plugins are named '{ep.name}': {seen[ep.name]} and {info}")
            seen[ep.name] = info
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {info} failed to load ({ep.value}): {exc!r}") from exc
            self._add(plugin, info)

    def describe(self, name: str) -> str:
        """A plugin's name with its distribution and version where known, for messages."""
        return str(self._info.get(name, PluginInfo(name)))

    # -- calling hooks ------------------------------------------------------------------------

    def _results(self, hook: str) -> list[tuple[str, Any]]:
        """(plugin name, return value) of each implementation of ``hook``, in registration order."""
        out = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(f"plugin {self.describe(impl.plugin_name)} raised in {hook}(): {exc!r}") from exc
            if result is None:
                continue
            if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
                raise PluginError(
                    f"plugin {self.describe(impl.plugin_name)}: {hook}() returned {_short(result)}; return a list"
                )
            out.append((impl.plugin_name, list(result)))
        return out

    def _collect(self, what: str, collect):
        if self._collecting is not None:
            raise PluginError(
                f"a plugin asked for the registry's {what} while {self._collecting} was being called; "
                "a hook must not call back into policyengine"
            )
        self._collecting = f"policyengine_rule_{what}"
        try:
            return collect()
        finally:
            self._collecting = None

    # -- rule kinds ---------------------------------------------------------------------------

    def kinds(self) -> dict[str, type]:
        """Rule kind name -> class, from every plugin (built-ins included)."""
        with self._lock:
            if self._kinds is None:
                self._kinds, self._kind_sources = self._collect("kinds", self._collect_kinds)
            return dict(self._kinds)

    def kind_sources(self) -> dict[str, str]:
        """Rule kind name -> the name of the plugin that provides it."""
        with self._lock:
            self.kinds()
            return dict(self._kind_sources)

    def _collect_kinds(self):
        from ._rule import Rule

        kinds: dict[str, type] = {}
        sources: dict[str, str] = {}
        for plugin, result in self._results("policyengine_rule_kinds"):
            source = self.describe(plugin)
            for kind in result:
                if not (isinstance(kind, type) and issubclass(kind, Rule) and kind.kind_name):
                    raise PluginError(
                        f"plugin {source}: policyengine_rule_kinds() returned {_short(kind)}, which is not a rule "
                        "kind (a subclass of policyengine.Rule with a field kind: Literal[\"name\"])"
                    )
                name = kind.kind_name
                if not re.fullmatch(KIND_NAME, name):
                    raise PluginError(
                        f"plugin {source}: rule kind '{name}' ({_qualname(kind)}) needs a name of lower-case "
                        "letters, digits and _, starting with a letter"
                    )
                if kind.trigger is Rule.trigger:
                    raise PluginError(f"plugin {source}: rule kind '{name}' ({_qualname(kind)}) does not define trigger()")
                if name in kinds:
                    if kinds[name] is kind:  # one class offered twice by the same plugins: no conflict
                        continue
                    raise PluginError(
                        f"rule kind '{name}' is defined twice: {_qualname(kinds[name])} by plugin "
                        f"{self.describe(sources[name])} and {_qualname(kind)} by plugin {source}"
                    )
                kinds[name] = kind
                sources[name] = plugin
        return kinds, sources

    # -- rule packs ---------------------------------------------------------------------------

    def packs(self) -> dict[str, PackEntry]:
        """Pack id -> where it comes from, for every pack the plugins provide (built-ins included)."""
        with self._lock:
            if self._packs is None:
                self._packs = self._collect("packs", self._collect_packs)
            return dict(self._packs)

    def _collect_packs(self) -> dict[str, PackEntry]:
        packs: dict[str, PackEntry] = {}
        for plugin, result in self._results("policyengine_rule_packs"):
            for index, item in enumerate(result):
                entry = self._pack_entry(plugin, index, item)
                if entry.id in packs:
                    first = packs[entry.id]
                    raise PluginError(
                        f"rule pack '{entry.id}' is provided twice: {first.where} by plugin "
                        f"{self.describe(first.plugin)} and {entry.where} by plugin {self.describe(plugin)}"
                    )
                packs[entry.id] = entry
        return packs

    def _pack_entry(self, plugin: str, index: int, item: Any) -> PackEntry:
        from ._pack import PackBase, peek_pack_id
        from ._yaml import from_mapping

        source = self.describe(plugin)
        if isinstance(item, (str, os.PathLike)):
            path = Path(item)
            try:
                return PackEntry(peek_pack_id(path), plugin, path=path)
            except InputError as exc:
                raise PluginError(f"plugin {source} provides a rule pack that cannot be read: {exc.problems[0]}") from None
        if isinstance(item, Mapping):
            try:
                loaded = from_mapping(item, f"<pack {index} from plugin {plugin}>")
            except InputError as exc:
                raise PluginError(
                    f"plugin {source} provides a rule pack that cannot be used (pack {index} of its list): "
                    f"{exc.problems[0].message}"
                ) from None
            pack_id = loaded.data.get("id")
            if not isinstance(pack_id, str):
                raise PluginError(f"plugin {source} provides a rule pack without an 'id' (pack {index} of its list)")
            return PackEntry(pack_id, plugin, loaded=loaded)
        if isinstance(item, PackBase):
            raise PluginError(
                f"plugin {source}: policyengine_rule_packs() returned a loaded pack ('{item.id}'); return its file "
                "or its data instead, so that it is validated against the rule kinds of the registry that loads it"
            )
        raise PluginError(
            f"plugin {source}: policyengine_rule_packs() returned {_short(item)}; return pack file paths or "
            "mappings of pack data"
        )

    # -- listeners ----------------------------------------------------------------------------

    def has_listeners(self) -> bool:
        return bool(self.pm.hook.policyengine_decision_made.get_hookimpls())

    def decision_made(self, decision, visit) -> None:
        """Tell every listener of ``decision``; raise :class:`PluginError` naming any that failed."""
        self.decisions_made([(decision, visit)])

    def decisions_made(self, told: Iterable[tuple[Any, Any]]) -> None:
        """Tell every listener of each (decision, visit); then raise :class:`PluginError` if any failed.

        Every listener is told of every decision even when one fails (an audit log still gets its
        lines), and each call gets its own copies, so nothing a listener does can change the decisions
        the caller receives.
        """
        impls = self.pm.hook.policyengine_decision_made.get_hookimpls()
        failures: dict[str, tuple[int, Exception]] = {}
        for decision, visit in told:
            for impl in impls:
                try:
                    impl.function(decision=decision.model_copy(deep=True), visit=visit.model_copy(deep=True))
                except Exception as exc:
                    count, first = failures.get(impl.plugin_name, (0, exc))
                    failures[impl.plugin_name] = (count + 1, first)
        if failures:
            said = "; ".join(
                f"plugin {self.describe(name)} raised {first!r}" + (f" ({count} times)" if count > 1 else "")
                for name, (count, first) in failures.items()
            )
            raise PluginError(f"a decision listener failed, so no decision is returned (it may not have been recorded): {said}")

    # -- reporting ----------------------------------------------------------------------------

    def report(self) -> list[PluginReport]:
        """Every plugin, in registration order, with the kinds and packs it provides."""
        kinds = self.kind_sources()
        packs = self.packs()
        listeners = {i.plugin_name for i in self.pm.hook.policyengine_decision_made.get_hookimpls()}
        return [
            PluginReport(
                info=info,
                kinds=tuple(sorted(k for k, p in kinds.items() if p == name)),
                packs=tuple(sorted(i for i, e in packs.items() if e.plugin == name)),
                listens=name in listeners,
            )
            for name, info in self._info.items()
        ]


def _qualname(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_default: Optional[Registry] = None
_default_lock = threading.RLock()  # re-entrant: see _decide._Engines
_registries: "weakref.WeakSet[Registry]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A lock another thread held at the fork stays held in the child for ever: start with fresh ones.
    global _default_lock
    _default_lock = threading.RLock()
    for registry in list(_registries):
        registry._lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_registry() -> Registry:
    """The registry used when a caller passes none: built-ins plus installed plugins, built once."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default


def register(plugin: Any, name: Optional[str] = None) -> None:
    """Register ``plugin`` with the default registry (for callers that do not install packages)."""
    default_registry().register(plugin, name=name)
