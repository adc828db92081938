from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field, JsonValue, field_validator, model_validator
from pydantic.alias_generators import to_snake

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime
from interlink.integrations.models import Integration
from interlink.providers.kit.types import AuthMethod
from interlink.providers.registry import TypeName
from interlink.transport.header_check import header_problem, header_problems

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
Seconds = Annotated[int | float, Field(gt=0, le=300)]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
InlineCredentials = Annotated[dict[FieldName, JsonValue], Field(min_length=1, max_length=50)]
Metadata = Annotated[dict[Annotated[str, Field(max_length=100)], JsonValue], Field(max_length=100)]
IntegrationStatus = Literal["configured", "active", "inactive"]


def _absolute_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; put them in `credentials`")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain white space")
    return value


ApiUrl = Annotated[str, Field(max_length=2048), AfterValidator(_absolute_http_url)]


class RateLimiting(ApiInput):
    requests_per_second: Annotated[float, Field(gt=0, le=10_000)] | None = None
    requests_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    requests_per_hour: Annotated[int, Field(ge=1, le=100_000_000)] | None = None
    max_concurrent_requests: Annotated[int, Field(ge=1, le=1_000)] | None = None
    retry_after_seconds: Annotated[float, Field(ge=0, le=3_600)] | None = None
    max_retries: Annotated[int, Field(ge=0, le=20)] | None = None


class RequestConfiguration(ApiInput):
    timeout_seconds: Seconds | None = None
    connect_timeout_seconds: Seconds | None = None
    read_timeout_seconds: Seconds | None = None
    max_redirects: Annotated[int, Field(ge=0, le=20)] | None = None
    verify_ssl: bool | None = None
    user_agent: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    default_headers: (
        Annotated[
            dict[
                Annotated[str, Field(min_length=1, max_length=200)],
                Annotated[str, Field(max_length=4000)],
            ],
            Field(max_length=50),
        ]
        | None
    ) = None

    @field_validator("user_agent")
    @classmethod
    def _sendable_user_agent(cls, value: str | None) -> str | None:
        problem = header_problem("User-Agent", value) if value is not None else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("default_headers")
    @classmethod
    def _sendable_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        problems = [problem for _, problem in header_problems(value or {})]
        if problems:
            raise ValueError("; ".join(problems))
        return value


class IntegrationConfiguration(ApiInput):
    """Known fields are validated; connector-specific fields (e.g. `default_channel`) are kept."""

    model_config = ConfigDict(extra="allow")

    api_url: ApiUrl | None = None
    auth_method: AuthMethod | None = None
    request_timeout: Seconds | None = None
    rate_limit_per_hour: Annotated[int, Field(ge=1, le=100_000_000)] | None = None
    rate_limiting: RateLimiting | None = None
    request: RequestConfiguration | None = None
    # Seconds between scheduled health checks while active (default: the jobs setting).
    health_check_interval_seconds: Annotated[int, Field(ge=10, le=7 * 86_400)] | None = None

    @model_validator(mode="after")
    def _extra_fields_in_snake_case(self) -> IntegrationConfiguration:
        """A connector-specific field given in camelCase (e.g. Slack's `defaultChannel`) is kept
        under its snake_case name, as the known fields are and as connectors read it."""
        if self.__pydantic_extra__:
            self.__pydantic_extra__ = {
                to_snake(k) if k != k.lower() else k: v for k, v in self.__pydantic_extra__.items()
            }
        return self


class IntegrationCreate(ApiInput):
    name: Name
    description: Description | None = None
    type: TypeName
    configuration: IntegrationConfiguration = IntegrationConfiguration()
    credentials: InlineCredentials | None = None
    credential_id: Annotated[str, Field(max_length=40)] | None = None
    metadata: Metadata = Field(default_factory=dict)


class IntegrationUpdate(ApiInput):
    """PUT replaces each field given; PATCH merges `configuration` and `metadata`
    (a null removes a key)."""

    name: Name | None = None
    description: Description | None = None
    type: TypeName | None = None
    configuration: IntegrationConfiguration | None = None
    credential_id: Annotated[str, Field(max_length=40)] | None = None
    metadata: Metadata | None = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("cannot be null; leave it out to keep the current name")
        return value


class CredentialsUpdate(ApiInput):
    credentials: InlineCredentials


class LlmSpend(ApiOutput):
    """Language-model calls' tokens and cost (docs/ai.md, "Usage, cost and budgets")."""

    calls: int = Field(description="Calls made, failed ones included")
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str = Field(description="Dollars as a decimal string")
    errors: int = Field(0, description="Calls the provider failed (not charged)")
    error_rate: float | None = Field(None, description="errors / calls")
    latency_ms: float | None = Field(None, description="Mean time of a call, to its last token")
    time_to_first_token_ms: float | None = Field(
        None, description="Mean time to a streamed answer's first chunk"
    )
    tokens_per_second: float | None = Field(
        None, description="Completion tokens per second of generation (after the first token)"
    )


class IntegrationStats(ApiOutput):
    last_used: UtcTime | None = None
    total_calls: int = 0
    success_rate: float | None = None
    average_response_time_ms: float | None = None
    llm: LlmSpend | None = Field(None, description="A language-model integration's spend")


class IntegrationHealth(ApiOutput):
    status: Literal["healthy", "degraded", "unhealthy", "unknown"] = "unknown"
    last_check: UtcTime | None = None
    message: str | None = None


class IntegrationOut(ApiOutput):
    id: str
    name: str
    description: str | None
    type: str
    configuration: dict[str, Any]
    credentials: dict[str, Any] | None = Field(description="Credential fields, secrets masked")
    credential_id: str | None
    metadata: dict[str, Any]
    status: IntegrationStatus
    stats: IntegrationStats
    health: IntegrationHealth
    created_at: UtcTime
    updated_at: UtcTime
    activated_at: UtcTime | None
    deactivated_at: UtcTime | None
    created_by: str


class IntegrationHealthSummary(ApiOutput):
    status: str
    last_check: UtcTime | None


class IntegrationSummary(ApiOutput):
    id: str
    name: str
    description: str | None
    type: str
    status: IntegrationStatus
    metadata: dict[str, Any]
    health: IntegrationHealthSummary
    created_at: UtcTime
    updated_at: UtcTime

    @classmethod
    def of(cls, row: Integration) -> IntegrationSummary:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            type=row.type,
            status=row.status,
            metadata=row.metadata_,
            health=IntegrationHealthSummary(
                status=row.health_status, last_check=row.health_checked_at
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class CredentialsUpdated(ApiOutput):
    id: str
    credentials: dict[str, Any]
    updated_at: UtcTime


class Activated(ApiOutput):
    id: str
    status: IntegrationStatus
    activated_at: UtcTime | None
    updated_at: UtcTime


class Deactivated(ApiOutput):
    id: str
    status: IntegrationStatus
    deactivated_at: UtcTime | None
    updated_at: UtcTime


class Deleted(ApiOutput):
    id: str
    deleted: bool = True
