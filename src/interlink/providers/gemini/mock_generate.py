"""What the Gemini mock's models write: deterministic answers a test can assert.

The answer to the last user turn is `Echo: <its text>`; JSON output is a value of the response
schema with every string the user's text (`{"echo": text}` without a schema); a turn answering
function calls is `Tool <name> returned <response>`. A declared function is called when the
text names it (or, with mode `ANY`, the first one allowed), its string arguments the text.
`[blocked]` in the text blocks the prompt, `[unsafe]` and `[recitation]` stop the answer for
`SAFETY` and `RECITATION`. Tokens are counted as a character in four.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
CHARS_PER_TOKEN = 4
_WORDS = re.compile(r"\S+\s*")
WORDS_PER_CHUNK = 3
STOPPED = {"[unsafe]": "SAFETY", "[recitation]": "RECITATION"}


def pick(message: Any, name: str) -> Any:
    """A field of a request's message by its JSON name or its proto name (`maxOutputTokens` or
    `max_output_tokens`): Google's JSON parser takes both."""
    if not isinstance(message, dict):
        return None
    return message.get(name, message.get(snake(name)))


def snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda upper: f"_{upper.group().lower()}", name)


def tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def prompt_tokens(body: Obj) -> int:
    """The request's prompt in tokens: its contents, system instruction and tools as JSON."""
    counted = [pick(body, "contents"), pick(body, "systemInstruction"), pick(body, "tools")]
    return max(1, tokens("".join(json.dumps(part) for part in counted if part)))


@dataclass
class Reply:
    """One answer: its parts, why it ended (None: the prompt was blocked, `blocked` says why)."""

    parts: list[Obj] = field(default_factory=list)
    finish: str | None = "STOP"
    blocked: str | None = None

    @property
    def text(self) -> str:
        return "".join(str(part.get("text", "")) for part in self.parts)

    @property
    def calls(self) -> list[Obj]:
        return [part for part in self.parts if "functionCall" in part]


def reply(body: Obj) -> Reply:
    parts = [p for p in pick(body["contents"][-1], "parts") or [] if isinstance(p, dict)]
    text = "".join(str(p["text"]) for p in parts if "text" in p)
    answered = [pick(p, "functionResponse") for p in parts if pick(p, "functionResponse")]
    if "[blocked]" in text:
        return Reply([], None, blocked="SAFETY")
    for marker, reason in STOPPED.items():
        if marker in text:
            return Reply([], reason)
    if answered:
        said = " ".join(f"Tool {r.get('name')} returned {json.dumps(r.get('response'))}."
                        for r in answered)  # fmt: skip
        return _limited(said, body)
    call = _call(body, text)
    if call is not None:
        return Reply([{"functionCall": call}])
    config = pick(body, "generationConfig") or {}
    if pick(config, "responseMimeType") == "application/json":
        schema = pick(config, "responseJsonSchema") or pick(config, "responseSchema")
        value = sample(schema, text) if schema else {"echo": text}
        return Reply([{"text": json.dumps(value)}])
    return _limited(f"Echo: {text}", body)


def _limited(text: str, body: Obj) -> Reply:
    """`text` cut at the first stop sequence, or at `maxOutputTokens` (`MAX_TOKENS`)."""
    config = pick(body, "generationConfig") or {}
    for stop in pick(config, "stopSequences") or []:
        if stop and stop in text:
            text = text[: text.index(stop)]
    most = pick(config, "maxOutputTokens")
    if isinstance(most, int) and tokens(text) > most:
        return Reply([{"text": text[: most * CHARS_PER_TOKEN]}], "MAX_TOKENS")
    return Reply([{"text": text}])


def _call(body: Obj, text: str) -> Obj | None:
    tools = pick(body, "tools") or []
    declared = [d for tool in tools for d in pick(tool, "functionDeclarations") or []]
    calling = pick(pick(body, "toolConfig"), "functionCallingConfig") or {}
    mode = calling.get("mode", "AUTO")
    if not declared or mode == "NONE":
        return None
    allowed = pick(calling, "allowedFunctionNames") or [d["name"] for d in declared]
    chosen = [d for d in declared if d["name"] in allowed]
    named = [d for d in chosen if d["name"] in text]
    picked = named[0] if named else (chosen[0] if mode == "ANY" and chosen else None)
    if picked is None:
        return None
    schema = pick(picked, "parametersJsonSchema") or picked.get("parameters") or {}
    return {"name": picked["name"], "args": sample(schema, text)}


def sample(schema: Any, text: str) -> Any:
    """A value of `schema` (JSON Schema, or Gemini's OpenAPI subset with upper-case types)."""
    if not isinstance(schema, dict):
        return text
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        properties = schema.get("properties") or {}
        wanted = schema.get("required") or list(properties)
        return {name: sample(properties.get(name), text) for name in wanted}
    defaults = {"string": text, "integer": 0, "number": 0, "boolean": False, "null": None}
    if kind == "array":
        return [sample(schema.get("items"), text)]
    return defaults.get(kind, text)


def pieces(found: Reply) -> list[Reply]:
    """The reply as a stream writes it: its text a few words at a time, its function calls and
    why it ended on the last piece."""
    texts = [p["text"] for p in found.parts if "text" in p]
    words = _WORDS.findall("".join(texts))
    chunks = ["".join(words[n : n + WORDS_PER_CHUNK]) for n in range(0, len(words),
                                                                      WORDS_PER_CHUNK)]  # fmt: skip
    calls = [p for p in found.parts if "functionCall" in p]
    replies = [Reply([{"text": chunk}], None) for chunk in chunks] or [Reply([], None)]
    replies[-1] = Reply(replies[-1].parts + calls, found.finish, found.blocked)
    return replies


def sign(found: Reply) -> None:
    """A thinking model's signature on its first function call, as Gemini gives one: opaque
    base64 (here drawn from the call)."""
    for part in found.parts:
        if "functionCall" in part:
            digest = hashlib.sha256(json.dumps(part["functionCall"]).encode()).digest()
            part["thoughtSignature"] = base64.b64encode(b"\xfb\xff" + digest).decode()
            return


def unsigned_call(contents: list[Any]) -> int | None:
    """The position of a function call of the current turn (from the last user text on) sent
    back without its thought signature: the first call of each model turn needs one."""
    start = max((n for n, content in enumerate(contents) if _asks(content)), default=0)
    for n, content in enumerate(contents[start:], start):
        calls = [p for p in pick(content, "parts") or [] if pick(p, "functionCall")]
        if calls and not pick(calls[0], "thoughtSignature"):
            return n
    return None


def _asks(content: Any) -> bool:
    """A user turn with text (not only function responses): where a turn starts."""
    parts = pick(content, "parts") or []
    return pick(content, "role") != "model" and any("text" in p for p in parts)


def vector(text: str, dimensions: int) -> list[float]:
    """A text's embedding: `dimensions` numbers in [-1, 1) drawn from its SHA-256."""
    values: list[float] = []
    seed = hashlib.sha256(text.encode()).digest()
    while len(values) < dimensions:
        values += [round(n / 32768, 6) for n in struct.unpack(">16h", seed)]
        seed = hashlib.sha256(seed).digest()
    return values[:dimensions]
