"""Event types (`resource.verb`, stored: never rename one), the payload model of each, and an
event to publish (`new_event`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from interlink.core.clock import rfc3339
from interlink.core.ids import new_id


class EventType(StrEnum):
    INTEGRATION_CREATED = "integration.created"
    INTEGRATION_UPDATED = "integration.updated"
    INTEGRATION_CREDENTIALS_UPDATED = "integration.credentials_updated"
    INTEGRATION_ACTIVATED = "integration.activated"
    INTEGRATION_DEACTIVATED = "integration.deactivated"
    INTEGRATION_DELETED = "integration.deleted"
    INTEGRATION_HEALTH_CHANGED = "integration.health_changed"
    CREDENTIAL_CREATED = "credential.created"
    CREDENTIAL_UPDATED = "credential.updated"
    CREDENTIAL_DELETED = "credential.deleted"
    CREDENTIAL_REFRESH_FAILED = "credential.refresh_failed"
    OPERATION_STARTED = "operation.started"
    OPERATION_COMPLETED = "operation.completed"
    OPERATION_FAILED = "operation.failed"
    OPERATION_PROGRESS = "operation.progress"
    WEBHOOK_TEST = "webhook.test"
    WEBHOOK_DISABLED = "webhook.disabled"
    WORKFLOW_STARTED = "workflow.started"
    WORKFLOW_COMPLETED = "workflow.completed"
    WORKFLOW_FAILED = "workflow.failed"
    WORKFLOW_CANCELLED = "workflow.cancelled"
    BUDGET_THRESHOLD_REACHED = "budget.threshold_reached"
    BUDGET_EXHAUSTED = "budget.exhausted"
    AI_FALLBACK = "ai.fallback"


class IntegrationState(BaseModel):
    """The integration's identity and status after the change."""

    integration_id: str
    name: str
    type: str
    status: str


class IntegrationUpdated(BaseModel):
    integration_id: str
    name: str
    type: str
    status: str
    changed_fields: list[str]


class IntegrationCredentialsUpdated(BaseModel):
    integration_id: str
    credential_id: str
    credential_fields: list[str]


class IntegrationHealthChanged(BaseModel):
    integration_id: str
    previous_status: str
    status: str
    message: str


class CredentialState(BaseModel):
    credential_id: str
    name: str
    type: str
    provider: str | None


class OperationStarted(BaseModel):
    operation_id: str
    integration_id: str
    operation: str


class OperationFinished(BaseModel):
    operation_id: str
    integration_id: str
    operation: str
    status: str
    duration_ms: int
    error_code: str | None = None


class OperationProgress(BaseModel):
    """How far a running operation has got, as its action said (at most about one a second)."""

    operation_id: str
    integration_id: str
    operation: str
    status: str = Field(description="The action's words, e.g. Ollama's 'pulling 37aee890d948'")
    completed: int | None = Field(None, description="Units done (bytes for a pull)")
    total: int | None = Field(None, description="Units in all, when known")
    request_id: str | None = Field(
        None, description="The X-Request-ID of the API request running it (none when queued)"
    )


class CredentialRefreshFailed(BaseModel):
    credential_id: str
    reason: str


class WebhookTest(BaseModel):
    """Sent by POST /webhooks/{id}/test to that endpoint only."""

    webhook_id: str
    message: str


class WebhookDisabled(BaseModel):
    webhook_id: str
    url: str
    reason: str


class WorkflowState(BaseModel):
    """An execution of a workflow, as it starts or ends: the payload of `workflow.*` events and
    of their webhook deliveries."""

    workflow_id: str
    execution_id: str
    status: str
    output: Any = None
    error: dict[str, Any] | None = None


class AiFallback(BaseModel):
    """A route's target failed (rate limit, provider error or timeout, open breaker, spent
    budget) and the call went on to the next one."""

    route: str
    route_version: int
    integration: str = Field(description="The failed target's integration (its name or id)")
    model: str
    error_code: str
    error_message: str


class BudgetState(BaseModel):
    """A language-model budget's period as it reaches its threshold or is spent: the payload of
    `budget.*` events. `limit` and `used` are tokens, or dollars as a decimal string."""

    budget_id: str
    integration_id: str | None  # none: the workspace's budget
    unit: str  # tokens | usd
    period: str  # day | month
    period_start: datetime
    limit: str
    used: str
    threshold_percent: int


PAYLOAD_MODELS: dict[EventType, type[BaseModel]] = {
    EventType.INTEGRATION_CREATED: IntegrationState,
    EventType.INTEGRATION_UPDATED: IntegrationUpdated,
    EventType.INTEGRATION_CREDENTIALS_UPDATED: IntegrationCredentialsUpdated,
    EventType.INTEGRATION_ACTIVATED: IntegrationState,
    EventType.INTEGRATION_DEACTIVATED: IntegrationState,
    EventType.INTEGRATION_DELETED: IntegrationState,
    EventType.INTEGRATION_HEALTH_CHANGED: IntegrationHealthChanged,
    EventType.CREDENTIAL_CREATED: CredentialState,
    EventType.CREDENTIAL_UPDATED: CredentialState,
    EventType.CREDENTIAL_DELETED: CredentialState,
    EventType.CREDENTIAL_REFRESH_FAILED: CredentialRefreshFailed,
    EventType.OPERATION_STARTED: OperationStarted,
    EventType.OPERATION_COMPLETED: OperationFinished,
    EventType.OPERATION_FAILED: OperationFinished,
    EventType.OPERATION_PROGRESS: OperationProgress,
    EventType.WEBHOOK_TEST: WebhookTest,
    EventType.WEBHOOK_DISABLED: WebhookDisabled,
    EventType.WORKFLOW_STARTED: WorkflowState,
    EventType.WORKFLOW_COMPLETED: WorkflowState,
    EventType.WORKFLOW_FAILED: WorkflowState,
    EventType.WORKFLOW_CANCELLED: WorkflowState,
    EventType.BUDGET_THRESHOLD_REACHED: BudgetState,
    EventType.BUDGET_EXHAUSTED: BudgetState,
    EventType.AI_FALLBACK: AiFallback,
}


# -- provider events: `provider.<type>.<event>`, one type per provider event, so not in the enum --
PROVIDER_PREFIX = "provider."
_NAME_PART = re.compile(r"[^a-z0-9_.:-]+")


def provider_event_type(integration_type: str, event: str) -> str:
    """`provider.<type>.<event>` in lower case, other characters as `_`, at most 100 long."""
    name = _NAME_PART.sub("_", event.lower()).strip(".") or "unknown"
    return f"{PROVIDER_PREFIX}{integration_type}.{name}"[:100]


class ProviderEvent(BaseModel):
    """A verified incoming provider webhook (the payload of every `provider.*` event)."""

    hook_id: str
    integration_id: str
    provider: str  # the integration type
    event: str  # the provider's event name, e.g. "issues.opened"
    delivery_id: str | None
    received_at: datetime
    body: Any  # the parsed body (JSON, or a form as an object); null when unreadable


# -- an event's record -----------------------------------------------------------------------------
@dataclass(frozen=True)
class EventRecord:
    """An event's row: as `EventService.publish` writes it (from `new_event`), and as the log's
    followers read it back."""

    id: str
    workspace_id: str
    type: str
    integration_id: str | None
    payload: dict[str, Any]
    created_at: datetime

    def envelope(self) -> dict[str, Any]:
        """As deliveries, the live stream and workflow waits show it."""
        return envelope(self.id, self.type, self.created_at, self.payload)


def envelope(event_id: str, event_type: str, created_at: datetime, data: Any) -> dict[str, Any]:
    """An event as it is sent: `{"id", "event", "timestamp", "data"}`."""
    return {"id": event_id, "event": event_type, "timestamp": rfc3339(created_at), "data": data}


def new_event(
    workspace_id: str,
    event_type: EventType | str,
    payload: BaseModel,
    *,
    at: datetime,
    integration_id: str | None = None,
) -> EventRecord:
    """An event of `event_type`, with a new id, made at `at`. A member of `EventType` takes its
    payload model (`PAYLOAD_MODELS`); a `provider.<type>.<event>` type a `ProviderEvent`."""
    if isinstance(event_type, EventType):
        expected: type[BaseModel] = PAYLOAD_MODELS[event_type]
    elif event_type.startswith(PROVIDER_PREFIX):
        expected = ProviderEvent
    else:
        raise ValueError(f"{event_type!r} is not an event type")
    if not isinstance(payload, expected):
        raise TypeError(f"{event_type} takes a {expected.__name__} payload")
    return EventRecord(
        id=new_id("evt"),
        workspace_id=workspace_id,
        type=str(event_type),
        integration_id=integration_id,
        payload=payload.model_dump(mode="json"),
        created_at=at,
    )
