"""The condition form rules are written in, and what can be proved about conditions."""
