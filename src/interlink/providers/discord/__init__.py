"""`discord`: Messages on the Discord HTTP API.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.discord.provider import DiscordConnector

PROVIDER = DiscordConnector

__all__ = ["PROVIDER", "DiscordConnector"]
