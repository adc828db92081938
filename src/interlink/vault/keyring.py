"""AES-256-GCM under a keyring: every ciphertext names its key, so keys rotate without downtime.

A sealed value reads `v1.<key id>.<base64url(nonce + ciphertext)>`. The associated data binds it
to its row (workspace and record id), so a ciphertext copied to another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_NONCE_BYTES = 12


class VaultError(Exception):
    """The vault cannot do what was asked; the message says what to fix."""


class KeyMissing(VaultError):
    """A ciphertext names a key that the keyring does not hold."""


class DecryptionFailed(VaultError):
    """A ciphertext did not open: wrong key, tampered data or another row's value."""


def new_key() -> bytes:
    return secrets.token_bytes(32)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def decode_key(kid: str, text: str) -> bytes:
    if not _KEY_ID.match(kid):
        raise VaultError(
            f"vault key id {kid[:50]!r} must be 1 to 40 letters, digits, '-' or '_' "
            "(it is written into every ciphertext)"
        )
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VaultError(f"vault key {kid!r} is not valid base64") from exc
    if len(key) != 32:
        raise VaultError(f"vault key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
    return key


def key_id_of(sealed: str) -> str:
    parts = sealed.split(".", 2)
    if len(parts) != 3 or parts[0] != _VERSION:
        raise DecryptionFailed("not a sealed value")
    return parts[1]


@dataclass
class Keyring:
    """Keys by id and the one that encrypts new values.

    A keyring loaded from a file re-reads it when the file changes, so a running service
    picks up a key added by `interlink vault rotate-key`.
    """

    keys: dict[str, bytes]
    active: str
    path: Path | None = None
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise VaultError(f"the active vault key {self.active!r} is not in the keyring")

    def __repr__(self) -> str:
        return f"Keyring(key_ids={sorted(self.keys)}, active={self.active!r}, path={self.path})"

    # -- encryption -------------------------------------------------------------------
    def seal(self, plaintext: bytes, aad: str, *, key_id: str | None = None) -> str:
        self.refresh()
        kid = key_id or self.active
        nonce = os.urandom(_NONCE_BYTES)
        body = AESGCM(self.keys[kid]).encrypt(nonce, plaintext, aad.encode())
        token = base64.urlsafe_b64encode(nonce + body).decode().rstrip("=")
        return f"{_VERSION}.{kid}.{token}"

    def open(self, sealed: str, aad: str) -> bytes:
        kid = key_id_of(sealed)
        if kid not in self.keys:
            self.refresh(force=True)
        key = self.keys.get(kid)
        if key is None:
            raise KeyMissing(f"vault key {kid!r} is not in the keyring")
        token = sealed.split(".", 2)[2]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionFailed("a sealed value did not decrypt") from None

    def reseal(self, sealed: str, aad: str) -> str:
        return self.seal(self.open(sealed, aad), aad)

    # -- file-backed keyrings -----------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        if self.path is None:
            return
        try:
            stamp = _file_stamp(self.path)
        except FileNotFoundError:
            return
        if force or stamp != self._stamp:
            loaded = read_key_file(self.path)
            self.keys, self.active, self._stamp = loaded.keys, loaded.active, loaded._stamp

    def save(self) -> None:
        if self.path is None:
            raise VaultError("this keyring comes from the environment; it has no file to save")
        write_key_file(self.path, self.keys, self.active)
        self._stamp = _file_stamp(self.path)


def _file_stamp(path: Path) -> tuple[int, int, int]:
    """Tells one version of the key file from another even when the filesystem keeps mtimes at a
    coarse grain: every write is a new file (a new inode), and adding or retiring a key changes
    the size."""
    status = path.stat()
    return status.st_mtime_ns, status.st_ino, status.st_size


def read_key_file(path: Path) -> Keyring:
    try:
        stamp = _file_stamp(path)  # before reading: a change made meanwhile is seen next time
        document = json.loads(path.read_text())
        keys = {kid: decode_key(kid, text) for kid, text in document["keys"].items()}
        keyring = Keyring(keys=keys, active=document["active"], path=path)
    except VaultError as exc:
        raise VaultError(f"cannot read the vault key file {path}: {exc}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VaultError(f"cannot read the vault key file {path}: {type(exc).__name__}") from None
    keyring._stamp = stamp
    return keyring


def write_key_file(path: Path, keys: dict[str, bytes], active: str) -> None:
    """Write atomically with mode 0600: a temporary file, then a rename over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"active": active, "keys": {kid: encode_key(k) for kid, k in keys.items()}}
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def parse_env_keys(text: str, active: str | None) -> Keyring:
    """`kid:base64,kid2:base64` as given in INTERLINK_VAULT_KEYS."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        kid, sep, encoded = entry.partition(":")
        if not sep or not kid:
            raise VaultError("INTERLINK_VAULT_KEYS must read 'keyid:base64key[,keyid:base64key]'")
        keys[kid.strip()] = decode_key(kid.strip(), encoded)
    if not keys:
        raise VaultError("INTERLINK_VAULT_KEYS holds no key")
    chosen = active or list(keys)[-1]
    return Keyring(keys=keys, active=chosen)


def new_key_id(existing: set[str]) -> str:
    """`k<n>` above every such id held: an id that a rotation retired never names another key."""
    numbers = [int(k[1:]) for k in existing if k[:1] == "k" and k[1:].isascii() and k[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"
