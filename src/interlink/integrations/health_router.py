from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.api.errors import responses
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Forbidden,
    IntegrationNotFound,
    InvalidIntegrationConfig,
    InvalidOperation,
    TooManyRequests,
    Unauthenticated,
)
from interlink.integrations.deps import Deps
from interlink.integrations.health_schemas import (
    ConnectionTestResult,
    Health,
    HealthCheckItem,
    HealthCheckReport,
    HealthReport,
)

router = APIRouter(prefix="/integrations", tags=["health"])
_ERRORS = responses(Unauthenticated, Forbidden, TooManyRequests, IntegrationNotFound)


@router.post(
    "/{integration_id}/test",
    summary="Test the connection and the credentials now",
    responses=responses(
        Unauthenticated,
        Forbidden,
        TooManyRequests,
        IntegrationNotFound,
        InvalidOperation,
        InvalidIntegrationConfig,
    ),
)
async def test_integration(
    integration_id: str, principal: IntegrationsWrite, deps: Deps
) -> Envelope[ConnectionTestResult]:
    result = await deps.health.test(principal, integration_id)
    return ok(ConnectionTestResult(id=integration_id, connection_test=result))


@router.get(
    "/{integration_id}/health",
    summary="The last health check, and the last 24 hours' metrics",
    responses=_ERRORS,
)
async def get_health(
    integration_id: str, principal: IntegrationsRead, session: Session, deps: Deps
) -> Envelope[HealthReport]:
    row = await deps.integrations.get(session, principal.workspace_id, integration_id)
    health = Health(
        status=row.health_status,
        last_check=row.health_checked_at,
        message=row.health_message,
        checks=[HealthCheckItem.model_validate(c) for c in row.health_checks or []],
        metrics=await deps.health.metrics(session, row),
    )
    return ok(HealthReport(integration_id=row.id, health=health))


@router.post(
    "/{integration_id}/health/check",
    summary="Run the health checks now",
    description=(
        "With `deep=true`, a language model (openai, anthropic, gemini, ollama) also answers a "
        "one-token completion of a one-word prompt with its `configuration.default_model` (else "
        "its provider's cheapest): the `completion` check, with its latency and time to first "
        "token, charged to its budgets like any call. Other integrations are checked as without it."
    ),
    responses=_ERRORS,
)
async def check_health(
    integration_id: str,
    principal: IntegrationsWrite,
    deps: Deps,
    deep: Annotated[
        bool, Query(description="Also make a tiny real completion (language models only)")
    ] = False,
) -> Envelope[HealthCheckReport]:
    run = await deps.health.check(principal, integration_id, deep=deep)
    return ok(HealthCheckReport(integration_id=integration_id, health_check=run))
