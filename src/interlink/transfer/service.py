"""Export and import of a workspace's configuration (docs/export-import.md)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.clock import Clock
from interlink.core.errors import InvalidRequest
from interlink.transfer import sealing
from interlink.transfer.domains import Domains
from interlink.transfer.errors import BundleVersionUnsupported, InvalidBundle
from interlink.transfer.exporter import Exporter
from interlink.transfer.importer import Context, run_kind
from interlink.transfer.kinds.credentials import Credentials
from interlink.transfer.kinds.integrations import Integrations
from interlink.transfer.kinds.providers import CustomProviders
from interlink.transfer.kinds.routes import AiRoutes
from interlink.transfer.kinds.webhooks import WebhookEndpoints
from interlink.transfer.kinds.workflows import Workflows
from interlink.transfer.schemas import FORMAT_VERSION, Bundle, ImportResult, Policy, Secrets

EXPORT_SCOPES = (
    Scope.INTEGRATIONS_READ, Scope.CREDENTIALS_READ, Scope.WORKFLOWS_READ, Scope.WEBHOOKS_READ,
)  # fmt: skip


class TransferService:
    def __init__(self, clock: Clock, domains: Domains) -> None:
        self.domains = domains
        self.exporter = Exporter(domains, clock)

    async def export(
        self, session: AsyncSession, principal: Principal, passphrase: str | None
    ) -> Bundle:
        """Every read scope; with the secrets (`passphrase`), `admin` too."""
        for scope in EXPORT_SCOPES:
            principal.require(scope, "Exporting the workspace")
        if passphrase is not None:
            principal.require(Scope.ADMIN, "Exporting secrets")
        return await self.exporter.export(session, principal.workspace_id, passphrase)

    async def import_bundle(
        self,
        session: AsyncSession,
        principal: Principal,
        document: Any,
        *,
        passphrase: str | None,
        policy: Policy,
        dry_run: bool,
    ) -> ImportResult:
        """`admin` (an import writes every kind, secrets included). Nothing is written on a dry
        run; otherwise every change is made in `session`, which the caller commits or drops."""
        principal.require(Scope.ADMIN, "Importing a bundle")
        bundle = parse(document)
        secrets = await _secrets(bundle, passphrase)
        ctx = Context(session, principal, self.domains, secrets, dry_run)
        steps = (
            (CustomProviders(), bundle.custom_providers),
            (Credentials(), bundle.credentials),
            (Integrations(), bundle.integrations),
            (AiRoutes(), bundle.ai_routes),
            (Workflows(), bundle.workflows),
            (WebhookEndpoints(), bundle.webhook_endpoints),
        )
        items = []
        for kind, found in steps:
            items += await run_kind(ctx, kind, found, policy)
        counts = Counter(item.action for item in items)
        return ImportResult(
            dry_run=dry_run, on_conflict=policy, format_version=bundle.format_version,
            counts={a: counts.get(a, 0) for a in ("create", "update", "skip", "conflict")},
            items=items,
        )  # fmt: skip


def parse(document: Any) -> Bundle:
    """The bundle, or a 400 naming the other format version or every bad field."""
    if not isinstance(document, dict):
        raise InvalidBundle("The bundle is not a JSON object", details=[{"field": "(body)"}])
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise BundleVersionUnsupported(
            f"This bundle is format version {version!r}; this server reads format version "
            f"{FORMAT_VERSION}",
            details=[{"field": "format_version", "given": version, "supported": FORMAT_VERSION}],
        )
    try:
        return Bundle.model_validate(document)
    except ValidationError as invalid:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in invalid.errors(include_input=False, include_url=False)
        ]
        fields = ", ".join(d["field"] for d in details[:5])
        raise InvalidBundle(f"The bundle is malformed: {fields}", details=details) from None


async def _secrets(bundle: Bundle, passphrase: str | None) -> Secrets | None:
    """Opened off the event loop: the key derivation takes a few hundred milliseconds."""
    if bundle.secrets is None:
        return None
    if passphrase is None:
        raise InvalidRequest(
            "This bundle's secrets are sealed: give the passphrase it was exported with",
            details=[{"field": "passphrase", "message": "required for this bundle"}],
        )
    return await asyncio.to_thread(sealing.open_secrets, bundle.secrets, passphrase)
