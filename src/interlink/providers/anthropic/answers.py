"""Anthropic's answers as ours: a message (`ChatOutput`), a stream of events (`ChatChunk`s), a
model (`ModelInfo`), and an error event in a stream (our error)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from interlink.core.errors import ExternalServiceError, InterlinkError, RateLimitExceeded
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatMessage,
    ChatOutput,
    FinishReason,
    ModelInfo,
    ToolCall,
    ToolCallDelta,
    Usage,
)

# Why Anthropic stopped, in our words (`pause_turn`: a server tool's long turn, to be continued).
FINISH: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


class AnthropicUsage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    def ours(self) -> Usage:
        """The prompt counts cached tokens too: Anthropic's `input_tokens` leaves them out."""
        cached = (self.cache_creation_input_tokens or 0) + (self.cache_read_input_tokens or 0)
        return Usage(prompt_tokens=self.input_tokens + cached, completion_tokens=self.output_tokens)


class AnthropicMessage(BaseModel):
    id: str
    model: str
    content: list[dict[str, Any]] = Field(default_factory=list)
    stop_reason: str | None = None
    usage: AnthropicUsage = Field(default_factory=AnthropicUsage)

    def ours(self) -> ChatOutput:
        text = "".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")
        calls = [tool_call(block) for block in self.content if block.get("type") == "tool_use"]
        message = ChatMessage(role="assistant", content=text or None, tool_calls=calls)
        return ChatOutput(
            id=self.id,
            model=self.model,
            message=message,
            finish_reason=finish_reason(self.stop_reason),
            usage=self.usage.ours(),
        )


def tool_call(block: Mapping[str, Any]) -> ToolCall:
    arguments = json.dumps(block.get("input") or {}, separators=(",", ":"))
    return ToolCall(
        id=str(block.get("id", "")), name=str(block.get("name", "")), arguments=arguments
    )


def finish_reason(stop_reason: str | None) -> FinishReason:
    return FINISH.get(stop_reason or "end_turn", "stop")


def model_info(model: Mapping[str, Any]) -> ModelInfo:
    window = model.get("max_input_tokens")
    return ModelInfo(
        id=str(model["id"]),
        owned_by="anthropic",
        context_window=window if isinstance(window, int) else None,
    )


class StreamReader:
    """Reads one streamed message's events in order into chunks: `message_start` (the prompt's
    tokens), `content_block_start` and `content_block_delta` (text, and each tool call's id,
    name and argument pieces), `message_delta` (why it stopped, the tokens so far),
    `message_stop`. `ping` and block kinds it does not show (thinking) give nothing; an `error`
    event raises."""

    def __init__(self) -> None:
        self.usage = AnthropicUsage()
        self.tools: dict[int, int] = {}  # content block index -> tool-call index
        self.stopped = False

    def read(self, event: str | None, data: str) -> ChatChunk | None:
        try:
            payload = json.loads(data)
        except ValueError:
            raise ExternalServiceError(
                "The external system's stream sent an event that is not JSON"
            ) from None
        kind = event or (payload.get("type") if isinstance(payload, dict) else None)
        if not isinstance(payload, dict):
            raise ExternalServiceError(
                "The external system's stream sent an event that is not an object"
            )
        if kind == "error":
            raise stream_error(payload)
        if kind == "message_start":
            self.usage = AnthropicUsage.model_validate(payload["message"].get("usage") or {})
        elif kind == "content_block_start":
            return self._start(int(payload["index"]), payload["content_block"])
        elif kind == "content_block_delta":
            return self._delta(int(payload["index"]), payload["delta"])
        elif kind == "message_delta":
            return self._end(payload)
        elif kind == "message_stop":
            self.stopped = True
        return None

    def _start(self, index: int, block: Mapping[str, Any]) -> ChatChunk | None:
        if block.get("type") == "tool_use":
            self.tools[index] = len(self.tools)
            call = ToolCallDelta(
                index=self.tools[index], id=block.get("id"), name=block.get("name")
            )
            return ChatChunk(tool_calls=[call])
        if block.get("type") == "text" and block.get("text"):
            return ChatChunk(content=str(block["text"]))
        return None

    def _delta(self, index: int, delta: Mapping[str, Any]) -> ChatChunk | None:
        if delta.get("type") == "text_delta":
            return ChatChunk(content=str(delta.get("text", "")))
        if delta.get("type") == "input_json_delta" and index in self.tools:
            piece = ToolCallDelta(
                index=self.tools[index], arguments=str(delta.get("partial_json", ""))
            )
            return ChatChunk(tool_calls=[piece])
        return None

    def _end(self, payload: Mapping[str, Any]) -> ChatChunk:
        counted = payload.get("usage") or {}  # cumulative counts, of the output at least
        fields = AnthropicUsage.model_fields
        update = {k: v for k, v in counted.items() if k in fields and isinstance(v, int)}
        self.usage = self.usage.model_copy(update=update)
        stop_reason = (payload.get("delta") or {}).get("stop_reason")
        return ChatChunk(finish_reason=finish_reason(stop_reason), usage=self.usage.ours())

    def finish(self) -> None:
        """Raises when the stream ended before Anthropic's `message_stop`: it was cut."""
        if not self.stopped:
            raise ExternalServiceError("The external system's stream ended before the message did")


def stream_error(payload: Mapping[str, Any]) -> InterlinkError:
    """An `error` event sent mid-stream (after the 200), as our error."""
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    assert isinstance(error, dict)
    kind, message = str(error.get("type", "api_error")), str(error.get("message", ""))
    details = [{"provider_code": kind, "provider_message": message}]
    if kind == "rate_limit_error":
        return RateLimitExceeded("The external system's rate limit is spent", details=details)
    return ExternalServiceError(
        f"The external system's stream failed ({kind}: {message})", details=details
    )
