"""The gateway's behaviour, whatever API the caller speaks: find what `model` names, call the
integration's provider as an operation would (`OperationService.language_model`: the same scope,
credentials, transport, budget and breaker), fall back along a route, and meter every call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

import structlog
from pydantic import BaseModel

from interlink.ai.gateway.errors import ModelNotFound
from interlink.ai.gateway.meter import Meter, cost_of
from interlink.ai.routes.policy import Hints, Target
from interlink.ai.routes.service import RouteBook
from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import IntegrationError, InterlinkError
from interlink.core.snapshots import SnapshotCache
from interlink.events.service import EventService
from interlink.events.types import AiFallback, EventType, new_event
from interlink.integrations.operations_service import OperationService
from interlink.providers.kit.action import Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatChunk,
    ChatInput,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    LanguageModels,
    ListModelsInput,
    ModelInfo,
    ModelList,
    Usage,
    estimated_tokens,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)

# What moves a routed call on to the next target: the provider's rate limit, its failure or
# silence, an open breaker, a spent budget. Anything else (a bad request) fails the call.
FALLBACK_CODES = frozenset(
    {
        "RATE_LIMIT_EXCEEDED",
        "TOO_MANY_REQUESTS",
        "EXTERNAL_SERVICE_ERROR",
        "EXTERNAL_SERVICE_TIMEOUT",
        "CIRCUIT_OPEN",
        "SERVICE_UNAVAILABLE",
        "BUDGET_EXCEEDED",
    }
)


class Integration(Protocol):
    """An integration as the gateway reads it (`OperationService` gives the rows)."""

    id: str
    workspace_id: str
    name: str
    type: str
    status: str
    created_at: datetime


# What makes a route's target one that cannot be called at all: its integration is gone (by id
# or by name) or not active.
UNAVAILABLE_CODES = frozenset({"INTEGRATION_NOT_FOUND", "MODEL_NOT_FOUND", "CONFLICT"})


@dataclass
class Served:
    """Which integration and model answered, what it cost, and how many targets failed first."""

    integration_id: str
    integration: str
    provider: str
    model: str
    route: str | None = None
    route_version: int | None = None
    fallbacks: int = 0
    cost: Decimal = Decimal(0)


@dataclass
class Streamed:
    """A streamed answer: `served` is final once `chunks` is exhausted (its cost then known)."""

    served: Served
    chunks: AsyncGenerator[ChatChunk, None]
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class _Call:
    """One target, ready to be called."""

    row: Integration
    connector: type[Connector]
    ctx: ActionContext
    model: str


@dataclass(frozen=True)
class _Timing:
    """When a streamed answer's first chunk came, and the error that cut it."""

    first_token_at: datetime | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class _Plan:
    targets: Sequence[Target]
    route: str | None = None
    version: int | None = None


class Gateway:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        operations: OperationService,
        routes: RouteBook,
        meter: Meter,
        events: EventService,
        cache_seconds: float = 0,
    ) -> None:
        self.clock = clock
        self.db = db
        self.operations = operations
        self.routes = routes
        self.meter = meter
        self.events = events
        # The workspace's integrations, to find one by name (cleared when one changes).
        self.listed: SnapshotCache[str, Sequence[Integration]] = SnapshotCache(clock, cache_seconds)

    # -- chat ------------------------------------------------------------------------------------
    async def chat(
        self, principal: Principal, model: str, params: ChatInput, hints: Hints | None = None
    ) -> tuple[ChatOutput, Served]:
        plan = await self._plan(principal, model, params, hints or Hints())

        async def call(target: _Call, asked: BaseModel) -> ChatOutput:
            output = await self._run(target, "chat", asked)
            assert isinstance(output, ChatOutput)
            return output

        output, served, held = await self._along(principal, plan, "chat", params, call)
        await self._settle(held, served, output.usage, "chat")
        return output, served

    async def stream(
        self, principal: Principal, model: str, params: ChatInput, hints: Hints | None = None
    ) -> Streamed:
        """The answer's first chunk is awaited here (a target that fails before it is fallen
        back from, and an error is still an HTTP status); the rest as the caller reads."""
        plan = await self._plan(principal, model, params, hints or Hints())

        async def first(
            target: _Call, asked: BaseModel
        ) -> tuple[ChatChunk | None, AsyncIterator[ChatChunk], datetime]:
            assert isinstance(asked, ChatInput)
            chunks = _streaming(target).stream_chat(target.ctx, asked)
            try:
                head = await anext(chunks)
            except StopAsyncIteration:
                head = None
            except InterlinkError as failure:
                raise target.ctx.secrets.error(failure) from None
            return head, chunks, self.clock.now()

        (head, rest, first_at), served, held = await self._along(
            principal, plan, "chat", params, first
        )
        streamed = Streamed(served, _empty())
        streamed.chunks = self._relay(streamed, held, head, rest, params, first_at)
        return streamed

    async def _relay(
        self,
        streamed: Streamed,
        held: Any,
        head: ChatChunk | None,
        rest: AsyncIterator[ChatChunk],
        params: ChatInput,
        first_at: datetime,
    ) -> AsyncGenerator[ChatChunk, None]:
        """The chunks, then the call charged: the usage the provider said, else counted (a
        stream cut mid-way is charged for what it used, and counted as the model's error)."""
        written: list[str] = []
        said: Usage | None = None
        error_code: str | None = None
        try:
            chunk = head
            while chunk is not None:
                written.append(chunk.content)
                written += [call.arguments for call in chunk.tool_calls]
                said = chunk.usage or said
                yield chunk
                chunk = await anext(rest, None)
        except InterlinkError as failure:
            error_code = failure.code
            raise
        finally:
            text = "".join(written)
            used = said or Usage(
                prompt_tokens=estimated_tokens(params),
                completion_tokens=len(text) // CHARS_PER_TOKEN,
            )
            streamed.usage = used
            timing = _Timing(first_at if head is not None else None, error_code)
            settling = self._settle(
                held, streamed.served, used, "stream_chat", said is None, timing
            )
            await asyncio.shield(settling)

    async def _settle(
        self,
        held: Any,
        served: Served,
        usage: Usage,
        operation: str,
        counted: bool = False,
        timing: _Timing | None = None,
    ) -> None:
        """Charge the call; its answer stands even when its usage cannot be written."""
        served.cost = cost_of(held, usage)
        if held is None:
            return
        timing = timing or _Timing()
        try:
            await self.meter.settle(
                held, usage, operation, was_counted=counted,
                first_token_at=timing.first_token_at, error_code=timing.error_code,
            )  # fmt: skip
        except Exception:
            log.exception("usage_not_recorded", integration_id=served.integration_id)

    # -- embeddings and models -------------------------------------------------------------------
    async def embeddings(
        self, principal: Principal, model: str, params: EmbeddingsInput
    ) -> tuple[EmbeddingsOutput, Served]:
        plan = await self._plan(principal, model, None, Hints())

        async def call(target: _Call, asked: BaseModel) -> EmbeddingsOutput:
            output = await self._run(target, "embeddings", asked)
            assert isinstance(output, EmbeddingsOutput)
            return output

        output, served, held = await self._along(principal, plan, "embeddings", params, call)
        await self._settle(held, served, output.usage, "embeddings")
        return output, served

    async def models(self, principal: Principal) -> list[ModelInfo]:
        """The workspace's routes, then each language-model integration's models as
        `<integration name>/<model>` (an integration that cannot list them is left out)."""
        rows = [row for row in await self._integrations(principal) if row.status == "active"]
        listed = await asyncio.gather(*(self._models_of(principal, row) for row in rows))
        routes = await self.routes.names(principal.workspace_id)
        found = [ModelInfo(id=name, owned_by="interlink-route") for name in routes]
        return found + [model for models in listed for model in models]

    async def _models_of(self, principal: Principal, row: Integration) -> list[ModelInfo]:
        try:
            _, connector, ctx = await self.operations.language_model(
                principal, row.id, "list_models"
            )
            listed = await connector().run("list_models", ctx, ListModelsInput())
        except InterlinkError as failure:
            log.info("models_not_listed", integration_id=row.id, code=failure.code)
            return []
        assert isinstance(listed, ModelList)
        return [
            item.model_copy(update={"id": f"{row.name}/{item.id}", "owned_by": row.type})
            for item in listed.items
        ]

    # -- the plan: a route's targets, or the one integration and model named -----------------
    async def _plan(
        self, principal: Principal, model: str, params: ChatInput | None, hints: Hints
    ) -> _Plan:
        integration, slash, name = model.partition("/")
        if slash and name:
            return _Plan([Target(integration=integration, model=name)])
        route = await self.routes.current(principal.workspace_id, model)
        if route is None:
            raise ModelNotFound(
                f"No route or model {model!r}: give a route's name or <integration>/<model>"
            )
        targets = route.plan(params, hints) if params is not None else route.targets()
        return _Plan(targets, route.name, route.version)

    async def _target(self, principal: Principal, target: Target, operation: str) -> _Call:
        row = await self._integration(principal, target.integration)
        _, connector, ctx = await self.operations.language_model(principal, row.id, operation)
        return _Call(row, connector, ctx, target.model)

    async def _integration(self, principal: Principal, reference: str) -> Integration:
        workspace = principal.workspace_id
        if reference.startswith("int_"):
            return await self.operations.integration(workspace, reference)
        rows = await self._integrations(principal)
        found = max((r for r in rows if r.name == reference), key=_created, default=None)
        if found is None:
            raise ModelNotFound(f"No integration named {reference!r} in this workspace")
        return found

    async def _integrations(self, principal: Principal) -> Sequence[Integration]:
        workspace = principal.workspace_id

        async def read() -> Sequence[Integration]:
            return await self.operations.integrations_of(workspace)

        return await self.listed.load(workspace, read) or []

    # -- calling along the plan ------------------------------------------------------------------
    async def _along(
        self,
        principal: Principal,
        plan: _Plan,
        operation: str,
        params: P,
        call: Callable[[_Call, P], Awaitable[T]],
    ) -> tuple[T, Served, Any]:
        """The first target's answer that does not fail in a way worth falling back from, and
        what the meter holds for it (a failed target's hold is let go: it is not charged)."""
        failed = 0
        for target in plan.targets:
            held: Any = None
            ready: _Call | None = None
            try:
                ready = await self._target(principal, target, operation)
                asked = params.model_copy(update={"model": target.model})
                held = await self.meter.reserve(
                    ready.row.workspace_id, ready.row.id, ready.row.type,
                    ready.ctx.configuration, asked,
                )  # fmt: skip
                answer = await call(ready, asked)
            except InterlinkError as failure:
                if held is not None:  # not charged; counted as the model's error
                    await asyncio.shield(self._release(held, failure, operation))
                last = failed + 1 == len(plan.targets)
                # A target that cannot be called (its integration gone or inactive) is passed.
                unavailable = ready is None and failure.code in UNAVAILABLE_CODES
                worth = unavailable or failure.code in FALLBACK_CODES
                if plan.route is None or last or not worth:
                    raise
                failed += 1
                await self._fell_back(principal, plan, target, failure)
                continue
            assert ready is not None
            served = Served(
                integration_id=ready.row.id,
                integration=ready.row.name,
                provider=ready.row.type,
                model=target.model,
                route=plan.route,
                route_version=plan.version,
                fallbacks=failed,
            )
            return answer, served, held
        raise ModelNotFound(f"The route {plan.route!r} has no target")

    async def _release(self, held: Any, failure: InterlinkError, operation: str) -> None:
        code = None if failure.code == "BUDGET_EXCEEDED" else failure.code
        try:
            await self.meter.release(held, code, operation)
        except Exception:
            log.exception("usage_hold_not_released")

    async def _run(self, target: _Call, operation: str, params: BaseModel) -> BaseModel:
        secrets = target.ctx.secrets
        with secrets.active():
            try:
                output = await target.connector().run(operation, target.ctx, params)
            except InterlinkError as failure:
                raise secrets.error(failure) from None
            except Exception:
                log.exception("model_call_failed", integration_id=target.row.id)
                failed = f"The {target.row.type} connector failed in {operation}"
                raise IntegrationError(failed) from None
        return type(output).model_validate(secrets.data(output.model_dump(mode="json")))

    async def _fell_back(
        self, principal: Principal, plan: _Plan, target: Target, failure: InterlinkError
    ) -> None:
        assert plan.route is not None
        assert plan.version is not None
        payload = AiFallback(
            route=plan.route,
            route_version=plan.version,
            integration=target.integration,
            model=target.model,
            error_code=failure.code,
            error_message=failure.message,
        )
        event = new_event(
            principal.workspace_id, EventType.AI_FALLBACK, payload, at=self.clock.now()
        )
        async with self.db.transaction() as session:
            await self.events.publish(session, event)


def _created(row: Integration) -> datetime:
    return row.created_at


def _streaming(target: _Call) -> LanguageModels:
    """The target's provider, if it streams (every language-model provider does)."""
    instance = target.connector()
    if not hasattr(instance, "stream_chat"):
        raise ModelNotFound(f"{target.row.type} integrations have no streamed chat")
    return cast(LanguageModels, instance)


async def _empty() -> AsyncGenerator[ChatChunk, None]:
    return
    yield
