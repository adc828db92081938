"""`foreach`: a nested step for each item of a list, `concurrency` at a time, output in order.

The nested step's templates see `item` and `index` beside `input` and `steps`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from interlink.workflows.steps.base import StepConfig, StepFailed, StepRun, StepType

MAX_ITEMS = 1000


class NestedStep(StepConfig):
    type: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)


class ForeachConfig(StepConfig):
    items: list[Any] | str
    step: NestedStep
    concurrency: int = Field(5, ge=1, le=50)


async def run(step: StepRun, config: ForeachConfig) -> dict[str, Any]:
    if not isinstance(config.items, list):
        raise StepFailed("INVALID_STEP_CONFIG", "`items` did not render to a list")
    if len(config.items) > MAX_ITEMS:
        raise StepFailed("INVALID_STEP_CONFIG", f"`items` has more than {MAX_ITEMS} items")
    return {"items": config.items}


STEP = StepType("foreach", ForeachConfig, run, summary="A step for each item of a list")
