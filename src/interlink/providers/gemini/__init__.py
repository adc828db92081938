"""`gemini`: Google's Gemini models on the Gemini API.

In this folder: its facts and actions (`provider`), a chat request as Gemini's (`request`), Gemini's
answers parsed (`wire`) and read as Interlink's (`answer`), what its errors mean (`errors`), its
mock upstream (`mock`, `mock_*`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.gemini.provider import GeminiConnector

PROVIDER = GeminiConnector

__all__ = ["PROVIDER", "GeminiConnector"]
