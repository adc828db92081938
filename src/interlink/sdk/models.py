"""Typed models of what the API returns (and of IntegrationConfig, which it takes).

Fields the server adds later are ignored, so an older SDK keeps working with a newer server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# -- pagination -----------------------------------------------------------------------------------
class Pagination(Model):
    page: int
    page_size: int
    total_items: int
    total_pages: int


class PageData(Model, Generic[T]):
    items: list[T]
    pagination: Pagination


# -- integrations ---------------------------------------------------------------------------------
class IntegrationConfig(Model):
    """What `create_integration` takes: the seed's `IntegrationConfig(name=..., type=...)`."""

    name: str
    type: str
    description: str | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = None
    credential_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class LlmSpend(Model):
    """Language-model calls' tokens and cost (`cost_usd`: dollars as a decimal string), and how
    they went: failed calls, mean latency and time to first token (ms), tokens per second."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: str = "0"
    errors: int = 0
    error_rate: float | None = None
    latency_ms: float | None = None
    time_to_first_token_ms: float | None = None
    tokens_per_second: float | None = None


class IntegrationStats(Model):
    last_used: datetime | None = None
    total_calls: int = 0
    success_rate: float | None = None
    average_response_time_ms: float | None = None
    llm: LlmSpend | None = None


class IntegrationHealth(Model):
    status: str = "unknown"
    last_check: datetime | None = None
    message: str | None = None


class Integration(Model):
    """An integration. Change its fields and pass it to `update_integration`."""

    id: str
    name: str
    description: str | None = None
    type: str
    configuration: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = None
    credential_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str
    stats: IntegrationStats = Field(default_factory=IntegrationStats)
    health: IntegrationHealth = Field(default_factory=IntegrationHealth)
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = None
    deactivated_at: datetime | None = None
    created_by: str | None = None


class IntegrationSummary(Model):
    """An integration as lists show it."""

    id: str
    name: str
    description: str | None = None
    type: str
    status: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    health: IntegrationHealth = Field(default_factory=IntegrationHealth)
    created_at: datetime
    updated_at: datetime


class StatusChange(Model):
    """The answer to activate and deactivate."""

    id: str
    status: str
    activated_at: datetime | None = None
    deactivated_at: datetime | None = None
    updated_at: datetime


class CredentialsUpdated(Model):
    id: str
    credentials: dict[str, Any]
    updated_at: datetime


class TestResult(Model):
    """The result of `test_integration`: `success`, `message`, `latency_ms`."""

    __test__ = False  # not a pytest class
    id: str
    success: bool
    latency_ms: int
    message: str
    timestamp: datetime


class Deleted(Model):
    id: str
    deleted: bool = True


# -- operations -----------------------------------------------------------------------------------
class ParameterInfo(Model):
    name: str
    type: str
    description: str | None = None
    required: bool
    default: Any = None
    format: str | None = None


class OperationInfo(Model):
    id: str
    name: str
    description: str
    parameters: list[ParameterInfo] = Field(default_factory=list)
    result_schema: dict[str, Any] = Field(default_factory=dict)


class OperationResult(Model):
    """An operation just run (`status` completed) or queued (`status` queued)."""

    operation_id: str
    integration_id: str
    operation: str
    status: str
    started_at: datetime
    completed_at: datetime | None = None
    duration_ms: int | None = None
    result: Any = None


class OperationStatus(OperationResult):
    """An operation read back: its parameters (secrets masked) and error too."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    error: dict[str, Any] | None = None
    created_by: str | None = None


# -- health ---------------------------------------------------------------------------------------
class HealthCheckItem(Model):
    name: str
    status: str
    message: str
    latency_ms: int | None = None
    time_to_first_token_ms: int | None = None


class HealthMetrics(Model):
    success_rate_24h: float | None = None
    average_latency_ms: float | None = None
    error_rate: float | None = None
    total_calls_24h: int = 0
    llm_24h: LlmSpend | None = None


class HealthStatus(Model):
    """The last health check of an integration and its last 24 hours' metrics."""

    integration_id: str
    status: str
    last_check: datetime | None = None
    message: str | None = None
    checks: list[HealthCheckItem] = Field(default_factory=list)
    metrics: HealthMetrics = Field(default_factory=HealthMetrics)


class HealthCheckResult(Model):
    """A health check run now."""

    integration_id: str
    status: str
    timestamp: datetime
    message: str
    checks: list[HealthCheckItem] = Field(default_factory=list)


# -- credentials and connectors -------------------------------------------------------------------
class Credential(Model):
    """A stored credential; `data` comes back masked."""

    id: str
    name: str
    description: str | None = None
    type: str
    provider: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    allowed_hosts: list[str] = Field(default_factory=list)
    readable: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)
    integration_id: str | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None


class ConnectorAction(Model):
    name: str
    description: str
    input_schema: dict[str, Any] = Field(default_factory=dict, alias="inputSchema")
    output_schema: dict[str, Any] = Field(default_factory=dict, alias="outputSchema")


class Connector(Model):
    """A connector type of the catalog, with its actions."""

    type: str
    name: str
    description: str
    category: str
    auth_methods: list[str] = Field(default_factory=list)
    default_api_url: str | None = None
    api_url_hint: str | None = None  # how a custom api_url is given
    docs_url: str | None = None  # the provider's API reference
    actions: list[ConnectorAction] = Field(default_factory=list)


# -- webhooks -------------------------------------------------------------------------------------
class WebhookRetryPolicy(Model):
    max_attempts: int
    backoff_ms: int = 0


class Webhook(Model):
    id: str
    name: str | None = None
    description: str | None = None
    url: str
    events: list[str]
    headers: dict[str, str] = Field(default_factory=dict)
    retry_policy: WebhookRetryPolicy | None = None
    enabled: bool
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    secret: str
    previous_secret_expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class DeliveryAttempt(Model):
    at: datetime
    status_code: int | None = None
    duration_ms: int
    response_body: str | None = None
    error: str | None = None


class Delivery(Model):
    id: str
    webhook_id: str
    event_id: str
    event: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime
    attempts: list[DeliveryAttempt] = Field(default_factory=list)


class RecoverResult(Model):
    webhook_id: str
    requeued: int


# -- workflows ------------------------------------------------------------------------------------
class WorkflowStep(Model):
    name: str
    type: str
    config: dict[str, Any] = Field(default_factory=dict)
    retry: Any = None
    timeout: Any = None
    on_error: str | None = None


class WorkflowDefinition(Model):
    steps: list[WorkflowStep] = Field(default_factory=list)


class Workflow(Model):
    id: str
    name: str
    description: str | None = None
    definition: WorkflowDefinition = Field(default_factory=WorkflowDefinition)
    is_public: bool = False
    enabled: bool = True
    triggers: Any = None
    version: int | None = None
    webhook_url: str | None = None
    trigger_token: str | None = None  # a webhook trigger's token: in the create answer only
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ExecutionStarted(Model):
    """The answer to `execute`: the execution's id, status `pending`."""

    execution_id: str
    workflow_id: str
    status: str
    started_at: datetime | None = None


class ExecutionStep(Model):
    name: str
    type: str | None = None
    status: str
    attempts: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None
    output: Any = None
    error: Any = None


TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Execution(Model):
    id: str
    workflow_id: str
    workflow_version: int | None = None
    status: str
    trigger: str | None = None
    run: int | None = None
    input: Any = None
    output: Any = None
    error: Any = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    steps: list[ExecutionStep] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Completed, failed or cancelled: the status will not change again."""
        return self.status in TERMINAL_STATUSES


# -- API keys and events --------------------------------------------------------------------------
class ApiKey(Model):
    """An API key as lists show it: never the key itself, only its first characters."""

    id: str
    name: str
    prefix: str
    scopes: list[str] = Field(default_factory=list)
    rate_limit: str | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime
    created_by: str | None = None


class ApiKeyCreated(ApiKey):
    """A key just made: `key` is in this answer only."""

    key: str


class ApiKeyRevoked(Model):
    id: str
    revoked: bool = True
    revoked_at: datetime


class Event(Model):
    """An event of the log (`event` is its type, e.g. `integration.created`)."""

    id: str
    event: str
    timestamp: datetime
    integration_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
