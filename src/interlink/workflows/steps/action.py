"""`action`: one operation of an integration, through the transport (limits, breaker, retries)."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from interlink.workflows.steps.base import StepConfig, StepRun, StepType


class ActionConfig(StepConfig):
    integration_id: str = Field(
        min_length=1, max_length=40, validation_alias=AliasChoices("integration_id", "integration")
    )
    operation: str = Field(min_length=1, max_length=100)
    parameters: dict[str, Any] = Field(default_factory=dict)


async def run(step: StepRun, config: ActionConfig) -> Any:
    operation = await step.tools.operations.execute(
        step.principal,
        config.integration_id,
        config.operation,
        config.parameters,
        idempotency_key=step.idempotency_key,
    )
    return operation.result


STEP = StepType("action", ActionConfig, run, summary="An operation of an integration")
