"""Gemini's answers as it sends them (v1beta, camelCase JSON), parsed: a `GenerateContentResponse`
(one answer, or one chunk of a stream), a model of `/models` and a batch of embeddings. Fields
Interlink does not read (safety ratings, citations, grounding) are left out."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from interlink.core.errors import ExternalServiceError


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class FunctionCall(Wire):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None  # Gemini gives one on some models; none on others


class Part(Wire):
    text: str | None = None
    thought: bool = False  # a thinking model's summary of its thoughts, not the answer
    function_call: FunctionCall | None = None
    thought_signature: str | None = None  # base64: the model's thoughts behind a call


class Content(Wire):
    role: str | None = None
    parts: list[Part] = Field(default_factory=list)


class Candidate(Wire):
    content: Content | None = None  # none when the answer was blocked
    finish_reason: str | None = None  # none on a stream's chunks before the last


class PromptFeedback(Wire):
    block_reason: str | None = None  # the prompt was blocked: no candidate at all


class UsageMetadata(Wire):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    thoughts_token_count: int = 0  # a thinking model's, billed as output
    total_token_count: int = 0


class GenerateContentResponse(Wire):
    candidates: list[Candidate] = Field(default_factory=list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None


class Model(Wire):
    name: str  # "models/gemini-2.5-flash"
    display_name: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] = Field(default_factory=list)


class Embedding(Wire):
    values: list[float]


class BatchEmbedContentsResponse(Wire):
    embeddings: list[Embedding] = Field(default_factory=list)
    usage_metadata: UsageMetadata | None = None


W = TypeVar("W", bound=Wire)


def read(shape: type[W], data: Any) -> W:
    """Gemini's answer as `shape`; one that is not is the external system's fault."""
    try:
        return shape.model_validate(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ExternalServiceError(
            f"Gemini answered with something that is not a {shape.__name__}",
            details=[{"expected": shape.__name__, "at": where, "problem": first["msg"]}],
        ) from None
