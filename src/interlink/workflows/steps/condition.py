"""`condition`: an expression; the steps it names under `then` or `else` run, the others not."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from interlink.workflows.steps.base import StepConfig, StepFailed, StepRun, StepType
from interlink.workflows.templates import TemplateFailure


class ConditionConfig(StepConfig):
    expression: str = Field(min_length=1, max_length=10_000)
    then: list[str] = Field(default_factory=list, max_length=100)
    else_: list[str] = Field(default_factory=list, max_length=100, alias="else")


async def run(step: StepRun, config: ConditionConfig) -> dict[str, Any]:
    try:
        result = bool(await step.tools.expressions.evaluate(config.expression, step.context))
    except TemplateFailure as exc:
        raise StepFailed("TEMPLATE_ERROR", str(exc)) from None
    return {"result": result, "next": config.then if result else config.else_}


STEP = StepType(
    "condition",
    ConditionConfig,
    run,
    outputs=frozenset({"result", "next"}),
    summary="Choose the steps to run next",
)
