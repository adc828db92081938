"""An execution's statuses, and the events that tell its start and its end."""

from __future__ import annotations

from typing import Any

from interlink.events.types import EventType, WorkflowState

LIVE = ("pending", "running", "waiting")  # an execution not ended yet
FINISHED_EVENTS = {
    "completed": EventType.WORKFLOW_COMPLETED,
    "failed": EventType.WORKFLOW_FAILED,
    "cancelled": EventType.WORKFLOW_CANCELLED,
}


def state(
    workflow_id: str,
    execution_id: str,
    status: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> WorkflowState:
    """The payload of a `workflow.*` event."""
    return WorkflowState(
        workflow_id=workflow_id,
        execution_id=execution_id,
        status=status,
        output=output,
        error=error,
    )
