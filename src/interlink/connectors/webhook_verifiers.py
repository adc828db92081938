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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interlink.connectors.github_payloads import event_agrees

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


class WebhookVerifier(Protocol):
    def verify(self, request: IncomingRequest) -> VerifiedHook: ...

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        """The headers worth storing with the hook (lower-case names)."""
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


def _hex(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise SignatureRejected("the signature is not hexadecimal") from None


def _mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, algorithm).digest()


def _field(payload: Any, name: str) -> Any:
    return payload.get(name) if isinstance(payload, dict) else None


# -- GitHub ------------------------------------------------------------------------------------
class GitHubVerifier:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with `webhook_secret`;
    the event is `X-GitHub-Event` plus the body's `action`; the delivery id `X-GitHub-Delivery`.
    GitHub always sends both headers, so both are required; neither is signed, so the event must
    be one the body's shape allows (`github_payloads.event_agrees`)."""

    headers: ClassVar[frozenset[str]] = frozenset(
        {"x-github-event", "x-github-delivery", "x-github-hook-id", "x-hub-signature-256"}
    )

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return self.headers

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        scheme, _, given = request.header("x-hub-signature-256").partition("=")
        if scheme != "sha256":
            raise SignatureRejected("the signature is not sha256=<hex>")
        expected = _mac(request.secret("webhook_secret"), request.body)
        if not hmac.compare_digest(expected, _hex(given)):
            raise SignatureRejected("the signature does not match")
        delivery, event = request.header("x-github-delivery"), request.header("x-github-event")
        payload = self._payload(request.body)
        fields = frozenset(payload) if isinstance(payload, dict) else frozenset()
        if not event_agrees(event, fields):
            raise SignatureRejected(f"the body is not a {event[:50]!r} event")
        action = _field(payload, "action")
        name = f"{event}.{action}" if isinstance(action, str) and action else event
        return VerifiedHook(name, delivery_id(delivery), payload)

    @staticmethod
    def _payload(body: bytes) -> Any:
        payload = parse_json(body)
        if payload is None:  # the form content type: payload=<json>
            form = parse_body(body)
            payload = form.get("payload", form) if isinstance(form, dict) else None
        return payload


# -- Stripe ------------------------------------------------------------------------------------
class StripeVerifier:
    """`Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, each v1 an HMAC-SHA256 of `{t}.{body}`
    with `webhook_secret` (`whsec_...`, used as it is); `t` within 300 s of now, before or
    after. The event is the body's `type`, the delivery id its `id`."""

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"stripe-signature"})

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        timestamp, signatures = self._parse(request.header("stripe-signature"))
        request.check_time(timestamp)
        secret = request.secret("webhook_secret")
        expected = _mac(secret, timestamp.encode() + b"." + request.body)
        matched = False
        for candidate in signatures:  # no early exit: each one is compared in constant time
            matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise SignatureRejected("no v1 signature matches")
        payload = parse_json(request.body)
        event = _field(payload, "type")
        return VerifiedHook(
            event if isinstance(event, str) and event else "unknown",
            delivery_id(_field(payload, "id")),
            payload,
        )

    @staticmethod
    def _parse(header: str) -> tuple[str, list[bytes]]:
        timestamps, signatures = [], []
        for item in header.split(","):
            key, sep, value = item.strip().partition("=")
            if not sep:
                raise SignatureRejected("the header is not a list of key=value")
            if key == "t":
                timestamps.append(value)
            elif key == "v1":
                try:
                    signatures.append(bytes.fromhex(value))
                except ValueError:
                    continue  # one unreadable signature does not spoil the others
        if len(timestamps) != 1 or not signatures:
            raise SignatureRejected("the header needs one t= and at least one v1=")
        return timestamps[0], signatures


# -- Slack -------------------------------------------------------------------------------------
class SlackVerifier:
    """`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">` with `signing_secret`, and
    `X-Slack-Request-Timestamp` within five minutes. `url_verification` is answered with its
    challenge. Events API: the event is `event.type` (else `type`), the delivery id `event_id`;
    slash commands are `slash_command`; interactivity payloads their `type`."""

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(
            {"x-slack-signature", "x-slack-request-timestamp", "x-slack-retry-num",
             "x-slack-retry-reason"}
        )  # fmt: skip

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        version, _, given = request.header("x-slack-signature").partition("=")
        timestamp = request.header("x-slack-request-timestamp")
        if version != "v0":
            raise SignatureRejected("the signature is not v0=<hex>")
        request.check_time(timestamp)
        base = b"v0:" + timestamp.encode() + b":" + request.body
        if not hmac.compare_digest(_mac(request.secret("signing_secret"), base), _hex(given)):
            raise SignatureRejected("the signature does not match")
        return self._read(parse_body(request.body))

    @staticmethod
    def _read(payload: Any) -> VerifiedHook:
        kind = _field(payload, "type")
        if kind == "url_verification":
            challenge = _field(payload, "challenge")
            return VerifiedHook(
                "url_verification", None, payload, HookReply(content={"challenge": challenge}),
                handshake=True,
            )  # fmt: skip
        if isinstance(payload, dict) and "command" in payload:  # a slash command (a form)
            # Slack shows a JSON answer as a message: an empty 200 only acknowledges.
            return VerifiedHook(
                "slash_command", delivery_id(payload.get("trigger_id")), payload, HookReply()
            )
        inner = _field(payload, "payload")
        if isinstance(inner, dict):  # interactivity: payload=<json>
            name = inner.get("type")
            return VerifiedHook(
                name if isinstance(name, str) and name else "interaction",
                delivery_id(inner.get("trigger_id")),
                inner,
                HookReply(),
            )
        event = _field(_field(payload, "event"), "type")
        name = event if isinstance(event, str) and event else kind
        return VerifiedHook(
            name if isinstance(name, str) and name else "unknown",
            delivery_id(_field(payload, "event_id")),
            payload,
        )


# -- Discord -----------------------------------------------------------------------------------
_INTERACTIONS: Mapping[int, tuple[str, Any]] = {
    # interaction type: (event name, the deferred answer Discord expects within 3 s)
    2: ("application_command", {"type": 5}),
    3: ("message_component", {"type": 6}),
    4: ("application_command_autocomplete", {"type": 8, "data": {"choices": []}}),
    5: ("modal_submit", {"type": 5}),
}


class DiscordVerifier:
    """Ed25519: `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp` + body, checked with
    the application's public key (`configuration.webhook.public_key`, hex); the timestamp within
    the window, as for Stripe and Slack (Discord sets none, but signs it). Interactions: PING
    (type 1) is answered `{"type": 1}`; other interactions get a deferred answer and become
    `application_command`, `message_component`, ...; webhook events: PING (type 0) is answered
    204, events become their `event.type` in lower case."""

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"x-signature-ed25519", "x-signature-timestamp"})

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        signature = _hex(request.header("x-signature-ed25519"))
        timestamp = request.header("x-signature-timestamp")
        request.check_time(timestamp)
        key = self._key(request.webhook_settings().get("public_key"))
        try:
            key.verify(signature, timestamp.encode() + request.body)
        except InvalidSignature:
            raise SignatureRejected("the signature does not match") from None
        return self._read(parse_json(request.body))

    @staticmethod
    def _key(value: Any) -> Ed25519PublicKey:
        if not isinstance(value, str):
            raise SignatureRejected("no configuration.webhook.public_key")
        try:
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
        except ValueError:
            raise SignatureRejected("configuration.webhook.public_key is not a key") from None

    @staticmethod
    def _read(payload: Any) -> VerifiedHook:
        kind = _field(payload, "type")
        if not isinstance(kind, int) or isinstance(kind, bool):
            kind = None
        if isinstance(payload, dict) and ("event" in payload or kind == 0):  # webhook events
            if kind == 0:
                return VerifiedHook("ping", None, payload, HookReply(204), handshake=True)
            name = _field(payload["event"], "type")
            event = name.lower() if isinstance(name, str) and name else "event"
            return VerifiedHook(event, None, payload, HookReply(204))
        if kind == 1:
            return VerifiedHook("ping", None, payload, HookReply(content={"type": 1}), True)
        name, answer = _INTERACTIONS.get(kind or -1, ("interaction", {"type": 5}))
        return VerifiedHook(
            name, delivery_id(_field(payload, "id")), payload, HookReply(content=answer)
        )


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
        expected = _mac(request.secret("webhook_secret"), request.body, settings.algorithm)
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

    @staticmethod
    def _decode(value: str, encoding: str) -> bytes:
        if encoding == "hex":
            return _hex(value)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureRejected("the signature is not base64") from None

    @staticmethod
    def _event(request: IncomingRequest, settings: HmacSettings, payload: Any) -> str:
        if settings.event_field:
            found = _field(payload, settings.event_field)
            return found if isinstance(found, str) and found else "received"
        if settings.event_header:
            header = request.headers.get(settings.event_header.lower())
            if header:
                return header
        return "received"
