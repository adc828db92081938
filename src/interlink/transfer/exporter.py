"""Export: the workspace's configuration read through each domain's service, as a bundle."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink import __version__
from interlink.core.clock import Clock
from interlink.transfer import sealing
from interlink.transfer.domains import Domains, collect
from interlink.transfer.schemas import (
    FORMAT_VERSION,
    AiRouteItem,
    Bundle,
    CredentialItem,
    CustomProviderItem,
    IntegrationItem,
    RetryPolicyItem,
    RouteVersionItem,
    Secrets,
    WebhookEndpointItem,
    WorkflowItem,
)


class Exporter:
    def __init__(self, domains: Domains, clock: Clock) -> None:
        self.domains = domains
        self.clock = clock

    async def export(
        self, session: AsyncSession, workspace_id: str, passphrase: str | None
    ) -> Bundle:
        secrets = Secrets()
        bundle = Bundle(
            format_version=FORMAT_VERSION,
            created_at=self.clock.now(),
            server_version=__version__,
            workspace_id=workspace_id,
            custom_providers=await self._custom_providers(session, workspace_id),
            credentials=await self._credentials(session, workspace_id, secrets),
            integrations=await self._integrations(session, workspace_id, secrets),
            ai_routes=await self._routes(session, workspace_id),
            workflows=await self._workflows(session, workspace_id),
            webhook_endpoints=await self._webhooks(session, workspace_id, secrets),
        )
        if passphrase is not None:
            bundle.secrets = await asyncio.to_thread(sealing.seal, secrets, passphrase)
        return bundle

    async def _custom_providers(
        self, session: AsyncSession, workspace_id: str
    ) -> list[CustomProviderItem]:
        service = self.domains.custom_providers
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        items = []
        for row in rows:
            versions = [
                (await service.get(session, workspace_id, row.key, n)).declaration
                for n in range(1, row.version + 1)
            ]
            items.append(CustomProviderItem(key=row.key, versions=versions))
        return items

    async def _credentials(
        self, session: AsyncSession, workspace_id: str, secrets: Secrets
    ) -> list[CredentialItem]:
        service = self.domains.credentials
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        items = []
        for row in rows:
            if row.owner_integration_id is not None:
                continue  # an integration's own: exported with it
            data = service.reveal(row)
            secrets.credentials[row.id] = data
            items.append(
                CredentialItem(
                    id=row.id,
                    name=row.name,
                    description=row.description,
                    type=row.type,
                    provider=row.provider,
                    allowed_hosts=row.allowed_hosts,
                    metadata=row.metadata_,
                    secret_fields=sorted(data),
                )
            )
        return items

    async def _integrations(
        self, session: AsyncSession, workspace_id: str, secrets: Secrets
    ) -> list[IntegrationItem]:
        service = self.domains.integrations
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        return [await self._integration(session, row, secrets) for row in rows]

    async def _integration(
        self, session: AsyncSession, row: Any, secrets: Secrets
    ) -> IntegrationItem:
        shared, own = row.credential_id, []
        if row.credential_id is not None:
            credential = await self.domains.credentials.get(
                session, row.workspace_id, row.credential_id
            )
            if credential.owner_integration_id == row.id:
                data = self.domains.credentials.reveal(credential)
                secrets.integrations[row.id] = data
                shared, own = None, sorted(data)
        return IntegrationItem(
            id=row.id, name=row.name, description=row.description, type=row.type,
            configuration=row.configuration, metadata=row.metadata_,
            status=row.status,
            credential_id=shared, secret_fields=own,
        )  # fmt: skip

    async def _routes(self, session: AsyncSession, workspace_id: str) -> list[AiRouteItem]:
        service = self.domains.ai_routes
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        items = []
        for row in rows:
            versions = []
            for n in range(1, row.version + 1):
                found = await service.get(session, workspace_id, row.name, n)
                versions.append(
                    RouteVersionItem(description=found.description, policy=found.policy)
                )
            items.append(AiRouteItem(name=row.name, versions=versions))
        return items

    async def _workflows(self, session: AsyncSession, workspace_id: str) -> list[WorkflowItem]:
        service = self.domains.workflows
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        items = []
        for row in rows:
            shown = service.to_out(row)
            items.append(
                WorkflowItem(
                    id=row.id,
                    name=row.name,
                    description=row.description,
                    is_public=row.is_public,
                    enabled=row.enabled,
                    triggers=shown.triggers,
                    versions=await service.versions(session, workspace_id, row.id),
                )
            )
        return items

    async def _webhooks(
        self, session: AsyncSession, workspace_id: str, secrets: Secrets
    ) -> list[WebhookEndpointItem]:
        service = self.domains.webhooks
        rows = await collect(lambda p: service.page(session, workspace_id, p))
        return [self._webhook(row, secrets) for row in rows]

    def _webhook(self, row: Any, secrets: Secrets) -> WebhookEndpointItem:
        service = self.domains.webhooks
        opened = service.headers(row.workspace_id, row.id, row.headers)
        shown = service.to_out(row).headers
        secret_headers = sorted(name for name in opened if shown.get(name) != opened[name])
        secrets.webhook_secrets[row.id] = service.secrets(
            row.workspace_id, row.id, row.sealed_secret, None, None
        )[0]
        secrets.webhook_headers[row.id] = {name: opened[name] for name in secret_headers}
        policy = None
        if row.max_attempts is not None or row.backoff_ms is not None:
            policy = RetryPolicyItem(max_attempts=row.max_attempts, backoff_ms=row.backoff_ms)
        return WebhookEndpointItem(
            id=row.id, name=row.name, description=row.description, url=row.url,
            events=row.events, retry_policy=policy, enabled=row.enabled,
            headers={n: v for n, v in opened.items() if n not in secret_headers},
            secret_headers=secret_headers,
        )  # fmt: skip
