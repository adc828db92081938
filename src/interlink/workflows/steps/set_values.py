"""`set`: named values for later steps (`steps.<name>.output.<value>`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from interlink.workflows.steps.base import StepConfig, StepRun, StepType


class SetConfig(StepConfig):
    values: dict[str, Any] = Field(min_length=1, max_length=100)


class SetValues(StepType[SetConfig]):
    name = "set"
    config = SetConfig
    summary = "Named values for later steps"
    shown = None

    async def run(self, step: StepRun, config: SetConfig) -> dict[str, Any]:
        return config.values

    def outputs_of(self, config: Mapping[str, Any]) -> frozenset[str] | None:
        values = config.get("values")
        return frozenset(values) if isinstance(values, Mapping) else None
