"""`delay`: wait `seconds`, or `until` an RFC 3339 time, as a durable sleep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, model_validator

from interlink.workflows.steps.base import StepConfig, StepRun, StepType

MAX_SECONDS = 30 * 24 * 3600


class DelayConfig(StepConfig):
    seconds: float | None = Field(None, ge=0, le=MAX_SECONDS)
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_way(self) -> DelayConfig:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("give exactly one of `seconds` and `until`")
        return self


def seconds_left(config: DelayConfig, now: datetime) -> float:
    if config.seconds is not None:
        return config.seconds
    assert config.until is not None
    return max(0.0, min(MAX_SECONDS, (config.until - now).total_seconds()))


async def run(step: StepRun, config: DelayConfig) -> dict[str, Any]:
    # The engine sleeps; this records what was asked (the wake-up time is fixed by the engine).
    return config.model_dump(mode="json", exclude_none=True)


STEP = StepType("delay", DelayConfig, run, summary="Wait durably")
