"""Integrations: create, read, change, (de)activate, delete; each change writes its event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.clock import Clock
from interlink.core.errors import Conflict, IntegrationNotFound, InvalidRequest, UrlNotAllowed
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.events.service import EventService
from interlink.events.types import (
    EventType,
    IntegrationCredentialsUpdated,
    IntegrationState,
    IntegrationUpdated,
    new_event,
)
from interlink.integrations import configuration
from interlink.integrations.models import Integration
from interlink.integrations.operations_repository import StatsRepository
from interlink.integrations.repository import IntegrationRepository
from interlink.integrations.schemas import (
    IntegrationCreate,
    IntegrationHealth,
    IntegrationOut,
    IntegrationStats,
    IntegrationUpdate,
    LlmSpend,
)
from interlink.providers.kit.types import IntegrationType
from interlink.providers.registry import Registry
from interlink.transport.ssrf import AddressPolicy, UrlRefused
from interlink.vault.schemas import CredentialCreate
from interlink.vault.service import CredentialService, OpenCredential

_SIMPLE_FIELDS = ("name", "description")


class SpendReader(Protocol):
    async def spend_of(
        self,
        session: AsyncSession,
        workspace_id: str,
        integration_id: str,
        since: datetime | None,
    ) -> LlmSpend | None: ...


class IntegrationService:
    def __init__(
        self,
        clock: Clock,
        credentials: CredentialService,
        events: EventService,
        registry: Registry,
        policy: AddressPolicy,
        spend: SpendReader | None = None,
    ) -> None:
        """`policy`: the SSRF guard's, so an api_url the calls would refuse is refused when
        written. `spend`: language-model usage (`interlink.ai.usage.service.UsageService`)."""
        self.spend = spend
        self.registry = registry
        self.policy = policy
        self.clock = clock
        self.credentials = credentials
        self.events = events

    # -- reading ------------------------------------------------------------------------------
    async def get(
        self, session: AsyncSession, workspace_id: str, integration_id: str
    ) -> Integration:
        row = await IntegrationRepository(session).get(workspace_id, integration_id)
        if row is None:
            raise IntegrationNotFound()
        return row

    async def find_for_hook(self, session: AsyncSession, integration_id: str) -> Integration:
        """The integration an incoming provider webhook names: its URL carries no workspace,
        so the id alone finds it (the provider's signature then proves the caller)."""
        row = await IntegrationRepository(session).find(integration_id)
        if row is None:
            raise IntegrationNotFound()
        return row

    async def page(
        self,
        session: AsyncSession,
        workspace_id: str,
        params: PageParams,
        *,
        sort_by: str = "created_at",
        status: str | None = None,
        type_: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> tuple[Sequence[Integration], int]:
        return await IntegrationRepository(session).page(
            workspace_id,
            params,
            sort_by=sort_by,
            status=status,
            type_=type_,
            metadata=metadata or {},
        )

    async def revealed_credentials(self, session: AsyncSession, row: Integration) -> dict[str, Any]:
        """The plaintext credentials, for the call that needs them; never for a response."""
        if row.credential_id is None:
            return {}
        credential = await self.credentials.get(session, row.workspace_id, row.credential_id)
        return self.credentials.reveal(credential)

    async def credential_for_use(self, session: AsyncSession, row: Integration) -> OpenCredential:
        """The plaintext credentials and the hosts they may be sent to, for the call."""
        if row.credential_id is None:
            return OpenCredential()
        credential = await self.credentials.get(session, row.workspace_id, row.credential_id)
        return self.credentials.open(credential)

    async def stats(self, session: AsyncSession, row: Integration) -> IntegrationStats:
        calls, failures, total_ms, last = await StatsRepository(session).totals(row.id)
        llm = await self.llm_spend(session, row)
        if calls == 0:
            return IntegrationStats(llm=llm)
        return IntegrationStats(
            last_used=last,
            total_calls=calls,
            success_rate=round(100 * (calls - failures) / calls, 2),
            average_response_time_ms=round(total_ms / calls, 1),
            llm=llm,
        )

    async def llm_spend(
        self, session: AsyncSession, row: Integration, since: datetime | None = None
    ) -> LlmSpend | None:
        """Its language-model calls' spend (since a time, if given); None without any."""
        if self.spend is None:
            return None
        return await self.spend.spend_of(session, row.workspace_id, row.id, since)

    async def masked_credentials(
        self, session: AsyncSession, row: Integration
    ) -> dict[str, Any] | None:
        if row.credential_id is None:
            return None
        credential = await self.credentials.get(session, row.workspace_id, row.credential_id)
        return self.credentials.masked(credential)

    async def describe(self, session: AsyncSession, row: Integration) -> IntegrationOut:
        return IntegrationOut(
            id=row.id,
            name=row.name,
            description=row.description,
            type=row.type,
            configuration=row.configuration,
            credentials=await self.masked_credentials(session, row),
            credential_id=row.credential_id,
            metadata=row.metadata_,
            status=row.status,
            stats=await self.stats(session, row),
            health=IntegrationHealth(
                status=row.health_status,
                last_check=row.health_checked_at,
                message=row.health_message,
            ),
            created_at=row.created_at,
            updated_at=row.updated_at,
            activated_at=row.activated_at,
            deactivated_at=row.deactivated_at,
            created_by=row.created_by,
        )

    # -- writing ------------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, body: IntegrationCreate
    ) -> Integration:
        spec, pin = await self.registry.type_of(
            body.type, principal.workspace_id, body.configuration.model_dump(), session
        )
        config = {**configuration.resolve(spec, body.configuration), **pin}
        await self._check_api_url(config, spec.default_api_url)
        if body.credentials is not None and body.credential_id is not None:
            raise InvalidRequest(
                "give either inline `credentials` or a `credential_id`, not both",
                details=[{"field": "credential_id"}, {"field": "credentials"}],
            )
        now = self.clock.now()
        row = Integration(
            id=new_id("int"),
            workspace_id=principal.workspace_id,
            name=body.name,
            description=body.description,
            type=body.type,
            configuration=config,
            credential_id=None,
            metadata_=body.metadata,
            status="configured",
            health_status="unknown",
            created_at=now,
            updated_at=now,
            created_by=principal.subject,
        )
        if body.credentials is not None:
            configuration.check_credentials(spec, config["auth_method"], body.credentials)
            row.credential_id = await self._own_credential(
                session, principal, row, body.credentials
            )
        elif body.credential_id is not None:
            principal.require(Scope.CREDENTIALS_USE, "Binding a credential to an integration")
            await self._check_shared(
                session, spec, config, principal.workspace_id, body.credential_id
            )
            row.credential_id = body.credential_id
        IntegrationRepository(session).add(row)
        await session.flush()
        await self._publish(session, row, EventType.INTEGRATION_CREATED)
        return row

    async def update(
        self,
        session: AsyncSession,
        principal: Principal,
        integration_id: str,
        body: IntegrationUpdate,
        *,
        merge: bool,
    ) -> Integration:
        row = await self.get(session, principal.workspace_id, integration_id)
        spec = await self._spec(session, row, row.configuration)
        given = body.model_fields_set
        if body.type is not None and body.type != row.type:
            raise InvalidRequest(
                "an integration's type cannot change; create a new integration instead",
                details=[{"field": "type", "message": f"is {row.type}"}],
            )
        changed = [f for f in _SIMPLE_FIELDS if f in given and getattr(body, f) != getattr(row, f)]
        for field in changed:
            setattr(row, field, getattr(body, field))
        if body.configuration is not None:
            new_config = self._next_configuration(spec, row.configuration, body, merge=merge)
            spec, pin = await self.registry.type_of(row.type, row.workspace_id, new_config, session)
            new_config.update(pin)  # a custom provider's version: the one given, else current
            if new_config != row.configuration:
                await self._check_api_url(new_config, row.configuration.get("api_url"))
                await self._check_current_credentials(session, spec, row, new_config)
                await self._follow_host(session, principal, row, new_config)
                row.configuration = new_config
                changed.append("configuration")
        if body.metadata is not None:
            patch: dict[str, Any] = body.metadata
            new_metadata = configuration.merge_patch(row.metadata_, patch) if merge else patch
            if new_metadata != row.metadata_:
                row.metadata_ = new_metadata
                changed.append("metadata")
        if body.credential_id is not None and body.credential_id != row.credential_id:
            principal.require(Scope.CREDENTIALS_USE, "Binding a credential to an integration")
            await self._switch_credential(session, spec, row, body.credential_id)
            changed.append("credential_id")
        if changed:
            row.updated_at = self.clock.now()
            await self._publish_update(session, row, changed)
        return row

    async def update_credentials(
        self, session: AsyncSession, principal: Principal, integration_id: str, data: dict[str, Any]
    ) -> Integration:
        row = await self.get(session, principal.workspace_id, integration_id)
        spec = await self._spec(session, row, row.configuration)
        configuration.check_credentials(spec, row.configuration["auth_method"], data)
        current = (
            await self.credentials.get(session, row.workspace_id, row.credential_id)
            if row.credential_id
            else None
        )
        if current is not None and current.owner_integration_id == row.id:
            self.credentials.replace_data(current, data)
        else:  # a shared credential stays as it is; this integration gets its own
            row.credential_id = await self._own_credential(session, principal, row, data)
        row.updated_at = self.clock.now()
        assert row.credential_id is not None
        updated = IntegrationCredentialsUpdated(
            integration_id=row.id, credential_id=row.credential_id, credential_fields=sorted(data)
        )
        await self._publish_event(session, row, EventType.INTEGRATION_CREDENTIALS_UPDATED, updated)
        return row

    async def activate(
        self, session: AsyncSession, workspace_id: str, integration_id: str
    ) -> Integration:
        row = await self.get(session, workspace_id, integration_id)
        if row.status != "active":
            now = self.clock.now()
            row.status, row.activated_at, row.updated_at = "active", now, now
            await self._publish(session, row, EventType.INTEGRATION_ACTIVATED)
        return row

    async def deactivate(
        self, session: AsyncSession, workspace_id: str, integration_id: str
    ) -> Integration:
        row = await self.get(session, workspace_id, integration_id)
        if row.status == "configured":
            raise Conflict(
                "this integration was never activated: "
                f"POST /api/v1/integrations/{row.id}/activate first"
            )
        if row.status == "active":
            now = self.clock.now()
            row.status, row.deactivated_at, row.updated_at = "inactive", now, now
            await self._publish(session, row, EventType.INTEGRATION_DEACTIVATED)
        return row

    async def delete(self, session: AsyncSession, workspace_id: str, integration_id: str) -> None:
        row = await self.get(session, workspace_id, integration_id)
        owned = await self._owned_credential(session, row)
        await IntegrationRepository(session).delete(row)
        if owned is not None:
            await self.credentials.delete_owned(session, owned)
        await self._publish(session, row, EventType.INTEGRATION_DELETED, status="deleted")

    # -- helpers ------------------------------------------------------------------------------
    async def _spec(
        self, session: AsyncSession, row: Integration, config: dict[str, Any]
    ) -> IntegrationType:
        """Its type's spec; a custom integration's is that of the provider version it pins."""
        spec, _ = await self.registry.type_of(row.type, row.workspace_id, config, session)
        return spec

    def _next_configuration(
        self,
        spec: IntegrationType,
        current: dict[str, Any],
        body: IntegrationUpdate,
        *,
        merge: bool,
    ) -> dict[str, Any]:
        assert body.configuration is not None
        if not merge:
            return configuration.resolve(spec, body.configuration)
        patch = body.configuration.model_dump(mode="json", exclude_unset=True)
        return configuration.resolve(
            spec, configuration.parse(configuration.merge_patch(current, patch))
        )

    async def _check_api_url(self, config: dict[str, Any], unchanged: str | None) -> None:
        """Refused as a call to it would be (URL_NOT_ALLOWED), unless it is `unchanged` (the
        type's default, or the one stored)."""
        url = config.get("api_url")
        if url is None or url == unchanged:
            return
        try:
            await self.policy.vet(url)
        except UrlRefused as refused:
            raise UrlNotAllowed(
                str(refused), details=[{"field": "configuration.api_url", "message": str(refused)}]
            ) from None

    async def _own_credential(
        self, session: AsyncSession, principal: Principal, row: Integration, data: dict[str, Any]
    ) -> str:
        credential = await self.credentials.create(
            session,
            principal,
            CredentialCreate(
                name=f"{row.name} credentials",
                type=row.configuration["auth_method"],
                provider=row.type,
                data=data,
                allowed_hosts=self._api_hosts(row.type, row.configuration),
            ),
            owner_integration_id=row.id,
            publish=False,
        )
        return credential.id

    async def _owned_credential(self, session: AsyncSession, row: Integration) -> Any:
        if row.credential_id is None:
            return None
        credential = await self.credentials.get(session, row.workspace_id, row.credential_id)
        return credential if credential.owner_integration_id == row.id else None

    async def _check_shared(
        self,
        session: AsyncSession,
        spec: IntegrationType,
        config: dict[str, Any],
        workspace_id: str,
        credential_id: str,
    ) -> None:
        credential = await self.credentials.get(session, workspace_id, credential_id)
        configuration.check_credentials(
            spec, config["auth_method"], self.credentials.reveal(credential)
        )

    async def _check_current_credentials(
        self, session: AsyncSession, spec: IntegrationType, row: Integration, config: dict[str, Any]
    ) -> None:
        if row.credential_id and config["auth_method"] != row.configuration.get("auth_method"):
            await self._check_shared(session, spec, config, row.workspace_id, row.credential_id)

    async def _follow_host(
        self,
        session: AsyncSession,
        principal: Principal,
        row: Integration,
        config: dict[str, Any],
    ) -> None:
        """Pointing an integration that has a credential at another host sends the credential
        there: that needs `credentials:use`, and its inline credential follows to the new host."""
        hosts = self._api_hosts(row.type, config)
        if row.credential_id is None or hosts == self._api_hosts(row.type, row.configuration):
            return
        principal.require(Scope.CREDENTIALS_USE, "Changing the host of an integration's credential")
        owned = await self._owned_credential(session, row)
        if owned is not None:
            self.credentials.send_to(owned, hosts)

    async def _switch_credential(
        self, session: AsyncSession, spec: IntegrationType, row: Integration, credential_id: str
    ) -> None:
        await self._check_shared(session, spec, row.configuration, row.workspace_id, credential_id)
        previous = await self._owned_credential(session, row)
        row.credential_id = credential_id
        if previous is not None:
            await session.flush()
            await self.credentials.delete_owned(session, previous)

    def _api_hosts(self, type_: str, config: Mapping[str, Any]) -> list[str]:
        """Where an integration's credential may go: its api_url's host, and at its type's
        default api_url that type's other API hosts (Google's APIs live on several)."""
        spec, url = self.registry.spec(type_), config.get("api_url")
        if spec is None or not isinstance(url, str):
            return _api_hosts(config)
        return list(spec.hosts_for(url))

    async def _publish(
        self,
        session: AsyncSession,
        row: Integration,
        event_type: EventType,
        *,
        status: str | None = None,
    ) -> None:
        payload = IntegrationState(
            integration_id=row.id, name=row.name, type=row.type, status=status or row.status
        )
        await self._publish_event(session, row, event_type, payload)

    async def _publish_event(
        self, session: AsyncSession, row: Integration, event_type: EventType, payload: BaseModel
    ) -> None:
        event = new_event(
            row.workspace_id, event_type, payload, at=self.clock.now(), integration_id=row.id
        )
        await self.events.publish(session, event)

    async def _publish_update(
        self, session: AsyncSession, row: Integration, changed: list[str]
    ) -> None:
        payload = IntegrationUpdated(
            integration_id=row.id,
            name=row.name,
            type=row.type,
            status=row.status,
            changed_fields=changed,
        )
        await self._publish_event(session, row, EventType.INTEGRATION_UPDATED, payload)


def _api_hosts(config: Mapping[str, Any]) -> list[str]:
    """The host an integration's calls go to (none without an api_url)."""
    url = config.get("api_url")
    host = urlsplit(url).hostname if isinstance(url, str) else None
    return [host] if host else []
