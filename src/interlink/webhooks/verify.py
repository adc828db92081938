"""Check a delivery of ours in a receiver written in Python: `interlink.webhooks.verify`.

    from interlink.webhooks import verify, WebhookVerificationError

    payload = verify(request.body, request.headers, "whsec_...")  # the event, as a dict

The Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`) is
checked when it is there: the timestamp must be within `tolerance` seconds of now (replays
fail), and one of the space-separated `v1,<base64>` signatures (several during a rotation)
must match one of the secrets given (pass the old and the new secret while you rotate). A
secret is read as the server reads it: `whsec_` and base64 is decoded, any other secret (e.g.
`whsec_abcdefghijklmnopqrstuvwxyz`) is used as its ASCII bytes.
Without it, `X-Webhook-Signature` (hex HMAC of the body, no timestamp, so no replay
protection) is checked, unless `allow_legacy=False`. Needs only the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from interlink.webhooks.signing import BadSecret, legacy_signature, secret_key, standard_signature

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """The webhook delivery is not signed by a secret given, or is too old or too new."""


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | Sequence[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
    allow_legacy: bool = True,
) -> Any:
    """The delivery's JSON payload when a signature matches; WebhookVerificationError if not."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise WebhookVerificationError("No secret given to verify the delivery with")
    if "webhook-signature" in lowered:
        _verify_standard(raw, lowered, secrets, tolerance, time.time() if now is None else now)
    elif allow_legacy and "x-webhook-signature" in lowered:
        _verify_legacy(raw, lowered["x-webhook-signature"], secrets)
    else:
        raise WebhookVerificationError("The delivery carries no webhook-signature header")
    return _payload(raw)


def _verify_standard(
    raw: bytes, headers: dict[str, str], secrets: list[str], tolerance: float, now: float
) -> None:
    message_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not message_id or not timestamp:
        raise WebhookVerificationError("webhook-id and webhook-timestamp headers are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
    if abs(now - sent_at) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {now - sent_at:+.0f} s from now, beyond {tolerance:g} s"
        )
    given = _signatures(headers["webhook-signature"])
    for candidate in secrets:
        expected = standard_signature(_key(candidate), message_id, sent_at, raw)
        if any(hmac.compare_digest(expected, signature) for signature in given):
            return
    raise WebhookVerificationError("No webhook-signature matches the secrets given")


def _signatures(header: str) -> list[str]:
    found = []
    for part in header.split():
        version, _, value = part.partition(",")
        if version == "v1" and _is_base64(value):
            found.append(part)
    return found


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(value)


def _key(secret: str) -> bytes:
    try:
        return secret_key(secret)
    except BadSecret:
        raise WebhookVerificationError(
            "A secret given is not a webhook secret (whsec_ and base64, or 16 to 256 printable "
            "ASCII characters)"
        ) from None


def _verify_legacy(raw: bytes, signature: str, secrets: list[str]) -> None:
    if not any(
        hmac.compare_digest(legacy_signature(s, raw), signature.strip().lower()) for s in secrets
    ):
        raise WebhookVerificationError("X-Webhook-Signature does not match the secrets given")


def _payload(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("The delivery's body is not JSON") from None
