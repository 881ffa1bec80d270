"""The plugin manager and the registry of rule kinds and packs it yields.

Built-in rule kinds and packs are ordinary plugins, registered from ``DEFAULT_PLUGINS`` through the
same hooks a third party uses. There is no module-global plugin manager: each :class:`Registry` has
its own, and tests build fresh ones.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from ._errors import PolicyEngineError

hookimpl = pluggy.HookimplMarker("policyengine")

DEFAULT_PLUGINS = ("policyengine.rules", "policyengine._builtin_packs")
ENTRY_POINT_GROUP = "policyengine"


class PluginError(PolicyEngineError, RuntimeError):
    """A plugin raised, returned something invalid, or clashed with another plugin."""


def _plugin_name(pm: pluggy.PluginManager, plugin: Any) -> str:
    name = pm.get_name(plugin) or getattr(plugin, "__name__", repr(plugin))
    for dist_plugin, dist in pm.list_plugin_distinfo():
        if dist_plugin is plugin:
            return f"{name} (from {dist.project_name} {dist.version})"
    return name


class Registry:
    """Rule kinds and rule packs from the built-ins, installed plugins and registered ones.

    ``Registry()`` loads the built-ins and every installed ``policyengine`` entry point;
    ``Registry(plugins=[...], entry_points=False)`` gives a registry with exactly what is asked for
    (plus the built-ins).
    """

    def __init__(self, plugins: Iterable[Any] = (), *, entry_points: bool = True, builtins: bool = True):
        self.pm = pluggy.PluginManager("policyengine")
        self.pm.add_hookspecs(hookspecs)
        if builtins:
            for name in DEFAULT_PLUGINS:
                self.pm.register(importlib.import_module(name), name=name)
        if entry_points:
            try:
                self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
            except Exception as exc:  # an installed plugin that fails to import
                raise PluginError(f"a policyengine plugin failed to load: {exc}") from exc
        for plugin in plugins:
            self.pm.register(plugin)
        self._lock = threading.Lock()
        self._kinds: dict[str, type] | None = None
        self._kind_sources: dict[str, str] = {}
        self._packs: dict[str, Path] | None = None
        self._pack_sources: dict[str, str] = {}

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Add a plugin (a module or object with ``@hookimpl`` functions) to this registry."""
        with self._lock:
            self.pm.register(plugin, name=name)
            self._kinds = None
            self._packs = None

    # -- rule kinds ---------------------------------------------------------------------------

    def kinds(self) -> dict[str, type]:
        """Rule kind name -> class."""
        with self._lock:
            if self._kinds is None:
                self._kinds, self._kind_sources = self._collect_kinds()
            return dict(self._kinds)

    def kind_sources(self) -> dict[str, str]:
        self.kinds()
        return dict(self._kind_sources)

    def _collect_kinds(self):
        from ._rule import Rule

        kinds: dict[str, type] = {}
        sources: dict[str, str] = {}
        for impl in self.pm.hook.policyengine_rule_kinds.get_hookimpls():
            source = _plugin_name(self.pm, impl.plugin)
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(f"plugin {source} raised in policyengine_rule_kinds: {exc!r}") from exc
            if result is None:
                continue
            if not isinstance(result, (list, tuple)):
                raise PluginError(f"plugin {source}: policyengine_rule_kinds must return a list of Rule classes")
            for kind in result:
                if not (isinstance(kind, type) and issubclass(kind, Rule) and kind.kind_name):
                    raise PluginError(
                        f"plugin {source}: {kind!r} is not a rule kind (a policyengine.Rule subclass with "
                        "kind: Literal[\"name\"])"
                    )
                name = kind.kind_name
                if name in kinds:
                    raise PluginError(f"rule kind '{name}' is defined twice: by {sources[name]} and by {source}")
                kinds[name] = kind
                sources[name] = source
        return kinds, sources

    # -- rule packs ---------------------------------------------------------------------------

    def packs(self) -> dict[str, Path]:
        """Pack id -> pack file, for every pack the plugins provide (built-ins included)."""
        with self._lock:
            if self._packs is None:
                self._packs, self._pack_sources = self._collect_packs()
            return dict(self._packs)

    def pack_sources(self) -> dict[str, str]:
        self.packs()
        return dict(self._pack_sources)

    def _collect_packs(self):
        from ._pack import peek_pack_id

        packs: dict[str, Path] = {}
        sources: dict[str, str] = {}
        for impl in self.pm.hook.policyengine_rule_packs.get_hookimpls():
            source = _plugin_name(self.pm, impl.plugin)
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(f"plugin {source} raised in policyengine_rule_packs: {exc!r}") from exc
            if result is None:
                continue
            if not isinstance(result, (list, tuple)):
                raise PluginError(f"plugin {source}: policyengine_rule_packs must return a list of pack file paths")
            for item in result:
                if not isinstance(item, (str, Path)):
                    raise PluginError(f"plugin {source}: {item!r} is not a pack file path")
                path = Path(item)
                pack_id = peek_pack_id(path)
                if pack_id in packs:
                    raise PluginError(
                        f"rule pack '{pack_id}' is provided twice: {packs[pack_id]} by {sources[pack_id]} "
                        f"and {path} by {source}"
                    )
                packs[pack_id] = path
                sources[pack_id] = source
        return packs, sources

    # -- listeners ----------------------------------------------------------------------------

    def decision_made(self, decision, visit) -> None:
        """Tell every listener of ``decision``; raise :class:`PluginError` naming any that failed."""
        failures = []
        for impl in self.pm.hook.policyengine_decision_made.get_hookimpls():
            try:
                impl.function(decision=decision, visit=visit)
            except Exception as exc:
                failures.append(f"{_plugin_name(self.pm, impl.plugin)}: {exc!r}")
        if failures:
            raise PluginError("decision listener failed: " + "; ".join(failures))

    def has_listeners(self) -> bool:
        return bool(self.pm.hook.policyengine_decision_made.get_hookimpls())


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The registry used when a caller passes none: built-ins plus installed plugins, built once."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default


def register(plugin: Any, name: str | None = None) -> None:
    """Register ``plugin`` with the default registry (for callers that do not install packages)."""
    default_registry().register(plugin, name=name)
