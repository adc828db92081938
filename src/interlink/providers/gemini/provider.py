"""`gemini`: Google's Gemini models on the Gemini API (`generativelanguage.googleapis.com/v1beta`):
`models/{model}:generateContent`, its stream `:streamGenerateContent?alt=sse`,
`:batchEmbedContents` and the list of models (`/models`, paged by `pageToken`).

The API key goes in the `x-goog-api-key` header, never in the URL (Google also takes `?key=`,
which would put it in logs). Gemini sends no rate-limit headers: a 429 `RESOURCE_EXHAUSTED`
is waited out for its `RetryInfo` delay and retried. A chat or an embedding changes nothing at
Google, so it may be repeated after a 5xx (an overloaded model's 503), as Google's own SDK does.
Each call declares its prompt's estimated tokens to the integration's token budget.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from interlink.core.errors import ParameterValidationError
from interlink.providers.gemini import errors
from interlink.providers.gemini.answer import ChunkReader, chat_output
from interlink.providers.gemini.request import generate_body, model_path
from interlink.providers.gemini.wire import (
    BatchEmbedContentsResponse,
    GenerateContentResponse,
    Model,
    read,
)
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatChunk,
    ChatInput,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    ListModelsInput,
    ModelInfo,
    ModelList,
    Usage,
    estimated_tokens,
)
from interlink.providers.kit.pagination import PageToken, Pagination
from interlink.providers.kit.types import IntegrationType
from interlink.transport.classify import ErrorTable, Verdict
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

MODELS_PAGE = 1000  # the most `/models` gives in one page
_MODEL = re.compile(r"(models|tunedModels)/[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _model(name: str) -> str:
    """The model's resource name (`models/<name>`), refused when it could change the path."""
    path = model_path(name)
    if not _MODEL.fullmatch(path) or ".." in path:
        raise ParameterValidationError(
            f"Not a Gemini model name: {name!r}", details=[{"field": "model"}]
        )
    return path


def model_info(model: Model) -> ModelInfo:
    name = model.name.removeprefix("models/")
    return ModelInfo(id=name, owned_by="google", context_window=model.input_token_limit)


class GeminiConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "gemini",
        "Gemini",
        "Google's Gemini models: chat with tools, JSON output and streaming, embeddings, models",
        "https://generativelanguage.googleapis.com/v1beta",
        "api_key",
        auth_methods=("api_key",),
        docs_url="https://ai.google.dev/api",
    )
    category = "ai"
    rate_headers: ClassVar[RateLimitHeaders | None] = None  # Gemini sends none
    pagination: ClassVar[Pagination | None] = PageToken(items="models", omits_empty=True)
    check_path = "/models"

    @classmethod
    def auth_headers(cls, auth_method: str, credentials: Mapping[str, Any]) -> dict[str, str]:
        return {"x-goog-api-key": str(credentials.get("api_key") or "")}

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        return errors.judge(response, table)

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return "Connected to the Gemini API"

    @action()  # sent once, as every paid chat: a dropped connection may have been billed
    async def chat(self, ctx: ActionContext, params: ChatInput) -> ChatOutput:
        """Sends a conversation to a Gemini model and gives its answer (`generateContent`).

        System messages become the system instruction, tools Gemini's function declarations,
        JSON output `responseMimeType: application/json` (with the schema when given). An
        answer Gemini's safety filters stopped ends as `content_filter`."""
        path = f"/{_model(params.model)}:generateContent"
        tokens = estimated_tokens(params)
        response = await ctx.http.post(path, json=generate_body(params), tokens=tokens)
        return chat_output(read(GenerateContentResponse, response.json()), params.model)

    async def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]:
        """The answer of `chat` as it is written (`streamGenerateContent?alt=sse`): each event is
        one `GenerateContentResponse`; the last says why it ended and the tokens used."""
        path = f"/{_model(params.model)}:streamGenerateContent"
        reader, body, tokens = ChunkReader(), generate_body(params), estimated_tokens(params)
        sse = {"alt": "sse"}
        async with ctx.http.stream("POST", path, params=sse, json=body, tokens=tokens) as answer:
            async for event in answer.events():
                yield reader.read(event.data)
        reader.finish()

    @action(idempotent=True)
    async def embeddings(self, ctx: ActionContext, params: EmbeddingsInput) -> EmbeddingsOutput:
        """Embeds each text with a Gemini embedding model (`batchEmbedContents`), in order;
        `dimensions` asks for shorter vectors (`outputDimensionality`)."""
        model = _model(params.model)
        size = {"outputDimensionality": params.dimensions} if params.dimensions else {}
        requests = [{"model": model, "content": {"parts": [{"text": text}]}} | size
                    for text in params.input]  # fmt: skip
        response = await ctx.http.post(f"/{model}:batchEmbedContents", json={"requests": requests})
        answer = read(BatchEmbedContentsResponse, response.json())
        vectors = [embedding.values for embedding in answer.embeddings]
        counted = answer.usage_metadata.prompt_token_count if answer.usage_metadata else 0
        # Gemini's embeddings answer says no tokens on most models: then they are estimated.
        tokens = counted or sum(len(text) for text in params.input) // CHARS_PER_TOKEN
        return EmbeddingsOutput(model=params.model, vectors=vectors,
                                usage=Usage(prompt_tokens=tokens))  # fmt: skip

    @action()
    async def list_models(self, ctx: ActionContext, params: ListModelsInput) -> ModelList:
        """Lists the Gemini models the key may use (`GET /models`, every page)."""
        paged = await ctx.paginate("/models", limit=10_000, page_size=MODELS_PAGE)
        return ModelList(items=[model_info(read(Model, model)) for model in paged.items])
