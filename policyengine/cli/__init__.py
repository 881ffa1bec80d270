"""The policyengine command line: one module per command."""
