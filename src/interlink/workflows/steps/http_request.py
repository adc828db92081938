"""`http_request`: one HTTP call to any URL, optionally authenticated by a stored credential."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from interlink.workflows.steps.base import StepConfig, StepRun, StepType


class HttpRequestConfig(StepConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    query: dict[str, str] = Field(default_factory=dict, max_length=100)
    body: Any = None
    credential_id: str | None = Field(None, max_length=40)


async def run(step: StepRun, config: HttpRequestConfig) -> dict[str, Any]:
    return await step.tools.requests.request(
        step.workspace_id,
        config.credential_id,
        config.method,
        config.url,
        query=config.query,
        headers=config.headers,
        body=config.body,
        idempotency_key=step.idempotency_key,
    )


STEP = StepType(
    "http_request",
    HttpRequestConfig,
    run,
    outputs=frozenset({"status", "headers", "body"}),
    summary="An HTTP request; output status, headers and the parsed body",
)
