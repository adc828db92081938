"""`llm`: one answer of a language model, as the `chat` operation of an LLM integration (openai,
anthropic, gemini, ollama), through the transport and the operation's idempotency key like an
`action` step: a run replayed after its process died gets the recorded answer, not a second
paid call. `prompt` and `system` are templates of the step context. With `output_schema` the
model is asked for JSON and its answer must be a JSON value of that schema: the output's `data`;
otherwise the step fails with INVALID_LLM_OUTPUT, each mismatch in its details."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from pydantic import AliasChoices, Field, field_validator

from interlink.workflows.problems import is_literal, problem
from interlink.workflows.results import StepError
from interlink.workflows.steps.action import provider_wait
from interlink.workflows.steps.base import (
    Findings,
    StepConfig,
    StepFailed,
    StepRun,
    StepType,
    Workspace,
)

CHAT = "chat"
INVALID_OUTPUT = "INVALID_LLM_OUTPUT"
_MAX_MISMATCHES = 20


class LlmConfig(StepConfig):
    integration_id: str = Field(
        min_length=1, max_length=40, validation_alias=AliasChoices("integration_id", "integration")
    )
    model: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=200_000, description="The user's message")
    system: str | None = Field(None, max_length=200_000)
    output_schema: dict[str, Any] | None = Field(
        None, description="A JSON Schema the answer must be a JSON value of"
    )
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0, le=2)

    @field_validator("output_schema")
    @classmethod
    def _a_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                validator_for(schema).check_schema(schema)
            except SchemaError as wrong:
                raise ValueError(f"not a JSON Schema: {wrong.message}") from None
        return schema


class Llm(StepType[LlmConfig]):
    name = "llm"
    config = LlmConfig
    summary = "An answer of a language model (an LLM integration's chat)"
    outputs = frozenset({"text", "data", "model", "finish_reason", "usage"})

    async def run(self, step: StepRun, config: LlmConfig) -> Any:
        operation = await step.tools.operations.execute(
            step.principal,
            config.integration_id,
            CHAT,
            chat_parameters(config),
            idempotency_key=step.idempotency_key,
        )
        answer: Mapping[str, Any] = operation.result
        text = (answer.get("message") or {}).get("content") or ""
        output = {
            "text": text,
            "model": answer.get("model"),
            "finish_reason": answer.get("finish_reason"),
            "usage": answer.get("usage"),
        }
        if config.output_schema is not None:
            output["data"] = structured(text, config.output_schema)
        return output

    def waits_out(self, error: StepError) -> float | None:
        return provider_wait(error)

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        """The integration named (when written as it is, not as a template) answers `chat`."""
        integration_id = config.get("integration_id", config.get("integration"))
        if not is_literal(integration_id):
            return Findings()
        found = await workspace.integration(str(integration_id))
        if found is None:
            message = "no such integration in this workspace"
            return Findings([problem(step, f"{where}.integration_id", message)])
        if CHAT not in found.actions:
            message = f"a {found.type} integration is not a language model (it has no `chat`)"
            return Findings([problem(step, f"{where}.integration_id", message)])
        return Findings()


def chat_parameters(config: LlmConfig) -> dict[str, Any]:
    """The `chat` operation's parameters (`providers/kit/llm.py`'s ChatInput)."""
    messages = [{"role": "system", "content": config.system}] if config.system else []
    messages.append({"role": "user", "content": config.prompt})
    parameters: dict[str, Any] = {"model": config.model, "messages": messages}
    if config.output_schema is not None:
        parameters |= {"response_format": "json", "json_schema": config.output_schema}
    for name in ("max_tokens", "temperature"):
        value = getattr(config, name)
        if value is not None:
            parameters[name] = value
    return parameters


def structured(text: str, schema: Mapping[str, Any]) -> Any:
    """The answer as the JSON value the schema asks for; INVALID_LLM_OUTPUT when it is not."""
    try:
        value = json.loads(text)
    except ValueError:
        raise StepFailed(
            INVALID_OUTPUT,
            "The model's answer is not JSON",
            [{"field": "text", "message": "not JSON", "start": text[:100]}],
        ) from None
    validator = validator_for(schema)(schema)
    mismatches = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if mismatches:
        details = [
            {"field": ".".join(["data", *map(str, e.absolute_path)]), "message": e.message}
            for e in mismatches[:_MAX_MISMATCHES]
        ]
        raise StepFailed(
            INVALID_OUTPUT, "The model's answer does not match the step's output_schema", details
        )
    return value
