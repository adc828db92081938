"""A language-model provider for the gateway's tests, installed as a third-party connector.

Its models: `echo-*` answer with the last message (a message `call:<tool>` is answered with a
call of that tool), streamed word by word with the usage on the last chunk; `down` fails as an
overloaded provider (5xx), `limited` as a spent rate limit (429), `picky` refuses the request as
a bad one (4xx), and `cut` streams one word and is then cut off."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.providers.registry import default_registry
from tests.conftest import ADMIN_KEY
from tests.helpers.integrations import API_KEY, create_active

PLUGIN = '''
from typing import ClassVar

from interlink.core.errors import ExternalServiceError, InvalidOperation, RateLimitExceeded
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.llm import (
    ChatChunk, ChatInput, ChatMessage, ChatOutput, EmbeddingsInput, EmbeddingsOutput,
    ListModelsInput, ModelInfo, ModelList, ToolCall, ToolCallDelta, Usage,
)
from interlink.providers.kit.types import IntegrationType


def refuse(model):
    if model == "down":
        raise ExternalServiceError("The model is overloaded")
    if model == "limited":
        raise RateLimitExceeded("The model's rate limit is spent")
    if model == "picky":
        raise InvalidOperation("The model refuses this request")


def answer(params):
    text = params.messages[-1].content or ""
    if text.startswith("call:"):
        call = ToolCall(id="call_1", name=text[5:], arguments='{"q": "x"}')
        return ChatMessage(role="assistant", tool_calls=[call]), "tool_calls"
    return ChatMessage(role="assistant", content=text), "stop"


class GatewayModels(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "gwllm", "Gateway LLM", "A language model that echoes", "https://llm.invalid"
    )

    @action()
    async def chat(self, ctx, params: ChatInput) -> ChatOutput:
        """Echoes the last message."""
        refuse(params.model)
        message, finish = answer(params)
        return ChatOutput(
            id="chat-1", model=params.model, finish_reason=finish, message=message,
            usage=Usage(prompt_tokens=3, completion_tokens=len((message.content or "").split())),
        )

    async def stream_chat(self, ctx, params: ChatInput):
        refuse(params.model)
        message, finish = answer(params)
        if message.tool_calls:
            call = message.tool_calls[0]
            yield ChatChunk(tool_calls=[ToolCallDelta(index=0, id=call.id, name=call.name)])
            yield ChatChunk(tool_calls=[ToolCallDelta(index=0, arguments=call.arguments)])
        words = (message.content or "").split()
        for index, word in enumerate(words):
            yield ChatChunk(content=word if index == 0 else " " + word)
            if params.model == "cut":
                raise ExternalServiceError("The stream was cut")
        used = Usage(prompt_tokens=3, completion_tokens=len(words))
        yield ChatChunk(finish_reason=finish, usage=used)

    @action()
    async def embeddings(self, ctx, params: EmbeddingsInput) -> EmbeddingsOutput:
        """One vector per text."""
        refuse(params.model)
        return EmbeddingsOutput(
            model=params.model, vectors=[[0.5, 0.25] for _ in params.input],
            usage=Usage(prompt_tokens=2 * len(params.input)),
        )

    @action()
    async def list_models(self, ctx, params: ListModelsInput) -> ModelList:
        """Its models."""
        return ModelList(items=[ModelInfo(id="echo-1"), ModelInfo(id="echo-2")])
'''


@pytest.fixture(autouse=True)
def gwllm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = f"gwllm_{uuid.uuid4().hex[:12]}"
    (tmp_path / f"{module}.py").write_text(PLUGIN)
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[interlink.connectors]\ngwllm = {module}:GatewayModels\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


async def llm_integration(
    client: httpx.AsyncClient, name: str = "Echo", **configuration: Any
) -> str:
    body = {
        "name": name,
        "type": "gwllm",
        "configuration": {"auth_method": "api_key", **configuration},
        "credentials": {"api_key": API_KEY},
    }
    return await create_active(client, body)


def asgi(app: FastAPI) -> Any:
    """An httpx2 client (the official SDKs' HTTP library) calling the app in process."""
    import httpx2

    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def openai_client(app: FastAPI) -> AsyncIterator[Any]:
    import openai

    async with asgi(app) as http:
        yield openai.AsyncOpenAI(
            base_url="http://testserver/api/v1/ai/openai/v1", api_key=ADMIN_KEY,
            http_client=http, max_retries=0,
        )  # fmt: skip


@pytest.fixture
async def anthropic_client(app: FastAPI) -> AsyncIterator[Any]:
    import anthropic

    async with asgi(app) as http:
        yield anthropic.AsyncAnthropic(
            base_url="http://testserver/api/v1/ai/anthropic", api_key=ADMIN_KEY,
            http_client=http, max_retries=0,
        )  # fmt: skip
