"""`http`: Authenticated requests to any HTTP API.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.http.provider import HttpConnector

PROVIDER = HttpConnector

__all__ = ["PROVIDER", "HttpConnector"]
