"""The domain services export and import go through (never their repositories or tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from interlink.ai.routes.service import RouteService
from interlink.core.pagination import PageParams
from interlink.custom_providers.service import CustomProviderService
from interlink.integrations.service import IntegrationService
from interlink.vault.service import CredentialService
from interlink.webhooks.service import WebhookService
from interlink.workflows.service import WorkflowService

T = TypeVar("T")
PAGE_SIZE = 100


@dataclass(frozen=True)
class Domains:
    credentials: CredentialService
    integrations: IntegrationService
    custom_providers: CustomProviderService
    ai_routes: RouteService
    workflows: WorkflowService
    webhooks: WebhookService


async def every(
    page: Callable[[PageParams], Awaitable[tuple[Sequence[T], int]]],
) -> AsyncIterator[T]:
    """Every row of a service's `page`, oldest first, a page at a time."""
    params = PageParams(page=1, page_size=PAGE_SIZE, sort_order="asc")
    while True:
        rows, total = await page(params)
        for row in rows:
            yield row
        if not rows or params.page * params.page_size >= total:
            return
        params = params.model_copy(update={"page": params.page + 1})


async def collect(
    page: Callable[[PageParams], Awaitable[tuple[Sequence[T], int]]],
) -> list[T]:
    return [row async for row in every(page)]
