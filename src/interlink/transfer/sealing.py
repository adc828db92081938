"""Secrets sealed under a passphrase: Argon2id (RFC 9106) derives the key, AES-256-GCM seals.

Argon2id from `argon2-cffi` (the reference C implementation; it lets go of the GIL while it
works, so the event loop goes on answering: `cryptography`'s Argon2id and scrypt held it for the
whole derivation here), AES-256-GCM from `cryptography`. The salt and the KDF's parameters travel
in the bundle, so a bundle stays readable when the defaults change."""

from __future__ import annotations

import base64
import os

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from interlink.transfer.errors import InvalidBundle, WrongPassphrase
from interlink.transfer.schemas import FORMAT_VERSION, Kdf, SealedSecrets, Secrets

# RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes.
MEMORY_KIB = 64 * 1024
ITERATIONS = 3
LANES = 4
_AAD = f"interlink-bundle:{FORMAT_VERSION}".encode()


def seal(secrets: Secrets, passphrase: str) -> SealedSecrets:
    kdf = Kdf(salt=_b64(os.urandom(16)), iterations=ITERATIONS, memory_kib=MEMORY_KIB, lanes=LANES)
    nonce = os.urandom(12)
    sealed = AESGCM(_key(kdf, passphrase)).encrypt(nonce, secrets.model_dump_json().encode(), _AAD)
    return SealedSecrets(kdf=kdf, nonce=_b64(nonce), ciphertext=_b64(sealed))


def open_secrets(sealed: SealedSecrets, passphrase: str) -> Secrets:
    """WRONG_PASSPHRASE when the passphrase is not the one it was sealed under."""
    nonce, ciphertext = (
        _unb64(sealed.nonce, "secrets.nonce"),
        _unb64(sealed.ciphertext, "secrets.ciphertext"),
    )
    try:
        plaintext = AESGCM(_key(sealed.kdf, passphrase)).decrypt(nonce, ciphertext, _AAD)
    except (InvalidTag, ValueError):
        raise WrongPassphrase(
            "The passphrase does not open this bundle's secrets (or the bundle was altered)"
        ) from None
    return Secrets.model_validate_json(plaintext)


def _key(kdf: Kdf, passphrase: str) -> bytes:
    return hash_secret_raw(
        passphrase.encode(),
        _unb64(kdf.salt, "secrets.kdf.salt"),
        time_cost=kdf.iterations,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.lanes,
        hash_len=32,
        type=Type.ID,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidBundle(
            "The bundle is malformed", details=[{"field": field, "message": "is not base64"}]
        ) from None
