"""Outgoing webhook endpoints: their signing secret and secret headers count as secrets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.transfer.domains import collect
from interlink.transfer.importer import Context, Created
from interlink.transfer.kinds.by_id import ById
from interlink.transfer.schemas import Kind, WebhookEndpointItem
from interlink.vault.masking import MASK
from interlink.webhooks.schemas import SecretRotate, WebhookCreate, WebhookUpdate

_FIELDS = ("name", "description", "url", "events", "retry_policy", "enabled")


class WebhookEndpoints(ById):
    kind: Kind = "webhook_endpoint"

    def name(self, item: WebhookEndpointItem) -> str:
        return item.name or item.url

    def row_name(self, row: Any) -> str | None:
        return str(row.name or row.url)

    async def existing(self, ctx: Context) -> Sequence[Any]:
        service, ws = ctx.domains.webhooks, ctx.principal.workspace_id
        return await collect(lambda p: service.page(ctx.session, ws, p))

    async def wanted(self, ctx: Context, item: WebhookEndpointItem) -> dict[str, Any]:
        wanted = item.model_dump(include=set(_FIELDS))
        wanted["headers"] = {**item.headers, **_secret_headers(ctx, item)}
        secret = _secret(ctx, item)
        if secret is not None:
            wanted["secret"] = secret
        return wanted

    async def current(self, ctx: Context, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        service = ctx.domains.webhooks
        opened = service.headers(row.workspace_id, row.id, row.headers)
        shown = service.to_out(row).headers
        policy = None
        if row.max_attempts is not None or row.backoff_ms is not None:
            policy = {"max_attempts": row.max_attempts, "backoff_ms": row.backoff_ms}
        current = {
            "name": row.name, "description": row.description, "url": row.url,
            "events": row.events, "retry_policy": policy, "enabled": row.enabled,
            "headers": opened if ctx.secrets is not None else {
                n: v for n, v in opened.items() if shown.get(n) == v
            },
        }  # fmt: skip
        if "secret" in wanted:
            current["secret"] = service.secrets(
                row.workspace_id, row.id, row.sealed_secret, None, None
            )[0]
        return current

    async def create(self, ctx: Context, item: WebhookEndpointItem, name: str) -> Created:
        wanted = await self.wanted(ctx, item)
        fields = {**wanted, "name": name if item.name else None}
        if item.name is None and name != item.url:
            fields["description"] = f"{item.description or ''} (imported copy)".strip()
        body = WebhookCreate.model_validate(_policy_filled(fields))
        row, _ = await ctx.domains.webhooks.create(ctx.session, ctx.principal, body)
        return Created(row.id, _needs(ctx, item, created=True))

    async def update(
        self, ctx: Context, item: WebhookEndpointItem, row: Any, wanted: dict[str, Any]
    ) -> Created:
        service, ws = ctx.domains.webhooks, ctx.principal.workspace_id
        fields = {k: v for k, v in wanted.items() if k != "secret"}
        if ctx.secrets is None:  # its own secret headers are kept (the mask keeps a value)
            stored = {name.lower() for name in row.headers}
            kept = {n: MASK for n in item.secret_headers if n.lower() in stored}
            fields["headers"] = {**fields["headers"], **kept}
        await service.update(ctx.session, ws, row.id, WebhookUpdate.model_validate(
            _policy_filled(fields)))  # fmt: skip
        current = await self.current(ctx, row, wanted)
        if "secret" in wanted and current["secret"] != wanted["secret"]:
            rotate = SecretRotate.model_validate({"secret": wanted["secret"]})
            await service.rotate_secret(ctx.session, ws, row.id, rotate)
        return Created(row.id, _needs(ctx, item, created=False))


def _policy_filled(fields: dict[str, Any]) -> dict[str, Any]:
    """A stored policy may lack a part (the defaults apply): given as the API takes it."""
    policy = fields.get("retry_policy")
    if policy is not None:
        given = {k: v for k, v in policy.items() if v is not None}
        fields = {**fields, "retry_policy": {"max_attempts": 8, **given}}
    return fields


def _secret(ctx: Context, item: WebhookEndpointItem) -> str | None:
    return None if ctx.secrets is None else ctx.secrets.webhook_secrets.get(item.id)


def _secret_headers(ctx: Context, item: WebhookEndpointItem) -> dict[str, str]:
    return {} if ctx.secrets is None else ctx.secrets.webhook_headers.get(item.id, {})


def _needs(ctx: Context, item: WebhookEndpointItem, *, created: bool) -> list[str]:
    """Without the bundle's secrets: a new endpoint signs with a secret made now; one changed
    keeps its own secret and secret headers."""
    if ctx.secrets is not None or not created:
        return []
    return ["secret (a new one was made: rotate it to yours)"] + [
        f"headers.{name}" for name in item.secret_headers
    ]
