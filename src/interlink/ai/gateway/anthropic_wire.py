"""Anthropic's Messages API, as its API reference and official SDK give it, translated to the
kit's shapes (`providers.kit.llm`) and back: the system prompt, text, tool_use and tool_result
blocks, tools and tool_choice, and the stream's events (message_start, content_block_start,
content_block_delta, content_block_stop, message_delta, message_stop)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interlink.ai.gateway.openai_wire import served_by
from interlink.ai.gateway.service import Served
from interlink.core.errors import InterlinkError, InvalidRequest
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatMessage,
    ChatOutput,
    FinishReason,
    ModelInfo,
    ToolCall,
    Usage,
)

_STOP: dict[FinishReason, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Block(_Open):
    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None
    tool_use_id: str | None = None
    content: str | list[dict[str, Any]] | None = None


class Message(_Open):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class ToolSpec(_Open):
    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class MessagesRequest(_Open):
    """`POST /v1/messages`."""

    model: str = Field(min_length=1, max_length=300)
    max_tokens: int = Field(ge=1)
    messages: list[Message] = Field(min_length=1)
    system: str | list[Block] | None = None
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] = Field(default_factory=list)
    stream: bool = False
    quality: Literal["economy", "standard", "high"] | None = Field(
        None, description="Interlink: the quality a route's target must have"
    )

    def chat_input(self) -> ChatInput:
        messages = [ChatMessage(role="system", content=_text(self.system))] if self.system else []
        for message in self.messages:
            messages += _messages(message)
        tools = [  # as data, so that a bad tool's error names where it is (tools.0.name)
            {"name": t.name, "description": t.description, "parameters": t.input_schema}
            for t in self.tools
        ]
        return ChatInput.model_validate(
            dict(
                model=self.model,
                messages=messages,
                tools=tools,
                tool_choice=_tool_choice(self.tool_choice),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                top_p=self.top_p,
                stop=self.stop_sequences,
            )
        )


def _text(content: str | list[Block] | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    blocks = [b if isinstance(b, Block) else Block.model_validate(b) for b in content]
    return "".join(block.text or "" for block in blocks if block.type == "text")


def _messages(message: Message) -> list[ChatMessage]:
    """One of Anthropic's messages as the kit's: tool results become tool messages."""
    if isinstance(message.content, str):
        return [ChatMessage(role=message.role, content=message.content)]
    kinds = {block.type for block in message.content} - {"text", "tool_use", "tool_result"}
    if kinds:
        raise InvalidRequest(f"Content blocks of type {sorted(kinds)} are not served")
    results = [
        ChatMessage(role="tool", tool_call_id=block.tool_use_id, content=_text(block.content))
        for block in message.content
        if block.type == "tool_result"
    ]
    calls = [
        ToolCall(id=block.id or "", name=block.name or "", arguments=json.dumps(block.input or {}))
        for block in message.content
        if block.type == "tool_use"
    ]
    text = _text(message.content)
    if not text and not calls:
        return results
    return [*results, ChatMessage(role=message.role, content=text or None, tool_calls=calls)]


def _tool_choice(choice: dict[str, Any] | None) -> str:
    kind = (choice or {}).get("type", "auto")
    if kind == "tool":
        return str((choice or {}).get("name", ""))
    return {"auto": "auto", "any": "required", "none": "none"}.get(kind, "auto")


# -- answers --------------------------------------------------------------------------------------
def message(output: ChatOutput, served: Served) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if output.message.content:
        content.append({"type": "text", "text": output.message.content})
    content += [_tool_use(call) for call in output.message.tool_calls]
    return {
        "id": output.id,
        "type": "message",
        "role": "assistant",
        "model": output.model,
        "content": content,
        "stop_reason": _STOP[output.finish_reason],
        "stop_sequence": None,
        "usage": _usage(output.usage),
        "interlink": served_by(served),
    }


def _tool_use(call: ToolCall) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        arguments = {"_unparsed": call.arguments}  # a model may write bad JSON
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def _usage(used: Usage) -> dict[str, int]:
    return {"input_tokens": used.prompt_tokens, "output_tokens": used.completion_tokens}


def event(name: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps({"type": name, **data}, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


class EventWriter:
    """One streamed answer's events: a block opens when its kind of content starts (text, or
    each tool call) and closes when another starts or the answer ends."""

    def __init__(self, answer_id: str, model: str, prompt_tokens: int) -> None:
        self.answer_id, self.model, self.prompt_tokens = answer_id, model, prompt_tokens
        self.block = -1
        self.open: tuple[str, int] | None = None  # ("text", 0) or ("tool", the call's index)
        self.stop: FinishReason = "stop"

    def start(self) -> bytes:
        started: dict[str, Any] = {
            "id": self.answer_id, "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": self.prompt_tokens, "output_tokens": 0},
        }  # fmt: skip
        return event("message_start", {"message": started})

    def chunk(self, chunk: ChatChunk) -> bytes:
        out = b""
        if chunk.content:
            out += self._switch(("text", 0), {"type": "text", "text": ""})
            out += self._delta({"type": "text_delta", "text": chunk.content})
        for part in chunk.tool_calls:
            use = {"type": "tool_use", "id": part.id or "", "name": part.name or "", "input": {}}
            out += self._switch(("tool", part.index), use)
            if part.arguments:
                out += self._delta({"type": "input_json_delta", "partial_json": part.arguments})
        self.stop = chunk.finish_reason or self.stop
        return out

    def end(self, used: Usage, served: Served) -> bytes:
        out = self._close()
        delta = {"stop_reason": _STOP[self.stop], "stop_sequence": None}
        out += event("message_delta", {"delta": delta, "usage": _usage(used)})
        return out + event("message_stop", {"interlink": served_by(served)})

    def _switch(self, block: tuple[str, int], opening: dict[str, Any]) -> bytes:
        if self.open == block:
            return b""
        out = self._close()
        self.block, self.open = self.block + 1, block
        return out + event("content_block_start", {"index": self.block, "content_block": opening})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return event("content_block_delta", {"index": self.block, "delta": delta})

    def _close(self) -> bytes:
        if self.open is None:
            return b""
        self.open = None
        return event("content_block_stop", {"index": self.block})


def models(found: list[ModelInfo]) -> dict[str, Any]:
    """Anthropic's page of models, all on one page; a release date Interlink does not know is
    the epoch, as Anthropic gives it then."""
    data = [
        {"type": "model", "id": m.id, "display_name": m.id, "created_at": "1970-01-01T00:00:00Z",
         "lifecycle": "active"}
        for m in found
    ]  # fmt: skip
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    return {"data": data, "has_more": False, "first_id": first, "last_id": last}


# -- errors ---------------------------------------------------------------------------------------
_STATUS = {"RATE_LIMIT_EXCEEDED": 429}
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error(failure: InterlinkError) -> tuple[int, dict[str, Any]]:
    """Anthropic's error object, with our code and details beside its type and message."""
    status = _STATUS.get(failure.code, failure.status_code)
    body = {
        "type": _TYPES.get(status, "api_error"),
        "message": failure.message,
        "code": failure.code,
        "details": failure.details,
    }
    return status, {"type": "error", "error": body}
