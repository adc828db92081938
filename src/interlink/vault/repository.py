from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.vault.models import Credential, VaultKeyCheck


class CredentialInUse(Exception):
    """An integration still uses this credential."""


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, credential: Credential) -> None:
        self.session.add(credential)

    async def get(self, workspace_id: str, credential_id: str) -> Credential | None:
        query = select(Credential).where(
            Credential.workspace_id == workspace_id, Credential.id == credential_id
        )
        return (await self.session.scalars(query)).first()

    # -- the OAuth refresh lease: each write is one compare-and-set statement ----------------
    async def claim_refresh(
        self,
        workspace_id: str,
        credential_id: str,
        *,
        read_as: str,
        owner: str,
        now: datetime,
        until: datetime,
    ) -> bool:
        """Take the lease when it is free or expired and the data is still `read_as` (the sealed
        data the claimer read). Of two claimers, one wins."""
        free = or_(Credential.refreshing_until.is_(None), Credential.refreshing_until <= now)
        return await self._set(
            workspace_id,
            credential_id,
            [Credential.sealed_data == read_as, free],
            refreshing_by=owner,
            refreshing_until=until,
        )

    async def store_refreshed(
        self,
        workspace_id: str,
        credential_id: str,
        *,
        owner: str,
        read_as: str,
        sealed_data: str,
        key_id: str,
        updated_at: datetime,
    ) -> bool:
        """Write refreshed data and free the lease, if `owner` still holds it or nobody has
        changed the data since it was read as `read_as`."""
        mine = or_(Credential.refreshing_by == owner, Credential.sealed_data == read_as)
        return await self._set(
            workspace_id,
            credential_id,
            [mine],
            sealed_data=sealed_data,
            key_id=key_id,
            updated_at=updated_at,
            refreshing_by=None,
            refreshing_until=None,
        )

    async def release_refresh(self, workspace_id: str, credential_id: str, owner: str) -> None:
        await self._set(
            workspace_id,
            credential_id,
            [Credential.refreshing_by == owner],
            refreshing_by=None,
            refreshing_until=None,
        )

    async def _set(
        self,
        workspace_id: str,
        credential_id: str,
        conditions: list[ColumnElement[bool]],
        **values: Any,
    ) -> bool:
        statement = (
            update(Credential)
            .where(Credential.workspace_id == workspace_id, Credential.id == credential_id)
            .where(*conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def page(
        self, workspace_id: str, params: PageParams, *, type_: str | None, provider: str | None
    ) -> tuple[Sequence[Credential], int]:
        query = select(Credential).where(Credential.workspace_id == workspace_id)
        if type_:
            query = query.where(Credential.type == type_)
        if provider:
            query = query.where(Credential.provider == provider)
        return await fetch_page(self.session, query, params, (), Credential.id)

    async def delete(self, credential: Credential) -> None:
        try:
            async with self.session.begin_nested():
                await self.session.delete(credential)
        except IntegrityError:
            raise CredentialInUse() from None

    async def sealed_under(self, key_ids: set[str], limit: int) -> Sequence[Credential]:
        rows = await self.session.scalars(
            select(Credential)
            .where(Credential.key_id.in_(key_ids))
            .order_by(Credential.id)
            .limit(limit)
        )
        return rows.all()

    async def key_ids_in_use(self) -> set[str]:
        rows = await self.session.scalars(select(Credential.key_id).distinct())
        return set(rows.all())


class KeyCheckRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[VaultKeyCheck]:
        return (await self.session.scalars(select(VaultKeyCheck))).all()

    def add(self, check: VaultKeyCheck) -> None:
        self.session.add(check)

    async def remove(self, key_ids: set[str]) -> None:
        await self.session.execute(delete(VaultKeyCheck).where(VaultKeyCheck.key_id.in_(key_ids)))
