"""`interlink vault rotate-key`: add a key, re-encrypt every secret under it, retire the old ones,
while the service keeps running.

A running service re-reads the key file before each write, so once the new key is in the file it
writes with it. A write that raced the switch is caught by the last sweep, made after the old keys
left the file, with the old keys still held in this process's memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.db import Database, describe_failure
from interlink.vault.keyring import Keyring, VaultError, write_key_file
from interlink.vault.lifecycle import VaultKeys

Resealer = Callable[[AsyncSession, Keyring, set[str]], Awaitable[int]]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RotationReport:
    new_key_id: str
    retired_key_ids: list[str]
    resealed: int
    key_file_updated: bool


async def rotate(
    settings: Settings,
    clock: Clock,
    resealers: Sequence[Resealer],
    *,
    grace_seconds: float = 2.0,
    on_progress: Progress = lambda _: None,
) -> RotationReport:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            keyring = (await VaultKeys(clock).open(session, settings)).keyring
        from_file = keyring.path is not None
        new_key_id = VaultKeys.add_active_key(keyring) if from_file else keyring.active
        old = set(keyring.keys) - {new_key_id}
        held = Keyring(keys=dict(keyring.keys), active=new_key_id)  # keeps old keys in memory
        async with db.transaction() as session:
            await VaultKeys(clock).verify(session, held)
        resealed = await _sweep(db, held, old, resealers, on_progress)
        if from_file:
            assert keyring.path is not None
            write_key_file(keyring.path, {new_key_id: held.keys[new_key_id]}, new_key_id)
            await asyncio.sleep(grace_seconds)  # lets writes that began under the old key commit
            resealed += await _sweep(db, held, old, resealers, on_progress)
        async with db.transaction() as session:
            await VaultKeys.forget_keys(session, old)
        return RotationReport(new_key_id, sorted(old), resealed, from_file)
    except (SQLAlchemyError, OSError) as exc:
        raise VaultError(
            f"cannot use the database ({describe_failure(exc)}): check INTERLINK_DATABASE_URL, "
            "and run `interlink db upgrade` on a new database"
        ) from None
    finally:
        await db.dispose()


async def _sweep(
    db: Database,
    keyring: Keyring,
    old: set[str],
    resealers: Sequence[Resealer],
    on_progress: Progress,
) -> int:
    total = 0
    if not old:
        return total
    for reseal in resealers:
        for _ in range(100_000):  # bounded: each pass moves a batch off the old keys
            async with db.transaction() as session:
                count = await reseal(session, keyring, old)
            total += count
            on_progress(count)
            if count == 0:
                break
        else:
            raise VaultError("rotation did not finish: rows keep appearing under the old key")
    return total
