"""A step as a definition writes it: its name, type, config and options."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

StepName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


class Input(BaseModel):
    """A part of a definition as the API takes it."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=None, str_max_length=100_000
    )


class RetryOptions(Input):
    max_attempts: int = Field(
        3, ge=1, le=20, validation_alias=AliasChoices("max_attempts", "maxAttempts")
    )
    backoff_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        validation_alias=AliasChoices("backoff_seconds", "backoffSeconds", "backoff"),
        description="The first pause between attempts; it doubles after each",
    )


class StepSpec(Input):
    name: StepName
    type: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetryOptions | None = None
    timeout: float | None = Field(None, gt=0, le=24 * 3600, description="Seconds per attempt")
    on_error: str = Field(
        "fail",
        max_length=64,
        validation_alias=AliasChoices("on_error", "onError"),
        description="`fail`, `continue`, or the name of a step to run as compensation",
    )
