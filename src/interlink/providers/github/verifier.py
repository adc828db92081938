"""How github webhooks are verified."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from interlink.providers.github.payloads import event_agrees, event_of
from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    body_field,
    delivery_id,
    hex_bytes,
    mac,
    parse_body,
    parse_json,
    sample_delivery_id,
)


class GitHubVerifier:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with `webhook_secret`;
    the event is `X-GitHub-Event` plus the body's `action`; the delivery id `X-GitHub-Delivery`.
    GitHub always sends both headers, so both are required; neither is signed, so the event must
    be one the body's shape allows (`payloads.event_agrees`)."""

    headers: ClassVar[frozenset[str]] = frozenset(
        {"x-github-event", "x-github-delivery", "x-github-hook-id", "x-hub-signature-256"}
    )

    signs_timestamp: ClassVar[bool] = False

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return self.headers

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"webhook_secret": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        """The signature, a delivery id, and the event whose fields the body carries (the most
        specific one; an event GitHub does not send, `sample`, when none fits)."""
        signature = mac(str(credentials["webhook_secret"]).encode(), body).hex()
        return {
            "x-hub-signature-256": f"sha256={signature}",
            "x-github-delivery": sample_delivery_id(body),
            "x-github-event": event_of(self._payload(body)),
        }

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        scheme, _, given = request.header("x-hub-signature-256").partition("=")
        if scheme != "sha256":
            raise SignatureRejected("the signature is not sha256=<hex>")
        expected = mac(request.secret("webhook_secret"), request.body)
        if not hmac.compare_digest(expected, hex_bytes(given)):
            raise SignatureRejected("the signature does not match")
        delivery, event = request.header("x-github-delivery"), request.header("x-github-event")
        payload = self._payload(request.body)
        fields = frozenset(payload) if isinstance(payload, dict) else frozenset()
        if not event_agrees(event, fields):
            raise SignatureRejected(f"the body is not a {event[:50]!r} event")
        action = body_field(payload, "action")
        name = f"{event}.{action}" if isinstance(action, str) and action else event
        return VerifiedHook(name, delivery_id(delivery), payload)

    @staticmethod
    def _payload(body: bytes) -> Any:
        payload = parse_json(body)
        if payload is None:  # the form content type: payload=<json>
            form = parse_body(body)
            payload = form.get("payload", form) if isinstance(form, dict) else None
        return payload
