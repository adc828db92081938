"""The error tree of the API. Each class carries its HTTP status and error code.

InterlinkError
  InvalidRequest (400 INVALID_REQUEST)
    InvalidIntegrationConfig (400 INVALID_INTEGRATION_CONFIG)
    InvalidCredentials (400 INVALID_CREDENTIALS)
    InvalidOperation (400 INVALID_OPERATION)
    UrlNotAllowed (400 URL_NOT_ALLOWED)
  Unauthenticated (401 UNAUTHENTICATED)
  AuthenticationFailed (401 AUTHENTICATION_FAILED): the external system said no
  Forbidden (403 FORBIDDEN)
  CredentialHostNotAllowed (403 CREDENTIAL_HOST_NOT_ALLOWED): a credential's hosts exclude the URL
  PermissionDenied (403 PERMISSION_DENIED): the external system refused
  NotFound (404 NOT_FOUND) and one subclass per resource (INTEGRATION_NOT_FOUND,
    WEBHOOK_NOT_FOUND, DELIVERY_NOT_FOUND, ...)
  BudgetExceeded (402 BUDGET_EXCEEDED): a language-model budget would be passed by the call
  Conflict (409 CONFLICT)
  RateLimitExceeded (409 RATE_LIMIT_EXCEEDED): the external system's limit
  ParameterValidationError (422 PARAMETER_VALIDATION_ERROR)
  IntegrationError (500 INTEGRATION_ERROR): a fault inside a connector
  OperationInterrupted (500 OPERATION_INTERRUPTED): recorded, never answered: its process died
  ExternalServiceError (502 EXTERNAL_SERVICE_ERROR)
  CircuitOpen (503 CIRCUIT_OPEN)
  ExternalServiceTimeout (504 EXTERNAL_SERVICE_TIMEOUT)
  PayloadTooLarge (413 PAYLOAD_TOO_LARGE)
  IdempotencyKeyReused (422 IDEMPOTENCY_KEY_REUSED)
  TooManyRequests (429 TOO_MANY_REQUESTS)
  SecretUnreadable (500 SECRET_UNREADABLE)
  ServiceUnavailable (503 SERVICE_UNAVAILABLE)

A message never holds a secret: it names fields, never their values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar


class InterlinkError(Exception):
    """An internal error occurred."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidRequest(InterlinkError):
    """The request is malformed or inconsistent."""

    status_code = 400
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


class Unauthenticated(InterlinkError):
    """A valid API key or bearer token is required."""

    status_code = 401
    code = "UNAUTHENTICATED"


class Forbidden(InterlinkError):
    """The API key lacks the scope this route needs."""

    status_code = 403
    code = "FORBIDDEN"


class CredentialHostNotAllowed(InterlinkError):
    """The credential may not be sent to this host: add the host to the credential's
    `allowed_hosts` (credentials:write and credentials:use) or call one of its hosts."""

    status_code = 403
    code = "CREDENTIAL_HOST_NOT_ALLOWED"


class NotFound(InterlinkError):
    """The resource was not found."""

    status_code = 404
    code = "NOT_FOUND"


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


class WorkflowNotFound(NotFound):
    """Workflow not found."""

    code = "WORKFLOW_NOT_FOUND"


class ExecutionNotFound(NotFound):
    """Execution not found."""

    code = "EXECUTION_NOT_FOUND"


class RouteNotFound(NotFound):
    """No route matches this path."""

    code = "NOT_FOUND"


class MethodNotAllowed(InterlinkError):
    """This route does not accept that method."""

    status_code = 405
    code = "METHOD_NOT_ALLOWED"


class Conflict(InterlinkError):
    """The resource's state does not allow this."""

    status_code = 409
    code = "CONFLICT"


class PayloadTooLarge(InterlinkError):
    """The request body is larger than the configured limit."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(InterlinkError):
    """The request body must be JSON (Content-Type: application/json)."""

    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class IdempotencyKeyReused(InterlinkError):
    """This Idempotency-Key was already used with another request body."""

    status_code = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class TooManyRequests(InterlinkError):
    """This API key has used its request budget; retry after the time in Retry-After."""

    status_code = 429
    code = "TOO_MANY_REQUESTS"


class SecretUnreadable(InterlinkError):
    """A stored secret cannot be decrypted: its vault key is missing or the data was altered."""

    code = "SECRET_UNREADABLE"


class AuthenticationFailed(InterlinkError):
    """The external system rejected the credentials."""

    status_code = 401
    code = "AUTHENTICATION_FAILED"


class PermissionDenied(InterlinkError):
    """The external system refused the request."""

    status_code = 403
    code = "PERMISSION_DENIED"


class OperationNotFound(NotFound):
    """Operation not found."""

    code = "OPERATION_NOT_FOUND"


class ExternalResourceNotFound(NotFound):
    """The external system has no such resource."""

    code = "EXTERNAL_RESOURCE_NOT_FOUND"


class UrlNotAllowed(InvalidRequest):
    """The URL leads to an address this server may not call."""

    code = "URL_NOT_ALLOWED"


class BudgetExceeded(InterlinkError):
    """The call would pass a language-model budget (its estimate, priced): it was not made."""

    status_code = 402
    code = "BUDGET_EXCEEDED"


class RateLimitExceeded(InterlinkError):
    """The external system's rate limit is spent."""

    status_code = 409
    code = "RATE_LIMIT_EXCEEDED"


class ParameterValidationError(InterlinkError):
    """The parameters do not match the operation's schema."""

    status_code = 422
    code = "PARAMETER_VALIDATION_ERROR"


class InvalidDeclaration(InterlinkError):
    """A custom provider's declaration has problems: each one is in `details`."""

    status_code = 422
    code = "INVALID_DECLARATION"


class IntegrationError(InterlinkError):
    """A fault inside the connector."""

    code = "INTEGRATION_ERROR"


class OperationInterrupted(InterlinkError):
    """The process running this operation stopped during its call: whether the external system
    carried it out is unknown."""

    code = "OPERATION_INTERRUPTED"


class ExternalServiceError(InterlinkError):
    """The external system answered with an error or something unreadable."""

    status_code = 502
    code = "EXTERNAL_SERVICE_ERROR"


class CircuitOpen(InterlinkError):
    """The external system keeps failing: calls are stopped for a while (circuit breaker open)."""

    status_code = 503
    code = "CIRCUIT_OPEN"


class ExternalServiceTimeout(InterlinkError):
    """The external system did not answer in time."""

    status_code = 504
    code = "EXTERNAL_SERVICE_TIMEOUT"


class ServiceUnavailable(InterlinkError):
    """The service is not ready."""

    status_code = 503
    code = "SERVICE_UNAVAILABLE"


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "status": "error",
        "error": {"code": code, "message": message, "details": details or []},
    }


REQUEST_LOCATIONS = frozenset({"body", "query", "path", "header"})


def validation_details(
    errors: Iterable[Mapping[str, Any]],
    *,
    prefix: str = "",
    whole: str | None = None,
    unknown: str | Callable[[str], str] | None = None,
    located: bool = False,
) -> list[dict[str, Any]]:
    """A pydantic validation error's `errors()` as our `details`: one `{"field": "a.b",
    "message": ...}` per error.

    `prefix` goes before every field (`configuration` gives `configuration.api_url`); `whole`
    is the field of an error about the whole document (its location is empty), `prefix` unless
    given. `unknown` replaces pydantic's message for a field the model does not know
    (`extra_forbidden`): a text, or a function of that field's name. `located` is for a
    request's errors (FastAPI's), whose location starts with where the value was (`body`,
    `query`, `path`, `header`): that part leaves the field, goes in `in`, names the whole
    document, and the detail carries pydantic's `type` too.
    """
    return [
        _detail(e, prefix, prefix if whole is None else whole, unknown, located) for e in errors
    ]


def _detail(
    error: Mapping[str, Any],
    prefix: str,
    whole: str,
    unknown: str | Callable[[str], str] | None,
    located: bool,
) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    path = loc
    if located:
        whole = loc[0] if loc else "body"
        path = loc[1:] if whole in REQUEST_LOCATIONS else loc
    field = ".".join([prefix, *path] if prefix else path) or whole
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "value_error":  # a validator's own words, without pydantic's label
        message = message.removeprefix("Value error, ")
    if unknown is not None and error.get("type") == "extra_forbidden":
        message = unknown if isinstance(unknown, str) else unknown(loc[-1])
    if located:
        return {"field": field, "in": whole, "message": message, "type": error.get("type")}
    return {"field": field, "message": message}
