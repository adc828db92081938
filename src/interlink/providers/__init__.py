"""Providers: one folder per provider (facts, actions, verifier, mock, fixtures), the shared kit
they build on (`kit`), the registry of built-ins and entry points, and the catalog."""
