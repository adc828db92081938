"""The API's models of webhook endpoints, deliveries and attempts."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from interlink.core.schemas import ApiInput, ApiOutput, ApiTime, UtcTime
from interlink.events.types import EventType
from interlink.vault.masking import MASK
from interlink.webhooks.signing import secret_key

# Headers the dispatcher sets itself: an endpoint's custom headers may not name them.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id", "webhook-timestamp", "webhook-signature", "x-webhook-signature",
        "x-webhook-event", "x-webhook-delivery", "content-type", "content-length", "host",
        "user-agent", "transfer-encoding", "connection",
    }
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]{0,2000}$")
EVENT_NAMES = frozenset(EventType) | {"*"}

EventName = Annotated[str, Field(min_length=1, max_length=100)]
_HEADERS = (
    "Sent with every delivery; stored encrypted. A value given as the mask (as responses show "
    "credentials) keeps the value stored under that name"
)


class RetryPolicy(ApiInput):
    max_attempts: int = Field(ge=1, le=50, description="Every attempt, the first one included")
    backoff_ms: int = Field(1000, ge=100, le=86_400_000, description="First delay; doubles")


class _EndpointFields(ApiInput):
    @field_validator("events", check_fields=False)
    @classmethod
    def _known_events(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        unknown = [e for e in value if e not in EVENT_NAMES and not e.startswith("provider.")]
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(sorted(unknown))}")
        return sorted(set(value))

    @field_validator("headers", check_fields=False)
    @classmethod
    def _custom_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, text in (value or {}).items():
            if not _HEADER_NAME.match(name) or not (text == MASK or _HEADER_VALUE.match(text)):
                raise ValueError(f"header {name[:100]!r} is not a valid HTTP header")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by Interlink and cannot be overridden")
        return value

    @field_validator("secret", check_fields=False)
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None:
            secret_key(value)
        return value


class WebhookCreate(_EndpointFields):
    url: str = Field(min_length=1, max_length=2000)
    events: list[EventName] = Field(min_length=1, max_length=100)
    secret: str | None = Field(
        None,
        description="whsec_ and the base64 of 16-64 bytes, or 16-256 printable ASCII characters "
        "used as they are; generated when not given",
        repr=False,
    )
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    headers: dict[str, str] = Field(
        default_factory=dict, max_length=20, description=_HEADERS, repr=False
    )
    retry_policy: RetryPolicy | None = None
    enabled: bool = True


class WebhookUpdate(_EndpointFields):
    """Fields given replace the stored ones; `enabled: true` re-enables a disabled endpoint."""

    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[EventName] | None = Field(None, min_length=1, max_length=100)
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    headers: dict[str, str] | None = Field(None, max_length=20, description=_HEADERS, repr=False)
    retry_policy: RetryPolicy | None = None
    enabled: bool | None = None


class SecretRotate(_EndpointFields):
    secret: str | None = Field(
        None, description="The new secret; generated when not given", repr=False
    )


class RetryPolicyOut(ApiOutput):
    max_attempts: int
    backoff_ms: int


class WebhookOut(ApiOutput):
    id: str
    name: str | None
    description: str | None
    url: str
    events: list[str]
    headers: dict[str, str] = Field(
        description="Values of headers whose names look like credentials are masked"
    )
    retry_policy: RetryPolicyOut | None
    enabled: bool
    disabled_reason: str | None
    failing_since: UtcTime | None
    secret: str = Field(description="Shown only by create and rotate-secret")
    previous_secret_expires_at: UtcTime | None
    created_at: UtcTime
    updated_at: UtcTime


class WebhookDeleted(ApiOutput):
    id: str
    deleted: Literal[True] = True


class AttemptOut(ApiOutput):
    at: UtcTime
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None


class DeliveryOut(ApiOutput):
    id: str
    webhook_id: str
    event_id: str
    event: str
    status: Literal["pending", "succeeded", "failed"]
    attempt_count: int
    next_attempt_at: UtcTime | None
    last_status_code: int | None
    last_error: str | None
    created_at: UtcTime
    updated_at: UtcTime
    attempts: list[AttemptOut]


class RecoverIn(ApiInput):
    since: ApiTime = Field(description="RFC 3339 time: failed deliveries made since then")


class RecoverOut(ApiOutput):
    webhook_id: str
    requeued: int
