from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.models import ApiKey, Workspace
from interlink.core.pagination import PageParams, fetch_page


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, workspace: Workspace) -> None:
        self.session.add(workspace)

    async def get(self, workspace_id: str) -> Workspace | None:
        return await self.session.get(Workspace, workspace_id)

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(Workspace)) or 0

    async def page_visible_to(
        self, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[Workspace], int]:
        query = select(Workspace).where(
            or_(Workspace.id == workspace_id, Workspace.parent_id == workspace_id)
        )
        return await fetch_page(self.session, query, params, (), Workspace.id)


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        query = select(ApiKey).where(ApiKey.key_hash == key_hash)
        return (await self.session.scalars(query)).first()

    async def get(self, workspace_id: str, key_id: str) -> ApiKey | None:
        query = select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id)
        return (await self.session.scalars(query)).first()

    async def page(self, workspace_id: str, params: PageParams) -> tuple[Sequence[ApiKey], int]:
        query = select(ApiKey).where(
            ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None)
        )
        return await fetch_page(self.session, query, params, (), ApiKey.id)

    async def touch(self, key_id: str, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when)
        )
