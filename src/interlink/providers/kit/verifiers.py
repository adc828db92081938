"""How a provider's webhooks are verified and read: one verifier per signature scheme.

A connector names its verifier in `Connector.webhook_verifier`. A verifier is pure: it gets the
raw body, the request headers (lower-case names), the integration's configuration and its
revealed credentials, and the time; it returns what the hook says (`VerifiedHook`) or raises
`SignatureRejected`, whatever the input. Every comparison of a signature is constant-time.

Secrets come from the integration's credentials (the vault): `webhook_secret` (GitHub, Stripe,
`http`) and `signing_secret` (Slack). Discord's application public key is not a secret: it is
read from `configuration.webhook.public_key`. The generic verifier's settings live in
`configuration.webhook` as well.

Against replays, the building blocks here do what a verifier can: every signed timestamp is
checked against a window both ways (`IncomingRequest.check_time`); an id the provider always
sends is required (`IncomingRequest.header`); an event named outside the signature must agree
with the signed body where the provider's payloads allow a check. The receiver then stores a
hook once per delivery id and once per body (its digest), so a signed body sent again is
recognised whatever the unsigned headers say.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TOLERANCE_SECONDS = 300  # the default window of signed timestamps: five minutes either way
MAX_TOLERANCE_SECONDS = 3600
_DELIVERY_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
_MAX_DEPTH = 64


class SignatureRejected(Exception):
    """The hook's signature is missing, malformed, stale or wrong (the reason is for logs)."""


@dataclass(frozen=True)
class HookReply:
    """A protocol answer the provider expects instead of our envelope."""

    status_code: int = 200
    content: Any = None  # JSON to answer with; None answers an empty body
    text: str | None = None  # a text/plain answer instead (Graph's validationToken echo)


@dataclass(frozen=True)
class VerifiedHook:
    event: str  # the provider's event name, e.g. "issues.opened" or "invoice.paid"
    delivery_id: str | None  # the provider's id of this delivery, for de-duplication
    payload: Any  # the parsed body (JSON, or a form as a dict); None when unreadable
    reply: HookReply | None = None
    handshake: bool = False  # an endpoint check (Slack url_verification, Discord PING): answer only


@dataclass(frozen=True)
class IncomingRequest:
    body: bytes
    headers: Mapping[str, str]  # lower-case names
    configuration: Mapping[str, Any]
    credentials: Mapping[str, Any]
    now: datetime
    query: Mapping[str, str] = field(default_factory=dict)  # the URL's query parameters

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        if not value:
            raise SignatureRejected(f"missing header {name}")
        return value

    def secret(self, name: str) -> bytes:
        value = self.credentials.get(name)
        if not isinstance(value, str) or not value:
            raise SignatureRejected(f"no {name} in the integration's credentials")
        return value.encode()

    def webhook_settings(self) -> Mapping[str, Any]:
        found = self.configuration.get("webhook") or {}
        if not isinstance(found, Mapping):
            raise SignatureRejected("configuration.webhook is not an object")
        return found

    def check_time(self, timestamp: str) -> None:
        """A signed Unix timestamp must be within the window of now, in the past or the future
        (`configuration.webhook.tolerance_seconds`, 300 by default, at most 3600)."""
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
            raise SignatureRejected("the timestamp is not a number of seconds")
        if abs(self.now.timestamp() - int(timestamp)) > self._tolerance():
            raise SignatureRejected("the timestamp is outside the tolerance")

    def _tolerance(self) -> int:
        value = self.webhook_settings().get("tolerance_seconds", TOLERANCE_SECONDS)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SignatureRejected("configuration.webhook.tolerance_seconds is not an integer")
        if not 1 <= value <= MAX_TOLERANCE_SECONDS:
            raise SignatureRejected("configuration.webhook.tolerance_seconds is out of range")
        return value


@dataclass(frozen=True)
class WebhookKeys:
    """What an integration holds to verify a provider's hooks, made from one secret (for tests
    and the contract suite). A scheme whose sender signs with a key the integration never holds
    (Discord's Ed25519 private key) keeps it in `credentials["signing_key"]` for `sign`."""

    credentials: Mapping[str, Any]
    configuration: Mapping[str, Any] = field(default_factory=dict)


class WebhookVerifier(Protocol):
    # Whether the scheme signs a timestamp, so that a stale (replayed) hook is refused by the
    # verifier itself; otherwise the receiver's de-duplication refuses a replay.
    signs_timestamp: ClassVar[bool]

    def verify(self, request: IncomingRequest) -> VerifiedHook: ...

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        """The headers worth storing with the hook (lower-case names)."""
        ...

    def sample_keys(self, secret: str) -> WebhookKeys:
        """The credentials and configuration of an integration receiving hooks signed with
        `secret` (or a key made from it)."""
        ...

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        """The headers the provider sends with `body` at `now`, signed as it signs them:
        `verify` accepts them with the same credentials and configuration."""
        ...


# -- helpers -----------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth_ok(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def parse_json(body: bytes) -> Any:
    """The body as JSON, or None: never raises (NaN, huge numbers, deep nesting give None)."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    return value if _depth_ok(value) else None


def parse_body(body: bytes) -> Any:
    """JSON, else a form (`a=1&b=2`, one value per name; a `payload` field holding JSON is
    decoded, as GitHub and Slack send it), else None."""
    value = parse_json(body)
    if value is not None:
        return value
    try:
        text = body.decode()
        form = parse_qs(text, keep_blank_values=True, strict_parsing=True, max_num_fields=1000)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, Any] = {name: values[-1] for name, values in form.items()}
    if isinstance(fields.get("payload"), str):
        inner = parse_json(fields["payload"].encode())
        if inner is not None:
            fields["payload"] = inner
    return fields


def delivery_id(value: Any) -> str | None:
    """A provider's delivery id as stored: printable ASCII up to 200 characters, else a digest."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if _DELIVERY_ID.match(text):
        return text
    return "sha256:" + hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()


def sample_delivery_id(body: bytes) -> str:
    """A delivery id for a signed sample: the same for the same body."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, hashlib.sha256(body).hexdigest()))


def hex_bytes(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise SignatureRejected("the signature is not hexadecimal") from None


def mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, algorithm).digest()


def body_field(payload: Any, name: str) -> Any:
    return payload.get(name) if isinstance(payload, dict) else None


# -- generic HMAC (`http`) ---------------------------------------------------------------------
class HmacSettings(BaseModel):
    """`configuration.webhook` of an `http` integration. The defaults match Interlink's own
    outgoing `X-Webhook-Signature` (hex HMAC-SHA256 of the raw body)."""

    model_config = ConfigDict(extra="ignore")

    signature_header: str = Field("X-Webhook-Signature", min_length=1, max_length=100)
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field("", max_length=50)  # e.g. "sha256="
    event_header: str | None = Field("X-Webhook-Event", max_length=100)
    event_field: str | None = Field(None, max_length=100)  # a top-level field of a JSON body
    delivery_header: str | None = Field("X-Webhook-Delivery", max_length=100)


@dataclass(frozen=True)
class HmacVerifier:
    """A configurable HMAC of the raw body (header, algorithm, encoding, prefix) with
    `webhook_secret`; event and delivery id from configured headers or a body field. With an
    `event_field` the event comes from the signed body only, never from a header."""

    defaults: HmacSettings = field(default_factory=HmacSettings)
    signs_timestamp: ClassVar[bool] = False

    def settings(self, configuration: Mapping[str, Any]) -> HmacSettings:
        found = configuration.get("webhook") or {}
        try:
            return HmacSettings.model_validate(found)
        except ValidationError:
            raise SignatureRejected("configuration.webhook is invalid") from None

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        try:
            settings = self.settings(configuration)
        except SignatureRejected:
            return frozenset()
        names = (settings.signature_header, settings.event_header, settings.delivery_header)
        return frozenset(name.lower() for name in names if name)

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        settings = self.settings(request.configuration)
        given = request.header(settings.signature_header.lower())
        if not given.startswith(settings.prefix):
            raise SignatureRejected("the signature lacks its prefix")
        digest = self._decode(given[len(settings.prefix) :], settings.encoding)
        expected = mac(request.secret("webhook_secret"), request.body, settings.algorithm)
        if not hmac.compare_digest(expected, digest):
            raise SignatureRejected("the signature does not match")
        payload = parse_body(request.body)
        return VerifiedHook(
            self._event(request, settings, payload),
            delivery_id(
                request.headers.get(settings.delivery_header.lower())
                if settings.delivery_header
                else None
            ),
            payload,
        )

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"webhook_secret": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        settings = self.settings(configuration)
        secret = str(credentials["webhook_secret"]).encode()
        digest = mac(secret, body, settings.algorithm)
        encoded = digest.hex() if settings.encoding == "hex" else base64.b64encode(digest).decode()
        headers = {settings.signature_header.lower(): settings.prefix + encoded}
        if settings.delivery_header:
            headers[settings.delivery_header.lower()] = sample_delivery_id(body)
        return headers

    @staticmethod
    def _decode(value: str, encoding: str) -> bytes:
        if encoding == "hex":
            return hex_bytes(value)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureRejected("the signature is not base64") from None

    @staticmethod
    def _event(request: IncomingRequest, settings: HmacSettings, payload: Any) -> str:
        if settings.event_field:
            found = body_field(payload, settings.event_field)
            return found if isinstance(found, str) and found else "received"
        if settings.event_header:
            header = request.headers.get(settings.event_header.lower())
            if header:
                return header
        return "received"
