"""Hypothesis profiles for the property tests (tests/test_properties*.py).

* ``ci``: bounded and reproducible (derandomised, no example database); chosen when the ``CI``
  environment variable is set, as ``.ci/run`` sets it.
* ``local``: the default elsewhere; searches several times longer and remembers failing examples
  in ``.hypothesis/`` so they are tried first next time.
* ``thorough``: a long search before a pack is adopted: ``pytest --hypothesis-profile=thorough``.

Each property asks for the profile's ``max_examples`` (a few properties scale it, see
``tests/test_properties.py``). No deadline: a durable-rules check costs about 0.2 ms, but the first
example of a pack also compiles it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from policyengine.engines.durable import available, unavailable_reason

#: For tests of the durable engine itself: skipped, with the reason shown, where durable-rules does
#: not import (Python 3.13).
requires_durable = pytest.mark.skipif(not available(), reason=f"needs the durable engine: {unavailable_reason()}")
#: The engines this Python can run (both on 3.11 and 3.12; python alone on 3.13): tests that hold the
#: engines equal compare these.
ENGINES_HERE = ("durable", "python") if available() else ("python",)
#: For parametrizing over both engines: the durable one skipped, with the reason shown, where it cannot run.
ENGINE_PARAMS = [pytest.param("durable", marks=requires_durable), "python"]

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("ci", max_examples=75, derandomize=True, database=None, **_COMMON)
settings.register_profile("local", max_examples=200, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "local"))
