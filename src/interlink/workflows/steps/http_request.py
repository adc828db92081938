"""`http_request`: one HTTP call to any URL, optionally authenticated by a stored credential."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from interlink.workflows.problems import is_literal, problem
from interlink.workflows.steps.base import Findings, StepConfig, StepRun, StepType, Workspace


class HttpRequestConfig(StepConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    query: dict[str, str] = Field(default_factory=dict, max_length=100)
    body: Any = None
    credential_id: str | None = Field(None, max_length=40)


class HttpRequest(StepType[HttpRequestConfig]):
    name = "http_request"
    config = HttpRequestConfig
    outputs = frozenset({"status", "headers", "body"})
    summary = "An HTTP request; output status, headers and the parsed body"

    async def run(self, step: StepRun, config: HttpRequestConfig) -> dict[str, Any]:
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

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        """A step that sends a credential needs `credentials:use`, and names it itself: a
        workflow's input (a webhook trigger's body) never chooses which credential is sent."""
        credential_id = config.get("credential_id")
        if credential_id is None:
            return Findings()
        workspace.require_credentials_use("A step with a credential_id")
        field = f"{where}.credential_id"
        if not is_literal(credential_id):
            return Findings([problem(step, field, "must be a credential id, not a template")])
        if not await workspace.has_credential(str(credential_id)):
            return Findings([problem(step, field, "no such credential in this workspace")])
        return Findings()
