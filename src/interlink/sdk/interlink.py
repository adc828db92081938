"""One client for everything: `Interlink(api_key=...)` and `AsyncInterlink`, whose attributes
(integrations, operations, health, credentials, connectors, custom_providers, webhooks,
workflows, api_keys, events, ai_routes, budgets, usage, ai) share one connection pool."""

from __future__ import annotations

from typing import Any, Self

from interlink.sdk.ai_routes import AiRouteClient, AsyncAiRouteClient
from interlink.sdk.api_keys import ApiKeyClient, AsyncApiKeyClient
from interlink.sdk.budgets import AsyncBudgetClient, AsyncUsageClient, BudgetClient, UsageClient
from interlink.sdk.chat import AsyncChatClient, ChatClient
from interlink.sdk.client import AsyncHTTP, SyncHTTP
from interlink.sdk.connectors import AsyncConnectorClient, ConnectorClient
from interlink.sdk.credentials import AsyncCredentialClient, CredentialClient
from interlink.sdk.custom_providers import AsyncCustomProviderClient, CustomProviderClient
from interlink.sdk.events import AsyncEventClient, EventClient
from interlink.sdk.health import AsyncIntegrationHealthMonitor, IntegrationHealthMonitor
from interlink.sdk.integrations import AsyncIntegrationManager, IntegrationManager
from interlink.sdk.operations import (
    AsyncIntegrationClient,
    AsyncIntegrationOperations,
    IntegrationClient,
    IntegrationOperations,
)
from interlink.sdk.transfer import AsyncTransferClient, TransferClient
from interlink.sdk.webhooks import AsyncWebhookClient, WebhookClient
from interlink.sdk.workflows import AsyncWorkflowClient, WorkflowClient


class Interlink:
    """Takes the options of SyncHTTP: api_key (or access_token), base_url, timeout, retry,
    transport, sleep, clock."""

    def __init__(self, api_key: str | None = None, **options: Any) -> None:
        self.http = SyncHTTP(api_key, **options)
        self.integrations = IntegrationManager(http=self.http)
        self.operations = IntegrationClient(http=self.http)
        self.health = IntegrationHealthMonitor(http=self.http)
        self.credentials = CredentialClient(http=self.http)
        self.connectors = ConnectorClient(http=self.http)
        self.custom_providers = CustomProviderClient(http=self.http)
        self.webhooks = WebhookClient(http=self.http)
        self.workflows = WorkflowClient(http=self.http)
        self.api_keys = ApiKeyClient(http=self.http)
        self.events = EventClient(http=self.http)
        self.transfer = TransferClient(http=self.http)
        self.ai_routes = AiRouteClient(http=self.http)
        self.budgets = BudgetClient(http=self.http)
        self.usage = UsageClient(http=self.http)
        self.ai = ChatClient(http=self.http)

    def get_integration_client(self, integration_id: str) -> IntegrationOperations:
        return self.operations.get_integration_client(integration_id)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncInterlink:
    """The asynchronous twin of Interlink."""

    def __init__(self, api_key: str | None = None, **options: Any) -> None:
        self.http = AsyncHTTP(api_key, **options)
        self.integrations = AsyncIntegrationManager(http=self.http)
        self.operations = AsyncIntegrationClient(http=self.http)
        self.health = AsyncIntegrationHealthMonitor(http=self.http)
        self.credentials = AsyncCredentialClient(http=self.http)
        self.connectors = AsyncConnectorClient(http=self.http)
        self.custom_providers = AsyncCustomProviderClient(http=self.http)
        self.webhooks = AsyncWebhookClient(http=self.http)
        self.workflows = AsyncWorkflowClient(http=self.http)
        self.api_keys = AsyncApiKeyClient(http=self.http)
        self.events = AsyncEventClient(http=self.http)
        self.transfer = AsyncTransferClient(http=self.http)
        self.ai_routes = AsyncAiRouteClient(http=self.http)
        self.budgets = AsyncBudgetClient(http=self.http)
        self.usage = AsyncUsageClient(http=self.http)
        self.ai = AsyncChatClient(http=self.http)

    def get_integration_client(self, integration_id: str) -> AsyncIntegrationOperations:
        return self.operations.get_integration_client(integration_id)

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


def get_integration_client(
    integration_id: str, api_key: str | None = None, **options: Any
) -> IntegrationOperations:
    """The operations of one integration, on a client of its own (options as for Interlink)."""
    return IntegrationClient(api_key, **options).get_integration_client(integration_id)
