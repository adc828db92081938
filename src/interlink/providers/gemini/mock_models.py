"""The Gemini mock's models, as `GET /v1beta/models` lists them."""

from __future__ import annotations

from typing import Any

CHAT = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
EMBED = ["embedContent", "countTextTokens", "countTokens"]


def _chat(name: str, title: str, version: str, output: int, thinking: bool) -> dict[str, Any]:
    return {
        "name": f"models/{name}", "version": version, "displayName": title,
        "description": f"Mock of {title}", "inputTokenLimit": 1_048_576,
        "outputTokenLimit": output, "supportedGenerationMethods": CHAT,
        "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2,
    } | ({"thinking": True} if thinking else {})  # fmt: skip


def _embedding(name: str, title: str, version: str, dimensions: int) -> dict[str, Any]:
    return {
        "name": f"models/{name}", "version": version, "displayName": title,
        "description": f"Mock of {title} ({dimensions} dimensions)", "inputTokenLimit": 2048,
        "outputTokenLimit": 1, "supportedGenerationMethods": EMBED,
    }  # fmt: skip


def seeded() -> list[dict[str, Any]]:
    return [
        _chat(
            "gemini-3-pro-preview", "Gemini 3 Pro Preview", "3-pro-preview-11-2025", 65_536, True
        ),
        _chat("gemini-2.5-pro", "Gemini 2.5 Pro", "2.5", 65_536, True),
        _chat("gemini-2.5-flash", "Gemini 2.5 Flash", "001", 65_536, True),
        _chat("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "001", 65_536, True),
        _chat("gemini-2.0-flash", "Gemini 2.0 Flash", "2.0", 8192, False),
        _embedding("gemini-embedding-001", "Gemini Embedding 001", "001", 3072),
        _embedding("text-embedding-004", "Text Embedding 004", "004", 768),
    ]


# Models that refuse a function call of the current turn sent back without its thought signature.
SIGNATURES_CHECKED = frozenset({"models/gemini-3-pro-preview"})
DIMENSIONS = {"models/gemini-embedding-001": 3072, "models/text-embedding-004": 768}
