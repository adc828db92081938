"""A chat request as Gemini's `GenerateContentRequest`: system messages as `systemInstruction`;
the others as `contents` whose role is `user` or `model` (a tool's answer is a user turn with a
`functionResponse` part, consecutive ones in one turn); tools as `functionDeclarations` with
`parametersJsonSchema` and `tool_choice` as `functionCallingConfig`; JSON output as
`responseMimeType: application/json` with `responseJsonSchema` (both take JSON Schema as it is,
where `parameters` and `responseSchema` take Gemini's OpenAPI subset); the limits in
`generationConfig`."""

from __future__ import annotations

import json
from typing import Any

from interlink.core.errors import ParameterValidationError
from interlink.providers.kit.llm import ChatInput, ChatMessage, Tool

Obj = dict[str, Any]
MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
# Gemini 3 checks that a function call sent back carries the thought signature it came with
# (https://ai.google.dev/gemini-api/docs/thought-signatures). A call's signature travels in its
# id, after SIGNED and in URL-safe base64, as the id is all that every client (OpenAI's and
# Anthropic's SDKs through the gateway, a workflow) gives back; a call that came from elsewhere
# carries the value Google gives for those.
SIGNED = "__ts__"
UNSIGNED = "skip_thought_signature_validator"


def signed(call_id: str, signature: str | None) -> str:
    """The id of a call Gemini made, with its thought signature when it has one."""
    if not signature:
        return call_id
    return f"{call_id}{SIGNED}{signature.replace('+', '-').replace('/', '_').rstrip('=')}"


def signature(call_id: str) -> str | None:
    """The thought signature a call's id carries (standard base64), if any."""
    _, found, kept = call_id.partition(SIGNED)
    if not found or not kept:
        return None
    return kept.replace("-", "+").replace("_", "/") + "=" * (-len(kept) % 4)


def generate_body(params: ChatInput) -> Obj:
    body: Obj = {"contents": contents(params.messages)}
    system = [m.content for m in params.messages if m.role == "system" and m.content]
    if system:
        body["systemInstruction"] = {"parts": [{"text": text} for text in system]}
    if params.tools:
        body["tools"] = [{"functionDeclarations": [declaration(t) for t in params.tools]}]
        body["toolConfig"] = {"functionCallingConfig": function_calling(params)}
    config = generation_config(params)
    if config:
        body["generationConfig"] = config
    return body


def model_path(model: str) -> str:
    """`models/<name>`, whether the name is given with its `models/` prefix or without."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def contents(messages: list[ChatMessage]) -> list[Obj]:
    called = {call.id: call.name for m in messages for call in m.tool_calls}
    turns: list[Obj] = []
    previous: str | None = None
    for message in messages:
        if message.role == "system":
            continue
        parts = _parts(message, called)
        if message.role == "tool" and previous == "tool":
            turns[-1]["parts"].extend(parts)
        else:
            turns.append({"role": "model" if message.role == "assistant" else "user",
                          "parts": parts})  # fmt: skip
        previous = message.role
    if not turns:
        raise ParameterValidationError(
            "Gemini needs a user message: the messages are all system messages",
            details=[{"field": "messages"}],
        )
    return turns


def _parts(message: ChatMessage, called: dict[str, str]) -> list[Obj]:
    if message.role == "tool":
        name = message.name or called.get(message.tool_call_id or "")
        if not name:
            raise ParameterValidationError(
                "A tool message names no tool: give `name`, or a `tool_call_id` of an earlier call",
                details=[{"field": "messages", "tool_call_id": message.tool_call_id}],
            )
        response = {"name": name, "response": _object(message.content or "")}
        return [{"functionResponse": response}]
    parts: list[Obj] = [{"text": message.content}] if message.content else []
    signatures = [signature(call.id) for call in message.tool_calls]
    # Gemini signs the first of parallel calls only; calls none of which is signed came from
    # elsewhere.
    fallback = None if any(signatures) else UNSIGNED
    for call, signed_by in zip(message.tool_calls, signatures, strict=True):
        function = {"name": call.name, "args": _arguments(call.arguments)}
        sign = signed_by or fallback
        parts.append({"functionCall": function} | ({"thoughtSignature": sign} if sign else {}))
    return parts or [{"text": ""}]


def _object(text: str) -> Obj:
    """A tool's answer as the object `functionResponse.response` is: its JSON when that is an
    object, else `{"result": text}`."""
    try:
        found = json.loads(text)
    except ValueError:
        return {"result": text}
    return found if isinstance(found, dict) else {"result": found}


def _arguments(text: str) -> Obj:
    try:
        found = json.loads(text) if text.strip() else {}
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise ParameterValidationError(
            "A tool call's arguments are not a JSON object", details=[{"field": "messages"}]
        )
    return found


def declaration(tool: Tool) -> Obj:
    found: Obj = {"name": tool.name, "parametersJsonSchema": tool.parameters}
    return found | ({"description": tool.description} if tool.description else {})


def function_calling(params: ChatInput) -> Obj:
    mode = MODES.get(params.tool_choice)
    if mode is not None:
        return {"mode": mode}
    if params.tool_choice not in {tool.name for tool in params.tools}:
        raise ParameterValidationError(
            f"tool_choice names no tool of the request: {params.tool_choice!r}",
            details=[{"field": "tool_choice"}],
        )
    return {"mode": "ANY", "allowedFunctionNames": [params.tool_choice]}


def generation_config(params: ChatInput) -> Obj:
    config: Obj = {
        "maxOutputTokens": params.max_tokens,
        "temperature": params.temperature,
        "topP": params.top_p,
        "stopSequences": params.stop or None,
    }
    if params.response_format == "json":
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = params.json_schema
    return {name: value for name, value in config.items() if value is not None}
