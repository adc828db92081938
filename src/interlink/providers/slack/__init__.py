"""`slack`: Messages and channels on the Slack Web API.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.slack.provider import SlackConnector

PROVIDER = SlackConnector

__all__ = ["PROVIDER", "SlackConnector"]
