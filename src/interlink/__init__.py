"""Interlink: a self-hosted integration layer.

Direct interfaces (one set per registered provider) load on first use, so `import interlink`
stays light:
`from interlink import GitHubIntegration, GitHubIntegrationConfiguration`.
So does the SDK (interlink.sdk): `from interlink import IntegrationManager, IntegrationConfig`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The SDK's names (interlink.sdk.__all__, kept equal by tests/sdk/test_exports.py).
_SDK = frozenset(
    {
        "ApiKey",
        "ApiKeyClient",
        "ApiKeyCreated",
        "ApiKeyRevoked",
        "AsyncApiKeyClient",
        "AsyncEventClient",
        "AsyncEventStream",
        "Event",
        "EventClient",
        "EventStream",
        "SseReader",
        "AsyncCustomProviderClient",
        "CustomProvider",
        "CustomProviderClient",
        "CustomProviderDeleted",
        "InvalidDeclaration",
        "ApiKeyNotFound",
        "AsyncConnectorClient",
        "AsyncCredentialClient",
        "AsyncIntegrationClient",
        "AsyncIntegrationHealthMonitor",
        "AsyncIntegrationManager",
        "AsyncIntegrationOperations",
        "AsyncInterlink",
        "AsyncPager",
        "AsyncWebhookClient",
        "AsyncWorkflowClient",
        "AuthenticationFailed",
        "CircuitOpen",
        "Conflict",
        "Connector",
        "ConnectorAction",
        "ConnectorClient",
        "Credential",
        "CredentialClient",
        "CredentialHostNotAllowed",
        "CredentialNotFound",
        "CredentialsUpdated",
        "Deleted",
        "Delivery",
        "DeliveryAttempt",
        "DeliveryNotFound",
        "Execution",
        "ExecutionNotFound",
        "ExecutionStarted",
        "ExecutionStep",
        "ExecutionTimeout",
        "ExternalResourceNotFound",
        "ExternalServiceError",
        "ExternalServiceTimeout",
        "Forbidden",
        "HealthCheckItem",
        "HealthCheckResult",
        "HealthMetrics",
        "HealthStatus",
        "HttpError",
        "IdempotencyKeyReused",
        "Integration",
        "IntegrationClient",
        "IntegrationConfig",
        "IntegrationError",
        "IntegrationHealth",
        "IntegrationHealthMonitor",
        "IntegrationManager",
        "IntegrationNotFound",
        "IntegrationOperations",
        "IntegrationStats",
        "LlmSpend",
        "IntegrationSummary",
        "Interlink",
        "InterlinkAPIError",
        "InterlinkConnectionError",
        "InterlinkSDKError",
        "InternalError",
        "InvalidCredentials",
        "InvalidIntegrationConfig",
        "InvalidOperation",
        "InvalidRequest",
        "MethodNotAllowed",
        "NotFound",
        "OperationInfo",
        "OperationInterrupted",
        "OperationNotFound",
        "OperationResult",
        "OperationStatus",
        "Pagination",
        "ParameterInfo",
        "ParameterValidationError",
        "PayloadTooLarge",
        "PermissionDenied",
        "BudgetExceeded",
        "BudgetNotFound",
        "AiRouteNotFound",
        "ModelNotFound",
        "NoRouteTarget",
        "RateLimitExceeded",
        "RecoverResult",
        "RetryPolicy",
        "SecretUnreadable",
        "ServiceUnavailable",
        "StepFailed",
        "StatusChange",
        "SyncPager",
        "TERMINAL_STATUSES",
        "TestResult",
        "TooManyRequests",
        "Unauthenticated",
        "UnsupportedMediaType",
        "UrlNotAllowed",
        "Webhook",
        "WebhookClient",
        "WebhookNotFound",
        "WebhookRetryPolicy",
        "Workflow",
        "WorkflowClient",
        "WorkflowDefinition",
        "WorkflowNotFound",
        "WorkflowStep",
        "WorkspaceNotFound",
        "get_integration_client",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SDK:
        import interlink.sdk

        return getattr(interlink.sdk, name)
    if name.endswith(("Integration", "IntegrationConfiguration")):
        from interlink.direct import direct_classes

        found = direct_classes().get(name)
        if found is not None:
            return found
    raise AttributeError(f"module 'interlink' has no attribute {name!r}")
