"""A minimal language-model provider, installed as a third-party connector: its `chat` echoes
the last message, using `prompt_tokens` 1 and `completion_tokens` 9 (10 tokens a call), and
fails on the text "fail"; its `embeddings` use 3 tokens a text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlink.providers.registry import default_registry

ECHO = '''
from typing import ClassVar

from interlink.core.errors import ExternalServiceError
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.llm import (
    ChatInput, ChatMessage, ChatOutput, EmbeddingsInput, EmbeddingsOutput, Usage,
)
from interlink.providers.kit.types import IntegrationType


class EchoModels(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "echollm", "Echo LLM", "A language model that echoes", "https://llm.invalid"
    )

    @action()
    async def chat(self, ctx, params: ChatInput) -> ChatOutput:
        """Echoes the last message."""
        text = params.messages[-1].content or ""
        if text == "fail":
            raise ExternalServiceError("the model is overloaded")
        return ChatOutput(
            id="chat-1", model=params.model, finish_reason="stop",
            message=ChatMessage(role="assistant", content=text),
            usage=Usage(prompt_tokens=1, completion_tokens=9),
        )

    @action()
    async def embeddings(self, ctx, params: EmbeddingsInput) -> EmbeddingsOutput:
        """One vector per text."""
        return EmbeddingsOutput(
            model=params.model, vectors=[[0.5] for _ in params.input],
            usage=Usage(prompt_tokens=3 * len(params.input)),
        )
'''


@pytest.fixture(autouse=True)
def echollm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = f"echollm_{uuid.uuid4().hex[:12]}"
    (tmp_path / f"{module}.py").write_text(ECHO)
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[interlink.connectors]\nechollm = {module}:EchoModels\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()
