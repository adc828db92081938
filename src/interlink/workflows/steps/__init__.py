"""The step types a workflow definition may use, by name."""

from __future__ import annotations

from interlink.workflows.steps import (
    action,
    condition,
    delay,
    foreach,
    http_request,
    set_values,
    transform,
    wait_for_event,
)
from interlink.workflows.steps.base import StepType

STEP_TYPES: dict[str, StepType] = {
    s.name: s
    for s in (
        http_request.STEP,
        action.STEP,
        condition.STEP,
        transform.STEP,
        delay.STEP,
        foreach.STEP,
        wait_for_event.STEP,
        set_values.STEP,
    )
}
# What a foreach may run for each item: steps that finish in one go.
NESTABLE = frozenset({"http_request", "action", "transform", "set"})
