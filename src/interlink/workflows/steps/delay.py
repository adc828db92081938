"""`delay`: wait `seconds`, or `until` an RFC 3339 time, as a durable wait in the run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, Field, model_validator

from interlink.workflows.results import Attempt, StepResult
from interlink.workflows.steps.base import Resuming, StepConfig, StepRun, StepType, Wait

if TYPE_CHECKING:
    from interlink.workflows.steps.spec import StepSpec

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


class Delay(StepType[DelayConfig]):
    name = "delay"
    config = DelayConfig
    summary = "Wait durably"
    shown = "waiting"
    goes_on = True

    async def run(self, step: StepRun, config: DelayConfig) -> dict[str, Any]:
        # What was asked; the wake-up time is fixed when the wait opens.
        return config.model_dump(mode="json", exclude_none=True)

    def opens(self, config: DelayConfig, now: datetime) -> Wait:
        return Wait((now + timedelta(seconds=seconds_left(config, now))).timestamp())

    async def resume(self, run: Resuming, spec: StepSpec, attempt: int, opened: Attempt) -> Attempt:
        assert opened.deadline is not None
        await run.pause_until(opened.deadline)
        await run.end_step(spec.name, StepResult.of(opened))
        return opened
