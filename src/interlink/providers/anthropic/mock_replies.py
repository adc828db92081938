"""What the Anthropic mock answers to `POST /v1/messages`: the body checked as the Messages API
checks it (each refusal an `invalid_request_error` or `not_found_error` in Anthropic's words),
and a deterministic reply that tests can assert.

The reply to a user's text is `You said: <text>`; to a tool's result, `The tool answered:
<result>`. A tool is called (with arguments made from its schema, strings being the user's
text) when `tool_choice` forces one (`any`: the first; `tool`: the named one) or when the user's
text names a tool; JSON output (`output_config.format`) is a value made from its schema. Text
containing `[refuse]` is refused (`stop_reason: refusal`). Tokens are counted as four
characters each; `stop_sequences` and `max_tokens` cut the reply as they would Claude's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
REFUSAL_TRIGGER = "[refuse]"
CHARS_PER_TOKEN = 4
_FIELDS = {
    "model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature",
    "top_p", "top_k", "stop_sequences", "stream", "metadata", "output_config", "thinking",
    "service_tier",
}  # fmt: skip


class ReplyError(Exception):
    """A refused request, as Anthropic words it."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def invalid(message: str) -> ReplyError:
    return ReplyError(400, "invalid_request_error", message)


@dataclass(frozen=True)
class MockModel:
    id: str
    display_name: str
    created_at: str
    max_input_tokens: int = 200_000
    max_tokens: int = 64_000

    @property
    def alias(self) -> str:
        """The name without its date (`claude-sonnet-4-5`), which Anthropic also takes."""
        head, _, date = self.id.rpartition("-")
        return head if date.isdigit() and len(date) == 8 else self.id

    def info(self) -> Obj:
        return {
            "type": "model", "id": self.id, "display_name": self.display_name,
            "created_at": self.created_at, "lifecycle": "active",
            "max_input_tokens": self.max_input_tokens, "max_tokens": self.max_tokens,
        }  # fmt: skip


MODELS = (  # newest first, as /v1/models lists them
    MockModel("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"),
    MockModel("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
    MockModel(
        "claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z", 200_000, 32_000
    ),
    MockModel(
        "claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z", 200_000, 8_192
    ),
)


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Request:
    """A checked `POST /v1/messages` body."""

    body: Obj
    model: MockModel

    @property
    def turns(self) -> list[Obj]:
        return list(self.body["messages"])

    def prompt_tokens(self) -> int:
        parts = [json.dumps(self.body.get("system", "")), json.dumps(self.turns)]
        parts += [json.dumps(self.body.get("tools", []))]
        return max(1, tokens("".join(parts)))


def check(body: Any, models: Sequence[MockModel]) -> Request:
    """The body as a request, or the `ReplyError` Anthropic would answer."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    for name in body:
        if name not in _FIELDS:
            raise invalid(f"{name}: Extra inputs are not permitted")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise invalid(f"{name}: Field required")
    model = next((m for m in models if body["model"] in (m.id, m.alias)), None)
    if model is None:
        raise ReplyError(404, "not_found_error", f"model: {body['model']}")
    limit = body["max_tokens"]
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise invalid("max_tokens: Input should be a valid integer greater than or equal to 1")
    if limit > model.max_tokens:
        raise invalid(
            f"max_tokens: {limit} > {model.max_tokens}, which is the maximum allowed number of "
            f"output tokens for {model.id}"
        )
    _check_numbers(body)
    _check_turns(body["messages"])
    request = Request(body, model)
    if (used := request.prompt_tokens()) > model.max_input_tokens:
        raise invalid(f"prompt is too long: {used} tokens > {model.max_input_tokens} maximum")
    return request


def _check_numbers(body: Obj) -> None:
    for name, high in (("temperature", 1.0), ("top_p", 1.0)):
        value = body.get(name)
        if value is not None and not (isinstance(value, int | float) and 0 <= value <= high):
            raise invalid(f"{name}: range: 0..{high:g}")


def _check_turns(turns: Any) -> None:
    if not isinstance(turns, list) or not turns:
        raise invalid("messages: at least one message is required")
    calls: set[str] = set()
    for n, turn in enumerate(turns):
        role = turn.get("role") if isinstance(turn, dict) else None
        if role not in ("user", "assistant", "system"):  # the SDK's SystemMessageParam too
            raise invalid(f"messages.{n}.role: Input should be 'user', 'assistant' or 'system'")
        for block in blocks(turn):
            if block.get("type") == "tool_result" and block.get("tool_use_id") not in calls:
                raise invalid(
                    f"messages.{n}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {block.get('tool_use_id')}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message."
                )
        calls = {str(b.get("id")) for b in blocks(turn) if b.get("type") == "tool_use"}


def blocks(turn: Mapping[str, Any]) -> list[Obj]:
    content = turn.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [block for block in content or [] if isinstance(block, dict)]


def reply_content(request: Request) -> tuple[list[Obj], str]:
    """The reply's content blocks and its stop reason, before `max_tokens` and stop sequences."""
    last = blocks(request.turns[-1])
    results = [b for b in last if b.get("type") == "tool_result"]
    said = " ".join(str(b.get("text", "")) for b in last if b.get("type") == "text")
    if results:
        return [text_block(f"The tool answered: {result_text(results[0])}")], "end_turn"
    if REFUSAL_TRIGGER in said:
        return [], "refusal"
    tool = chosen_tool(request.body, said)
    if tool is not None:
        call = {"type": "tool_use", "id": "", "name": tool["name"]}
        return [call | {"input": sample(tool.get("input_schema") or {}, said)}], "tool_use"
    form = (request.body.get("output_config") or {}).get("format")
    if isinstance(form, dict) and isinstance(form.get("schema"), dict):
        return [text_block(json.dumps(sample(form["schema"], said)))], "end_turn"
    return [text_block(f"You said: {said}")], "end_turn"


def text_block(text: str) -> Obj:
    return {"type": "text", "text": text}


def result_text(result: Mapping[str, Any]) -> str:
    content = result.get("content", "")
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content)


def chosen_tool(body: Mapping[str, Any], said: str) -> Obj | None:
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
    choice = body.get("tool_choice") or {"type": "auto"}
    if not tools or choice.get("type") == "none":
        return None
    if choice.get("type") == "any":
        return tools[0]
    if choice.get("type") == "tool":
        return next((tool for tool in tools if tool.get("name") == choice.get("name")), None)
    return next((tool for tool in tools if str(tool.get("name")) in said), None)


def sample(schema: Mapping[str, Any], text: str) -> Any:
    """A value of `schema`: its first enum value; strings are `text`, numbers 1, booleans true;
    an object has every property, an array one item."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: sample(part, text) for name, part in properties.items()}
    if kind == "array":
        return [sample(schema.get("items") or {}, text)]
    return {"integer": 1, "number": 1, "boolean": True, "null": None}.get(kind, text)


def cut(content: list[Obj], stop: str, request: Request) -> tuple[list[Obj], str, str | None]:
    """The reply cut at the first stop sequence, then to `max_tokens`: its blocks, its stop
    reason and the stop sequence met."""
    if not content or content[0]["type"] != "text":
        return content, stop, None
    text = content[0]["text"]
    for sequence in request.body.get("stop_sequences") or []:
        if sequence and sequence in text:
            return [text_block(text.split(sequence, 1)[0])], "stop_sequence", sequence
    allowed = request.body["max_tokens"] * CHARS_PER_TOKEN
    if len(text) > allowed:
        return [text_block(text[:allowed])], "max_tokens", None
    return content, stop, None


def reply(request: Request, message_id: str, tool_id: Callable[[], str]) -> Obj:
    """The whole message Anthropic would answer; each tool call takes a `tool_id()`."""
    content, stop = reply_content(request)
    content, stop, sequence = cut(content, stop, request)
    content = [b | {"id": tool_id()} if b["type"] == "tool_use" else b for b in content]
    written = "".join(b.get("text", "") or json.dumps(b.get("input", {})) for b in content)
    usage = {
        "input_tokens": request.prompt_tokens(), "output_tokens": max(1, tokens(written)),
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }  # fmt: skip
    return {
        "id": message_id, "type": "message", "role": "assistant",
        "model": request.body["model"], "content": content, "stop_reason": stop,
        "stop_sequence": sequence, "usage": usage,
    }  # fmt: skip
