"""Secrets and signatures of outgoing webhooks.

Two signatures go with every delivery:

- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): `v1,` and the
  base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the secret's key (`secret_key`).
  During a rotation's grace period one such signature per secret, separated by a space.
- `X-Webhook-Signature` (the older, Interlink-only format): the hex HMAC-SHA256 of the raw body,
  keyed with the whole secret string (`whsec_...`) as UTF-8, signed with the current secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

PREFIX = "whsec_"
MIN_KEY_BYTES = 16
MAX_ENCODED_KEY_BYTES = 64  # Standard Webhooks' upper bound for `whsec_` secrets
MAX_RAW_CHARACTERS = 256
_GENERATED_BYTES = 32
_RAW = re.compile(rf"^[\x20-\x7e]{{{MIN_KEY_BYTES},{MAX_RAW_CHARACTERS}}}$")


class BadSecret(ValueError):
    """A webhook secret is `whsec_` and the base64 of 16 to 64 bytes, or 16 to 256 printable
    ASCII characters."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(_GENERATED_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret (raises BadSecret for one that is neither form).

    `whsec_` followed by (padded) base64 is a Standard Webhooks secret: the key is the decoded
    bytes, as Standard Webhooks libraries read it. Any other secret is used as it is: the key is
    its ASCII bytes (ASCII only, because receivers' libraries turn other characters into bytes
    in different ways)."""
    encoded = _encoded_key(secret)
    if encoded is not None:
        if not MIN_KEY_BYTES <= len(encoded) <= MAX_ENCODED_KEY_BYTES:
            raise BadSecret(BadSecret.__doc__)
        return encoded
    if not _RAW.match(secret):
        raise BadSecret(BadSecret.__doc__)
    return secret.encode("ascii")


def _encoded_key(secret: str) -> bytes | None:
    if not secret.startswith(PREFIX):
        return None
    try:
        return base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None


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
