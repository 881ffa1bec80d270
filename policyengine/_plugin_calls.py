"""Calling plugin code: what counts as a plugin's failure, and an optional time limit on each call.

A plugin's hook, a rule kind's ``trigger`` or ``suggest_remedy`` and a decision listener are other
people's code. Whatever they raise, ``SystemExit`` included (a plugin that calls ``sys.exit`` must
not end the caller's program with no decision and status 0), is their failure, reported as a
:class:`policyengine.PluginError` by the call site. ``KeyboardInterrupt`` is the person at the
keyboard, not the plugin, and goes on up.

With a time limit (``Registry(plugin_timeout=...)``, ``policyengine --plugin-timeout``), each call
runs on a worker thread of the calling thread and is waited for at most that long. Python cannot
stop a thread, so a call that does not return is abandoned: its worker is left to finish (a daemon
thread, which does not keep the program alive), the caller gets a :class:`PluginTimeout` at once,
and that plugin is not called again by this caller (an audit listener that hangs once would hang
again, and what it was told is unknown). Without a limit, calls run directly on the caller's thread.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from ._errors import PluginError

_T = TypeVar("_T")

#: What a plugin's code may raise that is its failure, reported as a PluginError (never a decision).
PLUGIN_FAILURES = (Exception, SystemExit)


class PluginTimeout(PluginError):
    """A plugin call did not return within the time limit; the call was abandoned."""

    def __init__(self, seconds: float, earlier: bool = False):
        self.seconds = seconds
        self.earlier = earlier
        when = "an earlier call did not return" if earlier else "did not return"
        super().__init__(f"{when} within {seconds:g} s (the plugin time limit), so the check failed closed")


def said(exc: BaseException) -> str:
    """How a plugin's failure is worded in messages: what it raised, or that it ran out of time."""
    if isinstance(exc, PluginTimeout):
        return str(exc)
    if isinstance(exc, SystemExit):
        return f"raised SystemExit({exc.code!r}) (a plugin must not end the program)"
    return f"raised {exc!r}"


class _Worker:
    """A daemon thread that runs the calls handed to it, one at a time."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="policyengine-plugin-call", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self.jobs.get()()


class PluginCaller:
    """Runs plugin code, directly or under a time limit (``timeout`` seconds, None for none).

    One per registry; the limit is read at each call, so it can be set after the registry is built.
    """

    def __init__(self, timeout: Optional[float] = None):
        self.timeout = timeout
        self._local = threading.local()  # one worker per calling thread: no call waits behind another's
        self._lock = threading.Lock()
        self._hung: dict[str, float] = {}

    def run(self, label: str, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``fn(*args, **kwargs)`` for the plugin ``label``: its result, or what it raised, or
        :class:`PluginTimeout` when a time limit is set and it does not return in time (or an
        earlier call of the same plugin did not)."""
        if label in self._hung:
            raise PluginTimeout(self._hung[label], earlier=True)
        timeout = self.timeout
        if timeout is None:
            return fn(*args, **kwargs)
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = _Worker()
        done = threading.Event()
        box: dict[str, Any] = {}
        context = contextvars.copy_context()

        def job() -> None:
            try:
                box["value"] = context.run(fn, *args, **kwargs)
            except BaseException as exc:  # handed back to the caller's thread, which decides
                box["error"] = exc
            finally:
                done.set()

        worker.jobs.put(job)
        if not done.wait(timeout):
            self._local.worker = None  # stuck inside the plugin: abandoned, never given more work
            with self._lock:
                self._hung[label] = timeout
            raise PluginTimeout(timeout)
        if "error" in box:
            raise box["error"]
        value: _T = box["value"]
        return value
