"""Engines: the Engine base class, and the python and durable-rules engines."""
