"""AI routes with every version (matched by name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.ai.routes.schemas import RouteChange, RouteIn
from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created, collapsed, tail_to_add
from interlink.transfer.schemas import AiRouteItem, Kind


class AiRoutes:
    kind: Kind = "ai_route"

    def name(self, item: AiRouteItem) -> str:
        return item.name

    def source_id(self, item: AiRouteItem) -> str | None:
        return None

    def row_id(self, row: Any) -> str:
        return str(row.name)

    def row_name(self, row: Any) -> str | None:
        return str(row.name)

    def renamed(self, name: str, n: int) -> str:
        return f"{name}-imported" if n == 1 else f"{name}-imported{n}"

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.ai_routes, ctx.principal.workspace_id
        return await collect(lambda p: service.page(ctx.session, ws, p))

    async def wanted(self, ctx: Context, item: AiRouteItem) -> dict[str, Any]:
        versions = [ctx.remap(v.model_dump()) for v in item.versions]
        return {"versions": collapsed(versions)}

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        service, ws = ctx.domains.ai_routes, row.workspace_id
        versions = []
        for n in range(1, row.version + 1):
            found = await service.get(ctx.session, ws, row.name, n)
            versions.append({"description": found.description, "policy": found.policy})
        return {"versions": collapsed(versions)}

    async def create(self, ctx: Context, item: AiRouteItem, name: str) -> Created:
        first, *later = (await self.wanted(ctx, item))["versions"]
        body = RouteIn.model_validate({"name": name, "description": first["description"],
                                       **first["policy"]})  # fmt: skip
        await ctx.domains.ai_routes.create(ctx.session, ctx.principal, body)
        await ctx.session.flush()  # the next version counts from this one
        await self._save(ctx, name, later)
        return Created(name)

    async def update(
        self, ctx: Context, item: AiRouteItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        current = await self.current(ctx, row, wanted)
        await self._save(ctx, row.name, tail_to_add(current["versions"], wanted["versions"]))
        return Created(row.name)

    async def _save(self, ctx: Context, name: str, versions: Sequence[dict[str, Any]]) -> None:
        for version in versions:
            body = RouteChange.model_validate(
                {"description": version["description"], **version["policy"]}
            )
            await ctx.domains.ai_routes.update(ctx.session, ctx.principal, name, body)
            await ctx.session.flush()
