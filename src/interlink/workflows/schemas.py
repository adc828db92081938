"""The API's models of workflows and executions (snake_case out, camelCase accepted in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime
from interlink.workflows.definition import Definition, Trigger


class WorkflowCreate(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    definition: Definition
    is_public: bool = False
    enabled: bool = True
    triggers: list[Trigger] = Field(default_factory=list, max_length=20)


class WorkflowPatch(ApiInput):
    """Only the fields given change; a new definition or new triggers make a new version."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    definition: Definition | None = None
    is_public: bool | None = None
    enabled: bool | None = None
    triggers: list[Trigger] | None = Field(None, max_length=20)


class WorkflowOut(ApiOutput):
    id: str
    name: str
    description: str | None
    is_public: bool
    enabled: bool
    version: int
    definition: dict[str, Any]
    triggers: list[dict[str, Any]]
    webhook_url: str | None = Field(
        None, description="Where the webhook trigger is POSTed (with its token in place)"
    )
    trigger_token: str | None = Field(
        None, description="The webhook trigger's token: shown in this response only"
    )
    created_at: UtcTime
    updated_at: UtcTime


class WorkflowDeleted(ApiOutput):
    id: str
    deleted: bool = True


class ExecuteIn(ApiInput):
    input: dict[str, Any] = Field(default_factory=dict)


class ExecutionAccepted(ApiOutput):
    execution_id: str
    workflow_id: str
    status: str
    started_at: UtcTime


class StepOut(ApiOutput):
    name: str
    type: str
    status: str
    attempts: int
    started_at: UtcTime | None
    completed_at: UtcTime | None
    output: Any
    error: dict[str, Any] | None


class ExecutionOut(ApiOutput):
    id: str
    workflow_id: str
    workflow_version: int
    status: str
    trigger: str
    run: int
    input: dict[str, Any]
    output: Any
    error: dict[str, Any] | None
    started_at: UtcTime
    completed_at: UtcTime | None
    steps: list[StepOut] = Field(default_factory=list)


class ExecutionAction(ApiInput):
    action: Literal["cancel", "retry"]


ExecutionStatus = Literal["pending", "running", "waiting", "completed", "failed", "cancelled"]


class ExecutionFilter(ApiOutput):
    status: ExecutionStatus | None = None
    workflow_id: str | None = None
    since: datetime | None = None
