"""`wait_for_event`: pause until an event of a type (and payload filter) arrives, or a timeout.

The filter maps dotted paths in the event's `data` to the values they must equal, e.g.
`{"event": "issues.opened", "integration_id": "{{ input.integration }}"}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator

from interlink.workflows.steps.base import StepConfig, StepRun, StepType

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


async def run(step: StepRun, config: WaitForEventConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")


STEP = StepType(
    "wait_for_event",
    WaitForEventConfig,
    run,
    outputs=frozenset({"event", "timed_out"}),
    summary="Wait for an event",
)
