"""Timed duties: deadlines during a visit (the visit monitor) and after an absence (absence triggers).

Layers, each depending only on those above it:

* ``model``: the ``timed`` section of a rule pack, as pydantic models (the pack model includes it,
  so this layer knows nothing of packs);
* ``calendar``: school days from term dates, INSET days and England's bank holidays;
* ``timers``: the intermediate form both features compile to (timers armed, re-armed and disarmed
  by events, each with a deadline and an ordered escalation), and the driver that moves event time;
* ``engine_python`` and ``engine_durable``: two evaluators of that form, the reference in plain
  Python and one on durable-rules, held equal by the property tests;
* ``events``, ``monitor``: the visit monitor; ``absence``: absence triggers.

The public names (``Monitor``, ``due`` and their models) are re-exported by ``policyengine``.
"""
