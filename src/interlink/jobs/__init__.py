"""Durable work (DBOS Transact). The only package that imports `dbos`; the rest of Interlink
declares workflows and steps, enqueues and schedules through the names below."""

from interlink.jobs.bound import Bound
from interlink.jobs.runtime import (
    Jobs,
    JobsError,
    QueueLimits,
    Schedule,
    current_workflow_id,
    receive,
    sleep,
    step,
    step_key,
    workflow,
)

__all__ = [
    "Bound",
    "Jobs",
    "JobsError",
    "QueueLimits",
    "Schedule",
    "current_workflow_id",
    "receive",
    "sleep",
    "step",
    "step_key",
    "workflow",
]
