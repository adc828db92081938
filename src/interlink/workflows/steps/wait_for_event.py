"""`wait_for_event`: pause until an event of a type (and payload filter) arrives, or a timeout.

The filter maps dotted paths in the event's `data` to the values they must equal, e.g.
`{"event": "issues.opened", "integration_id": "{{ input.integration }}"}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from interlink.workflows.results import Attempt, StepError, StepResult
from interlink.workflows.steps.base import Resuming, StepConfig, StepRun, StepType, Wait

if TYPE_CHECKING:
    from interlink.workflows.steps.spec import StepSpec

MAX_TIMEOUT = 30 * 24 * 3600


class WaitForEventConfig(StepConfig):
    event: str = Field(min_length=1, max_length=100)
    filter: dict[str, Any] = Field(default_factory=dict, max_length=20)
    timeout_seconds: float = Field(24 * 3600, gt=0, le=MAX_TIMEOUT)
    on_timeout: Literal["fail", "continue"] = "fail"

    @field_validator("event")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "*" in value[:-1]:
            raise ValueError("`event` is a type, or a prefix ending in `*` (e.g. `provider.*`)")
        return value


def matches(pattern: str, filter_: Mapping[str, Any], event_type: str, data: Any) -> bool:
    if pattern.endswith("*"):
        if not event_type.startswith(pattern[:-1]):
            return False
    elif event_type != pattern:
        return False
    return all(_at(data, path) == expected for path, expected in filter_.items())


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return _MISSING
        data = data[part]
    return data


_MISSING = object()


class WaitForEvent(StepType[WaitForEventConfig]):
    name = "wait_for_event"
    config = WaitForEventConfig
    outputs = frozenset({"event", "timed_out"})
    summary = "Wait for an event"
    shown = "waiting"
    goes_on = True

    async def run(self, step: StepRun, config: WaitForEventConfig) -> dict[str, Any]:
        return config.model_dump(mode="json")

    def opens(self, config: WaitForEventConfig, now: datetime) -> Wait:
        deadline = (now + timedelta(seconds=config.timeout_seconds)).timestamp()
        return Wait(deadline, config.event, config.filter)

    async def resume(self, run: Resuming, spec: StepSpec, attempt: int, opened: Attempt) -> Attempt:
        assert opened.deadline is not None
        assert opened.wait_id is not None
        message = await run.receive_until(opened.deadline, opened.wait_id)
        await run.close_wait(opened.wait_id)
        asked = opened.output
        if message is not None:
            result = Attempt({"event": message["event"], "timed_out": False})
        elif asked.get("on_timeout") == "continue":
            result = Attempt({"event": None, "timed_out": True})
        else:
            error = StepError("WAIT_TIMEOUT", f"no matching `{asked['event']}` event came")
            result = Attempt.failed(error)
        await run.end_step(spec.name, StepResult.of(result))
        return result
