"""Workspaces, API keys, JWT bearer tokens, scopes and per-key request limits."""
