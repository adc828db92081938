from __future__ import annotations

from typing import Literal

from interlink.core.schemas import ApiOutput, UtcTime
from interlink.integrations.schemas import LlmSpend

HealthStatus = Literal["healthy", "degraded", "unhealthy", "unknown"]
CheckStatus = Literal["passed", "warning", "failed", "skipped"]


class ConnectionTest(ApiOutput):
    success: bool
    latency_ms: int
    message: str
    timestamp: UtcTime


class ConnectionTestResult(ApiOutput):
    id: str
    connection_test: ConnectionTest


class HealthCheckItem(ApiOutput):
    name: str
    status: CheckStatus
    message: str
    latency_ms: int | None = None
    time_to_first_token_ms: int | None = None  # a deep check's completion: its first token


class HealthMetrics(ApiOutput):
    success_rate_24h: float | None
    average_latency_ms: float | None
    error_rate: float | None
    total_calls_24h: int
    llm_24h: LlmSpend | None = None  # a language-model integration's last 24 hours


class Health(ApiOutput):
    status: HealthStatus
    last_check: UtcTime | None
    message: str | None
    checks: list[HealthCheckItem]
    metrics: HealthMetrics


class HealthReport(ApiOutput):
    integration_id: str
    health: Health


class HealthCheckRun(ApiOutput):
    status: HealthStatus
    timestamp: UtcTime
    message: str
    checks: list[HealthCheckItem]


class HealthCheckReport(ApiOutput):
    integration_id: str
    health_check: HealthCheckRun
