"""Gemini's answer as Interlink's: the first candidate's text (thought summaries left out) and
function calls, why it ended, and the usage (thoughts counted as completion, as Google bills
them). A blocked prompt (`promptFeedback.blockReason`, no candidate) or an answer stopped for
`SAFETY`, `RECITATION` and the like ends as `content_filter`."""

from __future__ import annotations

import json
from typing import Any

from interlink.core.errors import ExternalServiceError
from interlink.providers.gemini.request import signed
from interlink.providers.gemini.wire import (
    Candidate,
    GenerateContentResponse,
    Part,
    UsageMetadata,
    read,
)
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatMessage,
    ChatOutput,
    FinishReason,
    ToolCall,
    ToolCallDelta,
    Usage,
)

FILTERED = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
})  # fmt: skip
ENDED = frozenset({"STOP", "FINISH_REASON_UNSPECIFIED"})


def chat_output(answer: GenerateContentResponse, model: str) -> ChatOutput:
    candidate = answer.candidates[0] if answer.candidates else None
    calls = [_call(call, n) for n, call in enumerate(_function_calls(candidate))]
    text = _text(candidate)
    message = ChatMessage(role="assistant", content=text or (None if calls else ""),
                          tool_calls=calls)  # fmt: skip
    return ChatOutput(
        id=answer.response_id or "",
        model=answer.model_version or model,
        message=message,
        finish_reason=finish_reason(answer, bool(calls)) or "stop",
        usage=usage(answer.usage_metadata),
    )


def finish_reason(answer: GenerateContentResponse, called: bool) -> FinishReason | None:
    """Why the answer ended; None for a stream's chunk before its last."""
    if answer.prompt_feedback is not None and answer.prompt_feedback.block_reason:
        return "content_filter"
    reason = answer.candidates[0].finish_reason if answer.candidates else None
    if reason is None:
        return None
    if reason in FILTERED:
        return "content_filter"
    if reason == "MAX_TOKENS":
        return "length"
    if reason in ENDED:
        return "tool_calls" if called else "stop"
    return "error"  # MALFORMED_FUNCTION_CALL, OTHER, LANGUAGE, ...


def usage(metadata: UsageMetadata | None) -> Usage:
    if metadata is None:
        return Usage()
    completion = metadata.candidates_token_count + metadata.thoughts_token_count
    return Usage(prompt_tokens=metadata.prompt_token_count, completion_tokens=completion)


class ChunkReader:
    """A stream's chunks as `ChatChunk`s: each chunk's text and whole function calls (Gemini
    streams a call in one piece), numbered across the stream; the usage on the last. An error
    said inside the stream, or a stream that stops before its last chunk, is our error."""

    def __init__(self) -> None:
        self.calls = 0
        self.ended = False

    def read(self, data: str) -> ChatChunk:
        """One event's data: a GenerateContentResponse, or Google's `{"error": {...}}`."""
        try:
            found: Any = json.loads(data)
        except ValueError:
            raise ExternalServiceError(
                "Gemini streamed something that is not JSON", details=[{"body_start": data[:100]}]
            ) from None
        error = found.get("error") if isinstance(found, dict) else None
        if isinstance(error, dict):
            said = {"provider_status": error.get("code"), "provider_message": error.get("message")}
            raise ExternalServiceError("Gemini failed midway through its answer", details=[said])
        return self.chunk(read(GenerateContentResponse, found))

    def finish(self) -> None:
        if not self.ended:
            raise ExternalServiceError("The external system's stream ended before the answer did")

    def chunk(self, answer: GenerateContentResponse) -> ChatChunk:
        candidate = answer.candidates[0] if answer.candidates else None
        deltas = []
        for call in _function_calls(candidate):
            whole = _call(call, self.calls)
            deltas.append(ToolCallDelta(index=self.calls, id=whole.id, name=whole.name,
                                        arguments=whole.arguments))  # fmt: skip
            self.calls += 1
        ended = finish_reason(answer, self.calls > 0)
        self.ended = self.ended or ended is not None
        return ChatChunk(
            content=_text(candidate),
            tool_calls=deltas,
            finish_reason=ended,
            usage=usage(answer.usage_metadata) if ended is not None else None,
        )


def _text(candidate: Candidate | None) -> str:
    parts = candidate.content.parts if candidate and candidate.content else []
    return "".join(part.text for part in parts if part.text is not None and not part.thought)


def _function_calls(candidate: Candidate | None) -> list[Part]:
    parts = candidate.content.parts if candidate and candidate.content else []
    return [part for part in parts if part.function_call is not None]


def _call(part: Part, index: int) -> ToolCall:
    """The call, its thought signature kept in its id (see `request.signed`)."""
    call = part.function_call
    assert call is not None
    call_id = signed(call.id or f"call_{index}", part.thought_signature)
    return ToolCall(id=call_id, name=call.name, arguments=json.dumps(call.args))
