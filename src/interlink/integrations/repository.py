from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.integrations.models import Integration

SORTABLE = {
    "name": Integration.name,
    "created_at": Integration.created_at,
    "updated_at": Integration.updated_at,
    "status": Integration.status,
    "type": Integration.type,
}


class IntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, integration: Integration) -> None:
        self.session.add(integration)

    async def get(self, workspace_id: str, integration_id: str) -> Integration | None:
        query = select(Integration).where(
            Integration.workspace_id == workspace_id, Integration.id == integration_id
        )
        return (await self.session.scalars(query)).first()

    async def find(self, integration_id: str) -> Integration | None:
        """By id alone, for callers that have no workspace (incoming provider webhooks)."""
        return await self.session.get(Integration, integration_id)

    async def page(
        self,
        workspace_id: str,
        params: PageParams,
        *,
        sort_by: str,
        status: str | None,
        type_: str | None,
        metadata: Mapping[str, str],
    ) -> tuple[Sequence[Integration], int]:
        query: Select[tuple[Integration]] = select(Integration).where(
            Integration.workspace_id == workspace_id
        )
        if status:
            query = query.where(Integration.status == status)
        if type_:
            query = query.where(Integration.type == type_)
        for key, value in metadata.items():
            query = query.where(Integration.metadata_[key].as_string() == value)
        return await fetch_page(self.session, query, params, (SORTABLE[sort_by],), Integration.id)

    async def delete(self, integration: Integration) -> None:
        await self.session.delete(integration)
        await self.session.flush()
