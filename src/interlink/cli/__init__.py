"""The `interlink` command: one module per command group."""
