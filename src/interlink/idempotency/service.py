"""Idempotency-Key records: claimed before the work, completed with the sealed response after.

A record belongs to one caller in one workspace. Records past their time to live are deleted as
new ones are claimed; a claim whose request never finished (its process died) is taken over once
it is older than the abandon time. Each step is a transaction of its own, outside the request's:
the claim must be visible to a duplicate sent while the request runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import Conflict, IdempotencyKeyReused
from interlink.idempotency.models import IdempotencyRecord
from interlink.idempotency.repository import IdempotencyRepository
from interlink.vault.keyring import DecryptionFailed, KeyMissing, Keyring, key_id_of

ABANDONED_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    workspace_id: str
    caller: str
    key: str

    @property
    def aad(self) -> str:
        return f"idempotency:{self.workspace_id}:{self.caller}:{self.key}"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes


class IdempotencyStore:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock, ttl_hours: int) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.ttl = timedelta(hours=ttl_hours)

    async def claim(self, claim: Claim, fingerprint: str) -> StoredResponse | None:
        """None: this request owns the key now. A StoredResponse: replay it."""
        try:
            async with self.db.transaction() as session:
                return await self._claim(IdempotencyRepository(session), claim, fingerprint)
        except IntegrityError:
            raise Conflict("A request with this Idempotency-Key is in progress") from None

    async def _claim(
        self, records: IdempotencyRepository, claim: Claim, fingerprint: str
    ) -> StoredResponse | None:
        now = self.clock.now()
        await records.delete_made_before(now - self.ttl)
        record = await records.get(claim.workspace_id, claim.caller, claim.key)
        if (
            record is not None
            and record.state == "processing"
            and (record.created_at < now - ABANDONED_AFTER)
        ):
            await records.delete(record)
            record = None
        if record is None:
            await records.add(
                IdempotencyRecord(
                    workspace_id=claim.workspace_id,
                    caller=claim.caller,
                    key=claim.key,
                    request_hash=fingerprint,
                    state="processing",
                    created_at=now,
                )
            )
            return None
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if record.state != "completed" or record.sealed_response is None:
            raise Conflict("A request with this Idempotency-Key is in progress")
        try:
            body = self.keyring.open(record.sealed_response, claim.aad)
        except (DecryptionFailed, KeyMissing):
            raise Conflict("The stored response for this Idempotency-Key cannot be read") from None
        return StoredResponse(status_code=record.status_code or 200, body=body)

    async def complete(self, claim: Claim, status_code: int, body: bytes) -> None:
        sealed = self.keyring.seal(body, claim.aad)
        async with self.db.transaction() as session:
            record = await IdempotencyRepository(session).get(
                claim.workspace_id, claim.caller, claim.key
            )
            if record is not None:
                record.state, record.status_code = "completed", status_code
                record.sealed_response, record.key_id = sealed, key_id_of(sealed)

    async def release(self, claim: Claim) -> None:
        async with self.db.transaction() as session:
            records = IdempotencyRepository(session)
            record = await records.get(claim.workspace_id, claim.caller, claim.key)
            if record is not None:
                await records.delete(record)

    @staticmethod
    async def reseal(
        session: AsyncSession, keyring: Keyring, old_key_ids: set[str], batch: int = 200
    ) -> int:
        """Re-encrypt one batch of stored responses sealed under old keys (key rotation)."""
        rows = await IdempotencyRepository(session).sealed_under(old_key_ids, batch)
        for row in rows:
            assert row.sealed_response is not None
            aad = Claim(row.workspace_id, row.caller, row.key).aad
            row.sealed_response = keyring.reseal(row.sealed_response, aad)
            row.key_id = key_id_of(row.sealed_response)
        return len(rows)
