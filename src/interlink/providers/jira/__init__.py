"""`jira`: Issues on the Jira Cloud REST API v3.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.jira.provider import JiraConnector

PROVIDER = JiraConnector

__all__ = ["PROVIDER", "JiraConnector"]
