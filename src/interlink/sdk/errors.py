"""The SDK's exceptions: one class per API error code, all under InterlinkAPIError.

InterlinkSDKError
  InterlinkConnectionError: the server could not be reached (after the retries)
  ExecutionTimeout: wait_for_execution gave up before the execution finished
  InterlinkAPIError (code, message, details, request_id, status_code)
    InternalError (INTERNAL_ERROR), HttpError (HTTP_ERROR)
    InvalidRequest (INVALID_REQUEST)
      InvalidIntegrationConfig, InvalidCredentials, InvalidOperation, UrlNotAllowed,
      NoRouteTarget, BundleVersionUnsupported, InvalidBundle, WrongPassphrase
    Unauthenticated, AuthenticationFailed, Forbidden, CredentialHostNotAllowed, PermissionDenied
    NotFound (NOT_FOUND)
      IntegrationNotFound, BudgetNotFound, AiRouteNotFound, ModelNotFound, CredentialNotFound,
      ApiKeyNotFound, WorkspaceNotFound,
      WebhookNotFound, DeliveryNotFound, OperationNotFound, ExternalResourceNotFound,
      WorkflowNotFound, ExecutionNotFound
    StepFailed, MethodNotAllowed, Conflict, BudgetExceeded, RateLimitExceeded, PayloadTooLarge,
    UnsupportedMediaType, IdempotencyKeyReused, ParameterValidationError, InvalidDeclaration,
    TooManyRequests,
    SecretUnreadable, IntegrationError, OperationInterrupted, ExternalServiceError, CircuitOpen,
    ExternalServiceTimeout, ServiceUnavailable

A code this SDK does not know yet raises InterlinkAPIError itself, with the code kept.
"""

from __future__ import annotations

from typing import Any, ClassVar


class InterlinkSDKError(Exception):
    """Something went wrong in the Interlink SDK."""


class InterlinkConnectionError(InterlinkSDKError):
    """The Interlink server could not be reached."""


class ExecutionTimeout(InterlinkSDKError):
    """The workflow execution did not finish in the time given."""


class InterlinkAPIError(InterlinkSDKError):
    """The Interlink API answered with an error."""

    code: ClassVar[str] = "ERROR"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        if code is not None:
            self.code = code  # type: ignore[misc]  # an unknown code, kept on the instance
        self.details = details or []
        self.request_id = request_id
        self.status_code = status_code
        self.retry_after = retry_after
        super().__init__(self.message)

    def __str__(self) -> str:
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.code}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"request_id={self.request_id!r})"
        )


class InternalError(InterlinkAPIError):
    """The server met an internal error."""

    code = "INTERNAL_ERROR"


class HttpError(InterlinkAPIError):
    """The server answered with an HTTP error outside the documented codes."""

    code = "HTTP_ERROR"


class InvalidRequest(InterlinkAPIError):
    """The request is malformed or inconsistent."""

    code = "INVALID_REQUEST"


class InvalidIntegrationConfig(InvalidRequest):
    """The integration configuration is invalid."""

    code = "INVALID_INTEGRATION_CONFIG"


class InvalidCredentials(InvalidRequest):
    """The credentials are invalid for the authentication method."""

    code = "INVALID_CREDENTIALS"


class InvalidOperation(InvalidRequest):
    """The operation or its parameters are invalid."""

    code = "INVALID_OPERATION"


class UrlNotAllowed(InvalidRequest):
    """The URL leads to an address the server may not call."""

    code = "URL_NOT_ALLOWED"


class Unauthenticated(InterlinkAPIError):
    """A valid API key or bearer token is required."""

    code = "UNAUTHENTICATED"


class AuthenticationFailed(InterlinkAPIError):
    """The external system rejected the credentials."""

    code = "AUTHENTICATION_FAILED"


class Forbidden(InterlinkAPIError):
    """The API key lacks the scope this route needs."""

    code = "FORBIDDEN"


class CredentialHostNotAllowed(InterlinkAPIError):
    """The credential may not be sent to this host (it is not one of its allowed hosts)."""

    code = "CREDENTIAL_HOST_NOT_ALLOWED"


class PermissionDenied(InterlinkAPIError):
    """The external system refused the request."""

    code = "PERMISSION_DENIED"


class NotFound(InterlinkAPIError):
    """The resource was not found."""

    code = "NOT_FOUND"


class BudgetNotFound(NotFound):
    """Budget not found."""

    code = "BUDGET_NOT_FOUND"


class AiRouteNotFound(NotFound):
    """Route not found."""

    code = "AI_ROUTE_NOT_FOUND"


class ModelNotFound(NotFound):
    """No route or model of that name (the AI gateway)."""

    code = "MODEL_NOT_FOUND"


class IntegrationNotFound(NotFound):
    """Integration not found."""

    code = "INTEGRATION_NOT_FOUND"


class CredentialNotFound(NotFound):
    """Credential not found."""

    code = "CREDENTIAL_NOT_FOUND"


class ApiKeyNotFound(NotFound):
    """API key not found."""

    code = "API_KEY_NOT_FOUND"


class WorkspaceNotFound(NotFound):
    """Workspace not found."""

    code = "WORKSPACE_NOT_FOUND"


class WebhookNotFound(NotFound):
    """Webhook endpoint not found."""

    code = "WEBHOOK_NOT_FOUND"


class DeliveryNotFound(NotFound):
    """Webhook delivery not found."""

    code = "DELIVERY_NOT_FOUND"


class OperationNotFound(NotFound):
    """Operation not found."""

    code = "OPERATION_NOT_FOUND"


class ExternalResourceNotFound(NotFound):
    """The external system has no such resource."""

    code = "EXTERNAL_RESOURCE_NOT_FOUND"


class WorkflowNotFound(NotFound):
    """Workflow not found."""

    code = "WORKFLOW_NOT_FOUND"


class ExecutionNotFound(NotFound):
    """Workflow execution not found."""

    code = "EXECUTION_NOT_FOUND"


class StepFailed(InterlinkAPIError):
    """A workflow step failed."""

    code = "STEP_FAILED"


class MethodNotAllowed(InterlinkAPIError):
    """This route does not accept that method."""

    code = "METHOD_NOT_ALLOWED"


class Conflict(InterlinkAPIError):
    """The resource's state does not allow this."""

    code = "CONFLICT"


class BudgetExceeded(InterlinkAPIError):
    """The call would pass a language-model budget: it was not made."""

    code = "BUDGET_EXCEEDED"


class RateLimitExceeded(InterlinkAPIError):
    """The external system's rate limit is spent."""

    code = "RATE_LIMIT_EXCEEDED"


class PayloadTooLarge(InterlinkAPIError):
    """The request body is larger than the server accepts."""

    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(InterlinkAPIError):
    """The request body must be JSON."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class IdempotencyKeyReused(InterlinkAPIError):
    """This Idempotency-Key was already used with another request body."""

    code = "IDEMPOTENCY_KEY_REUSED"


class ParameterValidationError(InterlinkAPIError):
    """The parameters do not match the operation's schema."""

    code = "PARAMETER_VALIDATION_ERROR"


class NoRouteTarget(InvalidRequest):
    """No target of the route can take this request."""

    code = "NO_ROUTE_TARGET"


class BundleVersionUnsupported(InvalidRequest):
    """The bundle's format version is not the one the server reads."""

    code = "BUNDLE_VERSION_UNSUPPORTED"


class InvalidBundle(InvalidRequest):
    """The bundle is malformed: `details` names each bad field."""

    code = "INVALID_BUNDLE"


class WrongPassphrase(InvalidRequest):
    """The passphrase does not open the bundle's secrets."""

    code = "WRONG_PASSPHRASE"


class InvalidDeclaration(InterlinkAPIError):
    """A custom provider's declaration has problems: each one is in `details`."""

    code = "INVALID_DECLARATION"


class TooManyRequests(InterlinkAPIError):
    """This API key has used its request budget (still so after the SDK's retries)."""

    code = "TOO_MANY_REQUESTS"


class SecretUnreadable(InterlinkAPIError):
    """A stored secret cannot be decrypted on the server."""

    code = "SECRET_UNREADABLE"


class IntegrationError(InterlinkAPIError):
    """A fault inside the connector."""

    code = "INTEGRATION_ERROR"


class OperationInterrupted(InterlinkAPIError):
    """The process running the operation stopped during its call: whether the external system
    carried it out is unknown (found in an operation's recorded error)."""

    code = "OPERATION_INTERRUPTED"


class ExternalServiceError(InterlinkAPIError):
    """The external system answered with an error or something unreadable."""

    code = "EXTERNAL_SERVICE_ERROR"


class CircuitOpen(InterlinkAPIError):
    """The external system keeps failing: calls are stopped for a while."""

    code = "CIRCUIT_OPEN"


class ExternalServiceTimeout(InterlinkAPIError):
    """The external system did not answer in time."""

    code = "EXTERNAL_SERVICE_TIMEOUT"


class ServiceUnavailable(InterlinkAPIError):
    """The service is not ready."""

    code = "SERVICE_UNAVAILABLE"


def _all_subclasses(cls: type[InterlinkAPIError]) -> list[type[InterlinkAPIError]]:
    found: list[type[InterlinkAPIError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


ERRORS_BY_CODE: dict[str, type[InterlinkAPIError]] = {
    cls.code: cls for cls in _all_subclasses(InterlinkAPIError)
}


def error_class(code: str) -> type[InterlinkAPIError]:
    """The exception class of an API error code (InterlinkAPIError for one not known yet)."""
    return ERRORS_BY_CODE.get(code, InterlinkAPIError)


def api_error(
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
    status_code: int | None = None,
    retry_after: float | None = None,
) -> InterlinkAPIError:
    cls = error_class(code)
    return cls(
        message,
        code=None if cls is not InterlinkAPIError else code,
        details=details,
        request_id=request_id,
        status_code=status_code,
        retry_after=retry_after,
    )
