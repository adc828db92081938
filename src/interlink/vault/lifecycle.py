"""The keyring's life: opened (or first made) at start and checked against the data, then rotated.

Never generates a key over existing data: a missing or wrong key stops the start with a message
that says which key and where it was expected.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.vault.keyring import (
    DecryptionFailed,
    Keyring,
    VaultError,
    key_id_of,
    new_key,
    new_key_id,
    parse_env_keys,
    read_key_file,
    write_key_file,
)
from interlink.vault.models import VaultKeyCheck
from interlink.vault.repository import CredentialRepository, KeyCheckRepository
from interlink.vault.service import credential_aad

_CHECK_PLAINTEXT = b"interlink vault key check"


def _check_aad(key_id: str) -> str:
    return f"vault-check:{key_id}"


@dataclass(frozen=True)
class OpenedKeyring:
    keyring: Keyring
    created_file: Path | None  # set when this start made the key file


class VaultKeys:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def open(self, session: AsyncSession, settings: Settings) -> OpenedKeyring:
        created: Path | None = None
        if settings.vault.keys is not None:
            keyring = parse_env_keys(
                settings.vault.keys.get_secret_value(), settings.vault.active_key
            )
        else:
            path = settings.vault_key_file
            if path.exists():
                _refuse_loose_permissions(path)
                keyring = read_key_file(path)
            elif await self._has_sealed_data(session):
                raise VaultError(
                    f"the vault key file {path} is missing but this database holds encrypted data: "
                    "restore the key file (or set INTERLINK_VAULT_KEYS); a new key will not be "
                    "made over existing data"
                )
            else:
                write_key_file(path, {"k1": new_key()}, "k1")
                keyring, created = read_key_file(path), path
        await self.verify(session, keyring)
        return OpenedKeyring(keyring=keyring, created_file=created)

    async def verify(self, session: AsyncSession, keyring: Keyring) -> None:
        """Every key the data names must be held, and must be the key that sealed it."""
        checks = {check.key_id: check for check in await KeyCheckRepository(session).all()}
        used = await CredentialRepository(session).key_ids_in_use() | set(checks)
        missing = sorted(used - set(keyring.keys))
        if missing:
            raise VaultError(
                f"this database holds data sealed with vault key(s) {missing}, which the keyring "
                f"does not hold ({_source(keyring)}); restore them to start"
            )
        for key_id, check in checks.items():
            try:
                keyring.open(check.sealed_check, _check_aad(key_id))
            except DecryptionFailed:
                raise VaultError(
                    f"vault key {key_id!r} ({_source(keyring)}) is not the key that sealed this "
                    "database's data; restore the right key to start"
                ) from None
        for key_id in set(keyring.keys) - set(checks):
            KeyCheckRepository(session).add(
                VaultKeyCheck(
                    key_id=key_id,
                    sealed_check=keyring.seal(_CHECK_PLAINTEXT, _check_aad(key_id), key_id=key_id),
                    created_at=self.clock.now(),
                )
            )

    async def _has_sealed_data(self, session: AsyncSession) -> bool:
        checks = await KeyCheckRepository(session).all()
        return bool(checks) or bool(await CredentialRepository(session).key_ids_in_use())

    # -- rotation -------------------------------------------------------------------------------
    @staticmethod
    def add_active_key(keyring: Keyring) -> str:
        """A new key, made active in the key file; running services use it from their next write."""
        key_id = new_key_id(set(keyring.keys))
        keyring.keys[key_id] = new_key()
        keyring.active = key_id
        keyring.save()
        return key_id

    @staticmethod
    async def reseal_credentials(
        session: AsyncSession, keyring: Keyring, old_key_ids: set[str], batch: int = 200
    ) -> int:
        """Re-encrypt one batch of credentials sealed under old keys; returns how many."""
        rows = await CredentialRepository(session).sealed_under(old_key_ids, batch)
        for row in rows:
            row.sealed_data = keyring.reseal(
                row.sealed_data, credential_aad(row.workspace_id, row.id)
            )
            row.key_id = key_id_of(row.sealed_data)
        return len(rows)

    @staticmethod
    async def forget_keys(session: AsyncSession, key_ids: set[str]) -> None:
        await KeyCheckRepository(session).remove(key_ids)


def _source(keyring: Keyring) -> str:
    return f"key file {keyring.path}" if keyring.path else "INTERLINK_VAULT_KEYS"


def _refuse_loose_permissions(path: Path) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise VaultError(
            f"the vault key file {path} is readable by other users (mode {mode:o}); "
            f"run: chmod 600 {path}"
        )
