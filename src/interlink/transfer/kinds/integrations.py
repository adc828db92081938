"""Integrations: configuration, metadata, status, and their own or a shared credential."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.integrations.schemas import IntegrationCreate, IntegrationUpdate
from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created
from interlink.transfer.kinds.by_id import ById
from interlink.transfer.schemas import IntegrationItem, Kind


class Integrations(ById):
    kind: Kind = "integration"

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.integrations, ctx.principal.workspace_id
        return await collect(lambda p: service.page(ctx.session, ws, p))

    async def wanted(self, ctx: Context, item: IntegrationItem) -> dict[str, Any]:
        wanted: dict[str, Any] = {
            "name": item.name, "description": item.description, "type": item.type,
            "configuration": _configuration(ctx, item), "metadata": item.metadata,
            "status": item.status, "credential_id": _shared(ctx, item),
        }  # fmt: skip
        own = _own(ctx, item)
        if own is not None:
            wanted["credentials"] = own
        return wanted

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        service = ctx.domains.integrations
        owned = await _owned(ctx, row)
        current = {
            "name": row.name, "description": row.description, "type": row.type,
            "configuration": row.configuration, "metadata": row.metadata_,
            "status": row.status, "credential_id": None if owned else row.credential_id,
        }  # fmt: skip
        if wanted["status"] == "configured":
            current["status"] = "configured"  # never activated there: no way back, no change
        if "credentials" in wanted:
            current["credentials"] = await service.revealed_credentials(ctx.session, row)
        return current

    async def create(self, ctx: Context, item: IntegrationItem, name: str) -> Created:
        shared = ctx.remap(item.credential_id)
        pending = shared in ctx.pending
        body = IntegrationCreate.model_validate(
            {
                "name": name, "description": item.description, "type": item.type,
                "configuration": _configuration(ctx, item), "metadata": item.metadata,
                "credentials": _own(ctx, item),
                "credential_id": None if pending else shared,
            }
        )  # fmt: skip
        row = await ctx.domains.integrations.create(ctx.session, ctx.principal, body)
        await _reach(ctx, row, item.status)
        return Created(row.id, _needs(ctx, item, pending))

    async def update(
        self, ctx: Context, item: IntegrationItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        service, shared = ctx.domains.integrations, wanted["credential_id"]
        pending = shared in ctx.pending
        fields = {k: wanted[k] for k in ("name", "description", "configuration", "metadata")}
        if shared is not None and not pending:
            fields["credential_id"] = shared
        body = IntegrationUpdate.model_validate(fields)
        await service.update(ctx.session, ctx.principal, row.id, body, merge=False)
        if "credentials" in wanted:
            await service.update_credentials(
                ctx.session, ctx.principal, row.id, wanted["credentials"]
            )
        await _reach(ctx, row, item.status)
        return Created(row.id, _needs(ctx, item, pending))


def _configuration(ctx: Context, item: IntegrationItem) -> dict[str, Any]:
    """A custom integration's provider follows its key when the import renamed it."""
    config = dict(item.configuration)
    provider = config.get("provider")
    if item.type == "custom" and isinstance(provider, str):
        config["provider"] = ctx.keys.get(provider, provider)
    return config


def _shared(ctx: Context, item: IntegrationItem) -> str | None:
    """The shared credential's id here; none while it waits for its secret (unbound)."""
    shared = ctx.remap(item.credential_id)
    return None if shared in ctx.pending else shared


def _own(ctx: Context, item: IntegrationItem) -> dict[str, Any] | None:
    return None if ctx.secrets is None else ctx.secrets.integrations.get(item.id)


def _needs(ctx: Context, item: IntegrationItem, pending: bool) -> list[str]:
    needs = [] if _own(ctx, item) is not None else list(item.secret_fields)
    if pending:
        needs.append("credential_id (bind it once its credential has its secret)")
    return needs


async def _owned(ctx: Context, row: Any) -> bool:
    if row.credential_id is None:
        return False
    credential = await ctx.domains.credentials.get(ctx.session, row.workspace_id, row.credential_id)
    return bool(credential.owner_integration_id == row.id)


async def _reach(ctx: Context, row: Any, status: str) -> None:
    """Bring it to the bundle's status: active, or inactive (activated, then deactivated)."""
    service, ws = ctx.domains.integrations, ctx.principal.workspace_id
    if status in ("active", "inactive") and row.status != status:
        if row.status != "active":
            await service.activate(ctx.session, ws, row.id)
        if status == "inactive":
            await service.deactivate(ctx.session, ws, row.id)
