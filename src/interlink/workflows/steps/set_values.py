"""`set`: named values for later steps (`steps.<name>.output.<value>`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from interlink.workflows.steps.base import StepConfig, StepRun, StepType


class SetConfig(StepConfig):
    values: dict[str, Any] = Field(min_length=1, max_length=100)


async def run(step: StepRun, config: SetConfig) -> dict[str, Any]:
    return config.values


STEP = StepType("set", SetConfig, run, summary="Named values for later steps")
