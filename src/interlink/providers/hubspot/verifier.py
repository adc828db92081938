"""How HubSpot's webhooks are verified: signature v3."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from interlink.providers.kit.verifiers import (
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    delivery_id,
    mac,
    parse_json,
)

SIGNATURE = "x-hubspot-signature-v3"
TIMESTAMP = "x-hubspot-request-timestamp"
# HubSpot signs the URI with these escapes decoded (its "Validating requests" guide).
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
            "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}  # fmt: skip
SAMPLE_URL = "https://interlink.example.com/api/v1/hooks/hubspot"


def signed_uri(configuration: Mapping[str, Any]) -> str:
    """The URL HubSpot calls (`configuration.webhook.url`, as set in the app's webhook
    settings): the receiver cannot know its public address behind a proxy."""
    settings = configuration.get("webhook")
    url = settings.get("url") if isinstance(settings, Mapping) else None
    if not isinstance(url, str) or not url:
        raise SignatureRejected("configuration.webhook.url (the URL HubSpot calls) is not set")
    for escaped, plain in _DECODED.items():
        url = url.replace(escaped, plain).replace(escaped.lower(), plain)
    return url


def signature(secret: bytes, uri: str, body: bytes, timestamp: str) -> bytes:
    """HMAC-SHA256 of `POST` + URI + body + timestamp (milliseconds), with the app's secret."""
    return mac(secret, b"POST" + uri.encode() + body + timestamp.encode())


class HubSpotVerifier:
    """`X-HubSpot-Signature-v3`: base64 of `signature(...)` with the app's `client_secret`;
    `X-HubSpot-Request-Timestamp` (Unix milliseconds) within five minutes. A delivery is a JSON
    list of events: the event is their `subscriptionType` (`contact.creation`...), `batch` when
    they differ; the delivery id is made of their `eventId`s."""

    signs_timestamp: ClassVar[bool] = True

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"client_secret": secret}, {"webhook": {"url": SAMPLE_URL}})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        stamp = str(int(now.timestamp() * 1000))
        secret = str(credentials["client_secret"]).encode()
        digest = signature(secret, signed_uri(configuration), body, stamp)
        return {SIGNATURE: base64.b64encode(digest).decode(), TIMESTAMP: stamp}

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({SIGNATURE, TIMESTAMP})

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        stamp = request.header(TIMESTAMP)
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 15:
            raise SignatureRejected("the timestamp is not a number of milliseconds")
        request.check_time(str(int(stamp) // 1000))
        try:
            given = base64.b64decode(request.header(SIGNATURE), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureRejected("the signature is not base64") from None
        expected = signature(
            request.secret("client_secret"), signed_uri(request.configuration), request.body, stamp
        )
        if not hmac.compare_digest(expected, given):
            raise SignatureRejected("the signature does not match")
        return self._read(parse_json(request.body))

    @staticmethod
    def _read(payload: Any) -> VerifiedHook:
        events = payload if isinstance(payload, list) else [payload]
        kinds = {e.get("subscriptionType") for e in events if isinstance(e, dict)}
        kind = kinds.pop() if len(kinds) == 1 else "batch"
        ids = [str(e.get("eventId")) for e in events if isinstance(e, dict) and "eventId" in e]
        return VerifiedHook(
            kind if isinstance(kind, str) and kind else "unknown",
            delivery_id(",".join(ids)) if ids else None,
            payload,
        )
