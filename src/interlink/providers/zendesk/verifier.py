"""How Zendesk's webhooks are verified."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    body_field,
    delivery_id,
    mac,
    parse_body,
)

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
INVOCATION = "x-zendesk-webhook-invocation-id"


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskVerifier:
    """`X-Zendesk-Webhook-Signature`: base64 of the HMAC-SHA256 of the timestamp followed by the
    raw body (no separator), keyed with the webhook's signing secret (`webhook_secret`, used as
    it is); `X-Zendesk-Webhook-Signature-Timestamp` is ISO 8601 UTC (`2021-03-25T05:09:27Z`),
    within 300 s of now either way. A Zendesk event's body names its `type`
    (`zen:event-type:ticket.created`) and `id`; a trigger's or automation's body is the user's
    own, so its event is `trigger` and its delivery the invocation id."""

    signs_timestamp: ClassVar[bool] = True

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({SIGNATURE, TIMESTAMP, INVOCATION, "x-zendesk-webhook-id"})

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"webhook_secret": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        stamp = _stamp(now)
        signature = mac(str(credentials["webhook_secret"]).encode(), stamp.encode() + body)
        return {SIGNATURE: base64.b64encode(signature).decode(), TIMESTAMP: stamp}

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        stamp = request.header(TIMESTAMP)
        request.check_time(self._seconds(stamp))
        try:
            given = base64.b64decode(request.header(SIGNATURE), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureRejected("the signature is not base64") from None
        expected = mac(request.secret("webhook_secret"), stamp.encode() + request.body)
        if not hmac.compare_digest(expected, given):
            raise SignatureRejected("the signature does not match")
        payload = parse_body(request.body)
        event = body_field(payload, "type")
        if isinstance(event, str) and event:
            return VerifiedHook(event, delivery_id(body_field(payload, "id")), payload)
        return VerifiedHook("trigger", delivery_id(request.headers.get(INVOCATION)), payload)

    @staticmethod
    def _seconds(stamp: str) -> str:
        """The ISO 8601 timestamp as Unix seconds, for the shared time window."""
        try:
            moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise SignatureRejected("the timestamp is not ISO 8601 UTC") from None
        return str(int(moment.timestamp()))
