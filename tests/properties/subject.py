"""What a property is checked against: a pack, its policy text, and the engines that decide.

The engines are built here rather than taken from the library's cache, so a test can swap in a
deliberately broken one, and so shuffled or reloaded copies of a pack get engines of their own
(the cache is keyed by the pack's digest, which ignores rule order).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Optional

from policyengine import Decision, load_pack
from policyengine._policy import decide_with
from policyengine._visits import parse_visit
from policyengine._yaml import from_mapping, load_file
from policyengine.conditions.form import fact
from policyengine.engines.base import make_engine
from policyengine.models import PURPOSES
from policyengine.packs import witness
from policyengine.packs.checks import source_path
from policyengine.packs.load import PackBase, compile_pack, parse_pack
from tests.conftest import ENGINES_HERE
from tests.scenarios import TODAY
from tests.strategies import PREPARED_BASES

KINDS = str(Path(__file__).resolve().parents[1] / "fixtures" / "kinds.yaml")


def real_engine(name: str) -> Callable:
    return lambda compiled: make_engine(compiled, name)


#: The engines this Python can run (the durable one is left out where durable-rules does not import).
REAL_ENGINES = {name: real_engine(name) for name in ENGINES_HERE}


@dataclass
class Subject:
    name: str
    pack: PackBase
    source: Optional[str]
    engines: dict[str, Any] = field(default_factory=dict)
    reload: Optional[Callable[[], PackBase]] = None  # loads the pack again from where it came from
    _bases: Optional[tuple] = None

    @property
    def compiled(self):
        return next(iter(self.engines.values())).compiled

    def decide(self, visit: dict, engine: Optional[str] = None) -> Decision:
        """With the named engine (the first one by default: durable, for real engines). Raises
        DecisionError (or InputError for a visit the model refuses), never anything else."""
        return decide_with(self.engines[engine or next(iter(self.engines))], parse_visit(visit), TODAY)

    def bases(self) -> tuple[dict, ...]:
        """Visits this pack permits, for every purpose, before going and at the door (with a known
        wait and room), found by the witness search: what ``strategies.near_visits`` changes a
        little at a time. The generic prepared visits where the search finds none."""
        if self._bases is None:
            solver = witness.Solver(self.compiled.clock)
            door = [fact("arrived", "eq", True), fact("minutes_waited", "eq", 0), fact("meeting_room", "ne", None)]
            found = []
            for purpose in PURPOSES:
                for extra in ([], door):
                    search = witness.permitted(self.compiled, [fact("purpose", "eq", purpose), *extra], solver=solver)
                    if search.visit is not None:
                        found.append(search.visit)
            self._bases = tuple(found) or PREPARED_BASES
        return self._bases


def subject(pack: PackBase, source: Optional[str] = None, name: Optional[str] = None,
            engines: Optional[dict[str, Callable]] = None, reload=None) -> Subject:
    """``pack`` with fresh engines (``engines`` maps a name to a factory taking the compiled pack)."""
    compiled = compile_pack(pack)
    built = {n: make(compiled) for n, make in (engines or REAL_ENGINES).items()}
    return Subject(name or pack.id, pack, source, built, reload)


@cache
def named(ref: str) -> Subject:
    """A built-in pack by id, or a pack file, with its own policy text; built once per session."""
    pack = load_pack(ref)
    path = pack.file
    found = source_path(pack, pack._loaded) if path else None
    source = found.read_text(encoding="utf-8") if found else None
    return subject(pack, source, name=Path(ref).stem, reload=lambda: parse_pack(load_file(path)))


def generated(pack: PackBase, source: str, data: dict, engines=None) -> Subject:
    return subject(pack, source, "generated", engines,
                   reload=lambda: parse_pack(from_mapping(data, "<generated pack>"), source=source))


def shuffled(pack: PackBase, seed: int) -> PackBase:
    """``pack`` with its rules in another order (reversed for seed 0)."""
    rules = list(pack.rules)
    if seed == 0:
        rules.reverse()
    else:
        random.Random(seed).shuffle(rules)
    return pack.model_copy(update={"rules": rules})


def variants(base: Subject, engines=None, seeds=(0, 1)) -> list[Subject]:
    """The pack as loaded, with its rules reversed and shuffled, and loaded a second time."""
    out = [base]
    out += [subject(shuffled(base.pack, s), base.source, f"{base.name} (rules {'reversed' if s == 0 else f'shuffled, seed {s}'})", engines)
            for s in seeds]
    if base.reload is not None:
        out.append(subject(base.reload(), base.source, f"{base.name} (loaded again)", engines))
    return out
