"""Ollama (`ollama`).

In this folder: its facts and actions (`provider`), the translation of the shared language-model
shapes to `/api/chat` and back (`translate`), reading its answers (`answers`), the inputs and
results of its own actions (`models`), its mock upstream (`mock`, `mock_answers`) and its
recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.ollama.provider import OllamaConnector

PROVIDER = OllamaConnector

__all__ = ["PROVIDER", "OllamaConnector"]
