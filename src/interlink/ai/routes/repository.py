"""All SQL of routes: their versions, the current one, a page of them, a delete."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.ai.routes.models import AiRouteVersion as Version
from interlink.core.pagination import PageParams, fetch_page


class RouteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, version: Version) -> None:
        self.session.add(version)

    async def version(self, workspace_id: str, name: str, version: int | None) -> Version | None:
        """That version, or the current (latest) one when `version` is None."""
        query = select(Version).where(Version.workspace_id == workspace_id, Version.name == name)
        if version is not None:
            query = query.where(Version.version == version)
        return (await self.session.scalars(query.order_by(Version.version.desc()).limit(1))).first()

    async def page(self, workspace_id: str, params: PageParams) -> tuple[Sequence[Version], int]:
        """The current version of each of the workspace's routes, by name."""
        latest = (
            select(Version.name, func.max(Version.version).label("version"))
            .where(Version.workspace_id == workspace_id)
            .group_by(Version.name)
            .subquery()
        )
        query = select(Version).join(
            latest, (Version.name == latest.c.name) & (Version.version == latest.c.version)
        )
        query = query.where(Version.workspace_id == workspace_id)
        return await fetch_page(self.session, query, params, (Version.name,), Version.version)

    async def names(self, workspace_id: str) -> list[str]:
        query = select(Version.name).where(Version.workspace_id == workspace_id).distinct()
        return sorted((await self.session.scalars(query)).all())

    async def delete(self, workspace_id: str, name: str) -> None:
        """Every version of it."""
        await self.session.execute(
            delete(Version).where(Version.workspace_id == workspace_id, Version.name == name)
        )
