"""How Microsoft Graph's change notifications are checked: they are not signed; each carries the
subscription's `clientState`, a secret the subscriber chose."""

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
    parse_json,
)

_MAX_TOKEN = 1024


class GraphVerifier:
    """Graph POSTs `{"value": [notification, ...]}`; every notification's `clientState` must be
    the integration's `client_state` credential (compared in constant time), and is left out
    of the stored event. The event is the notifications' `changeType` (`created`, `updated`,
    `deleted`) or `lifecycleEvent` (`reauthorizationRequired`, `missed`...), `changes` when
    they differ; Graph gets the 202 it expects.

    Creating a subscription, Graph first POSTs `?validationToken=...` and wants it echoed as
    text/plain within 10 s: answered (for an integration holding a `client_state`), not stored.
    Nothing is signed, so a tampered body that keeps the clientState cannot be told apart: the
    receiver's de-duplication refuses a body sent again."""

    signs_timestamp: ClassVar[bool] = False
    signs_body: ClassVar[bool] = False

    def sample_keys(self, secret: str) -> WebhookKeys:
        return WebhookKeys({"client_state": secret})

    def sign(
        self,
        body: bytes,
        credentials: Mapping[str, Any],
        configuration: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, str]:
        """Graph sends no signature header: its secret travels in the body (`clientState`)."""
        return {}

    def kept_headers(self, configuration: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"client-request-id"})

    def verify(self, request: IncomingRequest) -> VerifiedHook:
        secret = request.secret("client_state")
        token = request.query.get("validationToken")
        if token is not None:
            if not 0 < len(token) <= _MAX_TOKEN:
                raise SignatureRejected("the validationToken is empty or too long")
            return VerifiedHook("validation", None, None, HookReply(text=token), handshake=True)
        notifications = body_field(parse_json(request.body), "value")
        if not isinstance(notifications, list) or not notifications:
            raise SignatureRejected("the body holds no notifications in value")
        if not all(_holds(note, secret) for note in notifications):
            raise SignatureRejected("a notification's clientState does not match")
        shown = [{k: v for k, v in note.items() if k != "clientState"} for note in notifications]
        return VerifiedHook(_event(shown), None, {"value": shown}, HookReply(status_code=202))


def _holds(notification: Any, secret: bytes) -> bool:
    given = body_field(notification, "clientState")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), secret)


def _event(notifications: list[dict[str, Any]]) -> str:
    names = {str(n.get("lifecycleEvent") or n.get("changeType") or "") for n in notifications}
    name = names.pop() if len(names) == 1 else "changes"
    return name or "changes"
