"""`github`: Repositories, issues, pull requests and comments on the GitHub REST API.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.github.provider import GitHubConnector

PROVIDER = GitHubConnector

__all__ = ["PROVIDER", "GitHubConnector"]
