"""The web console: server-rendered pages over the same services and scopes as the API."""
