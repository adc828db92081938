"""What every step type is: a config model, the code that runs it, and what its output holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from interlink.auth.scopes import Principal
from interlink.core.errors import InterlinkError


class StepFailed(InterlinkError):
    """A step failed; `code` says why (TEMPLATE_ERROR, STEP_TIMEOUT, an operation's code...)."""

    status_code = 422
    code = "STEP_FAILED"

    def __init__(self, code: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message, details=details)
        self.step_code = code


class StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Operations(Protocol):
    """How a step runs an integration's operation (OperationService)."""

    async def execute(
        self,
        principal: Principal,
        integration_id: str,
        name: str,
        parameters: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Any: ...


class Requests(Protocol):
    """How a step makes an HTTP request (through the transport: SSRF guard, retries)."""

    async def request(
        self,
        workspace_id: str,
        credential_id: str | None,
        method: str,
        url: str,
        *,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        idempotency_key: str | None,
    ) -> dict[str, Any]: ...


class Expressions(Protocol):
    """How templates, conditions and JMESPath searches run: bounded, off the event loop
    (`workflows/sandbox.py`); a failure is a `TemplateFailure`."""

    async def render(self, value: Any, context: Mapping[str, Any]) -> Any: ...

    async def evaluate(self, expression: str, context: Mapping[str, Any]) -> Any: ...

    async def search(self, path: str, data: Any) -> Any: ...


@dataclass(frozen=True)
class Tools:
    operations: Operations
    requests: Requests
    expressions: Expressions


@dataclass(frozen=True)
class StepRun:
    """One run of one step: who it is, its idempotency key, and the data it may read."""

    execution_id: str
    workspace_id: str
    step_name: str
    idempotency_key: str
    context: Mapping[str, Any]
    tools: Tools

    @property
    def principal(self) -> Principal:
        subject = f"workflow:{self.execution_id}"
        return Principal(workspace_id=self.workspace_id, subject=subject, scopes=frozenset())


Runner = Callable[[StepRun, Any], Awaitable[Any]]


@dataclass(frozen=True)
class StepType:
    name: str
    config: type[StepConfig]
    run: Runner
    outputs: frozenset[str] | None = None  # the output's known fields; None: any
    summary: str = ""
