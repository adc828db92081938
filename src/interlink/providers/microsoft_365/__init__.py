"""`microsoft_365`: mail, calendar, OneDrive and Teams on Microsoft Graph, and Teams webhooks.

In this folder: its facts and actions (`provider`, their models in `models`), its change
notifications' check (`verifier`), its mock upstream (`mock`) and its recorded fixtures
(`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.microsoft_365.provider import Microsoft365Connector

PROVIDER = Microsoft365Connector

__all__ = ["PROVIDER", "Microsoft365Connector"]
