"""Connectors without the server: `GitHubIntegration(GitHubIntegrationConfiguration(...))` in a
script, with the same transport (budgets, retries, breaker) as the service, and an async twin."""

from __future__ import annotations

from interlink.direct.base import AsyncDirectIntegration, DirectConfiguration, DirectIntegration
from interlink.direct.github import (
    AsyncGitHubIntegration,
    GitHubIntegration,
    GitHubIntegrationConfiguration,
)

__all__ = [
    "AsyncDirectIntegration",
    "AsyncGitHubIntegration",
    "DirectConfiguration",
    "DirectIntegration",
    "GitHubIntegration",
    "GitHubIntegrationConfiguration",
]
