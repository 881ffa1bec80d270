"""The reference evaluator of timers: the rules of :mod:`.timers`, in plain Python dictionaries.

It is the oracle the durable-rules engine is held to, and the engine that runs where durable-rules
does not (Python 3.13).
"""

from __future__ import annotations

from typing import Optional

from .timers import After, Armed, Fired, Program, TimerEngine, first_due, next_due


class PythonTimers(TimerEngine):
    name = "python"

    def __init__(self, program: Program, after: Optional[After] = None) -> None:
        super().__init__(program, after)
        self._params: dict[str, dict[str, int]] = {}
        #: (subject, timer) -> [step, generation, due]
        self._armed: dict[tuple[str, int], tuple[int, int, int]] = {}
        #: event -> for each timer it concerns: (timer, spec, disarms it, arms it), worked out once.
        self._plan = {
            name: tuple((i, program.timers[i], program.timers[i].disarms_on(name), program.timers[i].arms_on(name)) for i in indexes)
            for name, indexes in program.by_event.items()
        }

    def open(self, subject: str, params: dict[str, int]) -> None:
        self._params[subject] = dict(params)

    def update(self, subject: str, params: dict[str, int]) -> None:
        self._params[subject] = dict(params)

    def event(self, subject: str, name: str, at: int, seq: int) -> list[Armed]:
        params = self._params[subject]
        armed: list[Armed] = []
        running_timers = self._armed
        for index, spec, disarms, arms in self._plan.get(name, ()):
            if spec.applies is not None and params.get(spec.applies) != 1:
                continue
            key = (subject, index)
            running = running_timers.get(key)
            if running is not None and disarms and running[1] != seq:
                del running_timers[key]
                running = None
            if running is None and arms:
                due = first_due(spec, params, at, self.after)
                running_timers[key] = (0, seq, due)
                armed.append(Armed(due, subject, index, 0, seq))
        return armed

    def deadline(self, entry: Armed) -> tuple[Optional[Fired], Optional[Armed]]:
        key = (entry.subject, entry.timer)
        running = self._armed.get(key)
        if running is None or running[0] != entry.step or running[1] != entry.gen:
            return None, None
        spec = self.program.timers[entry.timer]
        fired = Fired(entry.subject, entry.timer, entry.step, running[2])
        due = next_due(spec, entry.step, self._params[entry.subject], running[2], self.after)
        if due is None:
            del self._armed[key]
            return fired, None
        self._armed[key] = (entry.step + 1, entry.gen, due)
        return fired, Armed(due, entry.subject, entry.timer, entry.step + 1, entry.gen)

    def close(self, subject: str) -> None:
        self._params.pop(subject, None)
        for index in range(len(self.program.timers)):
            self._armed.pop((subject, index), None)

    def running(self) -> dict[tuple[str, int], tuple[int, int, int]]:
        return dict(self._armed)
