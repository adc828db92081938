"""All SQL of workflows: `WorkflowRepository` on the caller's session (definitions, versions,
executions for the API, the launcher and the scheduler), and `runs` for the engine's run of an
execution, straight on the driver."""

from interlink.workflows.repository.runs import RunRepository, StepRow
from interlink.workflows.repository.workflows import WorkflowRepository

__all__ = ["RunRepository", "StepRow", "WorkflowRepository"]
