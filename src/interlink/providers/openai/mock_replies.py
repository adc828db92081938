"""The OpenAI mock's answers, worked out whole before anything is sent (so a stream's headers
can say the tokens it takes): a deterministic reply to a conversation, its usage, its chunks as
a stream writes them, and embeddings.

The reply echoes: `You said: <the last user message>`; a JSON answer is `{"echo": ...}`, or an
instance of the structured output's schema; a tool is called when `tool_choice` asks for one,
or (auto) when the last user message names it, with arguments filled from its schema; after a
tool's result, `The tool answered: <result>`. Tokens are counted as a quarter of the characters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
MESSAGE_OVERHEAD = 3  # tokens each message costs beyond its text, as OpenAI counts


class OpenAIError(Exception):
    """An error answer: `{"error": {"message", "type", "param", "code"}}` with its status."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str | None = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {"error": {"message": message, "type": kind, "param": param, "code": code}}


def count(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def prompt_tokens(body: Obj) -> int:
    texts = [_text(m.get("content")) for m in body["messages"]]
    texts += [json.dumps(call) for m in body["messages"] for call in m.get("tool_calls") or []]
    texts += [json.dumps(tool) for tool in body.get("tools") or []]
    return sum(map(count, texts)) + MESSAGE_OVERHEAD * (len(body["messages"]) + 1)


@dataclass
class Reply:
    """One answer to a chat: text or tool calls, why it ended, its tokens."""

    content: str | None
    finish_reason: str
    prompt_tokens: int
    tool_calls: list[Obj] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        said = self.content or "".join(c["function"]["arguments"] for c in self.tool_calls)
        return count(said) + len(self.tool_calls)

    def usage(self) -> Obj:
        prompt, completion = self.prompt_tokens, self.completion_tokens
        return {
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }  # fmt: skip

    def message(self) -> Obj:
        found: Obj = {"role": "assistant", "content": self.content, "refusal": None,
                      "annotations": []}  # fmt: skip
        if self.tool_calls:
            found["tool_calls"] = self.tool_calls
        return found

    def chunks(self) -> list[Obj]:
        """The `delta`s and `finish_reason`s a stream sends, in order (without the envelope)."""
        found: list[Obj] = [{"delta": {"role": "assistant", "content": "", "refusal": None}}]
        for piece in re.findall(r"\S+\s*|\s+", self.content or ""):
            found.append({"delta": {"content": piece}})
        for index, call in enumerate(self.tool_calls):
            start = {"index": index, "id": call["id"], "type": "function",
                     "function": {"name": call["function"]["name"], "arguments": ""}}  # fmt: skip
            found.append({"delta": {"tool_calls": [start]}})
            arguments = call["function"]["arguments"]
            for at in range(0, len(arguments), 8):
                piece = {"index": index, "function": {"arguments": arguments[at : at + 8]}}
                found.append({"delta": {"tool_calls": [piece]}})
        found.append({"delta": {}, "finish_reason": self.finish_reason})
        return found


def reply(body: Obj, call_number: int) -> Reply:
    """The answer to a checked chat body."""
    messages, prompt = body["messages"], prompt_tokens(body)
    last = messages[-1]
    said = next(
        (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    tool = _tool_to_call(body, said) if last.get("role") != "tool" else None
    if tool is not None:
        function = tool["function"]
        arguments = json.dumps(
            example(function.get("parameters") or {}, said), separators=(",", ":")
        )
        call = {"id": f"call_mock{call_number:016d}", "type": "function",
                "function": {"name": function["name"], "arguments": arguments}}  # fmt: skip
        return Reply(None, "tool_calls", prompt, [call])
    text = _text_answer(body, last, said)
    return _limited(Reply(text, "stop", prompt), body)


def _text_answer(body: Obj, last: Obj, said: str) -> str:
    if last.get("role") == "tool":
        return f"The tool answered: {_text(last.get('content'))}"
    answer_format = body.get("response_format") or {}
    if answer_format.get("type") == "json_object":
        return json.dumps({"echo": said})
    if answer_format.get("type") == "json_schema":
        return json.dumps(example(answer_format["json_schema"].get("schema") or {}, said))
    return f"You said: {said}"


def _limited(answer: Reply, body: Obj) -> Reply:
    """Cut at the first stop sequence, and at the token limit (`length`)."""
    text = answer.content or ""
    stops = body.get("stop") or []
    for stop in [stops] if isinstance(stops, str) else stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and count(text) > limit:
        return Reply(text[: limit * 4], "length", answer.prompt_tokens)
    return Reply(text, answer.finish_reason, answer.prompt_tokens)


def _tool_to_call(body: Obj, said: str) -> Obj | None:
    tools, choice = body.get("tools") or [], body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return next((t for t in tools if t["function"]["name"] == wanted), None)
    if choice == "required":
        first: Obj = tools[0]
        return first
    return next((t for t in tools if t["function"]["name"] in said), None)


def example(schema: Obj, said: str) -> Any:
    """A value of `schema` (its properties, all of them), strings being what the user said."""
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: example(sub, said) for name, sub in properties.items()}
    if kind == "array":
        return [example(schema.get("items") or {}, said)]
    return {"integer": 1, "number": 1.5, "boolean": True, "null": None}.get(str(kind), said)


def check_tools(tools: Any) -> None:
    """OpenAI's refusal of a tool that is not a function with an object schema."""
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict):
            function = {}
        name = function.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise OpenAIError(
                400, f"Invalid 'tools[{index}].function.name': string does not match pattern.",
                code="invalid_value", param=f"tools[{index}].function.name",
            )  # fmt: skip
        parameters = function.get("parameters", {"type": "object"})
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            raise OpenAIError(
                400,
                f"Invalid schema for function '{name}': schema must be a JSON Schema of "
                f"'type: \"object\"', got 'type: \"{_kind(parameters)}\"'.",
                code="invalid_function_parameters", param=f"tools[{index}].function.parameters",
            )  # fmt: skip


def _kind(schema: Any) -> str:
    return str(schema.get("type")) if isinstance(schema, dict) else type(schema).__name__


def vector(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from the text: the same text, the same vector."""
    seed, raw = text.encode(), []
    for block in range(math.ceil(dimensions / 8)):
        digest = hashlib.sha256(seed + block.to_bytes(4, "big")).digest()
        raw += [(byte - 127.5) / 127.5 for byte in digest[::4]]
    values = raw[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def encoded(values: list[float]) -> str:
    """`encoding_format: base64`: little-endian float32s, base64."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""
