"""Shared credentials (an integration's own travel with it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created
from interlink.transfer.kinds.by_id import ById
from interlink.transfer.schemas import CredentialItem, Kind
from interlink.vault.schemas import CredentialCreate, CredentialUpdate

_FIELDS = ("name", "description", "type", "provider", "allowed_hosts", "metadata")


class Credentials(ById):
    kind: Kind = "credential"

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.credentials, ctx.principal.workspace_id
        rows = await collect(lambda p: service.page(ctx.session, ws, p))
        return [row for row in rows if row.owner_integration_id is None]

    async def wanted(self, ctx: Context, item: CredentialItem) -> dict[str, Any]:
        wanted = {"name": item.name, **item.model_dump(include=set(_FIELDS) - {"name"})}
        secret = _secret(ctx, item)
        if secret is not None:
            wanted["data"] = secret
        return wanted

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        current = {f: getattr(row, "metadata_" if f == "metadata" else f) for f in _FIELDS}
        data = ctx.domains.credentials.reveal(row)
        if not data:
            ctx.pending.add(row.id)  # imported earlier without its secret, still waiting
        if "data" in wanted:
            current["data"] = data
        return current

    async def create(self, ctx: Context, item: CredentialItem, name: str) -> Created:
        secret = _secret(ctx, item)
        fields = {**item.model_dump(include=set(_FIELDS)), "name": name, "data": secret or {}}
        body = (
            CredentialCreate.model_validate(fields)
            if secret
            else CredentialCreate.model_construct(**fields)  # no secret yet: sealed empty
        )
        row = await ctx.domains.credentials.create(ctx.session, ctx.principal, body)
        if not secret:
            ctx.pending.add(row.id)
        return Created(row.id, [] if secret else item.secret_fields)

    async def update(
        self, ctx: Context, item: CredentialItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        fields = {f: wanted[f] for f in _FIELDS if f != "type"}
        if "data" in wanted:
            fields["data"] = wanted["data"]
        body = CredentialUpdate.model_validate(fields)
        await ctx.domains.credentials.update(ctx.session, ctx.principal, row.id, body)
        return Created(row.id)


def _secret(ctx: Context, item: CredentialItem) -> dict[str, Any] | None:
    return None if ctx.secrets is None else ctx.secrets.credentials.get(item.id)
