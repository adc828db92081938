"""A message of the Anthropic mock as the Messages API streams it: Server-Sent Events
`message_start`, then per content block `content_block_start`, its deltas (`text_delta` word by
word, `input_json_delta` in pieces) and `content_block_stop` (a `ping` after the first start),
`message_delta` (the stop reason and the output's tokens) and `message_stop`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]
Event = tuple[str, Obj]
JSON_PIECE = 12  # characters of a tool call's arguments per input_json_delta


def events(message: Obj) -> Iterator[Event]:
    usage = message["usage"]
    start = message | {
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": usage | {"output_tokens": 1},
    }  # fmt: skip
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        yield from _block(index, block)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    final = {"output_tokens": usage["output_tokens"]}
    yield "message_delta", {"type": "message_delta", "delta": delta, "usage": final}
    yield "message_stop", {"type": "message_stop"}


def _block(index: int, block: Obj) -> Iterator[Event]:
    if block["type"] == "tool_use":
        opened = block | {"input": {}}
        text = json.dumps(block["input"])
        pieces = [text[n : n + JSON_PIECE] for n in range(0, len(text), JSON_PIECE)]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
    else:
        opened = {"type": "text", "text": ""}
        words = re.findall(r"\S*\s*", block["text"])
        deltas = [{"type": "text_delta", "text": word} for word in words if word]
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": opened},
    )
    if index == 0:
        yield "ping", {"type": "ping"}
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def encoded(name: str, data: Obj) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
