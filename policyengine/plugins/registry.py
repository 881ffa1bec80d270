"""The plugin manager and the registry of rule kinds, rule packs, visit facts and listeners it yields.

Built-in rule kinds and packs are ordinary plugins, registered from ``DEFAULT_PLUGINS`` through the
same hooks a third party uses. There is no module-global plugin manager for tests to share: each
:class:`Registry` has its own (``default_registry()`` is the one a caller gets without asking).

Hooks are called one implementation at a time rather than through pluggy's ``hook()``, so that a
failure or an invalid return names the plugin it came from; each implementation gets exactly the
arguments it declares (pluggy's ``argnames``). The results never depend on call order: a name two
plugins offer is an error naming both, never "last one wins".

A broken plugin is isolated: each kind, pack or fact it offers that cannot be used is withdrawn with
the reason (:meth:`Registry.problems`), and using it raises a :class:`PluginError` that says why;
everything else still works. Two failures stop every decision instead, because an unrecorded
decision is never handed out: a listener that fails, and an installed plugin that cannot be loaded
at all (which may be an audit listener).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import itertools
import os
import re
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import pluggy
from pydantic import BaseModel

from .._errors import InputError, PluginError, Problem, did_you_mean
from .._plugin_calls import PLUGIN_FAILURES, PluginCaller, said
from .._rule import Rule
from .._version import __version__
from .._yaml import from_mapping, load_file, read_text
from ..facts import FACT_FIELDS, FIELDS, FactField
from ..plugin_facts import DECLARED, VisitFact
from . import hookspecs

if TYPE_CHECKING:  # for annotations only
    from ..models import Decision, Visit, VisitSummary

_T = TypeVar("_T")
_O = TypeVar("_O")  # what plugins offer by name: a visit fact or a rule kind

hookimpl = pluggy.HookimplMarker("policyengine")

DEFAULT_PLUGINS = ("policyengine.rules", "policyengine._builtin_packs")
#: This project's name on the package index (the import name is policyengine; the index's
#: "policyengine" is an unrelated project). A plugin's pyproject.toml depends on this name.
DISTRIBUTION = "homevisit-policyengine"
ENTRY_POINT_GROUP = "policyengine"
HOOKS = tuple(sorted(name for name in vars(hookspecs) if name.startswith("policyengine_")))
KIND_NAME = r"^[a-z][a-z0-9_]*$"

__all__ = ["PluginError", "Registry", "VisitFact", "default_registry", "hookimpl", "register"]


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
    """A pack a plugin provides: a file, or its data given in Python (``loaded``, whose policy
    text is looked for in ``folder``: the plugin's package)."""

    id: str
    plugin: str
    path: Optional[Path] = None
    loaded: Any = None  # a policyengine._yaml.Loaded for a pack given as a mapping
    folder: Optional[Path] = None

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else self.loaded.file


@dataclass(frozen=True)
class PluginReport:
    """What one plugin contributes, for ``policyengine plugins``, and what is wrong with it."""

    info: PluginInfo
    kinds: tuple[str, ...]
    packs: tuple[str, ...]
    listens: bool
    facts: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class PluginProblem:
    """Something a plugin offers that cannot be used, and why. ``fatal``: the plugin could not be
    loaded at all, so every decision is refused (it may have been a decision listener)."""

    plugin: str
    message: str
    fatal: bool = False


#: A top-level ``id: tcat`` line, as packs write it (quoted or not, with or without a comment).
_ID_LINE = re.compile(r"""^id:[ \t]*(["']?)([a-z0-9][a-z0-9_-]*)\1[ \t]*(?:#.*)?$""", re.M)


def peek_pack_id(path: Path) -> str:
    """The ``id`` of a pack file, read without validating the rest.

    Every pack a registry offers is peeked at to learn its id, so the usual ``id:`` line is read
    without parsing the YAML (parsing five packs was a quarter of the command line's start-up);
    anything else is parsed. :func:`load_pack` checks the id again when it loads the pack.
    """
    try:
        text = read_text(path)
    except InputError:  # load_file below says why
        text = ""
    found = _ID_LINE.findall(text)
    if len(found) == 1:
        found_id: str = found[0][1]
        return found_id
    loaded = load_file(path)
    if not isinstance(loaded.data, dict) or not isinstance(loaded.data.get("id"), str):
        raise InputError(Problem(str(path), 1, 1, "a rule pack needs an 'id' at the top level"))
    pack_id: str = loaded.data["id"]
    return pack_id


_serials = itertools.count(1)


def _default_name(plugin: Any) -> str:
    if isinstance(plugin, type):
        return f"{plugin.__module__}.{plugin.__qualname__}"
    name = getattr(plugin, "__name__", None)  # a module
    if isinstance(name, str):
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


class Registry:
    """Rule kinds, rule packs, visit facts and decision listeners from the built-ins and plugins.

    ``Registry()`` loads the built-ins and every installed ``policyengine`` entry point;
    ``Registry(plugins=[...], entry_points=False)`` gives a registry with exactly what is asked for
    (plus the built-ins, unless ``builtins=False``). A plugin passed in code that is not a valid
    plugin raises :class:`PluginError` at once; an installed one that cannot be loaded is listed by
    :meth:`problems` (and ``policyengine plugins``), and every decision is refused until it is fixed
    or uninstalled, since it may be an audit listener.

    ``plugin_timeout`` (seconds, default none) limits every call into a plugin: a hook, a rule
    kind's ``trigger`` or ``suggest_remedy``, a listener. A call that outlasts it fails closed with a
    :class:`PluginError`, and that plugin is not called again.
    """

    def __init__(self, plugins: Iterable[Any] = (), *, entry_points: bool = True, builtins: bool = True,
                 plugin_timeout: Optional[float] = None):
        self.pm = pluggy.PluginManager("policyengine")
        self.pm.add_hookspecs(hookspecs)
        self.caller = PluginCaller(plugin_timeout)
        # Re-entrant, so a hook that (wrongly) calls back into the registry gets an error, not a deadlock.
        self._lock = threading.RLock()
        _registries.add(self)
        self._info: dict[str, PluginInfo] = {}
        self._serial = next(_serials)
        self._generation = 0
        self._collecting: Optional[str] = None
        self._unloadable: dict[str, PluginProblem] = {}  # installed plugins that could not be registered
        self._found: dict[str, list[PluginProblem]] = {}  # problems found collecting kinds, packs, facts
        self._withdrawn: dict[str, dict[str, str]] = {"kinds": {}, "packs": {}, "facts": {}}
        self._kinds: Optional[dict[str, type[Rule]]] = None
        self._kind_sources: dict[str, str] = {}
        self._packs: Optional[dict[str, PackEntry]] = None
        self._facts: Optional[dict[str, VisitFact]] = None
        self._fact_sources: dict[str, str] = {}
        if builtins:
            for name in DEFAULT_PLUGINS:
                self._add(importlib.import_module(name), PluginInfo(name, DISTRIBUTION, __version__, builtin=True))
        if entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self._add(plugin, None)

    @property
    def plugin_timeout(self) -> Optional[float]:
        """The time limit on each call into a plugin, in seconds (None: no limit)."""
        return self.caller.timeout

    @plugin_timeout.setter
    def plugin_timeout(self, seconds: Optional[float]) -> None:
        self.caller.timeout = seconds

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
            self._facts = None
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
            said_ = " ".join(str(exc).split())  # pluggy's message spans lines; errors here are one line
            raise PluginError(f"plugin {info} is not a valid policyengine plugin: {said_}") from None
        self._info[info.name] = info

    def _check_hooks(self, plugin: Any, info: PluginInfo) -> None:
        """A misspelt hook would otherwise be silently ignored; a wrapper cannot be called as we call hooks."""
        for attr in dir(plugin):
            opts = self.pm.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            if attr not in HOOKS:
                hint = did_you_mean(attr, HOOKS) or f" (the hooks are: {', '.join(HOOKS)})"
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
                self._cannot_load(info, f"two installed plugins are named '{ep.name}': {seen[ep.name]} and {info}; "
                                        "uninstall one")
                continue
            seen[ep.name] = info
            try:
                plugin = self.caller.run(f"entry point {ep.name}", ep.load)
            except PLUGIN_FAILURES as exc:
                self._cannot_load(info, f"plugin {info} failed to load ({ep.value}): {_raised(exc)}")
                continue
            try:
                self._add(plugin, info)
            except PluginError as exc:
                self._cannot_load(info, str(exc))

    def _cannot_load(self, info: PluginInfo, message: str) -> None:
        key = info.name if info.name not in self._unloadable else f"{info.name} ({info.distribution})"
        self._unloadable[key] = PluginProblem(key, message, fatal=True)
        self._info.setdefault(key, info)

    def describe(self, name: str) -> str:
        """A plugin's name with its distribution and version where known, for messages."""
        return str(self._info.get(name, PluginInfo(name)))

    def is_builtin(self, name: str) -> bool:
        info = self._info.get(name)
        return bool(info and info.builtin)

    # -- calling hooks ------------------------------------------------------------------------

    def _call(self, impl: pluggy.HookImpl, hook: str, **arguments: Any) -> Any:
        """One implementation of ``hook`` with exactly the arguments it declares (as pluggy does)."""
        kwargs = {name: arguments[name] for name in impl.argnames}
        return self.caller.run(impl.plugin_name, impl.function, **kwargs)

    def _results(self, hook: str, what: str) -> list[tuple[str, list[Any]]]:
        """(plugin name, returned list) of each implementation of ``hook`` that worked, in
        registration order; each one that failed is recorded as a problem of its plugin instead."""
        out = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            try:
                result = self._call(impl, hook)
            except PLUGIN_FAILURES as exc:
                self._problem(what, impl.plugin_name, f"{hook}() {_raised(exc)}; its {what} are unavailable")
                continue
            if result is None:
                continue
            if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
                self._problem(what, impl.plugin_name, f"{hook}() returned {_short(result)}; return a list")
                continue
            out.append((impl.plugin_name, list(result)))
        return out

    def _problem(self, what: str, plugin: str, message: str) -> None:
        self._found.setdefault(what, []).append(PluginProblem(plugin, f"plugin {self.describe(plugin)}: {message}"))

    def _collect(self, what: str, collect: Callable[[], _T]) -> _T:
        if self._collecting is not None:
            raise PluginError(
                f"a plugin asked for the registry's {what} while {self._collecting} was being called; "
                "a hook must not call back into policyengine"
            )
        self._collecting = f"policyengine_{'visit_facts' if what == 'facts' else 'rule_' + what}"
        self._found[what] = []
        self._withdrawn[what] = {}
        try:
            return collect()
        finally:
            self._collecting = None

    def _settle(
        self, what: str, offered: Mapping[str, Sequence[tuple[_O, str]]], label: Callable[[_O], str]
    ) -> tuple[dict[str, _O], dict[str, str]]:
        """One offer per name: a name offered by two plugins is withdrawn from both (a built-in
        keeps its name), whatever order the plugins were registered in."""
        chosen: dict[str, _O] = {}
        sources: dict[str, str] = {}
        for name, offers in offered.items():
            if len(offers) == 1:
                chosen[name], sources[name] = offers[0]
                continue
            listing = " and ".join(f"{label(item)} by plugin {self.describe(plugin)}" for item, plugin in offers)
            builtin = [(item, plugin) for item, plugin in offers if self.is_builtin(plugin)]
            if len(builtin) == 1:
                chosen[name], sources[name] = builtin[0]
                said_ = f"{_SINGULAR[what]} '{name}' is {_TWICE[what]}: {listing}; the built-in one is kept"
            else:
                said_ = f"{_SINGULAR[what]} '{name}' is {_TWICE[what]}: {listing}; neither is used until one is renamed"
                self._withdrawn[what][name] = said_
            for _, plugin in offers:
                if not self.is_builtin(plugin):
                    self._found[what].append(PluginProblem(plugin, said_))
        return chosen, sources

    # -- visit facts --------------------------------------------------------------------------

    def facts(self) -> dict[str, VisitFact]:
        """Fact name -> :class:`VisitFact`, for every visit fact this registry's plugins add."""
        with self._lock:
            if self._facts is None:
                self._facts, self._fact_sources = self._collect("facts", self._collect_facts)
            return dict(self._facts)

    def _collect_facts(self) -> tuple[dict[str, VisitFact], dict[str, str]]:
        builtin = frozenset(f.name for f in FACT_FIELDS)
        offered: dict[str, list[tuple[VisitFact, str]]] = {}
        for plugin, result in self._results("policyengine_visit_facts", "facts"):
            for item in result:
                if not isinstance(item, VisitFact):
                    self._problem("facts", plugin, f"policyengine_visit_facts() returned {_short(item)}, which is not "
                                                   "a policyengine.VisitFact")
                    continue
                wrong = item.problems(builtin)
                if wrong:
                    self._problem("facts", plugin, "; ".join(wrong))
                    continue
                offers = offered.setdefault(item.name, [])
                if not any(spec == item for spec, _ in offers):  # the same declaration twice is no conflict
                    offers.append((item, plugin))
        facts, sources = self._settle("facts", offered, lambda spec: f"{spec.type} ({spec.meaning})")
        for name, spec in list(facts.items()):
            known = DECLARED.get(name)
            if known is not None and known != spec:
                message = (f"visit fact '{name}' is declared differently by another registry in this program "
                           f"({known.type}, {known.meaning!r}); one name has one meaning")
                self._withdrawn["facts"][name] = message
                self._problem("facts", sources[name], message)
                del facts[name]
                continue
            # One vocabulary for the process (the condition form is checked against it); which
            # facts this registry's packs and visits may use is still this registry's list.
            DECLARED[name] = spec
            FIELDS[name] = FactField(name, spec.type, spec.meaning, spec.values)
        return facts, sources

    # -- rule kinds ---------------------------------------------------------------------------

    def kinds(self) -> dict[str, type[Rule]]:
        """Rule kind name -> class, from every plugin (built-ins included)."""
        with self._lock:
            if self._kinds is None:
                self.facts()  # kinds' triggers and packs' conditions may test the facts plugins add
                self._kinds, self._kind_sources = self._collect("kinds", self._collect_kinds)
            return dict(self._kinds)

    def kind_sources(self) -> dict[str, str]:
        """Rule kind name -> the name of the plugin that provides it."""
        with self._lock:
            self.kinds()
            return dict(self._kind_sources)

    def _collect_kinds(self) -> tuple[dict[str, type[Rule]], dict[str, str]]:
        offered: dict[str, list[tuple[type, str]]] = {}
        for plugin, result in self._results("policyengine_rule_kinds", "kinds"):
            for kind in result:
                if not (isinstance(kind, type) and issubclass(kind, Rule) and kind.kind_name):
                    self._problem("kinds", plugin, f"policyengine_rule_kinds() returned {_short(kind)}, which is not a "
                                                   "rule kind (a subclass of policyengine.Rule with a field kind: "
                                                   "Literal[\"name\"])")
                    continue
                name = kind.kind_name
                if not re.fullmatch(KIND_NAME, name):
                    self._problem("kinds", plugin, f"rule kind '{name}' ({_qualname(kind)}) needs a name of lower-case "
                                                   "letters, digits and _, starting with a letter")
                    continue
                if kind.trigger is Rule.trigger:
                    self._problem("kinds", plugin, f"rule kind '{name}' ({_qualname(kind)}) does not define trigger()")
                    continue
                offers = offered.setdefault(name, [])
                if not any(k is kind for k, _ in offers):  # one class offered twice: no conflict
                    offers.append((kind, plugin))
        return self._settle("kinds", offered, _qualname)

    def kind_unavailable(self, name: str) -> tuple[Optional[str], Optional[str]]:
        """(why rule kind ``name`` is withdrawn, or None; why some plugin's kinds are all unavailable,
        one of which may be ``name``, or None)."""
        with self._lock:
            self.kinds()
            broken = [p.message for p in self._found.get("kinds", []) if p.message.endswith("are unavailable")]
            return self._withdrawn["kinds"].get(name), "; ".join(broken) or None

    # -- rule packs ---------------------------------------------------------------------------

    def packs(self) -> dict[str, PackEntry]:
        """Pack id -> where it comes from, for every usable pack the plugins provide (built-ins included)."""
        with self._lock:
            if self._packs is None:
                self._packs = self._collect("packs", self._collect_packs)
            return dict(self._packs)

    def _collect_packs(self) -> dict[str, PackEntry]:
        offered: dict[str, list[tuple[PackEntry, str]]] = {}
        for plugin, result in self._results("policyengine_rule_packs", "packs"):
            for index, item in enumerate(result):
                try:
                    entry = self._pack_entry(plugin, index, item)
                except PluginError as exc:
                    self._found["packs"].append(PluginProblem(plugin, str(exc)))
                    continue
                offered.setdefault(entry.id, []).append((entry, plugin))
        packs, _ = self._settle("packs", offered, lambda entry: entry.where)
        return packs

    def pack_unavailable(self, pack_id: str) -> None:
        """Raise :class:`PluginError` saying why, when a plugin offered ``pack_id`` but it cannot be used."""
        with self._lock:
            self.packs()
            if pack_id in self._withdrawn["packs"]:
                raise PluginError(self._withdrawn["packs"][pack_id])

    def unreadable_packs(self) -> list[str]:
        """Why each pack a plugin offered could not even be read (its id is then unknown)."""
        with self._lock:
            self.packs()
            return [p.message for p in self._found.get("packs", []) if p.message not in self._withdrawn["packs"].values()]

    def pack_failed(self, entry: PackEntry, exc: InputError) -> PluginError:
        """The error for a plugin's pack that does not load: it names the plugin and the file, and
        carries the problems (file, line, column) as ``problems``."""
        problems = "; ".join(str(p) for p in exc.problems)
        return PluginError(
            f"rule pack '{entry.id}' from plugin {self.describe(entry.plugin)} cannot be used "
            f"({entry.where}): {problems}",
            exc.problems,
        )

    def _pack_entry(self, plugin: str, index: int, item: Any) -> PackEntry:
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
            return PackEntry(pack_id, plugin, loaded=loaded, folder=self._folder_of(plugin))
        if isinstance(item, BaseModel):  # a loaded pack (policyengine.load_pack gives pydantic models)
            raise PluginError(
                f"plugin {source}: policyengine_rule_packs() returned a loaded pack ('{getattr(item, 'id', '?')}'); return its file "
                "or its data instead, so that it is validated against the rule kinds of the registry that loads it"
            )
        raise PluginError(
            f"plugin {source}: policyengine_rule_packs() returned {_short(item)}; return pack file paths or "
            "mappings of pack data"
        )

    def _folder_of(self, plugin: str) -> Optional[Path]:
        """The folder of the plugin's package (or module): where a pack it gives as data finds its text."""
        obj = self.pm.get_plugin(plugin)
        module = obj if isinstance(obj, types.ModuleType) else sys.modules.get(
            (obj if isinstance(obj, type) else type(obj)).__module__)
        file = getattr(module, "__file__", None)
        return Path(file).parent if file else None

    # -- listeners ----------------------------------------------------------------------------

    def has_listeners(self) -> bool:
        """Whether decisions must be told to someone: a listener, or an installed plugin that could
        not be loaded (it may be one, so :meth:`decisions_made` refuses every decision)."""
        return bool(self._unloadable) or bool(self.pm.hook.policyengine_decision_made.get_hookimpls())

    def decision_made(self, decision: Decision, visit: Visit | VisitSummary) -> None:
        """Tell every listener of ``decision``; raise :class:`PluginError` naming any that failed."""
        self.decisions_made([(decision, visit)])

    def decisions_made(self, told: Iterable[tuple[Decision, Visit | VisitSummary]]) -> None:
        """Tell every listener of each (decision, visit); then raise :class:`PluginError` if any failed.

        Every listener is told of every decision even when one fails (an audit log still gets its
        lines), and each call gets its own copies, so nothing a listener does can change the decisions
        the caller receives. Nothing is told, and :class:`PluginError` raised, while an installed
        plugin cannot be loaded: it may be a listener, and a decision it did not record must not be
        handed out.
        """
        if self._unloadable:
            raise PluginError(
                "no decision is handed out while an installed plugin cannot be loaded (it may be a decision "
                "listener, such as an audit log): " + "; ".join(p.message for p in self._unloadable.values())
            )
        impls = self.pm.hook.policyengine_decision_made.get_hookimpls()
        failures: dict[str, tuple[int, BaseException]] = {}
        for decision, visit in told:
            for impl in impls:
                try:
                    self._call(impl, "policyengine_decision_made", decision=decision.model_copy(deep=True),
                               visit=visit.model_copy(deep=True))
                except PLUGIN_FAILURES as exc:
                    count, first = failures.get(impl.plugin_name, (0, exc))
                    failures[impl.plugin_name] = (count + 1, first)
        if failures:
            message = "; ".join(
                f"plugin {self.describe(name)} {_raised(first)}" + (f" ({count} times)" if count > 1 else "")
                for name, (count, first) in failures.items()
            )
            raise PluginError(f"a decision listener failed, so no decision is returned (it may not have been recorded): {message}")

    # -- reporting ----------------------------------------------------------------------------

    def problems(self) -> list[PluginProblem]:
        """Everything a plugin offers that cannot be used, and why (an empty list when all is well)."""
        with self._lock:
            self.kinds()  # facts first, then kinds
            self.packs()
            found = [p for what in ("facts", "kinds", "packs") for p in self._found.get(what, [])]
            return list(self._unloadable.values()) + found

    def report(self) -> list[PluginReport]:
        """Every plugin, in registration order, with what it provides and what is wrong with it."""
        problems = self.problems()
        kinds = self.kind_sources()
        packs = self.packs()
        facts = dict(self._fact_sources)
        listeners = {i.plugin_name for i in self.pm.hook.policyengine_decision_made.get_hookimpls()}
        return [
            PluginReport(
                info=info,
                kinds=tuple(sorted(k for k, p in kinds.items() if p == name)),
                packs=tuple(sorted(i for i, e in packs.items() if e.plugin == name)),
                listens=name in listeners,
                facts=tuple(sorted(f for f, p in facts.items() if p == name)),
                problems=tuple(dict.fromkeys(p.message for p in problems if p.plugin == name)),
            )
            for name, info in self._info.items()
        ]


_SINGULAR = {"kinds": "rule kind", "packs": "rule pack", "facts": "visit fact"}
_TWICE = {"kinds": "defined twice", "packs": "provided twice", "facts": "declared twice, differently"}


def _raised(exc: BaseException) -> str:
    """``raised <exc>``, or that the call ran out of time: how plugin failures are worded."""
    return said(exc)


def _qualname(kind: type[Rule]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_default: Optional[Registry] = None
_default_lock = threading.RLock()  # re-entrant: see _policy._Policies
_default_timeout: Optional[float] = None
_registries: weakref.WeakSet[Registry] = weakref.WeakSet()


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
            _default = Registry(plugin_timeout=_default_timeout)
        return _default


def set_default_plugin_timeout(seconds: Optional[float]) -> Optional[float]:
    """Set the time limit on plugin calls through the default registry (``policyengine
    --plugin-timeout``), from loading installed plugins on; returns the limit it replaces."""
    global _default_timeout
    with _default_lock:
        previous, _default_timeout = _default_timeout, seconds
        if _default is not None:
            _default.plugin_timeout = seconds
        return previous


def registry_or_default(registry: Optional[Registry]) -> Registry:
    """The registry a call uses: the one given, else :func:`default_registry` (the built-ins and
    the installed plugins)."""
    return registry if registry is not None else default_registry()


def register(plugin: Any, name: Optional[str] = None) -> None:
    """Register ``plugin`` with the default registry (for callers that do not install packages)."""
    default_registry().register(plugin, name=name)
