"""Visits as callers give them (mappings, files, :class:`Visit` objects), validated.

A visit is checked against the visit model and against the facts the plugins of a registry add
(``facts:``); every problem is reported with its file, line and column."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from pydantic import BaseModel

from ._errors import InputError, Problem, UnknownSchoolError
from ._limits import NESTING_DEPTH, VISIT_FILE_BYTES
from ._validation import validate
from ._yaml import Loaded, from_mapping, load_file
from .models import Visit, phase_of
from .plugin_facts import value_problems
from .plugins.registry import registry_or_default

if TYPE_CHECKING:  # for annotations only
    from .plugins.registry import Registry

VisitLike = Union[Visit, Mapping[str, Any]]


def parse_visit(data: VisitLike | Loaded, file: str = "<visit>", registry: Optional[Registry] = None) -> Visit:
    """A :class:`Visit` from a mapping (or loaded YAML); raise :class:`InputError` with every problem.

    Facts a visit gives under ``facts`` are checked against those the plugins of ``registry`` add
    (by default the installed ones)."""
    if isinstance(data, Visit):
        return _with_plugin_facts(data, None, registry)
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    # A plain dict is validated as it is (no JSON round trip: that doubled the cost of a check);
    # pydantic's strict fields refuse what JSON could not carry.
    loaded = data if isinstance(data, Loaded) else Loaded(data, file, {}) if isinstance(data, dict) else from_mapping(data, file)
    if not isinstance(loaded.data, dict):
        raise InputError(Problem(loaded.file, 1, 1, "a visit must be a mapping of fields (purpose, start, staff...)"))
    try:
        visit = validate(Visit, loaded)
    except InputError:
        raise
    except Exception as exc:
        # Plain data (what files give) runs no code of the caller's while it is validated, so the
        # exception came from elsewhere (a signal handler, a bug): not bad input. Only an odd object
        # deep inside a caller's mapping makes it bad input.
        odd = _not_plain(loaded.data)
        if odd is None:
            raise
        raise InputError(Problem(loaded.file, None, None, f"not plain data: {odd} ({exc!r})")) from None
    return _with_plugin_facts(visit, loaded, registry)


def _with_plugin_facts(visit: Visit, loaded: Optional[Loaded], registry: Optional[Registry]) -> Visit:
    """``visit``, once the plugin facts it gives are known to ``registry``, of the right type and
    phase; else :class:`InputError` at each fact's line."""
    if not visit.facts:
        return visit
    wrong = value_problems(visit.facts, registry_or_default(registry).facts(), phase_of(visit))
    if wrong:
        file = loaded.file if loaded is not None else "<visit>"
        raise InputError([
            Problem(file, *(loaded.position(("facts", name)) if loaded is not None else (None, None)), message,
                    field=f"facts.{name}")
            for name, message in wrong
        ])
    return visit


_PLAIN = (str, int, float, bool, type(None), datetime, date)


def _not_plain(data: Any, depth: int = 0) -> Optional[str]:
    """What in ``data`` is not plain data (mappings, lists, text, numbers, dates, policyengine's own
    models), or None when all of it is."""
    if depth > NESTING_DEPTH:
        return "data nested too deeply"
    if type(data) in (dict, list, tuple):
        items = data.items() if type(data) is dict else enumerate(data)
        for key, value in items:
            if type(data) is dict and type(key) is not str:
                return f"a key of type {type(key).__name__}"
            found = _not_plain(value, depth + 1)
            if found:
                return found
        return None
    if type(data) in _PLAIN or isinstance(data, BaseModel) and type(data).__module__.startswith("policyengine."):
        return None
    return f"a value of type {type(data).__name__}"


def load_visit(path: str | Path) -> Visit:
    """Read a visit from a YAML or JSON file; raise :class:`InputError` naming file, line and field."""
    return parse_visit(load_file(path, VISIT_FILE_BYTES))


def school_for(visit: Visit, school: Optional[str]) -> str:
    """The pack a visit is decided under: ``school`` as given, else the visit's own ``school``."""
    if school is None:
        if visit.school is None:
            raise UnknownSchoolError(Problem("<visit>", None, None, "no school given: pass school=ID (--school ID) or put 'school' in the visit"))
        return visit.school
    if visit.school is not None and str(school) != visit.school and not str(school).endswith((".yaml", ".yml")):
        raise InputError(
            Problem("<visit>", None, None, f"the visit says school '{visit.school}' but it was checked against '{school}'")
        )
    return str(school)
