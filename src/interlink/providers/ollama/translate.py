"""Our language-model shapes (`kit/llm.py`) to Ollama's `/api/chat` and back.

Ollama takes a tool call's arguments as a JSON object (ours are JSON text), names the tool a
`tool` message answers with `tool_name` (ours point at the call's id), gives calls no id of its
own in older versions (we number them `call_<n>` then), puts the sampling settings under
`options` (`num_predict` is our `max_tokens`) and counts tokens as `prompt_eval_count` and
`eval_count`. It has no `tool_choice`: `none` sends no tools and a tool's name sends that tool
only; `required` cannot be forced and is sent as `auto`.
"""

from __future__ import annotations

import json
from typing import Any

from interlink.core.errors import ExternalServiceError, InvalidOperation
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatMessage,
    ChatOutput,
    FinishReason,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from interlink.providers.ollama.models import GenerateInput

Obj = dict[str, Any]


def chat_body(params: ChatInput, *, stream: bool) -> Obj:
    """The `/api/chat` request for `params`."""
    body: Obj = {"model": params.model, "messages": _messages(params.messages), "stream": stream}
    tools = _tools(params)
    if tools:
        body["tools"] = tools
    output_format = response_format(params.response_format, params.json_schema)
    if output_format is not None:
        body["format"] = output_format
    options = sampling_options(params.max_tokens, params.temperature, params.top_p, params.stop)
    if options:
        body["options"] = options
    return body


def generate_body(params: GenerateInput, *, stream: bool) -> Obj:
    """The `/api/generate` request for `params`."""
    body: Obj = {"model": params.model, "prompt": params.prompt, "stream": stream}
    if params.system is not None:
        body["system"] = params.system
    output_format = response_format(params.response_format, params.json_schema)
    if output_format is not None:
        body["format"] = output_format
    options = sampling_options(params.max_tokens, params.temperature, params.top_p, params.stop)
    return body | ({"options": options} if options else {})


def response_format(kind: str, schema: dict[str, Any] | None) -> str | Obj | None:
    """Ollama's `format`: a JSON schema when one is given, else `"json"` for JSON output."""
    if schema is not None:
        return schema
    return "json" if kind == "json" else None


def sampling_options(
    max_tokens: int | None, temperature: float | None, top_p: float | None, stop: list[str]
) -> Obj:
    options: Obj = {"num_predict": max_tokens, "temperature": temperature, "top_p": top_p}
    options = {name: value for name, value in options.items() if value is not None}
    return options | ({"stop": stop} if stop else {})


def _tools(params: ChatInput) -> list[Obj]:
    if params.tool_choice == "none":
        return []
    chosen = params.tool_choice not in {"auto", "required"}
    return [
        {"type": "function", "function": tool.model_dump()}
        for tool in params.tools
        if not chosen or tool.name == params.tool_choice
    ]


def _messages(messages: list[ChatMessage]) -> list[Obj]:
    names = {call.id: call.name for message in messages for call in message.tool_calls}
    return [_message(message, names) for message in messages]


def _message(message: ChatMessage, names: dict[str, str]) -> Obj:
    sent: Obj = {"role": message.role, "content": message.content or ""}
    if message.tool_calls:
        sent["tool_calls"] = [_call(call) for call in message.tool_calls]
    if message.role == "tool":
        name = message.name or names.get(message.tool_call_id or "")
        if name:
            sent["tool_name"] = name
    return sent


def _call(call: ToolCall) -> Obj:
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        raise InvalidOperation(
            f"Ollama takes a tool call's arguments as a JSON object: {call.name}'s are not one"
        )
    return {"function": {"name": call.name, "arguments": arguments}}


def chat_output(answer: Any) -> ChatOutput:
    """Our answer from `/api/chat`'s (not streamed)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("message"), dict):
        raise ExternalServiceError("Ollama answered the chat without a message")
    message = answer["message"]
    calls = [
        ToolCall(id=call_id(raw, n), name=name, arguments=arguments)
        for n, (raw, name, arguments) in enumerate(_raw_calls(message))
    ]
    return ChatOutput(
        id=answer_id(answer),
        model=str(answer.get("model", "")),
        message=ChatMessage(
            role="assistant", content=message.get("content") or None, tool_calls=calls
        ),
        finish_reason=finish_reason(answer, bool(calls)),
        usage=usage(answer),
    )


def chat_chunk(line: Any, first_call: int) -> ChatChunk:
    """One streamed line of `/api/chat` as our chunk; its tool calls are numbered from
    `first_call` (the calls of the lines before it)."""
    message = line.get("message") if isinstance(line, dict) else None
    message = message if isinstance(message, dict) else {}
    calls = [
        ToolCallDelta(index=first_call + n, id=call_id(raw, first_call + n), name=name,
                      arguments=arguments)
        for n, (raw, name, arguments) in enumerate(_raw_calls(message))
    ]  # fmt: skip
    done = isinstance(line, dict) and line.get("done") is True
    return ChatChunk(
        content=str(message.get("content") or ""),
        tool_calls=calls,
        finish_reason=finish_reason(line, first_call + len(calls) > 0) if done else None,
        usage=usage(line) if done else None,
    )


def generate_chunk(line: Obj) -> ChatChunk:
    """One streamed line of `/api/generate` as our chunk: its `response` as the content."""
    done = line.get("done") is True
    return ChatChunk(
        content=str(line.get("response") or ""),
        finish_reason=finish_reason(line, False) if done else None,
        usage=usage(line) if done else None,
    )


def _raw_calls(message: Obj) -> list[tuple[Obj, str, str]]:
    found = message.get("tool_calls") or []
    calls = [
        raw for raw in found if isinstance(raw, dict) and isinstance(raw.get("function"), dict)
    ]
    return [
        (
            raw,
            str(raw["function"].get("name", "")),
            json.dumps(raw["function"].get("arguments", {})),
        )
        for raw in calls
    ]


def call_id(raw: Obj, index: int) -> str:
    """The call's id where Ollama gives one, else `call_<index>`."""
    given = raw.get("id")
    return given if isinstance(given, str) and given else f"call_{index}"


def answer_id(answer: Obj) -> str:
    """Ollama gives an answer no id: its model and `created_at` name it."""
    return f"ollama-{answer.get('model', '')}-{answer.get('created_at', '')}"


def finish_reason(answer: Any, called: bool) -> FinishReason:
    if called:
        return "tool_calls"
    return (
        "length" if isinstance(answer, dict) and answer.get("done_reason") == "length" else "stop"
    )


def usage(answer: Any) -> Usage:
    """`prompt_eval_count` and `eval_count` (absent when nothing was evaluated: a cached prompt)."""
    counts = answer if isinstance(answer, dict) else {}
    return Usage(
        prompt_tokens=_count(counts.get("prompt_eval_count")),
        completion_tokens=_count(counts.get("eval_count")),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
