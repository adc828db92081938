"""A chat request (`ChatInput`) as the body of Anthropic's `POST /v1/messages`.

System messages become the top-level `system` prompt; an assistant's tool calls become
`tool_use` blocks and tool messages `tool_result` blocks of a user turn; consecutive messages of
one role are joined into one turn, as the API asks roles to alternate. `max_tokens`, which
Anthropic requires, comes from the request, else the integration's `default_max_tokens`, else
the model's own output limit, at most what the key's output-token window holds now (as last
seen in Anthropic's headers; never below FALLBACK_MAX_TOKENS), so that the call can go.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from interlink.core.errors import InvalidOperation
from interlink.providers.kit.llm import ChatInput, ChatMessage, Tool

Block = dict[str, Any]
Turn = dict[str, Any]

# Each model family's largest `max_tokens` or less (Anthropic's models overview), by id prefix;
# the first that matches wins. A model not listed gets FALLBACK_MAX_TOKENS, which every model
# takes.
MODEL_MAX_TOKENS: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-20250514", 32_000),  # Opus 4
    ("claude-opus-4-0", 32_000),
    ("claude-opus-4-1", 32_000),
    ("claude-opus-4", 64_000),  # 4.5 and later
    ("claude-sonnet-4", 64_000),
    ("claude-haiku-4", 64_000),
    ("claude-3-7-sonnet", 64_000),
    ("claude-3-5-haiku", 8_192),
    ("claude-3-5-sonnet", 8_192),
)
FALLBACK_MAX_TOKENS = 4_096
JSON_INSTRUCTION = "Answer with one JSON value only, without any text around it."


def max_tokens(
    params: ChatInput, configuration: Mapping[str, Any], output_room: int | None = None
) -> int:
    """The answer's token limit: the request's, the integration's default, the model's own (at
    most `output_room`, what the output-token window holds, or FALLBACK_MAX_TOKENS)."""
    if params.max_tokens is not None:
        return params.max_tokens
    configured = configuration.get("default_max_tokens")
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    model = params.model
    most = next(
        (n for prefix, n in MODEL_MAX_TOKENS if model.startswith(prefix)), FALLBACK_MAX_TOKENS
    )
    if output_room is None:
        return most
    return min(most, max(output_room, FALLBACK_MAX_TOKENS))


def message_body(
    params: ChatInput, configuration: Mapping[str, Any], output_room: int | None = None
) -> dict[str, Any]:
    """The Messages API's body for `params` (without `stream`)."""
    body: dict[str, Any] = {
        "model": params.model,
        "max_tokens": max_tokens(params, configuration, output_room),
        "messages": turns(params.messages),
    }
    system = system_prompt(params)
    if system:
        body["system"] = system
    if params.tools:
        body["tools"] = [tool_of(tool) for tool in params.tools]
        body["tool_choice"] = tool_choice(params.tool_choice)
    if params.response_format == "json" and params.json_schema is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": params.json_schema}}
    optional = {"temperature": params.temperature, "top_p": params.top_p}
    body |= {name: value for name, value in optional.items() if value is not None}
    if params.stop:
        body["stop_sequences"] = list(params.stop)
    return body


def system_prompt(params: ChatInput) -> str:
    """The system messages' text, joined; JSON output without a schema is asked for here, as
    Anthropic's structured output needs one."""
    parts = [m.content for m in params.messages if m.role == "system" and m.content]
    if params.response_format == "json" and params.json_schema is None:
        parts.append(JSON_INSTRUCTION)
    return "\n\n".join(parts)


def turns(messages: list[ChatMessage]) -> list[Turn]:
    """The conversation as Anthropic's alternating user and assistant turns."""
    found: list[Turn] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = blocks_of(message)
        if found and found[-1]["role"] == role:
            found[-1]["content"].extend(blocks)
        else:
            found.append({"role": role, "content": blocks})
    if not found:
        raise InvalidOperation("A chat needs a user message besides the system prompt")
    for turn in found:
        content = turn["content"]
        if len(content) == 1 and content[0]["type"] == "text":
            turn["content"] = content[0]["text"]
    return found


def blocks_of(message: ChatMessage) -> list[Block]:
    if message.role == "tool":
        if not message.tool_call_id:
            raise InvalidOperation("A tool message needs the tool_call_id of the call it answers")
        result = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        return [result | ({"content": message.content} if message.content else {})]
    blocks: list[Block] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": arguments(call.name, call.arguments),
            }
        )
    if not blocks:
        raise InvalidOperation(f"A {message.role} message needs content or tool calls")
    return blocks


def arguments(name: str, text: str) -> dict[str, Any]:
    """A past tool call's arguments as the object Anthropic's `input` must be."""
    try:
        found = json.loads(text) if text.strip() else {}
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InvalidOperation(f"The arguments of the call to {name} are not a JSON object")
    return found


def tool_of(tool: Tool) -> dict[str, Any]:
    found: dict[str, Any] = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description:
        found["description"] = tool.description
    return found


def tool_choice(choice: str) -> dict[str, str]:
    """OpenAI's words for it as Anthropic's: `required` is `any`, a name is that `tool`."""
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    return {"type": "tool", "name": choice}
