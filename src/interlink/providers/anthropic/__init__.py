"""`anthropic`: Claude on Anthropic's Messages API: chat (system prompt, tools, `max_tokens`,
streaming) and the list of models. Anthropic has no embeddings.

In this folder: its facts and actions (`provider`), the Messages API's request (`requests`) and
answers, whole or streamed (`answers`), its mock upstream (`mock`, with `mock_replies` and
`mock_stream`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.anthropic.provider import AnthropicConnector

PROVIDER = AnthropicConnector

__all__ = ["PROVIDER", "AnthropicConnector"]
