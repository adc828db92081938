"""How discord webhooks are verified."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from interlink.providers.kit.verifiers import (
    HookReply,
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    body_field,
    delivery_id,
    hex_bytes,
    parse_json,
)

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

    signs_timestamp: ClassVar[bool] = True

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"x-signature-ed25519", "x-signature-timestamp"})

    def sample_keys(self, secret: str) -> WebhookKeys:
        """A key pair made from `secret`: the public key in the configuration, as an
        integration holds it; the private one (Discord's) as `signing_key`, for `sign`."""
        seed = hashlib.sha256(secret.encode()).digest()
        public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        public_hex = public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        return WebhookKeys({"signing_key": seed.hex()}, {"webhook": {"public_key": public_hex}})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(credentials["signing_key"]))
        stamp = str(int(now.timestamp()))
        signature = key.sign(stamp.encode() + body).hex()
        return {"x-signature-ed25519": signature, "x-signature-timestamp": stamp}

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        signature = hex_bytes(request.header("x-signature-ed25519"))
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
        kind = body_field(payload, "type")
        if not isinstance(kind, int) or isinstance(kind, bool):
            kind = None
        if isinstance(payload, dict) and ("event" in payload or kind == 0):  # webhook events
            if kind == 0:
                return VerifiedHook("ping", None, payload, HookReply(204), handshake=True)
            name = body_field(payload["event"], "type")
            event = name.lower() if isinstance(name, str) and name else "event"
            return VerifiedHook(event, None, payload, HookReply(204))
        if kind == 1:
            return VerifiedHook("ping", None, payload, HookReply(content={"type": 1}), True)
        name, answer = _INTERACTIONS.get(kind or -1, ("interaction", {"type": 5}))
        return VerifiedHook(
            name, delivery_id(body_field(payload, "id")), payload, HookReply(content=answer)
        )
