"""`openai`: OpenAI's Chat Completions (messages, tools, JSON and structured output, streaming),
embeddings and the list of models; also any server that speaks the same API (Azure OpenAI,
vLLM, a local server) at the integration's `api_url`.

In this folder: its facts and actions (`provider`), the request it sends (`requests`), its
answers, whole or streamed, and its errors (`answers`), its mock upstream (`mock`, with
`mock_replies`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.openai.provider import OpenAIConnector

PROVIDER = OpenAIConnector

__all__ = ["PROVIDER", "OpenAIConnector"]
