"""`zendesk`: Tickets, search and users on the Zendesk Support API v2.

In this folder: its facts and actions (`provider`), its webhook verifier (`verifier`), its mock
upstream (`mock`, `mock_shapes`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.zendesk.provider import ZendeskConnector

PROVIDER = ZendeskConnector

__all__ = ["PROVIDER", "ZendeskConnector"]
