"""Telegram (`telegram`).

In this folder: its facts and actions (`provider`), its mock upstream (`mock`) and its recorded
fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.telegram.provider import TelegramConnector

PROVIDER = TelegramConnector

__all__ = ["PROVIDER", "TelegramConnector"]
