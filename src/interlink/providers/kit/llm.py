"""What every language-model provider's actions take and give (openai, anthropic, gemini,
ollama): one chat request and answer, one streamed chunk, one embeddings request and answer, one
model list. The gateway, routes, usage accounting and the `llm` workflow step treat every
provider alike through them; each provider translates them to its own API and back.

A provider of language models is a `Connector` with the actions `chat`, `embeddings` and
`list_models` taking and giving these models, and a `stream_chat` method (not an action: it
yields) that gives the same answer as `ChatChunk`s (`LanguageModels`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from interlink.providers.kit.context import ActionContext

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
CHARS_PER_TOKEN = 4  # a rough English average, for estimates before a tokenizer's count


class ToolCall(BaseModel):
    id: str = Field(description="The call's id, echoed by the tool message that answers it")
    name: str = Field(description="The tool called")
    arguments: str = Field(description="The arguments, as JSON text (a model may write it badly)")


class ChatMessage(BaseModel):
    role: Role
    content: str | None = Field(None, description="The text; none for a tool-calling answer")
    name: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list, description="An assistant's calls")
    tool_call_id: str | None = Field(None, description="A tool message: the call it answers")


class Tool(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The tool's name")
    description: str = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="A JSON Schema of its arguments (an object)",
    )


class ChatInput(BaseModel):
    model: str = Field(min_length=1, max_length=200, description="The provider's model name")
    messages: list[ChatMessage] = Field(min_length=1, max_length=2000)
    tools: list[Tool] = Field(default_factory=list, max_length=128)
    tool_choice: str = Field(
        "auto", description="auto, none, required, or the name of the one tool to call"
    )
    response_format: Literal["text", "json"] = Field(
        "text", description="json: the answer is one JSON value (of `json_schema` when given)"
    )
    json_schema: dict[str, Any] | None = Field(None, description="Structured output's schema")
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    stop: list[str] = Field(default_factory=list, max_length=4)


class Usage(BaseModel):
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatOutput(BaseModel):
    id: str = Field(description="The provider's id of the answer")
    model: str = Field(description="The model that answered (the provider's exact name)")
    message: ChatMessage
    finish_reason: FinishReason
    usage: Usage


class ToolCallDelta(BaseModel):
    index: int = Field(ge=0, description="Which call of the answer this adds to")
    id: str | None = None
    name: str | None = None
    arguments: str = Field("", description="More of the arguments' JSON text")


class ChatChunk(BaseModel):
    """A piece of a streamed answer: text and tool-call pieces to append, and, on the last,
    why it ended and (when the provider says) the usage."""

    model_config = ConfigDict(frozen=True)

    content: str = ""
    tool_calls: list[ToolCallDelta] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None


class EmbeddingsInput(BaseModel):
    model: str = Field(min_length=1, max_length=200)
    input: list[str] = Field(min_length=1, max_length=2048, description="The texts to embed")
    dimensions: int | None = Field(None, ge=1, le=65_536)


class EmbeddingsOutput(BaseModel):
    model: str
    vectors: list[list[float]] = Field(description="One vector per input text, in order")
    usage: Usage


class ListModelsInput(BaseModel):
    pass


class ModelInfo(BaseModel):
    id: str = Field(description="The name to give as `model`")
    owned_by: str | None = None
    context_window: int | None = Field(None, description="Tokens of prompt and answer, if said")


class ModelList(BaseModel):
    items: list[ModelInfo]


class LanguageModels(Protocol):
    """What the gateway, routes and the `llm` step ask of a language-model provider."""

    async def chat(self, ctx: ActionContext, params: ChatInput) -> ChatOutput: ...

    def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]: ...

    async def embeddings(self, ctx: ActionContext, params: EmbeddingsInput) -> EmbeddingsOutput: ...

    async def list_models(self, ctx: ActionContext, params: ListModelsInput) -> ModelList: ...


def estimated_tokens(params: ChatInput) -> int:
    """The prompt's size in tokens, estimated before the call (budgets, routing) from its
    characters: the messages, the tools' schemas and the structured output's schema."""
    texts = [m.content or "" for m in params.messages]
    texts += [c.arguments for m in params.messages for c in m.tool_calls]
    texts += [json.dumps(t.model_dump()) for t in params.tools]
    if params.json_schema is not None:
        texts.append(json.dumps(params.json_schema))
    return max(1, sum(len(text) for text in texts) // CHARS_PER_TOKEN)
