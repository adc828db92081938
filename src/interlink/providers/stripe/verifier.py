"""How stripe webhooks are verified."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    body_field,
    delivery_id,
    mac,
    parse_json,
)


class StripeVerifier:
    """`Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, each v1 an HMAC-SHA256 of `{t}.{body}`
    with `webhook_secret` (`whsec_...`, used as it is); `t` within 300 s of now, before or
    after. The event is the body's `type`, the delivery id its `id`."""

    signs_timestamp: ClassVar[bool] = True

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"stripe-signature"})

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"webhook_secret": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        stamp = str(int(now.timestamp()))
        signature = mac(str(credentials["webhook_secret"]).encode(), f"{stamp}.".encode() + body)
        return {"stripe-signature": f"t={stamp},v1={signature.hex()}"}

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        timestamp, signatures = self._parse(request.header("stripe-signature"))
        request.check_time(timestamp)
        secret = request.secret("webhook_secret")
        expected = mac(secret, timestamp.encode() + b"." + request.body)
        matched = False
        for candidate in signatures:  # no early exit: each one is compared in constant time
            matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise SignatureRejected("no v1 signature matches")
        payload = parse_json(request.body)
        event = body_field(payload, "type")
        return VerifiedHook(
            event if isinstance(event, str) and event else "unknown",
            delivery_id(body_field(payload, "id")),
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
