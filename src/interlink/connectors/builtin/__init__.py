"""The connectors that ship with Interlink: one module per provider."""

from __future__ import annotations

from interlink.connectors.builtin.github import GitHubConnector
from interlink.connectors.builtin.http import HttpConnector

BUILTIN_CONNECTORS = (HttpConnector, GitHubConnector)
