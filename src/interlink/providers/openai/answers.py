"""OpenAI's answers as ours: a chat completion (`ChatOutput`), its streamed chunks
(`ChatChunk`s), embeddings, a model; and what its error answers mean.

Errors are `{"error": {"message", "type", "param", "code"}}`; the message goes to the error's
details (the transport reads it). By status, with OpenAI's codes: a prompt over the model's
context (`context_length_exceeded`) and a prompt refused by a content filter (`content_filter`,
Azure's) are 400 INVALID_OPERATION; an unknown model 404; a 429 is a spent rate
(`rate_limit_exceeded`: waited out, for `retry-after-ms` or `retry-after`) unless it is a spent
quota (`insufficient_quota`: billing, which waiting does not mend, so RATE_LIMIT_EXCEEDED at
once); 5xx (`server_error`, an overloaded engine 503) retried only when the request may be.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from interlink.core.errors import ExternalServiceError, InterlinkError, RateLimitExceeded
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatMessage,
    ChatOutput,
    EmbeddingsOutput,
    FinishReason,
    ModelInfo,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.response import ProviderResponse

FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",  # the deprecated functions API
    "content_filter": "content_filter",
}
QUOTA = "insufficient_quota"


class OpenAIUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def ours(self) -> Usage:
        return Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)


class OpenAIFunction(BaseModel):
    name: str = ""
    arguments: str = ""


class OpenAIToolCall(BaseModel):
    id: str
    function: OpenAIFunction


class OpenAIMessage(BaseModel):
    content: str | None = None
    refusal: str | None = None  # structured output the model declined to give
    tool_calls: list[OpenAIToolCall] | None = None


class OpenAIChoice(BaseModel):
    message: OpenAIMessage
    finish_reason: str | None = None


class OpenAICompletion(BaseModel):
    id: str
    model: str
    choices: list[OpenAIChoice] = Field(min_length=1)
    usage: OpenAIUsage = Field(default_factory=OpenAIUsage)

    def ours(self) -> ChatOutput:
        choice = self.choices[0]
        said = choice.message
        calls = [
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in said.tool_calls or []
        ]
        reason = finish_reason(choice.finish_reason)
        if said.content is None and said.refusal is not None:
            reason = "content_filter"
        message = ChatMessage(
            role="assistant", content=said.content or said.refusal, tool_calls=calls
        )
        return ChatOutput(
            id=self.id, model=self.model, message=message, finish_reason=reason,
            usage=self.usage.ours(),
        )  # fmt: skip


class OpenAIEmbedding(BaseModel):
    index: int
    embedding: list[float]


class OpenAIEmbeddings(BaseModel):
    model: str
    data: list[OpenAIEmbedding]
    usage: OpenAIUsage = Field(default_factory=OpenAIUsage)

    def ours(self) -> EmbeddingsOutput:
        vectors = [item.embedding for item in sorted(self.data, key=lambda item: item.index)]
        return EmbeddingsOutput(model=self.model, vectors=vectors, usage=self.usage.ours())


class OpenAIModel(BaseModel):
    id: str
    owned_by: str | None = None


class OpenAIModels(BaseModel):
    data: list[OpenAIModel]


Shape = TypeVar("Shape", bound=BaseModel)


def read(shape: type[Shape], data: Any) -> Shape:
    """OpenAI's answer as `shape`; one that is not is the external system's fault."""
    try:
        return shape.model_validate(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        raise ExternalServiceError(
            f"The external system answered with something that is not {shape.__name__}",
            details=[{"expected": shape.__name__, "at": ".".join(map(str, first["loc"])),
                      "problem": first["msg"]}],
        ) from None  # fmt: skip


def finish_reason(reason: str | None) -> FinishReason:
    return FINISH.get(reason or "stop", "stop")


def model_info(model: OpenAIModel) -> ModelInfo:
    return ModelInfo(id=model.id, owned_by=model.owned_by)


class OpenAIFunctionDelta(BaseModel):
    name: str | None = None
    arguments: str | None = None


class OpenAIToolCallDelta(BaseModel):
    index: int = 0
    id: str | None = None
    function: OpenAIFunctionDelta = Field(default_factory=OpenAIFunctionDelta)


class OpenAIDelta(BaseModel):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[OpenAIToolCallDelta] | None = None

    def piece(self) -> ChatChunk | None:
        calls = [
            ToolCallDelta(
                index=call.index, id=call.id, name=call.function.name,
                arguments=call.function.arguments or "",
            )
            for call in self.tool_calls or []
        ]  # fmt: skip
        content = self.content or self.refusal or ""
        return ChatChunk(content=content, tool_calls=calls) if content or calls else None


class OpenAIChunkChoice(BaseModel):
    delta: OpenAIDelta = Field(default_factory=OpenAIDelta)
    finish_reason: str | None = None


class OpenAIChunk(BaseModel):
    choices: list[OpenAIChunkChoice] = Field(default_factory=list)
    usage: OpenAIUsage | None = None


class StreamReader:
    """Reads a streamed completion's events in order into chunks: text and tool-call pieces as
    they come; why it ended and the usage (the last chunk's, `stream_options.include_usage`)
    together, once `[DONE]` says the stream is whole. An `error` in the stream raises."""

    def __init__(self) -> None:
        self.finish: FinishReason | None = None
        self.usage: Usage | None = None
        self.done = False

    def read(self, data: str) -> ChatChunk | None:
        if data.strip() == "[DONE]":
            self.done = True
            return None
        payload = _object(data)
        if "error" in payload:
            raise stream_error(payload["error"])
        chunk = read(OpenAIChunk, payload)
        if chunk.usage is not None:
            self.usage = chunk.usage.ours()
        first = chunk.choices[0] if chunk.choices else None
        if first is None:
            return None
        if first.finish_reason:
            self.finish = finish_reason(first.finish_reason)
        return first.delta.piece()

    def last(self) -> ChatChunk:
        """The chunk that ends the answer; raises when the stream was cut before `[DONE]`."""
        if not self.done:
            raise ExternalServiceError("The external system's stream ended before the answer did")
        return ChatChunk(finish_reason=self.finish or "stop", usage=self.usage)


def _object(data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        raise ExternalServiceError(
            "The external system's stream sent an event that is not JSON"
        ) from None
    if not isinstance(payload, dict):
        raise ExternalServiceError(
            "The external system's stream sent an event that is not an object"
        )
    return payload


def stream_error(error: Any) -> InterlinkError:
    """An error sent mid-stream (after the 200), as our error."""
    found = error if isinstance(error, dict) else {"message": str(error)}
    code = str(found.get("code") or found.get("type") or "server_error")
    message = str(found.get("message") or "")
    details = [{"provider_code": code, "provider_message": message}]
    if code == "rate_limit_exceeded":
        return RateLimitExceeded("The external system's rate limit is spent", details=details)
    return ExternalServiceError(
        f"The external system's stream failed ({code}: {message})", details=details
    )


def judge(response: ProviderResponse, table: ErrorTable) -> Verdict:
    """A 429 by its code: a spent quota fails at once, a spent rate waits for OpenAI's hint."""
    if response.status != 429:
        return judge_by_status(response, table)
    if error_code(response) == QUOTA:
        return Verdict(Disposition.FAIL, RateLimitExceeded)
    wait_ms = _number(response.headers.get("retry-after-ms"))
    return Verdict(
        Disposition.RATE_LIMITED, retry_after=None if wait_ms is None else wait_ms / 1000
    )


def error_code(response: ProviderResponse) -> str | None:
    """The `code` (else the `type`) of an error answer."""
    try:
        body = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code") or error.get("type")
    return code if isinstance(code, str) else None


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
