"""Secrets and signatures of outgoing webhooks.

Two signatures go with every delivery:

- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): `v1,` and the
  base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the
  secret after `whsec_`. During a rotation's grace period one such signature per secret,
  separated by a space.
- `X-Webhook-Signature` (the older format of seed 001): the hex HMAC-SHA256 of the raw body,
  keyed with the whole secret string (`whsec_...`) as UTF-8, signed with the current secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


class BadSecret(ValueError):
    """A webhook secret is `whsec_` followed by the base64 of 24 to 64 bytes."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(MIN_SECRET_BYTES + 8)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret (raises BadSecret when it is not one)."""
    if not secret.startswith(PREFIX):
        raise BadSecret(BadSecret.__doc__)
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise BadSecret(BadSecret.__doc__) from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise BadSecret(BadSecret.__doc__)
    return key


def standard_signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def legacy_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_headers(
    secrets: list[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The signature headers for `body`; `secrets[0]` is the current secret, any other one a
    secret still in its rotation grace period."""
    standard = " ".join(
        standard_signature(secret_key(s), message_id, timestamp, body) for s in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard,
        "X-Webhook-Signature": legacy_signature(secrets[0], body),
    }
