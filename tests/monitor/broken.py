"""Engines and monitors broken on purpose: each monitor property is seen to fail on one of these
(tests/test_monitor_properties_broken.py)."""

from __future__ import annotations

from policyengine import Monitor
from policyengine.monitor.engine_python import PythonTimers
from policyengine.monitor.timers import Armed, Timeline, first_due


class _Disarming(PythonTimers):
    """The reference engine with a different idea of which events disarm a running timer."""

    def disarms(self, spec, name: str) -> bool:
        raise NotImplementedError

    def event(self, subject, name, at, seq):
        params = self._params[subject]
        armed = []
        for index in self.program.by_event.get(name, ()):
            spec = self.program.timers[index]
            key = (subject, index)
            if key in self._armed and self.disarms(spec, name):
                del self._armed[key]
            if key not in self._armed and spec.arms_on(name):
                due = first_due(spec, params, at, self.after)
                self._armed[key] = (0, seq, due)
                armed.append(Armed(due, subject, index, 0, seq))
        return armed


class IgnoresRestarts(_Disarming):
    """A check-in does not restart a running check-in timer: its old deadline stands."""

    def disarms(self, spec, name):
        return name in spec.disarm


class IgnoresMet(_Disarming):
    """The event that meets a deadline does not disarm it: its action is written anyway."""

    def disarms(self, spec, name):
        return name in spec.rearm


class _EarlyTimeline(Timeline):
    def advance(self, to):
        before = self.now
        fired = super().advance(to + 1)  # so a deadline equal to ``to`` passes too
        self.now = to if before is None or to > before else before
        return fired


class FiresEarly(Monitor):
    """Writes an action as soon as time reaches its deadline, not once time has passed it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._timeline = _EarlyTimeline(self._timeline.engine)


class Lenient(Monitor):
    """Takes events out of time order and repeated ones as they come (a feed that redelivers)."""

    def _check_time(self, event, file):
        pass

    def _check_repeat(self, event, file):
        return None


class MovesTimeFirst(Monitor):
    """Moves event time on before checking the event, so a refused line still moves time."""

    def feed(self, event, file="<event>"):
        try:
            parsed = self._parse(event, file)
        except Exception:
            return super().feed(event, file)
        if self._timeline.now is None or parsed.at >= self._timeline.now:
            self._timeline.advance(parsed.at)
        return super().feed(event, file)


class Forgetful(Monitor):
    """Leaves the first visit it watches out of its snapshots."""

    def snapshot(self):
        snap = super().snapshot()
        snap["visits"] = dict(list(snap["visits"].items())[1:])
        return snap
