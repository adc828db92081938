"""What an `llm` step's config holds: the model it asks (an integration's model, or an AI route),
the prompt, the structured output's schema, and the tools it may call, each an operation of an
integration."""

from __future__ import annotations

from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from pydantic import AliasChoices, Field, field_validator, model_validator

from interlink.workflows.steps.base import StepConfig

TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"
CHOICES = frozenset({"auto", "none", "required"})


class LlmTool(StepConfig):
    """A tool the model may call: an operation of an integration, run as an `action` step runs
    one. Its parameters' JSON Schema is the operation's; `parameters` are fixed (the model
    neither sees nor chooses them)."""

    name: str = Field(pattern=TOOL_NAME, description="The name the model calls it by")
    integration_id: str = Field(
        min_length=1, max_length=40, validation_alias=AliasChoices("integration_id", "integration")
    )
    action: str = Field(
        min_length=1,
        max_length=100,
        validation_alias=AliasChoices("action", "operation"),
        description="The integration's operation",
    )
    description: str | None = Field(
        None, max_length=2000, description="What the model is told it does (else the operation's)"
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Arguments fixed by the workflow, hidden from the model"
    )


class LlmConfig(StepConfig):
    integration_id: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        validation_alias=AliasChoices("integration_id", "integration"),
    )
    route: str | None = Field(
        None, min_length=1, max_length=100, description="An AI route, instead of an integration"
    )
    model: str | None = Field(
        None, min_length=1, max_length=200, description="With `integration_id`: its model"
    )
    prompt: str = Field(min_length=1, max_length=200_000, description="The user's message")
    system: str | None = Field(None, max_length=200_000)
    output_schema: dict[str, Any] | None = Field(
        None, description="A JSON Schema the answer must be a JSON value of"
    )
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0, le=2)
    tools: list[LlmTool] = Field(default_factory=list, max_length=32)
    tool_choice: str = Field(
        "auto", max_length=64, description="auto, none, required, or the one tool's name"
    )
    max_tool_rounds: int = Field(
        5,
        ge=1,
        le=20,
        validation_alias=AliasChoices("max_tool_rounds", "maxToolRounds"),
        description="How many times the model's tool calls are answered before the step fails",
    )

    @field_validator("output_schema")
    @classmethod
    def _a_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                validator_for(schema).check_schema(schema)
            except SchemaError as wrong:
                raise ValueError(f"not a JSON Schema: {wrong.message}") from None
        return schema

    @model_validator(mode="after")
    def _one_target(self) -> LlmConfig:
        if (self.integration_id is None) == (self.route is None):
            raise ValueError("give `integration_id` (with `model`) or `route`, not both")
        if self.integration_id is not None and self.model is None:
            raise ValueError("`model` is required with `integration_id`")
        if self.route is not None and self.model is not None:
            raise ValueError("a route chooses the model: give no `model` with `route`")
        return self

    @model_validator(mode="after")
    def _tools_named_once(self) -> LlmConfig:
        names = [tool.name for tool in self.tools]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"tool names must differ: {', '.join(twice)} given twice")
        if self.tool_choice not in CHOICES and self.tool_choice not in names:
            raise ValueError(f"`tool_choice` {self.tool_choice!r} is no tool of this step")
        return self
