"""Custom providers: declarations stored per workspace, versioned (docs/connectors/custom.md)."""
