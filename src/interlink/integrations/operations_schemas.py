from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, JsonValue

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime

OperationStatus = Literal["queued", "running", "completed", "failed"]


class OperationRequest(ApiInput):
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    # Queue the operation as durable work and answer 202 at once (also `Prefer: respond-async`).
    run_async: bool = Field(False, validation_alias=AliasChoices("async", "run_async", "runAsync"))


class ParameterInfo(ApiOutput):
    name: str
    type: str
    description: str | None = None
    required: bool
    default: Any = None
    format: str | None = None


class OperationInfo(ApiOutput):
    id: str
    name: str
    description: str
    parameters: list[ParameterInfo]
    result_schema: dict[str, Any]


class OperationList(ApiOutput):
    operations: list[OperationInfo]


class OperationRun(ApiOutput):
    operation_id: str
    integration_id: str
    operation: str
    status: OperationStatus
    started_at: UtcTime
    completed_at: UtcTime | None
    duration_ms: int | None
    result: Any = None


class OperationDetail(OperationRun):
    parameters: dict[str, Any]
    error: dict[str, Any] | None = None
    created_by: str
