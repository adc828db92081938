"""Running an operation: a connector action on an integration, through the transport.

The provider is called outside any database transaction (on SQLite a transaction holds the one
write lock): the integration and its credentials come from a short read, or from the snapshot
cache that keeps them for a few seconds. The recorder writes the operation's intent (its row,
`running`, and `operation.started`) before the call, and nothing is called if that write fails;
after the call it writes the outcome, the hourly stats and the final event, in one transaction
with the other operations that finished meanwhile. This service therefore opens its own
transactions, as a job would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.config import TransportSettings
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import (
    Conflict,
    IntegrationError,
    InterlinkError,
    OperationInterrupted,
    OperationNotFound,
)
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.core.secrets import mask_by_name
from interlink.core.snapshots import SnapshotCache
from interlink.events.service import EventService
from interlink.events.types import (
    EventRecord,
    EventType,
    OperationFinished,
    OperationStarted,
    new_event,
)
from interlink.integrations.models import Integration, Operation
from interlink.integrations.operation_progress import ProgressPublisher
from interlink.integrations.operation_record import AnyOperation, OperationRecord
from interlink.integrations.operation_recorder import OperationRecorder
from interlink.integrations.operations_repository import OperationRepository
from interlink.integrations.service import IntegrationService
from interlink.providers.catalog import describe
from interlink.providers.kit.action import Action, Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import Usage
from interlink.providers.registry import Registry
from interlink.transport.auth import AllowedHosts
from interlink.transport.client import CallLabels, CallSettings, Reauthenticate, Transport
from interlink.transport.settings import call_settings
from interlink.vault.masking import MASK, secret_values
from interlink.vault.oauth import OAuthRefresher, can_refresh, gets_tokens
from interlink.vault.service import OpenCredential

log = structlog.get_logger(__name__)

Loaded = tuple[Integration, OpenCredential]  # an integration and its plaintext credentials


class LanguageModelMeter(Protocol):
    """Budgets and usage of language-model calls (`interlink.ai.usage.meter.UsageMeter`)."""

    async def reserve(
        self,
        workspace_id: str,
        integration_id: str,
        provider: str,
        configuration: Mapping[str, Any],
        params: BaseModel,
    ) -> Any:
        """Hold the call's estimate in its budgets (None: no language model's call)."""

    async def settle_output(self, metered: Any, output: BaseModel, operation: str) -> None: ...

    async def settle(
        self,
        metered: Any,
        usage: Usage,
        operation: str,
        *,
        was_counted: bool = False,
        first_token_at: datetime | None = None,
        error_code: str | None = None,
    ) -> None:
        """Charge the call's `usage` (`was_counted`: counted here, the provider did not say)."""

    async def release(
        self, metered: Any, error_code: str | None = None, operation: str = "chat"
    ) -> None: ...

    async def expire_holds(self) -> int:
        """Let go of the holds of calls whose process died; returns how many."""


class OperationService:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        registry: Registry,
        transport: Transport,
        transport_settings: TransportSettings,
        integrations: IntegrationService,
        events: EventService,
        refresher: OAuthRefresher,
        loaded: SnapshotCache[tuple[str, str], Loaded] | None = None,
        meter: LanguageModelMeter | None = None,
    ) -> None:
        self.meter = meter
        self.refresher = refresher
        self.clock = clock
        self.db = db
        self.registry = registry
        self.transport = transport
        self.transport_settings = transport_settings
        self.integrations = integrations
        self.events = events
        self.loaded: SnapshotCache[tuple[str, str], Loaded] = loaded or SnapshotCache(clock, 0)
        self.recorder = OperationRecorder(db, events)
        self.progress = ProgressPublisher(db, events, clock)
        self._interrupted_after = timedelta(seconds=transport_settings.interrupted_after_seconds)

    # -- the catalog of one integration -----------------------------------------------------------
    async def available(
        self, session: AsyncSession, workspace_id: str, integration_id: str
    ) -> list[dict[str, Any]]:
        row = await self.integrations.get(session, workspace_id, integration_id)
        connector = await self.registry.connector_of(
            row.type, row.workspace_id, row.configuration, session
        )
        return [describe(a) for a in connector.actions.values()] if connector else []

    async def input_schema(
        self, workspace_id: str, integration_id: str, name: str
    ) -> dict[str, Any]:
        """The JSON Schema of an operation's parameters (a model's tool, in an `llm` step)."""
        row, _ = await self._load(workspace_id, integration_id)
        _, action = await self._action(row, name)
        return action.input_model.model_json_schema()

    # -- running ----------------------------------------------------------------------------------
    async def execute(
        self,
        principal: Principal,
        integration_id: str,
        name: str,
        parameters: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> OperationRecord:
        """`idempotency_key`: the provider's idempotency key (the operation id by default)."""
        row, credentials = await self._load(principal.workspace_id, integration_id)
        connector, action = await self._action(row, name)
        self._require_active(row)
        params = self._parse(action, parameters)
        started = self.clock.now()
        operation = OperationRecord(
            id=new_id("op"),
            workspace_id=row.workspace_id,
            integration_id=row.id,
            operation=name,
            status="running",
            parameters=mask_by_name(parameters, MASK),  # as stored and shown
            started_at=started,
            created_by=principal.subject,
            deadline_at=started + self._deadline(row),
        )
        await self.recorder.record(operation, [self._started(operation)], intent=True)
        try:
            ctx = await self.context(
                row,
                connector,
                credentials,
                idempotency_key=idempotency_key or operation.id,
                idempotent=action.idempotent,
                operation=name,
            )
            error = await self._run(connector, action, ctx, params, operation)
        except InterlinkError as failure:
            error = self._fail(operation, failure)
        except asyncio.CancelledError:  # the caller left during the call: its outcome is unknown
            self._fail(operation, OperationInterrupted())
            await self.recorder.record(operation, [self._finished(operation)])
            raise
        except Exception:  # preparing the call failed (its row must not stay running)
            log.exception("operation_not_started", integration_id=row.id, operation=name)
            error = self._fail(operation, IntegrationError(f"{name} could not be started"))
        await self.recorder.record(operation, [self._finished(operation)])
        if error is not None:
            error.details = [{"operation_id": operation.id}, *error.details]
            raise error
        return operation

    # -- language models: the AI gateway calls a provider as an operation would ---------------
    async def language_model(
        self, principal: Principal, integration_id: str, operation: str
    ) -> tuple[Integration, type[Connector], ActionContext]:
        """An integration's connector and a context to call its `operation` with, after the
        checks `execute` makes (the scope, the operation exists, the integration is active): the
        same credentials, transport, budget and breaker. Reading models needs
        `integrations:read`, calling one `integrations:write`."""
        reading = operation == "list_models"
        scope = Scope.INTEGRATIONS_READ if reading else Scope.INTEGRATIONS_WRITE
        principal.require(scope, "Reading models" if reading else "Calling a model")
        row, credentials = await self._load(principal.workspace_id, integration_id)
        connector, action = await self._action(row, operation)
        self._require_active(row)
        ctx = await self.context(
            row, connector, credentials, idempotent=action.idempotent, operation=operation
        )
        return row, connector, ctx

    async def integrations_of(self, workspace_id: str) -> list[Integration]:
        """The workspace's integrations (the gateway finds one by name among them)."""
        found: list[Integration] = []
        async with self.db.read() as session:
            while True:
                page = PageParams(page=len(found) // 100 + 1, page_size=100)
                rows, total = await self.integrations.page(session, workspace_id, page)
                found += rows
                if not rows or len(found) >= total:
                    return found

    # -- queued (async) operations: queued in the request, run by a worker ---------------------
    async def integration(self, workspace_id: str, integration_id: str) -> Integration:
        row, _ = await self._load(workspace_id, integration_id)
        return row

    async def queue(
        self,
        session: AsyncSession,
        principal: Principal,
        row: Integration,
        name: str,
        parameters: dict[str, Any],
    ) -> Operation:
        """Check an operation as `execute` would and add it, queued, to `session`."""
        _, action = await self._action(row, name)
        self._require_active(row)
        self._parse(action, parameters)
        operation = Operation(
            id=new_id("op"),
            workspace_id=row.workspace_id,
            integration_id=row.id,
            operation=name,
            status="queued",
            parameters=mask_by_name(parameters, MASK),
            started_at=self.clock.now(),
            created_by=principal.subject,
        )
        OperationRepository(session).add(operation)
        return operation

    async def run_queued(
        self, workspace_id: str, integration_id: str, operation_id: str, parameters: dict[str, Any]
    ) -> str:
        """Run a queued operation (again, if its worker died in it); returns its final status.

        The provider call carries the operation id as idempotency key, so a run repeated after a
        crash is one side effect at the provider."""
        async with self.db.read() as session:
            repository = OperationRepository(session)
            operation = await repository.get(workspace_id, integration_id, operation_id)
        if operation is None or operation.status in {"completed", "failed"}:
            return operation.status if operation else "missing"
        operation.started_at = self.clock.now()
        operation.status = "running"
        async with self.db.transaction() as session:
            await OperationRepository(session).mark_running(operation.id, operation.started_at)
        try:
            connector, action, ctx, params = await self._prepare(operation, parameters)
        except InterlinkError as failure:
            self._fail(operation, failure)
        else:
            await self._run(connector, action, ctx, params, operation)
        await self.recorder.record(operation, [self._started(operation), self._finished(operation)])
        return operation.status

    async def interrupt_overdue(self, limit: int = 500) -> int:
        """Record as interrupted the synchronous operations still running past their deadline
        (their process died during the call); returns how many."""
        async with self.db.read() as session:
            overdue = await OperationRepository(session).overdue(self.clock.now(), limit)
        for operation in overdue:
            self._fail(operation, OperationInterrupted())
        await asyncio.gather(*(self.recorder.record(op, [self._finished(op)]) for op in overdue))
        if overdue:
            log.warning("operations_interrupted", operation_ids=[op.id for op in overdue])
        if self.meter is not None:  # and the budget holds of language-model calls that died
            await self.meter.expire_holds()
        return len(overdue)

    async def _prepare(
        self, operation: Operation, parameters: dict[str, Any]
    ) -> tuple[type[Connector], Action, ActionContext, BaseModel]:
        row, credentials = await self._load(operation.workspace_id, operation.integration_id)
        connector, action = await self._action(row, operation.operation)
        self._require_active(row)
        params = self._parse(action, parameters)
        ctx = await self.context(
            row, connector, credentials, idempotency_key=operation.id,
            idempotent=action.idempotent, operation=action.name,
        )  # fmt: skip
        return connector, action, ctx, params

    def _deadline(self, row: Integration) -> timedelta:
        """Past it, a call still running lost its process: the setting, or longer when one call
        of this integration may take longer (its attempts, waits and redirects)."""
        longest = call_settings(row.configuration, self.transport_settings).call_hold
        return max(self._interrupted_after, timedelta(seconds=longest + 60))

    def _fail(self, operation: AnyOperation, error: InterlinkError) -> InterlinkError:
        finished = self.clock.now()
        operation.completed_at = finished
        operation.duration_ms = int((finished - operation.started_at).total_seconds() * 1000)
        operation.status = "failed"
        operation.error = {"code": error.code, "message": error.message, "details": error.details}
        return error

    async def context(
        self,
        row: Integration,
        connector: type[Connector],
        opened: OpenCredential,
        *,
        idempotency_key: str | None = None,
        idempotent: bool = False,
        operation: str = "credential_check",
    ) -> ActionContext:
        """`operation`: what the calls are counted under in the metrics (the action's name). The
        client sends `opened` only to its hosts and knows its secrets, to scrub what comes back."""
        auth_method = str(row.configuration.get("auth_method", "api_key"))
        credentials = opened.data
        reauthenticate: Reauthenticate | None = None
        if row.credential_id and gets_tokens(auth_method, credentials):
            credentials, reauthenticate = await self._oauth(row, connector, credentials)

        headers = connector.auth_headers(auth_method, credentials)
        settings, hosts = instance_of(
            credentials, call_settings(row.configuration, self.transport_settings), opened.hosts
        )
        client = self.transport.client(
            row.id,
            settings,
            connector.facts(),
            headers,
            reauthenticate,
            allowed_hosts=hosts,
            secrets=secret_values(credentials),
            idempotent=idempotent,
            labels=CallLabels(connector.spec.type, operation, row.id),
        )
        return ActionContext(
            http_client=client,
            configuration=row.configuration,
            credentials=credentials if connector.spec.type == "smtp" else {},
            idempotency_key=idempotency_key,
        )

    async def _oauth(
        self, row: Integration, connector: type[Connector], credentials: dict[str, Any]
    ) -> tuple[dict[str, Any], Reauthenticate | None]:
        """The credential with a usable access token (refreshed if due; an expired one that
        cannot be refreshed is refused here, not sent), and how to refresh it after a 401."""
        assert row.credential_id is not None
        workspace_id, credential_id = row.workspace_id, row.credential_id
        provider_url = provider_token_url(row, connector)
        current = await self.refresher.fresh(
            workspace_id, credential_id, credentials, provider_token_url=provider_url
        )
        if not can_refresh(current, provider_url):
            return current, None

        async def reauthenticate() -> dict[str, str]:
            nonlocal current
            current = await self.refresher.fresh(
                workspace_id, credential_id, current, provider_token_url=provider_url,
                rejected=True,
            )  # fmt: skip
            method = str(row.configuration.get("auth_method", "oauth"))
            return connector.auth_headers(method, current)

        return current, reauthenticate

    async def _run(
        self,
        connector: type[Connector],
        action: Action,
        ctx: ActionContext,
        params: BaseModel,
        operation: AnyOperation,
    ) -> InterlinkError | None:
        error: InterlinkError | None = None
        secrets = ctx.secrets  # what comes back is kept and shown without the credential's values
        ctx.progress_sink = progress = self.progress.reporter(operation, secrets)
        metered: Any = None  # a language model's call holds its estimate in its budgets
        with secrets.active():
            try:
                metered = await self._reserve(connector, ctx, params, operation)
                output = await connector().run(action.name, ctx, params)
                await progress.flush()
                await self._settle(metered, output, action.name)
                metered = None
                operation.result = secrets.data(output.model_dump(mode="json"))
            except InterlinkError as failure:
                error = secrets.error(failure)
            except Exception:
                log.exception("connector_failed", connector=connector.spec.type, action=action.name)
                error = IntegrationError(
                    f"The {connector.spec.name} connector failed in {action.name}"
                )
            finally:
                if metered is not None:  # the call failed: what it held is let go, not charged
                    code = error.code if error is not None else None
                    await asyncio.shield(self._release(metered, code, action.name))
        finished = self.clock.now()
        operation.completed_at = finished
        operation.duration_ms = int((finished - operation.started_at).total_seconds() * 1000)
        operation.status = "failed" if error else "completed"
        if error is not None:
            operation.error = {
                "code": error.code,
                "message": error.message,
                "details": error.details,
            }
        return error

    async def _reserve(
        self, connector: type[Connector], ctx: ActionContext, params: BaseModel, op: AnyOperation
    ) -> Any:
        if self.meter is None:
            return None
        provider = connector.spec.type
        return await self.meter.reserve(
            op.workspace_id, op.integration_id, provider, ctx.configuration, params
        )

    async def _settle(self, metered: Any, output: BaseModel, name: str) -> None:
        """Charge the call's usage (what it held is let go)."""
        if metered is not None and self.meter is not None:
            try:
                await self.meter.settle_output(metered, output, name)
            except Exception:  # the call happened: its answer stands, its usage is lost
                log.exception("usage_not_recorded", operation=name)

    async def _release(self, metered: Any, error_code: str | None, operation: str) -> None:
        """Let go of the call's hold; a failure (`error_code`) counts as its model's error."""
        if self.meter is not None:
            try:
                await self.meter.release(metered, error_code, operation)
            except Exception:  # the hold stays until its budget's period ends
                log.exception("usage_hold_not_released")

    async def _load(self, workspace_id: str, integration_id: str) -> Loaded:
        async def read() -> Loaded:
            async with self.db.read() as session:
                row = await self.integrations.get(session, workspace_id, integration_id)
                return row, await self.integrations.credential_for_use(session, row)

        found = await self.loaded.load((workspace_id, integration_id), read)
        assert found is not None  # `read` returns a row or raises IntegrationNotFound
        row, credential = found
        # The caller's own copy: the snapshot stays as read.
        return row, OpenCredential(dict(credential.data), credential.hosts)

    def _started(self, operation: AnyOperation) -> EventRecord:
        started = OperationStarted(
            operation_id=operation.id,
            integration_id=operation.integration_id,
            operation=operation.operation,
        )
        return new_event(
            operation.workspace_id,
            EventType.OPERATION_STARTED,
            started,
            integration_id=operation.integration_id,
            at=operation.started_at,
        )

    def _finished(self, operation: AnyOperation) -> EventRecord:
        finished = OperationFinished(
            operation_id=operation.id,
            integration_id=operation.integration_id,
            operation=operation.operation,
            status=operation.status,
            duration_ms=operation.duration_ms or 0,
            error_code=(operation.error or {}).get("code"),
        )
        failed = operation.status == "failed"
        return new_event(
            operation.workspace_id,
            EventType.OPERATION_FAILED if failed else EventType.OPERATION_COMPLETED,
            finished,
            integration_id=operation.integration_id,
            at=operation.completed_at or self.clock.now(),
        )

    # -- reading ----------------------------------------------------------------------------------
    async def get(
        self,
        session: AsyncSession,
        workspace_id: str,
        integration_id: str,
        name: str,
        operation_id: str,
    ) -> Operation:
        await self.integrations.get(session, workspace_id, integration_id)
        found = await OperationRepository(session).get(workspace_id, integration_id, operation_id)
        if found is None or found.operation != name:
            raise OperationNotFound()
        return found

    async def history(
        self,
        session: AsyncSession,
        workspace_id: str,
        integration_id: str,
        params: PageParams,
        *,
        operation: str | None = None,
        status: str | None = None,
    ) -> tuple[Sequence[Operation], int]:
        await self.integrations.get(session, workspace_id, integration_id)
        return await OperationRepository(session).page(
            workspace_id, integration_id, params, operation=operation, status=status
        )

    # -- rules ------------------------------------------------------------------------------------
    async def _action(self, row: Integration, name: str) -> tuple[type[Connector], Action]:
        connector = await self.registry.connector_of(row.type, row.workspace_id, row.configuration)
        action = connector.actions.get(name) if connector else None
        if connector is None or action is None:
            known = ", ".join(sorted(connector.actions)) if connector else "none yet"
            raise OperationNotFound(
                f"{row.type} integrations have no operation {name!r} (operations: {known})"
            )
        return connector, action

    @staticmethod
    def _require_active(row: Integration) -> None:
        if row.status != "active":
            raise Conflict(
                f"This integration is {row.status}: activate it first with "
                f"POST /api/v1/integrations/{row.id}/activate"
            )

    @staticmethod
    def _parse(action: Action, parameters: dict[str, Any]) -> BaseModel:
        return action.parse(parameters)


def instance_of(
    credentials: Mapping[str, Any], settings: CallSettings, hosts: AllowedHosts
) -> tuple[CallSettings, AllowedHosts]:
    """Where the calls go: the `instance_url` the token endpoint gave with the credential's
    token (Salesforce's org), its host then allowed for the credential; else as configured."""
    instance = credentials.get("instance_url")
    parts = urlsplit(instance) if isinstance(instance, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return settings, hosts
    allowed = AllowedHosts(hosts.names | AllowedHosts.of([parts.hostname]).names)
    return replace(settings, base_url=str(instance).rstrip("/")), allowed


def provider_token_url(row: Integration, connector: type[Connector]) -> str | None:
    """Where an OAuth credential without a `token_url` of its own is refreshed: the provider's
    token URL, when the integration calls the provider's own API host."""
    return connector.spec.token_url_for(row.configuration.get("api_url"), row.configuration)
