"""`openai`: OpenAI's Chat Completions API (`POST /chat/completions`: messages, tools, JSON and
structured output, streaming), embeddings (`POST /embeddings`) and models (`GET /models`),
with the key as `Authorization: Bearer`.

Any server that speaks the same API is an `openai` integration with its own `api_url`: vLLM or
a local server (`http://localhost:8000/v1`), or Azure OpenAI, whose key goes in the `api-key`
header (the credential's `header_name`), whose calls carry `api-version` (the configuration's
`api_version`) and whose models are deployments (`azure_deployments`:
`<api_url>/deployments/<model>/chat/completions`, with `api_url`
`https://<resource>.openai.azure.com/openai`).

The budget learns both of OpenAI's windows from its headers: requests
(`x-ratelimit-remaining-requests`) and tokens (`x-ratelimit-remaining-tokens`), resets given as
durations (`6m0s`); a chat declares its prompt's estimate and its `max_tokens`, so one that
would pass the tokens left waits for the reset, or is refused, before OpenAI says 429.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    ListModelsInput,
    ModelList,
)
from interlink.providers.kit.types import IntegrationType
from interlink.providers.openai import answers
from interlink.providers.openai.answers import (
    OpenAICompletion,
    OpenAIEmbeddings,
    OpenAIModels,
    StreamReader,
    model_info,
    read,
)
from interlink.providers.openai.requests import (
    OpenAISettings,
    chat_body,
    chat_tokens,
    embeddings_body,
    embeddings_tokens,
    stream_body,
)
from interlink.transport.classify import ErrorTable, Verdict
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse


def _window(name: str) -> RateLimitHeaders:
    return RateLimitHeaders(
        f"x-ratelimit-limit-{name}", f"x-ratelimit-remaining-{name}",
        f"x-ratelimit-reset-{name}", "duration",
    )  # fmt: skip


class OpenAIConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "openai",
        "OpenAI",
        "OpenAI's models, or any OpenAI-compatible server: chat with tools, JSON and streaming, "
        "embeddings, the models",
        "https://api.openai.com/v1",
        "api_key",
        auth_methods=("api_key",),
        api_url_hint=(
            "an OpenAI-compatible server's base URL: http://localhost:8000/v1 (vLLM), "
            "https://<resource>.openai.azure.com/openai (Azure OpenAI)"
        ),
        docs_url="https://platform.openai.com/docs/api-reference/chat",
    )
    category = "ai"
    rate_headers: ClassVar[RateLimitHeaders | None] = replace(
        _window("requests"), tokens=_window("tokens")
    )
    check_path = "/models"
    configuration_fields: ClassVar[tuple[str, ...]] = tuple(OpenAISettings.model_fields)

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        return answers.judge(response, table)

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        listed = answer.get("data")
        count = len(listed) if isinstance(listed, list) else 0
        return f"Authenticated: {count} models available"

    @action()
    async def chat(self, ctx: ActionContext, params: ChatInput) -> ChatOutput:
        """Sends a conversation to a model and gives its answer (`POST /chat/completions`).

        Tools are functions the model may call (`tool_choice`: auto, none, required or one
        tool's name); `response_format` json asks for one JSON object, of `json_schema` when
        given (structured output). The call takes its estimated tokens from the token budget
        learned from OpenAI's headers."""
        settings = OpenAISettings.of(ctx.configuration)
        response = await ctx.http.request(
            "POST", settings.path(params.model, "/chat/completions"), params=settings.query,
            json=chat_body(params, settings), tokens=chat_tokens(params),
        )  # fmt: skip
        return read(OpenAICompletion, response.json()).ours()

    async def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]:
        """The answer of `chat` as it is written: OpenAI's Server-Sent Events as chunks, the
        last with why it ended and the tokens used."""
        settings = OpenAISettings.of(ctx.configuration)
        reader = StreamReader()
        async with ctx.http.stream(
            "POST", settings.path(params.model, "/chat/completions"), params=settings.query,
            json=stream_body(params, settings), tokens=chat_tokens(params),
        ) as answer:  # fmt: skip
            async for event in answer.events():
                chunk = reader.read(event.data)
                if chunk is not None:
                    yield chunk
                if reader.done:
                    break
        yield reader.last()

    @action(idempotent=True)
    async def embeddings(self, ctx: ActionContext, params: EmbeddingsInput) -> EmbeddingsOutput:
        """Embeds texts as vectors, one per text in order (`POST /embeddings`). A read sent as
        a POST: repeated after a failure as a GET is."""
        settings = OpenAISettings.of(ctx.configuration)
        response = await ctx.http.request(
            "POST", settings.path(params.model, "/embeddings"), params=settings.query,
            json=embeddings_body(params), tokens=embeddings_tokens(params),
        )  # fmt: skip
        return read(OpenAIEmbeddings, response.json()).ours()

    @action()
    async def list_models(self, ctx: ActionContext, params: ListModelsInput) -> ModelList:
        """Lists the models the key may use (`GET /models`)."""
        settings = OpenAISettings.of(ctx.configuration)
        response = await ctx.http.get("/models", params=settings.query)
        listed = read(OpenAIModels, response.json())
        return ModelList(items=[model_info(model) for model in listed.data])
