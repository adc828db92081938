"""`anthropic`: Claude through Anthropic's Messages API (`POST /v1/messages`) and its list of
models (`GET /v1/models`), with the `x-api-key` and `anthropic-version` headers.

Anthropic's errors are `{"type": "error", "error": {"type", "message"}}`: its message goes to
the error's details. `overloaded_error` (529) is a 5xx, retried only when the request may be
repeated (a chat is not: Anthropic dedupes nothing, and a second answer is paid twice);
`rate_limit_error` (429) waits for `retry-after`. The budget learns its requests window from
`anthropic-ratelimit-requests-*`, its token window from `anthropic-ratelimit-input-tokens-*` and
its output-token window from `anthropic-ratelimit-output-tokens-*` (resets in RFC 3339): a chat
declares its prompt's estimated tokens against the first and its `max_tokens` against the second
(Anthropic counts a request's output tokens from its `max_tokens` before answering), so one that
either window cannot hold waits for its reset or is refused before Anthropic says 429.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from interlink.core.errors import ExternalServiceError
from interlink.providers.anthropic.answers import AnthropicMessage, StreamReader, model_info
from interlink.providers.anthropic.requests import message_body
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatOutput,
    ListModelsInput,
    ModelList,
    estimated_tokens,
)
from interlink.providers.kit.pagination import BodyCursor, Pagination
from interlink.providers.kit.types import IntegrationType
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.headers import RateLimitHeaders

API_VERSION = "2023-06-01"
MODELS_PAGE = 1000  # the most /v1/models gives in one page


def _window(name: str) -> RateLimitHeaders:
    prefix = f"anthropic-ratelimit-{name}"
    return RateLimitHeaders(f"{prefix}-limit", f"{prefix}-remaining", f"{prefix}-reset", "iso8601")


class AnthropicConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "anthropic",
        "Anthropic",
        "Claude models on Anthropic's Messages API: chat with tools and streaming, the models",
        "https://api.anthropic.com",
        "api_key",
        auth_methods=("api_key",),
        docs_url="https://docs.anthropic.com/en/api/messages",
    )
    category = "ai"
    errors: ClassVar[ErrorTable] = ErrorTable(
        {529: Verdict(Disposition.RETRY, ExternalServiceError)}  # overloaded_error
    )
    # The requests window; the input tokens' as the token budget a chat's prompt takes from,
    # the output tokens' as the one its max_tokens take from.
    rate_headers: ClassVar[RateLimitHeaders | None] = replace(
        _window("requests"), tokens=_window("input-tokens"), output_tokens=_window("output-tokens")
    )
    pagination: ClassVar[Pagination | None] = BodyCursor(
        items="data", has_more="has_more", item_cursor="id", param="after_id", size="limit"
    )
    check_path = "/v1/models"
    configuration_fields: ClassVar[tuple[str, ...]] = ("default_max_tokens",)

    @classmethod
    def auth_headers(cls, auth_method: str, credentials: Mapping[str, Any]) -> dict[str, str]:
        return {
            "x-api-key": str(credentials.get("api_key") or ""),
            "anthropic-version": API_VERSION,
        }

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return "Connected to Anthropic"

    @action()
    async def chat(self, ctx: ActionContext, params: ChatInput) -> ChatOutput:
        """Sends a conversation to a Claude model and gives its answer (`POST /v1/messages`).

        System messages become the system prompt, tools and tool results Anthropic's
        `tool_use` and `tool_result` blocks; without `max_tokens`, the integration's
        `default_max_tokens` or the model's own limit (at most what the key's output-token
        window holds) is sent, as Anthropic requires one."""
        body = message_body(params, ctx.configuration, ctx.http.window_room("output_tokens"))
        response = await ctx.http.post(
            "/v1/messages", json=body, tokens=estimated_tokens(params),
            output_tokens=body["max_tokens"],
        )  # fmt: skip
        return AnthropicMessage.model_validate(response.json()).ours()

    async def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]:
        """The answer of `chat` as it is written: Anthropic's Server-Sent Events as chunks, the
        last with why it stopped and the tokens used."""
        room = ctx.http.window_room("output_tokens")
        body = message_body(params, ctx.configuration, room) | {"stream": True}
        reader = StreamReader()
        tokens, most = estimated_tokens(params), body["max_tokens"]
        async with ctx.http.stream(
            "POST", "/v1/messages", json=body, tokens=tokens, output_tokens=most
        ) as answer:
            async for event in answer.events():
                chunk = reader.read(event.event, event.data)
                if chunk is not None:
                    yield chunk
        reader.finish()

    @action()
    async def list_models(self, ctx: ActionContext, params: ListModelsInput) -> ModelList:
        """Lists the Claude models the key may use, newest first (`GET /v1/models`)."""
        paged = await ctx.paginate("/v1/models", limit=10_000, page_size=MODELS_PAGE)
        return ModelList(items=[model_info(model) for model in paged.items])
