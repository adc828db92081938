"""`action`: one operation of an integration, through the transport (limits, breaker, retries).

On an open circuit or a spent budget it waits (for the provider's `Retry-After`, else 5 s) and
tries again, instead of failing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, Field

from interlink.core.errors import CircuitOpen, RateLimitExceeded
from interlink.workflows.problems import is_literal, problem
from interlink.workflows.results import StepError
from interlink.workflows.steps.base import Findings, StepConfig, StepRun, StepType, Workspace

_WAIT_CODES = {CircuitOpen.code, RateLimitExceeded.code}
_DEFAULT_WAIT = 5.0


def provider_wait(error: StepError) -> float | None:
    """How long a step calling a provider waits before trying again: on an open circuit or a
    spent budget, the provider's hint (else 5 s); None for any other failure."""
    if error.code not in _WAIT_CODES:
        return None
    try:
        return min(max(float(error.retry_after or _DEFAULT_WAIT), 0.5), 3600.0)
    except ValueError:
        return _DEFAULT_WAIT


class ActionConfig(StepConfig):
    integration_id: str = Field(
        min_length=1, max_length=40, validation_alias=AliasChoices("integration_id", "integration")
    )
    operation: str = Field(min_length=1, max_length=100)
    parameters: dict[str, Any] = Field(default_factory=dict)


class Action(StepType[ActionConfig]):
    name = "action"
    config = ActionConfig
    summary = "An operation of an integration"

    async def run(self, step: StepRun, config: ActionConfig) -> Any:
        operation = await step.tools.operations.execute(
            step.principal,
            config.integration_id,
            config.operation,
            config.parameters,
            idempotency_key=step.idempotency_key,
        )
        return operation.result

    def waits_out(self, error: StepError) -> float | None:
        return provider_wait(error)

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        """The integration, its operation and the parameters named (when written as they are,
        not as templates), and the fields of the operation's result."""
        integration_id = config.get("integration_id", config.get("integration"))
        if not is_literal(integration_id):
            return Findings()
        found = await workspace.integration(str(integration_id))
        if found is None:
            message = "no such integration in this workspace"
            return Findings([problem(step, f"{where}.integration_id", message)])
        operation = config.get("operation")
        action = found.actions.get(str(operation))
        if action is None:
            known = ", ".join(sorted(found.actions)) or "none"
            message = (
                f"the {found.type} integration has no operation `{operation}` (it has: {known})"
            )
            return Findings([problem(step, f"{where}.operation", message)])
        problems = [
            problem(
                step, f"{where}.parameters.{name}", f"`{operation}` takes no parameter `{name}`"
            )
            for name in config.get("parameters") or {}
            if name not in action.inputs
        ]
        return Findings(problems, action.outputs)
