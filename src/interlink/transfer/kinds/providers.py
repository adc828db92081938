"""Custom provider declarations with every version (matched by key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created, collapsed, tail_to_add
from interlink.transfer.schemas import CustomProviderItem, Kind


class CustomProviders:
    kind: Kind = "custom_provider"

    def name(self, item: CustomProviderItem) -> str:
        return item.key

    def source_id(self, item: CustomProviderItem) -> str | None:
        return None

    def row_id(self, row: Any) -> str:
        return str(row.key)

    def row_name(self, row: Any) -> str | None:
        return str(row.key)

    def renamed(self, name: str, n: int) -> str:
        return f"{name}_imported" if n == 1 else f"{name}_imported{n}"

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.custom_providers, ctx.principal.workspace_id
        return await collect(lambda p: service.page(ctx.session, ws, p))

    async def wanted(self, ctx: Context, item: CustomProviderItem) -> dict[str, Any]:
        return {"versions": collapsed([_without_key(v) for v in item.versions])}

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        service, ws = ctx.domains.custom_providers, row.workspace_id
        versions = [
            _without_key((await service.get(ctx.session, ws, row.key, n)).declaration)
            for n in range(1, row.version + 1)
        ]
        return {"versions": collapsed(versions)}

    async def create(self, ctx: Context, item: CustomProviderItem, name: str) -> Created:
        await self._save(ctx, name, [_without_key(v) for v in item.versions])
        ctx.keys[item.key] = name
        return Created(name)

    async def update(
        self, ctx: Context, item: CustomProviderItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        current = await self.current(ctx, row, wanted)
        await self._save(ctx, row.key, tail_to_add(current["versions"], wanted["versions"]))
        return Created(row.key)

    async def _save(self, ctx: Context, key: str, versions: Sequence[dict[str, Any]]) -> None:
        for declaration in versions:
            await ctx.domains.custom_providers.replace(
                ctx.session, ctx.principal, key, {**declaration, "key": key}
            )
            await ctx.session.flush()  # the next version counts from this one


def _without_key(declaration: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in declaration.items() if k != "key"}
