"""OpenAI's chat completions, embeddings and models, as its API reference and official SDK give
them, translated to the kit's shapes (`providers.kit.llm`) and back. Fields the kit has no use
for (`user`, `seed`, `logprobs`...) are accepted and left out; `n` above 1 is refused."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from interlink.ai.gateway.service import Served
from interlink.core.errors import InterlinkError, InvalidRequest
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatMessage,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    ModelInfo,
    ToolCall,
    Usage,
)

_FINISH = {"error": "stop"}  # ours that OpenAI has not


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FunctionCall(_Open):
    name: str
    arguments: str = "{}"


class MessageToolCall(_Open):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[MessageToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None

    def text(self) -> str | None:
        """The content's text (its text parts joined); other parts are refused."""
        if self.content is None or isinstance(self.content, str):
            return self.content
        kinds = {part.get("type") for part in self.content} - {"text"}
        if kinds:
            raise InvalidRequest(f"Content parts of type {sorted(map(str, kinds))} are not served")
        return "".join(str(part.get("text", "")) for part in self.content)


class Function(_Open):
    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolSpec(_Open):
    type: Literal["function"] = "function"
    function: Function


class StreamOptions(_Open):
    include_usage: bool = False


class ChatRequest(_Open):
    """`POST /chat/completions`."""

    model: str = Field(min_length=1, max_length=300)
    messages: list[Message] = Field(min_length=1)
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    n: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    quality: Literal["economy", "standard", "high"] | None = Field(
        None, description="Interlink: the quality a route's target must have"
    )

    @field_validator("n")
    @classmethod
    def _one_choice(cls, value: int | None) -> int | None:
        if value not in (None, 1):
            raise ValueError("only one choice (n=1) is served")
        return value

    def chat_input(self) -> ChatInput:
        return ChatInput.model_validate(
            dict(
                model=self.model,
                messages=[_message(m) for m in self.messages],
                # as data, so that a bad tool's error names where it is (tools.0.name)
                tools=[
                    t.function.model_dump(include={"name", "description", "parameters"})
                    for t in self.tools
                ],
                tool_choice=_tool_choice(self.tool_choice),
                response_format="text" if _format(self.response_format) is None else "json",
                json_schema=_format(self.response_format),
                max_tokens=self.max_completion_tokens or self.max_tokens,
                temperature=self.temperature,
                top_p=self.top_p,
                stop=[self.stop] if isinstance(self.stop, str) else list(self.stop or []),
            )
        )


def _message(message: Message) -> ChatMessage:
    role = "system" if message.role == "developer" else message.role
    calls = [
        ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments)
        for c in message.tool_calls
    ]
    return ChatMessage(
        role=role,
        content=message.text(),
        name=message.name,
        tool_calls=calls,
        tool_call_id=message.tool_call_id,
    )


def _tool_choice(choice: str | dict[str, Any] | None) -> str:
    if choice is None or isinstance(choice, str):
        return choice or "auto"
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str):
        raise InvalidRequest("tool_choice: give auto, none, required or a function's name")
    return name


def _format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """None for text; the schema for JSON (`{}` for any JSON object)."""
    kind = (response_format or {}).get("type", "text")
    if kind == "text":
        return None
    if kind == "json_object":
        return {}
    if kind == "json_schema":
        schema = (response_format or {}).get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else {}
    raise InvalidRequest(
        f"response_format type {kind!r} is not one of text, json_object, json_schema"
    )


class EmbeddingsRequest(_Open):
    model: str = Field(min_length=1, max_length=300)
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None

    def embeddings_input(self) -> EmbeddingsInput:
        texts = [self.input] if isinstance(self.input, str) else self.input
        return EmbeddingsInput(model=self.model, input=texts, dimensions=self.dimensions)


# -- answers --------------------------------------------------------------------------------------
def served_by(served: Served) -> dict[str, Any]:
    """What Interlink adds to an answer (OpenAI's objects allow more fields)."""
    return {
        "integration_id": served.integration_id,
        "integration": served.integration,
        "model": served.model,
        "route": served.route,
        "route_version": served.route_version,
        "fallbacks": served.fallbacks,
        "cost": str(served.cost),
    }


def headers(served: Served, *, cost: bool = True) -> dict[str, str]:
    found = {
        "x-interlink-integration": served.integration_id,
        "x-interlink-model": served.model,
    }
    if served.route is not None:
        found["x-interlink-route"] = f"{served.route}@{served.route_version}"
    if cost:
        found["x-interlink-cost"] = str(served.cost)
    return found


def usage(used: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": used.prompt_tokens,
        "completion_tokens": used.completion_tokens,
        "total_tokens": used.total_tokens,
    }


def completion(output: ChatOutput, served: Served, created: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": output.message.content,
        "refusal": None,
    }
    if output.message.tool_calls:
        message["tool_calls"] = [_call(call) for call in output.message.tool_calls]
    return {
        "id": output.id,
        "object": "chat.completion",
        "created": created,
        "model": output.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _FINISH.get(output.finish_reason, output.finish_reason),
                "logprobs": None,
            }
        ],
        "usage": usage(output.usage),
        "system_fingerprint": None,
        "interlink": served_by(served),
    }


def _call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


class ChunkWriter:
    """One streamed answer's `chat.completion.chunk` objects, as SSE `data:` lines."""

    def __init__(self, answer_id: str, model: str, created: int) -> None:
        self.base = {
            "id": answer_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        self.started = False

    def chunk(self, chunk: ChatChunk) -> bytes:
        delta: dict[str, Any] = {}
        if not self.started:
            delta["role"], self.started = "assistant", True
        if chunk.content:
            delta["content"] = chunk.content
        if chunk.tool_calls:
            delta["tool_calls"] = [_delta(part) for part in chunk.tool_calls]
        finish = (
            None
            if chunk.finish_reason is None
            else _FINISH.get(chunk.finish_reason, chunk.finish_reason)
        )
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return sse({**self.base, "choices": [choice]})

    def usage(self, used: Usage, served: Served) -> bytes:
        """The last chunk `stream_options.include_usage` asks for: no choice, the usage."""
        return sse(
            {**self.base, "choices": [], "usage": usage(used), "interlink": served_by(served)}
        )


def _delta(part: Any) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": part.arguments}
    if part.name is not None:
        function["name"] = part.name
    found: dict[str, Any] = {"index": part.index, "function": function}
    if part.id is not None:
        found["id"], found["type"] = part.id, "function"
    return found


def sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def embeddings(output: EmbeddingsOutput, served: Served, encoding: str) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _vector(vector, encoding)}
            for index, vector in enumerate(output.vectors)
        ],
        "model": output.model,
        "usage": {
            "prompt_tokens": output.usage.prompt_tokens,
            "total_tokens": output.usage.total_tokens,
        },
        "interlink": served_by(served),
    }


def _vector(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()  # float32, LE


def models(found: list[ModelInfo], created: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {
                "id": m.id,
                "object": "model",
                "created": created,
                "owned_by": m.owned_by or "interlink",
            }
            for m in found
        ],
    }


# -- errors ---------------------------------------------------------------------------------------
_STATUS = {"RATE_LIMIT_EXCEEDED": 429}  # OpenAI's clients wait and retry a 429
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error(failure: InterlinkError) -> tuple[int, dict[str, Any]]:
    """OpenAI's error object, our code in `code` and our details beside."""
    status = _STATUS.get(failure.code, failure.status_code)
    body = {
        "message": failure.message,
        "type": _TYPES.get(status, "api_error"),
        "param": None,
        "code": failure.code,
        "details": failure.details,
    }
    return status, {"error": body}
