"""`hubspot`: contacts, companies, deals and associations on HubSpot's CRM API (v3).

In this folder: its facts and actions (`provider`), its webhook verifier (`verifier`), its mock
upstream (`mock`, with `mock_shapes` and `mock_search`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.hubspot.provider import HubSpotConnector

PROVIDER = HubSpotConnector

__all__ = ["PROVIDER", "HubSpotConnector"]
