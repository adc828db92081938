"""How slack webhooks are verified."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from interlink.providers.kit.verifiers import (
    HookReply,
    IncomingRequest,
    SignatureRejected,
    VerifiedHook,
    WebhookKeys,
    body_field,
    delivery_id,
    hex_bytes,
    mac,
    parse_body,
)


class SlackVerifier:
    """`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">` with `signing_secret`, and
    `X-Slack-Request-Timestamp` within five minutes. `url_verification` is answered with its
    challenge. Events API: the event is `event.type` (else `type`), the delivery id `event_id`;
    slash commands are `slash_command`; interactivity payloads their `type`."""

    signs_timestamp: ClassVar[bool] = True

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"signing_secret": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        stamp = str(int(now.timestamp()))
        base = f"v0:{stamp}:".encode() + body
        signature = mac(str(credentials["signing_secret"]).encode(), base).hex()
        return {"x-slack-signature": f"v0={signature}", "x-slack-request-timestamp": stamp}

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
        if not hmac.compare_digest(mac(request.secret("signing_secret"), base), hex_bytes(given)):
            raise SignatureRejected("the signature does not match")
        return self._read(parse_body(request.body))

    @staticmethod
    def _read(payload: Any) -> VerifiedHook:
        kind = body_field(payload, "type")
        if kind == "url_verification":
            challenge = body_field(payload, "challenge")
            return VerifiedHook(
                "url_verification", None, payload, HookReply(content={"challenge": challenge}),
                handshake=True,
            )  # fmt: skip
        if isinstance(payload, dict) and "command" in payload:  # a slash command (a form)
            # Slack shows a JSON answer as a message: an empty 200 only acknowledges.
            return VerifiedHook(
                "slash_command", delivery_id(payload.get("trigger_id")), payload, HookReply()
            )
        inner = body_field(payload, "payload")
        if isinstance(inner, dict):  # interactivity: payload=<json>
            name = inner.get("type")
            return VerifiedHook(
                name if isinstance(name, str) and name else "interaction",
                delivery_id(inner.get("trigger_id")),
                inner,
                HookReply(),
            )
        event = body_field(body_field(payload, "event"), "type")
        name = event if isinstance(event, str) and event else kind
        return VerifiedHook(
            name if isinstance(name, str) and name else "unknown",
            delivery_id(body_field(payload, "event_id")),
            payload,
        )
