"""What the export and import routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.ai.routes.service import RouteService
from interlink.api.deps import services
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.custom_providers.service import CustomProviderService
from interlink.events.service import EventService
from interlink.integrations.operations_service import OperationService
from interlink.integrations.service import IntegrationService
from interlink.transfer.domains import Domains
from interlink.transfer.service import TransferService
from interlink.vault.service import CredentialService
from interlink.webhooks.service import WebhookService
from interlink.workflows.service import WorkflowService


class TransferDeps(Protocol):
    clock: Clock
    db: Database
    credentials: CredentialService
    integrations: IntegrationService
    custom_providers: CustomProviderService
    ai_routes: RouteService
    workflows: WorkflowService
    webhooks: WebhookService
    operations: OperationService
    events: EventService


Deps = Annotated[TransferDeps, Depends(services)]


def transfer_of(deps: TransferDeps) -> TransferService:
    domains = Domains(
        credentials=deps.credentials, integrations=deps.integrations,
        custom_providers=deps.custom_providers, ai_routes=deps.ai_routes,
        workflows=deps.workflows, webhooks=deps.webhooks,
    )  # fmt: skip
    return TransferService(deps.clock, domains)
