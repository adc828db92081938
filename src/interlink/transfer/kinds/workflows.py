"""Workflows with every version of their definition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created, collapsed, tail_to_add
from interlink.transfer.kinds.by_id import ById
from interlink.transfer.schemas import Kind, WorkflowItem
from interlink.workflows.schemas import WorkflowCreate, WorkflowPatch

_FIELDS = ("name", "description", "is_public", "enabled", "triggers")


class Workflows(ById):
    kind: Kind = "workflow"

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.workflows, ctx.principal.workspace_id
        return await collect(lambda p: service.page(ctx.session, ws, p))

    async def wanted(self, ctx: Context, item: WorkflowItem) -> dict[str, Any]:
        wanted = item.model_dump(include=set(_FIELDS))
        wanted["versions"] = collapsed(ctx.remap(item.versions))
        return wanted

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        service = ctx.domains.workflows
        current = service.to_out(row).model_dump(mode="json", include=set(_FIELDS))
        versions = await service.versions(ctx.session, row.workspace_id, row.id)
        current["versions"] = collapsed(versions)
        return current

    async def create(self, ctx: Context, item: WorkflowItem, name: str) -> Created:
        service = ctx.domains.workflows
        first, *later = ctx.remap(item.versions)
        body = WorkflowCreate.model_validate(
            {**item.model_dump(include=set(_FIELDS)), "name": name, "definition": first}
        )
        row, _ = await service.create(ctx.session, ctx.principal, body)
        for definition in later:
            patch = WorkflowPatch.model_validate({"definition": definition})
            await service.update(ctx.session, ctx.principal, row.id, patch)
        return Created(row.id)

    async def update(
        self, ctx: Context, item: WorkflowItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        service = ctx.domains.workflows
        current = await self.current(ctx, row, wanted)
        fields = {f: wanted[f] for f in _FIELDS if wanted[f] != current[f]}
        for definition in tail_to_add(current["versions"], wanted["versions"]):
            patch = WorkflowPatch.model_validate({**fields, "definition": definition})
            await service.update(ctx.session, ctx.principal, row.id, patch)
            fields = {}
        if fields:
            await service.update(
                ctx.session, ctx.principal, row.id, WorkflowPatch.model_validate(fields)
            )
        return Created(row.id)
