"""Plugins: the hooks a plugin implements (hookspecs) and the registry of what plugins provide."""
