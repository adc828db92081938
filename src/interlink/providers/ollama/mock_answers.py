"""The Ollama mock's answers, deterministic so tests can assert them: a chat echoes the last
user message (`You said: ...`), calls a tool its text names, answers a tool's result, shapes
JSON output by the schema asked for; a token is a word; an embedding is a unit vector made of
the text's SHA-256."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

Obj = dict[str, Any]
DIMENSIONS = 8  # an embedding's length unless `dimensions` asks for fewer


def words(text: str) -> int:
    """The mock's token count: one per word, at least one for any text."""
    return max(1, len(text.split())) if text else 0


def prompt_tokens(messages: list[Obj]) -> int:
    return sum(words(str(m.get("content") or "")) + 1 for m in messages)  # +1: the role


def last_user_text(messages: list[Obj]) -> str:
    said = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    return said[-1] if said else ""


def tool_calls(messages: list[Obj], tools: list[Obj]) -> list[Obj]:
    """The tools the last user message names (when it is the last message), each called with
    the message's last word for its required string arguments (`... for Paris`: Paris)."""
    if not messages or messages[-1].get("role") != "user":
        return []
    text = last_user_text(messages)
    named = [t["function"] for t in tools if t["function"]["name"] in text.split()]
    last_word = text.split()[-1].strip(".?!") if text.split() else ""
    return [{"function": {"name": f["name"], "arguments": _arguments(f, last_word)}} for f in named]


def _arguments(function: Obj, text: str) -> Obj:
    schema = function.get("parameters") or {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or []
    return {name: shaped(properties.get(name) or {}, text) for name in required}


def text_answer(messages: list[Obj], output_format: Any) -> str:
    """What the model says: a tool result read back, JSON of the format asked, or the echo."""
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        said = f"{last.get('tool_name') or 'the tool'} said: {last.get('content') or ''}"
    else:
        said = f"You said: {last_user_text(messages)}"
    if output_format == "json":
        return json.dumps({"answer": said})
    if isinstance(output_format, dict):
        return json.dumps(shaped(output_format, said))
    return said


def shaped(schema: Any, text: str) -> Any:
    """A value of the JSON schema's type: strings are `text`, numbers their minimum or 0."""
    if not isinstance(schema, dict):
        return text
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return shaped(schema[key][0], text)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object":
        return {k: shaped(v, text) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [shaped(schema["items"], text)] if isinstance(schema.get("items"), dict) else []
    simple = {"integer": int(schema.get("minimum", 0)), "number": float(schema.get("minimum", 0)),
              "boolean": False, "null": None}  # fmt: skip
    return simple.get(str(kind), text)


def limited(text: str, num_predict: Any, stop: Any) -> tuple[str, str]:
    """The answer cut at a stop sequence or after `num_predict` words, and why it ended."""
    for sequence in stop if isinstance(stop, list) else []:
        if isinstance(sequence, str) and sequence and sequence in text:
            text = text[: text.index(sequence)]
    if isinstance(num_predict, int) and 0 < num_predict < words(text):
        return " ".join(text.split()[:num_predict]), "length"
    return text, "stop"


def pieces(text: str) -> list[str]:
    """The answer as streamed: a word at a time, each with the space before the next."""
    parts = text.split(" ")
    return [part + " " for part in parts[:-1]] + [parts[-1]] if text else []


def vector(text: str, dimensions: int) -> list[float]:
    """A unit vector of the text's digest: the same text, the same vector."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[n % len(digest)] - 127.5) / 127.5 for n in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()
