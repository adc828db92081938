from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
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

    async def get(
        self, workspace_id: str, credential_id: str, *, for_update: bool = False
    ) -> Credential | None:
        """`for_update` locks the row until the transaction ends (on SQLite the whole database
        is already locked for writing by BEGIN IMMEDIATE)."""
        query = select(Credential).where(
            Credential.workspace_id == workspace_id, Credential.id == credential_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

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
