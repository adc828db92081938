"""API key material: `sk_` + 40 random URL-safe characters, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sk_"
_PREFIX_SHOWN = 11  # "sk_" and eight characters: enough to tell keys apart in a list


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(30)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shown_prefix(key: str) -> str:
    return key[:_PREFIX_SHOWN]


def matches(stored_digest: str, key: str) -> bool:
    return hmac.compare_digest(stored_digest, digest(key))


def looks_like_key(value: str) -> bool:
    return value.startswith(PREFIX) and 20 <= len(value) <= 200 and value.isascii()
